"""What people hear through a real ``hotline serve`` over SIP, scored with PESQ (ITU-T P.862
narrow band): a queue call both ways and the echo test, each with speech, one RFC 4733 key and
a source stream change mid-call (issue 16).

The phones are Hotline's own user agent for SIP and the test's own UDP sockets for RTP
(``hotline.testing.voice_phone``): they send speech from the prompt sets at a phone's pace and
play out what they receive by RTP timestamp, as real phones do, so timestamps that leave real
time are heard. Two things that phones do make a translator's timestamps leave real time when
it maps a new stream onto its last timestamp: a key (the audio muted while the events go, the
server relaying the key to the far phone in the same stream) and a stream that stops and starts
over 150 ms later (a new SSRC, sequence numbers and timestamps). Each key sent once must be
detected once: once in the server's log, and once among the telephone-events the far phone
receives.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator

import pytest

from hotline.sip.address import Peer
from hotline.testing.harness import HotlineProcess
from hotline.testing.voice import Heard, Samples, score, speech
from hotline.testing.voice_phone import (
    SocketMedia,
    Speaker,
    VoicePhone,
    presses,
    sentences,
)

from .pbx_support import extensions, settle, start_server

pytest.importorskip("pesq", reason="the pesq package scores voice quality (dev group)")

SECONDS = 4.0  # of speech each way, in two sentences
CLEAN = 4.4  # the G.711 ceiling is about 4.55
_QUEUE = """
[[queues]]
number = "800"
agents = ["101"]
wrap_up = 0
announce_position_every = 300
"""


@pytest.fixture(scope="module", params=["media in process", "media worker process"])
def server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[HotlineProcess]:
    """One server for the module, its media in its own process or in a media process."""
    worker = "true" if request.param == "media worker process" else "false"
    hotline = start_server(
        tmp_path_factory.mktemp("hotline"),
        extensions(always=("101",)) + _QUEUE,
        media=f"worker_process = {worker}",
    )
    yield hotline
    assert hotline.stop() == 0, hotline.log_text()


async def _phone(server: HotlineProcess, number: str) -> VoicePhone:
    registrar = Peer(transport="UDP", host="127.0.0.1", port=server.sip_port)
    return await VoicePhone.register(registrar, number, f"s3cret-{number}")


async def _talk(speaker: Speaker, language: str, key: str | None) -> None:
    """Silence, the key (or as long a silence), a sentence, a pause in which the stream stops
    and starts over, another sentence, silence."""
    await speaker.silence(0.5)
    await (speaker.key(key) if key else speaker.silence(0.14))
    await speaker.silence(0.3)
    first, second = sentences(speech(SECONDS, language))
    await speaker.speech(first)
    await speaker.silence(0.2)
    await speaker.change_stream(after=0.15)
    await speaker.speech(second)
    await speaker.silence(0.3)


def _quality(said: Samples, heard: Heard) -> tuple[float, int]:
    """PESQ of what a phone heard, and how many packets came after their play-out time. A
    phone that played only silence scores the scale's floor (PESQ cannot score silence)."""
    return (score(said, heard.samples) if heard.samples.any() else 1.0), heard.late


def _assert_one_press(server: HotlineProcess, since: int, far_phone: SocketMedia) -> None:
    """The key 1 was detected once (the server's log since line ``since``) and reached the
    far phone as one telephone-event."""
    settle(server)
    log = "".join(server.log_lines[since:])
    assert re.findall(r"call c\d+: DTMF (\S) \(", log) == ["1"], log
    assert presses(far_phone) == ["1"], [r for r in far_phone.peer.received if r.payload_type != 0]


async def test_queue_call_keeps_g711_quality_both_ways(server: HotlineProcess) -> None:
    """Caller 200 calls queue 800 and waits (welcome, music) sending silence; agent 101
    answers; the caller presses 1; both talk at once, each stream stopping between two
    sentences and starting over. Each side is scored on what it heard from the agent's
    answer on."""
    since = len(server.log_lines)
    caller, agent = await _phone(server, "200"), await _phone(server, "101")
    try:
        call = await caller.call("800")
        await asyncio.wait_for(call.wait_answered(), 5)  # the queue answers to hold the caller
        waiting, answered = Speaker(caller.media), asyncio.Event()
        on_hold = asyncio.create_task(waiting.silence_until(answered))
        offer = await asyncio.wait_for(agent.next_incoming(), 10)
        await offer.ring()
        await offer.answer()
        answered_at = time.monotonic()
        answered.set()
        await on_hold
        agent_speaker = Speaker(agent.media)
        await asyncio.gather(_talk(waiting, "en", "1"), _talk(agent_speaker, "ru", None))
        await call.hangup()
        await asyncio.wait_for(offer.wait_ended(), 5)
    finally:
        await caller.close()
        await agent.close()
    scores = {
        "agent hears": _quality(waiting.said, agent.peer.played()),
        "caller hears": _quality(agent_speaker.said, caller.peer.played(since=answered_at)),
    }
    assert all(value >= CLEAN for value, _ in scores.values()), f"(PESQ, late packets): {scores}"
    _assert_one_press(server, since, agent.media)  # relayed to the agent's phone


async def test_echo_test_keeps_g711_quality(server: HotlineProcess) -> None:
    """Extension 200 dials the echo test, presses 1 and talks, its stream stopping between
    two sentences and starting over: it hears itself, scored from the answer on, and its key
    once."""
    since = len(server.log_lines)
    caller = await _phone(server, "200")
    try:
        call = await caller.call("*43")
        await asyncio.wait_for(call.wait_answered(), 5)
        answered_at = time.monotonic()
        speaker = Speaker(caller.media)
        await _talk(speaker, "en", "1")
        await call.hangup()
    finally:
        await caller.close()
    value, late = _quality(speaker.said, caller.peer.played(since=answered_at))
    assert value >= CLEAN, f"PESQ {value:.2f}, {late} packets late"
    _assert_one_press(server, since, caller.media)  # sent back by the echo test
