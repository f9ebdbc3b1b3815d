"""A burst of real calls through a queue leaves nothing behind once it is over.

Hotline runs in this process (so its tables can be read), its media in a worker process as
in production; SIPp plays the carrier's callers (from 127.0.0.2, a trunk into queue 800)
and the agents' phones. The callers come faster than the agents can take them and hang up
after a short hold, so calls are bridged, or abandoned while an agent's phone rings (the
offer is cancelled); one agent never answers (the ring timeout cancels the offer). T1 and
T4 are short, so the transactions end (RFC 3261 timers J, K, L, D...) and ended dialogs are
forgotten (64*T1) within seconds.

Then every per-call table is empty, and no call, leg, dialog, transaction, SIP message or
call record in the making (the store's journey) is left. The cycle collector is off during
the test: production thresholds make its full passes rare (``tune_garbage_collector``), so
what only it could free stays for hours.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import itertools
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.acd import QueueId
from hotline.app import Hotline, build
from hotline.config import parse_config
from hotline.events import QueueEventLogged
from hotline.pbx.calls import Call
from hotline.pbx.legs import InboundLeg, OutboundLeg
from hotline.sip.dialog import Dialog
from hotline.sip.message import Request, Response
from hotline.sip.timers import TimerSettings
from hotline.sip.transaction import Transaction
from hotline.store import CallJourney
from hotline.testing.harness import SCENARIOS, free_udp_tcp_port, require_sipp

ANSWERING = ["301", "302", "303"]
SILENT = "304"  # rings until the queue's ring timeout cancels the offer
AGENTS = [*ANSWERING, SILENT]
DID = "5550100"
CALLS, RATE, HOLD_MS, RING_MS = 24, 12, 1500, 300
# Short enough that every transaction and ended dialog is gone a few seconds after the calls.
SHORT = TimerSettings(t1=0.05, t2=0.4, t4=0.5, timer_d=0.5)
PER_CALL = (Call, InboundLeg, OutboundLeg, Dialog, Transaction, Request, Response, CallJourney)
_BASE = 45000 + (os.getpid() % 20) * 100

CONFIG = """
[server]
sip_listen = "127.0.0.1:{sip}"
http_listen = "127.0.0.1:0"
data_dir = "{data}"
domain = "hotline.local"

[media]
rtp_ports = "{low}-{high}"

[[queues]]
number = "800"
strategy = "longest_waiting"
agents = [{agents}]
wrap_up = 0
ring_timeout = 1

