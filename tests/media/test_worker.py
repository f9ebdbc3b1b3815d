"""MediaWorker: the media server in a child process, over real UDP on 127.0.0.1.

The same behaviour tests as the in-process server run against the worker (imported from
test_server, with this module's ``server`` fixture), plus what only the worker has: errors
crossing the process boundary, events and metrics coming back, and the child exiting when the
main process goes away.
"""

from __future__ import annotations

import asyncio
import logging
import os
import wave
from collections.abc import AsyncIterator

import numpy as np
import pytest

from hotline.media import PlaybackFinished, SdpError, StopReason, UnknownId
from hotline.media.aio.worker import MediaWorker, MediaWorkerGone
from hotline.media.g711 import Law, encode
from hotline.media.player import PromptLibrary
from hotline.media.wav import WavWriter

from .conftest import connect
from .test_server import (  # noqa: F401  (collected here again, served by the worker)
    _events,
    _wait_for,
    test_bridge_between_laws_transcodes,
    test_bridged_call_relays_g711_exactly_both_ways,
    test_digit_interrupts_prompt_and_info_digits_are_reported,
    test_inactivity_reported_and_statistics_on_close,
    test_send_dtmf_as_rfc4733_events,
)


@pytest.fixture
async def server(tmp_path) -> AsyncIterator[MediaWorker]:
    media = MediaWorker(
        rtp_address="127.0.0.1",
        port_range=(43000, 43999),
        recordings_dir=tmp_path / "recordings",
        rtp_timeout=0.6,
    )
    await media.start()
    yield media
    await media.close()


async def test_prompt_reaches_the_phone_as_encoded_once_and_reports(server) -> None:
    seen: list = []
    server.subscribe(seen.append)
    leg, peer = await connect(server, Law.PCMA)
    playback = await server.play(leg, ["7"], language="ru")
    (finished,) = await _events(server, PlaybackFinished, timeout=3)
    assert finished.playback_id == playback and finished.reason is StopReason.FINISHED
    assert finished in seen  # callbacks get events too
    samples = PromptLibrary().load("7", "ru")
    heard = b"".join(r.payload for r in peer.received if r.payload_type == 8)
    assert heard[: len(samples)] == encode(samples, Law.PCMA)


async def test_errors_cross_the_process_and_the_worker_serves_on(server) -> None:
    with pytest.raises(UnknownId):
        await server.close_leg(9999)
    with pytest.raises(SdpError):
        await server.open_leg("this is no SDP")
    leg, _ = await connect(server)
    assert (await server.close_leg(leg)).leg_id == leg


async def test_recording_written_by_the_worker(server, tmp_path) -> None:
    caller_leg, caller = await connect(server)
    agent_leg, agent = await connect(server)
    bridge = await server.bridge(caller_leg, agent_leg)
    recording = await server.record(bridge, tmp_path / "recordings" / "call.wav")
    tone = (8000 * np.sin(np.arange(4000) * 2 * np.pi * 440 / 8000)).astype(np.int16)
    await asyncio.gather(caller.stream(tone), agent.stream(-tone))
    path = await server.stop_recording(recording)
    with wave.open(str(path)) as wav:
        assert wav.getnchannels() == 2 and wav.getnframes() >= 3000


async def test_metrics_come_back(server) -> None:
    await _wait_for(lambda: server.metrics.ticks > 0, timeout=3)


async def test_child_exits_when_the_main_side_goes_away(tmp_path) -> None:
    worker = MediaWorker(rtp_address="127.0.0.1", port_range=(43000, 43999))
    await worker.start()
    process = worker._process
    assert worker._writer is not None
    worker._writer.transport.abort()  # as if the main process had been killed
    await asyncio.to_thread(process.join, 10)
    assert not process.is_alive()
    await worker.close()  # the main side, still here in this test, had started another


async def test_a_killed_worker_fails_commands_instead_of_hanging(tmp_path) -> None:
    worker = MediaWorker(rtp_address="127.0.0.1", port_range=(43000, 43999))
    await worker.start()
    os.kill(worker.pid, 9)
    with pytest.raises(MediaWorkerGone):
        async with asyncio.timeout(10):
            while True:  # the first commands may be written before the death is seen
                await worker.create_leg()
    await worker.close()


@pytest.mark.parametrize("level", [logging.INFO, logging.WARNING])
async def test_the_child_logs_at_the_main_process_level(tmp_path, capfd, level) -> None:
    folder = tmp_path / "recordings"
    folder.mkdir()
    WavWriter(folder / "left-open.wav").write(b"\0" * 640)  # never closed: repaired on start
    root = logging.getLogger()
    before = root.level
    root.setLevel(level)
    try:
        worker = MediaWorker(
            rtp_address="127.0.0.1", port_range=(43000, 43999), recordings_dir=folder
        )
        assert await worker.start() == [folder / "left-open.wav"]
        await worker.close()
    finally:
        root.setLevel(before)
    logged = "repaired WAV header of left-open.wav" in capfd.readouterr().err
    assert logged is (level == logging.INFO)
