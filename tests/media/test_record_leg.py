"""``MediaServer.record_leg``: what one leg receives, to a mono 8 kHz WAV (the softphone's
"record what I hear"), paused and resumed, completed by stop_recording or by closing the leg."""

from __future__ import annotations

import asyncio
import os
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from hotline.media import LegId, MediaServer, RecordingFinished
from hotline.media.tone import tone
from hotline.media.wav import WavWriter

_LOW = 52000 + (os.getpid() % 50) * 20


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[MediaServer]:
    async with MediaServer(
        rtp_address="127.0.0.1", port_range=(_LOW, _LOW + 19), recordings_dir=tmp_path
    ) as media:
        yield media


async def _pair(server: MediaServer) -> tuple[LegId, LegId]:
    """Two legs of this server talking to each other over loopback."""
    hearing, offer = await server.create_leg()
    speaking, answer = await server.open_leg(offer)
    await server.apply_answer(hearing, answer)
    return hearing, speaking


def _tone_file(path: Path, frequency: float) -> Path:
    writer = WavWriter(path, channels=1)
    writer.write(tone(frequency, 1.0).astype("<i2").tobytes())
    writer.close()
    return path


def _read(path: Path) -> np.ndarray:
    with wave.open(str(path)) as recording:
        assert (recording.getnchannels(), recording.getframerate()) == (1, 8000)
        assert recording.getsampwidth() == 2
        return np.frombuffer(recording.readframes(recording.getnframes()), "<i2")


def _share(samples: np.ndarray, frequency: float) -> float:
    power = np.abs(np.fft.rfft(samples.astype(np.float64))) ** 2
    bins = np.fft.rfftfreq(len(samples), 1 / 8000)
    return float(power[np.abs(bins - frequency) < 20].sum() / max(power.sum(), 1e-9))


async def test_records_what_the_leg_hears_not_what_it_sends(
    server: MediaServer, tmp_path: Path
) -> None:
    hearing, speaking = await _pair(server)
    await server.play(speaking, [_tone_file(tmp_path / "heard.wav", 600.0)], loop=True)
    await server.play(hearing, [_tone_file(tmp_path / "sent.wav", 1500.0)], loop=True)
    recording = await server.record_leg(hearing, Path("legs/heard-by-a.wav"))
    await asyncio.sleep(1.0)
    path = await server.stop_recording(recording)
    assert path == tmp_path / "legs" / "heard-by-a.wav"
    samples = _read(path)
    assert 0.7 * 8000 < len(samples) < 1.3 * 8000
    assert _share(samples, 600.0) > 0.6
    assert _share(samples, 1500.0) < 0.01


async def test_pause_writes_nothing_and_close_leg_completes_the_file(
    server: MediaServer, tmp_path: Path
) -> None:
    finished: list[RecordingFinished] = []
    server.subscribe(lambda e: finished.append(e) if isinstance(e, RecordingFinished) else None)
    hearing, speaking = await _pair(server)
    await server.play(speaking, [_tone_file(tmp_path / "tone.wav", 800.0)], loop=True)
    recording = await server.record_leg(hearing, tmp_path / "paused.wav")
    with pytest.raises(ValueError):
        await server.record_leg(hearing, tmp_path / "twice.wav")
    await asyncio.sleep(0.4)
    await server.pause_recording(recording)
    await asyncio.sleep(0.6)
    await server.resume_recording(recording)
    await asyncio.sleep(0.4)
    await server.close_leg(hearing)
    samples = _read(tmp_path / "paused.wav")
    assert 0.6 * 8000 < len(samples) < 1.1 * 8000  # about 0.8 s of the 1.4 s
    [event] = finished
    assert event.recording_id == recording and event.path == tmp_path / "paused.wav"
    assert event.seconds == pytest.approx(len(samples) / 8000)
