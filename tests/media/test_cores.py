"""Jitter buffer, WAV reading and repair, players, saying numbers, mixing routes."""

import struct
import wave
from pathlib import Path

import numpy as np
import pytest

from hotline.media.g711 import Law, encode
from hotline.media.mixer import Role, mix, routes
from hotline.media.player import Player
from hotline.media.say import say_digits, say_duration, say_number
from hotline.media.wav import WavWriter, read_wav, repair_wav


def _write_wav(path: Path, samples: np.ndarray, rate: int, channels: int, width: int) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        if width == 1:
            data = (samples // 256 + 128).astype(np.uint8).tobytes()
        else:
            data = samples.astype("<i2").tobytes()
        out.writeframes(data)


@pytest.mark.parametrize(
    ("rate", "channels", "width"), [(8000, 1, 2), (16000, 2, 2), (44100, 1, 2), (8000, 1, 1)]
)
def test_read_wav_converts_any_pcm_to_8khz_mono(tmp_path, rate, channels, width) -> None:
    t = np.arange(rate) / rate
    signal = (10000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    path = tmp_path / "p.wav"
    _write_wav(path, np.repeat(signal, channels), rate, channels, width)
    samples = read_wav(path)
    assert abs(len(samples) - 8000) <= 1
    spectrum = np.abs(np.fft.rfft(samples[:8000].astype(float)))
    assert abs(int(np.argmax(spectrum)) - 440) <= 1


def test_writer_streams_and_repair_fixes_a_killed_recording(tmp_path) -> None:
    path = tmp_path / "r.wav"
    writer = WavWriter(path)
    frames = np.arange(-800, 800, dtype=np.int16)
    writer.write(frames.tobytes())
    writer._file.flush()  # what the OS holds when the process is killed
    assert struct.unpack_from("<I", path.read_bytes(), 40)[0] == 0xFFFFFFFF
    with path.open("ab") as file:
        file.write(b"\x01")  # half a sample written at the moment of the crash
    assert repair_wav(path) is True
    with wave.open(str(path)) as read:
        assert (read.getnchannels(), read.getframerate(), read.getnframes()) == (2, 8000, 800)
        assert np.array_equal(np.frombuffer(read.readframes(800), "<i2"), frames)
    assert repair_wav(path) is False
    writer.close()


def test_closed_writer_has_a_complete_header(tmp_path) -> None:
    path = tmp_path / "c.wav"
    writer = WavWriter(path)
    writer.write(bytes(640))
    writer.close()
    assert repair_wav(path) is False
    with wave.open(str(path)) as read:
        assert read.getnframes() == 160


def test_player_sequences_pads_and_loops() -> None:
    one, two = np.full(100, 1, np.int16), np.full(100, 2, np.int16)
    player = Player(playback_id=1, clips=[one, two])
    first, second = player.next_frame(), player.next_frame()
    assert first.tolist() == [1] * 100 + [2] * 60
    assert second.tolist() == [2] * 40 + [0] * 120
    assert player.next_frame() is None
    looping = Player(playback_id=2, clips=[one], loop=True)
    assert [looping.next_frame().sum() for _ in range(5)] == [160] * 5


@pytest.mark.parametrize("law", [Law.PCMU, Law.PCMA])
def test_player_payloads_are_its_frames_encoded(law: Law) -> None:
    """What is sent (codes sliced from clips encoded once) is exactly the frames encoded one by
    one, across clip boundaries, loops and the silence padding at the end."""
    rng = np.random.default_rng(7)
    clips = [rng.integers(-32768, 32767, size, dtype=np.int16) for size in (250, 160, 33)]
    frames, payloads = Player(playback_id=1, clips=clips), Player(playback_id=2, clips=clips)
    expected, sent = [], []
    while (frame := frames.next_frame()) is not None:
        expected.append(encode(frame, law))
        sent.append(payloads.next_payload(law))
    assert payloads.next_payload(law) is None
    assert sent == expected and len(sent) == 3
    assert sent[-1].endswith(bytes([law.silence]) * (3 * 160 - 443))
    looping = Player(playback_id=3, clips=clips[:1], loop=True)
    looped = b"".join(looping.next_payload(law) or b"" for _ in range(25))
    assert looped == (encode(clips[0], law) * 16)[: 25 * 160]


@pytest.mark.parametrize(
    ("number", "en", "ru"),
    [
        (0, ["0"], ["0"]),
        (13, ["13"], ["13"]),
        (21, ["20", "1"], ["20", "1"]),
        (305, ["300", "5"], ["300", "5"]),
        (999, ["900", "90", "9"], ["900", "90", "9"]),
    ],
)
def test_say_number(number, en, ru) -> None:
    assert say_number(number, "en") == en
    assert say_number(number, "ru") == ru


@pytest.mark.parametrize(
    ("seconds", "ru"),
    [
        (60, ["1f", "minute_one"]),
        (120, ["2f", "minute_few"]),
        (300, ["5", "minute_many"]),
        (21 * 60, ["20", "1f", "minute_one"]),
        (12 * 60, ["12", "minute_many"]),
        (22 * 60 - 30, ["20", "2f", "minute_few"]),
        (45, ["40", "5", "second_many"]),
    ],
)
def test_say_duration_russian_forms(seconds, ru) -> None:
    assert say_duration(seconds, "ru") == ru


def test_say_duration_english_and_digits() -> None:
    assert say_duration(61, "en") == ["2", "minutes"]
    assert say_duration(60, "en") == ["1", "minute"]
    assert say_digits("+7 495-123") == list("7495123")


def test_routes_by_role() -> None:
    hears = routes(1, 2, {3: Role.LISTEN, 4: Role.WHISPER, 5: Role.BARGE})
    assert hears == {1: (2, 5), 2: (1, 4, 5), 3: (1, 2, 5), 4: (1, 2, 5), 5: (1, 2)}


def test_mix_saturates() -> None:
    loud = np.full(160, 30000, np.int16)
    mixed = mix({1: loud, 2: loud, 3: None}, {9: (1, 2), 8: (3,)})
    assert mixed[9].max() == 32767 and mixed[8] is None


def test_repair_folder_skips_files_it_cannot_read(tmp_path) -> None:
    from hotline.media.wav import repair_folder

    (tmp_path / "notes.wav").write_bytes(b"not a wav at all")
    good = tmp_path / "good.wav"
    writer = WavWriter(good)
    writer.write(bytes(640))
    writer.close()
    assert repair_folder(tmp_path) == []
    assert repair_folder(tmp_path / "missing") == []