[[trunks]]
name = "carrier"
from = ["127.0.0.2/32"]
did = {{ "{did}" = "800" }}
"""


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def config_text(folder: Path) -> str:
    text = CONFIG.format(
        sip=free_udp_tcp_port(), data=folder / "data", low=_BASE, high=_BASE + 99,
        agents=", ".join(f'"{a}"' for a in AGENTS), did=DID,
    )  # fmt: skip
    for number in AGENTS:
        text += (
            f'\n[[extensions]]\nnumber = "{number}"\npassword = "s3cret-{number}"\n'
            "agent = true\nalways_logged_in = true\n"
        )
    return text


async def sipp(folder: Path, hotline: Hotline, *args: str, ip: str = "127.0.0.1") -> int:
    """Run SIPp against Hotline until it exits; its exit status."""
    command = [
        require_sipp(), f"127.0.0.1:{hotline.sip.port}", "-t", "u1", "-nostdin",
        "-i", ip, "-mi", ip, "-cp", str(free_udp_tcp_port(ip)), "-timeout", "25s", *args,
    ]  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return await process.wait()


_fields = itertools.count()


def fields(folder: Path, user: str) -> str:
    path = folder / f"fields-{next(_fields)}.csv"
    path.write_text(f"SEQUENTIAL\n{user};hotline.local\n")
    return str(path)


async def agents_phone(
    folder: Path, hotline: Hotline, users: list[str], scenario: str
) -> asyncio.subprocess.Process:
    """The ``users`` registered at one port, where one SIPp takes their calls."""
    port = free_udp_tcp_port()
    for user in users:
        registered = await sipp(
            folder, hotline, "-sf", str(SCENARIOS / "register.xml"), "-m", "1",
            "-inf", fields(folder, user), "-au", user, "-ap", f"s3cret-{user}",
            "-auth_uri", "hotline.local", "-p", str(port), "-timeout_error",
        )  # fmt: skip
        assert registered == 0
    command = [
        require_sipp(), f"127.0.0.1:{hotline.sip.port}", "-t", "u1", "-nostdin",
        "-sf", str(SCENARIOS / scenario), "-i", "127.0.0.1", "-p", str(port),
        "-mi", "127.0.0.1", "-cp", str(free_udp_tcp_port()), "-d", str(RING_MS), "-rtp_echo",
    ]  # fmt: skip
    return await asyncio.create_subprocess_exec(
        *command, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def tables(hotline: Hotline) -> dict[str, int]:
    """The per-call tables of the call core, its features, SIP, the ACD and media, by size
    (the features' own per-call state is private to them: read here, for this check only)."""
    control = hotline.pbx
    pbx, queues = control.pbx, control.queues
    sizes = {
        "calls": len(pbx.calls),
        "media legs of calls": len(pbx.by_media),
        "call tasks": len(pbx.tasks),
        "dialogs": len(pbx.sip.dialogs),
        "pending INVITEs": len(pbx.sip.pending),
        "waiting callers": len(queues.engine.waiting(QueueId("800"), pbx.clock.now())),
        "queue feature's callers": len(queues._callers),
        "queue feature's calls": len(queues._queue_of) + len(queues._agent_of),
        "queue feature's offers": len(queues._offers),
        "queue feature's prompts": len(queues._prompts),
        "extension ring timers": len(control.extensions._timers),
        "private calls": len(control.private_calls.presence._calls),
        "open media legs": hotline.media.open_legs,
    }
    sizes |= hotline.sip.table_sizes()
    return sizes


def census() -> collections.Counter[str]:
    """Objects of the per-call types in memory, reachable or not (the collector is off)."""
    return collections.Counter(
        type(o).__name__ for o in gc.get_objects() if isinstance(o, PER_CALL)
    )


async def test_a_burst_of_queue_calls_leaves_no_call_behind(
    tmp_path: Path, collector_off: None
) -> None:
    if os.geteuid() != 0:
        pytest.skip("the trunk caller plays pcap audio through a raw socket, which needs root")
    hotline = build(parse_config(config_text(tmp_path)), sip_timers=SHORT)
    verbs: collections.Counter[str] = collections.Counter()
    hotline.bus.subscribe(
        lambda event: verbs.update([event.verb]) if isinstance(event, QueueEventLogged) else None
    )
    await hotline.start()
    phones = []
    try:
        phones.append(await agents_phone(tmp_path, hotline, ANSWERING, "pbx_agent_answer.xml"))
        phones.append(await agents_phone(tmp_path, hotline, [SILENT], "pbx_agent_cancelled.xml"))
        await asyncio.sleep(0.3)
        before = census()
        callers = await sipp(
            tmp_path, hotline, "-sf", str(SCENARIOS / "pbx_trunk_caller.xml"),
            "-inf", fields(tmp_path, "74951112233"), "-s", DID, "-r", str(RATE),
            "-m", str(CALLS), "-d", str(HOLD_MS), "-p", str(free_udp_tcp_port("127.0.0.2")),
            ip="127.0.0.2",
        )  # fmt: skip
        assert callers == 0
        # Bridged calls, offers cancelled as the caller left, offers the silent agent missed.
        assert verbs["CONNECT"] and verbs["RINGCANCELED"] and verbs["RINGNOANSWER"], verbs
        empty = {name: 0 for name in tables(hotline)}
        async with asyncio.timeout(8.0):
            while tables(hotline) != empty:
                await asyncio.sleep(0.2)
        assert dict(census() - before) == {}
    finally:
        for process in phones:
            process.terminate()
            await process.wait()
        await hotline.close()
