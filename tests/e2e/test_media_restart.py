"""Media failures in a real ``hotline serve``: its media process killed mid-call (the calls it
carried end at once on both phones, not minutes of silence with the agent still counted busy,
and the next call gets a new media process and is heard both ways); no RTP port left (the
caller is told to try again a few seconds later: 503 with Retry-After)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from hotline.media import MediaServer
from hotline.sip.aio.user_agent import CallFailed
from hotline.testing.harness import AGENT_AND_QUEUE, HotlineProcess, start_hotline

from .test_softphone_calls import _LOW, _answered_pair, _phone, tone_level, tones_both_ways


@pytest.fixture
def server(tmp_path: Path) -> Iterator[HotlineProcess]:
    hotline = start_hotline(
        tmp_path,
        extra=f'[media]\nrtp_ports = "{_LOW + 2100}-{_LOW + 2139}"\nworker_process = true\n',
    )
    yield hotline
    assert hotline.stop() == 0, hotline.log_text()


@pytest.fixture
async def media() -> AsyncIterator[MediaServer]:
    async with MediaServer(rtp_address="127.0.0.1", port_range=(_LOW + 100, _LOW + 139)) as server:
        yield server


def _media_pid(server: HotlineProcess) -> int:
    found = re.findall(r"media runs (?:again, )?in process (\d+)", server.log_text())
    assert found, server.log_text()
    return int(found[-1])


async def test_calls_end_when_the_media_process_dies_and_the_next_call_is_heard(
    server: HotlineProcess, media: MediaServer, tmp_path: Path
) -> None:
    alice, bob = await _phone(server, media, "101"), await _phone(server, media, "102")
    try:
        call, incoming = await _answered_pair(alice, bob, "102")
        await asyncio.sleep(0.3)  # bridged
        first = _media_pid(server)
        os.kill(first, signal.SIGKILL)
        async with asyncio.timeout(5):
            await call.wait_ended()
            await incoming.wait_ended()
        await asyncio.to_thread(server.wait_for_log, "media runs again", 15)
        assert _media_pid(server) != first

        call, incoming = await _answered_pair(alice, bob, "102")
        heard_by_alice, heard_by_bob = await tones_both_ways(call, incoming, tmp_path)
    finally:
        await alice.close()
        await bob.close()
    assert "media lost" in server.log_text()
    assert tone_level(heard_by_alice, 1000.0) > 0.5
    assert tone_level(heard_by_bob, 440.0) > 0.5


async def test_a_call_finding_no_free_rtp_port_gets_503(tmp_path: Path, media: MediaServer) -> None:
    # One RTP/RTCP pair: the caller's leg takes it, and the leg to the callee finds none.
    low = _LOW + 2140
    server = start_hotline(tmp_path, extra=f'[media]\nrtp_ports = "{low}-{low + 1}"\n')
    try:
        alice, bob = await _phone(server, media, "101"), await _phone(server, media, "102")
        try:
            with pytest.raises(CallFailed) as failure:
                call = await alice.call("102")
                await asyncio.wait_for(call.wait_answered(), 5)
        finally:
            await alice.close()
            await bob.close()
        assert (failure.value.status, failure.value.retry_after) == (503, 5)
        assert "no free RTP port pair" in server.log_text()
    finally:
        assert server.stop() == 0, server.log_text()


async def test_a_caller_waiting_when_media_dies_is_dropped_not_abandoned(
    tmp_path: Path, media: MediaServer
) -> None:
    # Nobody is logged in to 800: the caller waits, hearing music, when the media dies.
    low = _LOW + 2150
    server = start_hotline(
        tmp_path,
        extra=AGENT_AND_QUEUE + f'[media]\nrtp_ports = "{low}-{low + 19}"\nworker_process = true\n',
    )
    try:
        alice = await _phone(server, media, "101")
        try:
            call = await alice.call("800")
            await asyncio.wait_for(call.wait_answered(), 5)
            await asyncio.to_thread(server.wait_for_log, "queue 800: call", 5)
            os.kill(_media_pid(server), signal.SIGKILL)
            async with asyncio.timeout(5):
                await call.wait_ended()
        finally:
            await alice.close()
        await asyncio.to_thread(server.wait_for_log, "dropped (media_lost)", 5)
        headers = server.api_headers()
        async with httpx.AsyncClient(
            base_url=server.http_url, timeout=10, headers=headers
        ) as client:
            queue = (await client.get("/api/queues/800")).json()
            assert (queue["offered"], queue["dropped"], queue["abandoned"]) == (1, 1, 0)
            for _ in range(50):  # the store writes behind
                calls = (await client.get("/api/calls", params={"queue": "800"})).json()["items"]
                if calls and calls[0]["disposition"] is not None:
                    break
                await asyncio.sleep(0.1)
            assert [c["disposition"] for c in calls] == ["failed"]
            events = await client.get("/api/queue-events", params={"queue": "800"})
            assert [e["verb"] for e in events.json()["items"]] == ["ENTERQUEUE", "DROPPED"]
    finally:
        assert server.stop() == 0, server.log_text()
