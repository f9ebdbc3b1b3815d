"""G.711 mu-law and A-law as numpy lookup tables (ITU-T G.711).

The tables follow the widely used reference behaviour (the Sun Microsystems ``g711.c``): mu-law
works on the 14-bit magnitude with a bias of 33 and clips at 8159, A-law works on the 13-bit
value with even-bit inversion. Encoding a whole frame is one fancy-index into a 65,536-entry
table, decoding one into a 256-entry table, so a tick can convert every call at once.
"""

from __future__ import annotations

import enum

import numpy as np
import numpy.typing as npt

__all__ = [
    "ALAW_SILENCE",
    "ULAW_SILENCE",
    "Law",
    "decode",
    "encode",
    "transcode_table",
]

Samples = npt.NDArray[np.int16]

ULAW_SILENCE = 0xFF
ALAW_SILENCE = 0xD5

_SEG_ULAW_END = np.array([0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF], np.int32)
_SEG_ALAW_END = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF], np.int32)


class Law(enum.Enum):
    """The two G.711 companding laws with their static RTP payload types (RFC 3551 §6)."""

    PCMU = 0
    PCMA = 8

    @property
    def silence(self) -> int:
        """The code of a zero sample (0xFF for mu-law, 0xD5 for A-law)."""
        return ULAW_SILENCE if self is Law.PCMU else ALAW_SILENCE


def _encode_ulaw_table() -> npt.NDArray[np.uint8]:
    pcm = np.arange(-32768, 32768, dtype=np.int32) >> 2
    mask = np.where(pcm < 0, 0x7F, 0xFF)
    magnitude = np.minimum(np.abs(pcm), 8159) + 0x21
    segment = np.searchsorted(_SEG_ULAW_END, magnitude, side="left")
    code = (segment << 4) | ((magnitude >> np.minimum(segment + 1, 31)) & 0x0F)
    code = np.where(segment >= 8, 0x7F, code)
    return (code ^ mask).astype(np.uint8)


def _encode_alaw_table() -> npt.NDArray[np.uint8]:
    pcm = np.arange(-32768, 32768, dtype=np.int32) >> 3
    mask = np.where(pcm >= 0, 0xD5, 0x55)
    magnitude = np.where(pcm >= 0, pcm, -pcm - 1)
    segment = np.searchsorted(_SEG_ALAW_END, magnitude, side="left")
    shift = np.where(segment < 2, 1, np.minimum(segment, 31))
    code = (segment << 4) | ((magnitude >> shift) & 0x0F)
    code = np.where(segment >= 8, 0x7F, code)
    return (code ^ mask).astype(np.uint8)


def _decode_ulaw_table() -> Samples:
    inverted = ~np.arange(256, dtype=np.int32) & 0xFF
    biased = (((inverted & 0x0F) << 3) + 0x84) << ((inverted & 0x70) >> 4)
    return np.where(inverted & 0x80, 0x84 - biased, biased - 0x84).astype(np.int16)


def _decode_alaw_table() -> Samples:
    code = np.arange(256, dtype=np.int32) ^ 0x55
    segment = (code & 0x70) >> 4
    step = ((code & 0x0F) << 4) + np.where(segment == 0, 8, 0x108)
    value = np.where(segment > 1, step << np.maximum(segment - 1, 0), step)
    return np.where(code & 0x80, value, -value).astype(np.int16)


ENCODE_TABLES: dict[Law, npt.NDArray[np.uint8]] = {
    Law.PCMU: _encode_ulaw_table(),
    Law.PCMA: _encode_alaw_table(),
}
DECODE_TABLES: dict[Law, Samples] = {
    Law.PCMU: _decode_ulaw_table(),
    Law.PCMA: _decode_alaw_table(),
}
# Rows 0 and 1 of one table, so a batch mixing both laws decodes with one index operation:
# row = 0 for mu-law frames, 1 for A-law frames.
DECODE_BOTH = np.stack([DECODE_TABLES[Law.PCMU], DECODE_TABLES[Law.PCMA]])


def encode(samples: npt.NDArray[np.int16], law: Law) -> bytes:
    """Encode 16-bit linear samples to G.711 codes, one byte per sample."""
    index = samples.astype(np.int32) + 32768
    return ENCODE_TABLES[law][index].tobytes()


def encode_array(samples: npt.NDArray[np.int16], law: Law) -> npt.NDArray[np.uint8]:
    """Like :func:`encode` but returns the codes as an array (for batches)."""
    return ENCODE_TABLES[law][samples.astype(np.int32) + 32768]


def decode(codes: bytes, law: Law) -> Samples:
    """Decode G.711 codes to 16-bit linear samples."""
    return DECODE_TABLES[law][np.frombuffer(codes, dtype=np.uint8)]


def transcode_table(source: Law, target: Law) -> bytes:
    """A 256-byte table for ``bytes.translate`` that converts codes of one law to the other.

    G.711 transcoding is a byte-to-byte map (decode then encode), so relaying between a mu-law
    and an A-law leg costs one ``bytes.translate`` per packet.
    """
    linear = DECODE_TABLES[source].astype(np.int32) + 32768
    return bytes(ENCODE_TABLES[target][linear].tobytes())
