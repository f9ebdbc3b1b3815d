"""A media process that dies on its own: its legs are reported lost, a new process serves the
calls that come next, and nothing of the old one can be reached by mistake."""

from __future__ import annotations

import asyncio
import os
import signal
import wave

import numpy as np
import pytest

from hotline.media import MediaLost, UnknownId
from hotline.media.aio.worker import MediaWorker

from .conftest import connect
from .test_server import _events, _wait_for

_TONE = (8000 * np.sin(np.arange(4000) * 2 * np.pi * 440 / 8000)).astype(np.int16)


async def test_a_dead_child_loses_its_legs_and_a_new_one_serves(tmp_path) -> None:
    recordings = tmp_path / "recordings"
    worker = MediaWorker(
        rtp_address="127.0.0.1", port_range=(44000, 44999), recordings_dir=recordings
    )
    await worker.start()
    try:
        caller_leg, caller = await connect(worker)
        agent_leg, agent = await connect(worker)
        bridge = await worker.bridge(caller_leg, agent_leg)
        await worker.record(bridge, recordings / "cut-short.wav")
        await asyncio.gather(caller.stream(_TONE), agent.stream(-_TONE))
        await asyncio.sleep(0.6)  # one recording flush written
        first_pid = worker.pid
        assert first_pid is not None
        os.kill(first_pid, signal.SIGKILL)

        lost = await _events(worker, MediaLost, count=2, timeout=5)
        assert sorted(event.leg_id for event in lost) == sorted([caller_leg, agent_leg])
        await _wait_for(lambda: worker.restarts == 1, timeout=10)
        assert worker.pid != first_pid

        # The new process repaired the recording the dead one left without sizes.
        with wave.open(str(recordings / "cut-short.wav")) as repaired:
            assert repaired.getnchannels() == 2 and repaired.getnframes() > 0
        # Ids of the new process never meet the old ones: a late hang-up of a lost leg
        # cannot close a new caller's leg.
        with pytest.raises(UnknownId):
            await worker.close_leg(caller_leg)
        new_caller_leg, new_caller = await connect(worker)
        new_agent_leg, new_agent = await connect(worker)
        assert not {new_caller_leg, new_agent_leg} & {caller_leg, agent_leg, bridge}
        await worker.bridge(new_caller_leg, new_agent_leg)
        await new_caller.stream(_TONE)
        await _wait_for(lambda: len(new_agent.received) >= 20, timeout=3)
    finally:
        await worker.close()


async def test_close_while_the_child_is_being_replaced(tmp_path) -> None:
    worker = MediaWorker(rtp_address="127.0.0.1", port_range=(44000, 44999))
    await worker.start()
    pid = worker.pid
    assert pid is not None
    await connect(worker)
    os.kill(pid, signal.SIGKILL)
    await _events(worker, MediaLost, timeout=5)
    async with asyncio.timeout(15):
        await worker.close()
    process = worker._process
    assert process is not None and not process.is_alive()


async def test_a_stop_signal_to_the_whole_service_leaves_media_to_the_main_process(
    tmp_path,
) -> None:
    """systemd stops a service by sending SIGTERM to all its processes: the media process
    must keep the calls' audio until the main process has ended them and closes it."""
    worker = MediaWorker(rtp_address="127.0.0.1", port_range=(44000, 44999))
    await worker.start()
    try:
        caller_leg, caller = await connect(worker)
        agent_leg, agent = await connect(worker)
        await worker.bridge(caller_leg, agent_leg)
        pid = worker.pid
        assert pid is not None
        os.kill(pid, signal.SIGTERM)
        await caller.stream(_TONE)
        await _wait_for(lambda: len(agent.received) >= 20, timeout=3)
        assert worker.pid == pid and worker.restarts == 0
    finally:
        await worker.close()
    assert not worker._process.is_alive()


async def test_a_child_that_keeps_dying_is_started_again_ever_more_slowly() -> None:
    # A media process that dies at once (a bad machine, a broken install) must not be
    # respawned in a tight loop, eating a core and flooding the log.
    worker = MediaWorker(rtp_address="127.0.0.1", port_range=(44000, 44999))
    await worker.start()
    loop = asyncio.get_running_loop()
    gaps = []
    try:
        for deaths in range(1, 4):
            pid = worker.pid
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            killed = loop.time()
            await _wait_for(lambda n=deaths: worker.restarts == n and worker.running, timeout=15)
            gaps.append(loop.time() - killed)
    finally:
        await worker.close()
    # Waits of 0.5, 1 and 2 s before each new start (each start itself takes a while).
    assert gaps[0] >= 0.5 and gaps[1] >= 1.0 and gaps[2] >= 2.0, gaps
    assert gaps[0] < gaps[1] < gaps[2], gaps
