"""WAV files: reading any PCM prompt as 8 kHz mono, streaming stereo writes, crash repair.

The writer puts placeholder sizes in the RIFF header and streams samples after it; ``close``
writes the real sizes. A process killed mid-call leaves the placeholders, and
:func:`repair_wav` rewrites them from the file length so the recording plays.
"""

from __future__ import annotations

import logging
import struct
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

__all__ = ["WavError", "WavWriter", "read_wav", "repair_folder", "repair_wav"]

log = logging.getLogger(__name__)

_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE
_PLACEHOLDER = 0xFFFFFFFF
_HEADER = struct.Struct("<4sI4s4sIHHIIHH4sI")
RATE = 8000


class WavError(ValueError):
    """A file that is not a WAV this module can read."""


def _chunks(data: bytes) -> dict[bytes, tuple[int, int]]:
    """Offsets and sizes of the chunks of a RIFF/WAVE file (sizes clipped to the file)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise WavError("not a RIFF/WAVE file")
    found: dict[bytes, tuple[int, int]] = {}
    offset = 12
    while offset + 8 <= len(data):
        name, size = struct.unpack_from("<4sI", data, offset)
        start = offset + 8
        found.setdefault(name, (start, min(size, len(data) - start)))
        offset = start + size + (size & 1)
    return found


def _samples(body: bytes, fmt: int, width: int) -> npt.NDArray[np.float64]:
    if fmt == _FLOAT and width in (4, 8):
        return np.frombuffer(body, "<f4" if width == 4 else "<f8").astype(np.float64) * 32767
    if width == 1:
        return (np.frombuffer(body, np.uint8).astype(np.float64) - 128) * 256
    if width == 2:
        return np.frombuffer(body, "<i2").astype(np.float64)
    if width == 3:
        raw = np.frombuffer(body, np.uint8).reshape(-1, 3).astype(np.int32)
        value = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        return np.where(value >= 1 << 23, value - (1 << 24), value).astype(np.float64) / 256
    if width == 4:
        return np.frombuffer(body, "<i4").astype(np.float64) / 65536
    raise WavError(f"unsupported sample width {width}")


def read_wav(path: Path) -> npt.NDArray[np.int16]:
    """Read a PCM or float WAV of any rate, width and channel count as 8 kHz mono int16."""
    data = path.read_bytes()
    chunks = _chunks(data)
    if b"fmt " not in chunks or b"data" not in chunks:
        raise WavError(f"{path.name}: missing fmt or data chunk")
    start, _ = chunks[b"fmt "]
    fmt, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", data, start)
    if fmt == _EXTENSIBLE:
        fmt = struct.unpack_from("<H", data, start + 24)[0]
    if fmt not in (_PCM, _FLOAT) or channels < 1 or rate < 1:
        raise WavError(f"{path.name}: unsupported format {fmt}")
    width = bits // 8
    data_start, size = chunks[b"data"]
    usable = size - size % (width * channels)
    samples = _samples(data[data_start : data_start + usable], fmt, width)
    mono = samples.reshape(-1, channels).mean(axis=1)
    if rate != RATE and len(mono):
        # Linear interpolation is enough for speech prompts heard over G.711.
        times = np.arange(int(len(mono) * RATE / rate)) * (rate / RATE)
        mono = np.interp(times, np.arange(len(mono)), mono)
    result: npt.NDArray[np.int16] = np.clip(np.round(mono), -32768, 32767).astype(np.int16)
    return result


def _header(channels: int, data_size: int) -> bytes:
    riff_size = _PLACEHOLDER if data_size == _PLACEHOLDER else 36 + data_size
    block = 2 * channels
    return _HEADER.pack(
        b"RIFF",
        riff_size,
        b"WAVE",
        b"fmt ",
        16,
        _PCM,
        channels,
        RATE,
        RATE * block,
        block,
        16,
        b"data",
        data_size,
    )


class WavWriter:
    """Streams 8 kHz 16-bit PCM to a WAV file whose header is completed on close."""

    def __init__(self, path: Path, *, channels: int = 2) -> None:
        self.path = path
        self.channels = channels
        self.data_size = 0
        self._file: BinaryIO | None = path.open("wb", buffering=32768)
        self._file.write(_header(channels, _PLACEHOLDER))
        self._file.flush()

    def write(self, data: bytes | memoryview) -> None:
        """Append interleaved little-endian int16 frames. They reach the OS at once (callers
        write big pieces, the recorder every half second), so a killed process loses only
        what it had not written yet, and the header is there for the repair."""
        if self._file is not None:
            self._file.write(data)
            self._file.flush()
            self.data_size += len(data)

    def close(self) -> None:
        """Write the real sizes into the header (idempotent)."""
        if self._file is None:
            return
        self._file.seek(0)
        self._file.write(_header(self.channels, self.data_size))
        self._file.close()
        self._file = None


def repair_wav(path: Path) -> bool:
    """Fix the sizes of a WAV header left incomplete (by a crash); True if it changed."""
    with path.open("r+b") as file:
        data = file.read(4096)
        chunks = _chunks(data)
        if b"data" not in chunks or b"fmt " not in chunks:
            raise WavError(f"{path.name}: missing fmt or data chunk")
        fmt_start, _ = chunks[b"fmt "]
        block = struct.unpack_from("<H", data, fmt_start + 12)[0] or 1
        data_start = chunks[b"data"][0]
        length = file.seek(0, 2)
        size = (length - data_start) - (length - data_start) % block
        declared = struct.unpack_from("<I", data, data_start - 4)[0]
        if declared == size and struct.unpack_from("<I", data, 4)[0] == data_start - 8 + size:
            return False
        file.truncate(data_start + size)
        file.seek(4)
        file.write(struct.pack("<I", data_start - 8 + size))
        file.seek(data_start - 4)
        file.write(struct.pack("<I", size))
    log.info("repaired WAV header of %s: %d bytes of audio", path.name, size)
    return True


def repair_folder(folder: Path) -> list[Path]:
    """Repair every WAV under ``folder`` (run at start-up); returns the files that changed."""
    repaired = []
    for path in sorted(folder.rglob("*.wav")):
        try:
            if repair_wav(path):
                repaired.append(path)
        except (WavError, OSError) as error:
            log.warning("cannot repair recording %s: %s", path, error)
    return repaired
