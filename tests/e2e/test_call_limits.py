"""``[limits]`` in a real ``hotline serve``: past ``max_calls`` a new call gets 503 with
Retry-After and the call in progress goes on; an agent's feature code still passes; once a
call ends there is room again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from hotline.media import MediaServer
from hotline.sip.aio.user_agent import CallFailed, CallState
from hotline.testing.harness import AGENT_AND_QUEUE, HotlineProcess, start_hotline

from .test_softphone_calls import _LOW, _answered_pair, _phone


@pytest.fixture
def server(tmp_path: Path) -> Iterator[HotlineProcess]:
    hotline = start_hotline(
        tmp_path,
        extra=AGENT_AND_QUEUE
        + f'[limits]\nmax_calls = 1\n[media]\nrtp_ports = "{_LOW + 2200}-{_LOW + 2239}"\n',
    )
    yield hotline
    assert hotline.stop() == 0, hotline.log_text()


@pytest.fixture
async def media() -> AsyncIterator[MediaServer]:
    async with MediaServer(rtp_address="127.0.0.1", port_range=(_LOW + 200, _LOW + 239)) as server:
        yield server


async def test_past_max_calls_a_new_call_is_refused_with_retry_after(
    server: HotlineProcess, media: MediaServer
) -> None:
    alice, bob = await _phone(server, media, "101"), await _phone(server, media, "102")
    agent = await _phone(server, media, "103")
    try:
        call, incoming = await _answered_pair(alice, bob, "102")
        with pytest.raises(CallFailed) as refused:
            await bob.call("101")
        assert (refused.value.status, refused.value.retry_after) == (503, 5)
        # Agents logging in and out are never kept out: *62 is answered (the login prompt).
        login = await agent.call("*62")
        await asyncio.wait_for(login.wait_answered(), 5)
        await login.hangup()
        assert call.state is CallState.ANSWERED  # the call in progress went on
        await call.hangup()
        await asyncio.wait_for(incoming.wait_ended(), 5)
        await asyncio.sleep(0.2)  # the server has ended it too
        call, incoming = await _answered_pair(bob, alice, "101")  # room again
        await call.hangup()
    finally:
        for phone in (alice, bob, agent):
            await phone.close()
    assert "new calls refused (503): 1 calls in progress (max_calls 1)" in server.log_text()
