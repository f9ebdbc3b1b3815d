"""G.711 tables checked against a scalar transcription of the reference algorithm."""

import numpy as np
import pytest

from hotline.media.g711 import Law, decode, encode, transcode_table


def _search(value: int, table: list[int]) -> int:
    for index, end in enumerate(table):
        if value <= end:
            return index
    return len(table)


def reference_linear2ulaw(pcm: int) -> int:
    pcm >>= 2
    if pcm < 0:
        pcm, mask = -pcm, 0x7F
    else:
        mask = 0xFF
    pcm = min(pcm, 8159) + (0x84 >> 2)
    seg = _search(pcm, [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF])
    if seg >= 8:
        return 0x7F ^ mask
    return ((seg << 4) | ((pcm >> (seg + 1)) & 0xF)) ^ mask


def reference_ulaw2linear(code: int) -> int:
    code = ~code & 0xFF
    t = (((code & 0x0F) << 3) + 0x84) << ((code & 0x70) >> 4)
    return 0x84 - t if code & 0x80 else t - 0x84


def reference_linear2alaw(pcm: int) -> int:
    pcm >>= 3
    if pcm >= 0:
        mask = 0xD5
    else:
        mask, pcm = 0x55, -pcm - 1
    seg = _search(pcm, [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])
    if seg >= 8:
        return 0x7F ^ mask
    quant = (pcm >> 1) if seg < 2 else (pcm >> seg)
    return ((seg << 4) | (quant & 0x0F)) ^ mask


def reference_alaw2linear(code: int) -> int:
    code ^= 0x55
    t = (code & 0x0F) << 4
    seg = (code & 0x70) >> 4
    if seg == 0:
        t += 8
    elif seg == 1:
        t += 0x108
    else:
        t = (t + 0x108) << (seg - 1)
    return t if code & 0x80 else -t


ALL_LINEAR = np.arange(-32768, 32768, dtype=np.int16)
ALL_CODES = bytes(range(256))


@pytest.mark.parametrize(
    ("law", "reference"), [(Law.PCMU, reference_linear2ulaw), (Law.PCMA, reference_linear2alaw)]
)
def test_encode_matches_reference_for_every_linear_input(law, reference) -> None:
    expected = bytes(reference(int(value)) for value in ALL_LINEAR)
    assert encode(ALL_LINEAR, law) == expected


@pytest.mark.parametrize(
    ("law", "reference"), [(Law.PCMU, reference_ulaw2linear), (Law.PCMA, reference_alaw2linear)]
)
def test_decode_matches_reference_for_every_code(law, reference) -> None:
    expected = [reference(code) for code in ALL_CODES]
    assert decode(ALL_CODES, law).tolist() == expected


def test_silence_codes() -> None:
    zeros = np.zeros(160, np.int16)
    assert encode(zeros, Law.PCMU) == b"\xff" * 160
    assert encode(zeros, Law.PCMA) == b"\xd5" * 160
    assert Law.PCMU.silence == 0xFF and Law.PCMA.silence == 0xD5


@pytest.mark.parametrize("law", list(Law))
def test_decoded_codes_encode_back_to_themselves(law) -> None:
    # Every code's decoded value lies inside that code's interval, so the round trip is exact
    # (except mu-law's two zeros, 0x7F and 0xFF, which both decode to 0).
    round_trip = encode(decode(ALL_CODES, law), law)
    differing = [code for code in ALL_CODES if round_trip[code] != code]
    assert differing == ([0x7F] if law is Law.PCMU else [])


def test_transcoding_tables_convert_between_laws() -> None:
    to_alaw = transcode_table(Law.PCMU, Law.PCMA)
    assert b"\xff".translate(to_alaw) == b"\xd5"
    samples = np.array([-30000, -1000, -10, 0, 10, 1000, 30000], np.int16)
    ulaw = encode(samples, Law.PCMU)
    alaw = ulaw.translate(to_alaw)
    assert np.allclose(decode(alaw, Law.PCMA), decode(ulaw, Law.PCMU), rtol=0.07, atol=16)
