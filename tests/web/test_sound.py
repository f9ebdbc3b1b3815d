"""The notification sound served to the pages is the chime Hotline makes, a WAV file a
browser plays."""

from __future__ import annotations

import io
import wave
from pathlib import Path

from hotline.web import sound

STATIC = Path(sound.__file__).parent / "static" / "notification.wav"


def test_the_served_file_is_the_chime() -> None:
    assert STATIC.read_bytes() == sound.chime()


def test_the_chime_is_a_short_mono_wav() -> None:
    with wave.open(io.BytesIO(sound.chime())) as reader:
        assert (reader.getnchannels(), reader.getsampwidth()) == (1, 2)
        assert 0.2 < reader.getnframes() / reader.getframerate() < 0.5
