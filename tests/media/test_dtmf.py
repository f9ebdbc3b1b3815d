"""RFC 4733 telephone-events and in-band Goertzel detection."""

import numpy as np

from hotline.media.dtmf import DtmfDigit, TelephoneEventReceiver, TelephoneEventSender
from hotline.media.tone import InbandDetector, classify, tone


def _receive_all(receiver, sender, start_ts=1000, start_time=0.0):
    digits, timestamp, now = [], start_ts, start_time
    while sender.busy:
        packet = sender.next_packet()
        now += 0.02
        if packet is None:
            continue
        if packet.new_event:
            timestamp += 4000
        digits += receiver.receive(packet.payload, timestamp=timestamp, now=now)
    return digits


def test_sender_and_receiver_agree_once_per_digit() -> None:
    sender = TelephoneEventSender(duration_ms=100)
    sender.send("19*#")
    digits = _receive_all(TelephoneEventReceiver(), sender)
    assert digits == [DtmfDigit(digit=d, duration_ms=100) for d in "19*#"]


def test_repeated_end_packets_and_replay() -> None:
    receiver = TelephoneEventReceiver()
    start = bytes([5, 10, 0, 160])
    end = bytes([5, 0x80 | 10, 3, 0x20])
    got = receiver.receive(start, timestamp=8, now=0.0)
    got += [d for _ in range(3) for d in receiver.receive(end, timestamp=8, now=0.1)]
    assert got == [DtmfDigit(digit="5", duration_ms=100)]
    # The same capture replayed a second later is a second press.
    got = receiver.receive(start, timestamp=8, now=1.0) + receiver.receive(
        end, timestamp=8, now=1.1
    )
    assert [d.digit for d in got] == ["5"]


def test_lost_end_packets_still_report_the_digit() -> None:
    receiver = TelephoneEventReceiver()
    receiver.receive(bytes([3, 10, 1, 64]), timestamp=8, now=0.0)
    assert receiver.handle_timer(0.1) == []
    assert receiver.handle_timer(0.5) == [DtmfDigit(digit="3", duration_ms=40)]
    assert receiver.handle_timer(0.9) == []
    # A new event also closes an unreported one.
    receiver.receive(bytes([4, 10, 0, 160]), timestamp=800, now=1.0)
    got = receiver.receive(bytes([6, 10, 0, 160]), timestamp=1600, now=1.2)
    assert got == [DtmfDigit(digit="4", duration_ms=20)]


def _dtmf(low: float, high: float, seconds: float) -> np.ndarray:
    return (tone(low, seconds, 6000) + tone(high, seconds, 6000)).astype(np.int16)


def test_goertzel_detects_every_key() -> None:
    keys = "123A456B789C*0#D"
    lows, highs = [697, 770, 852, 941], [1209, 1336, 1477, 1633]
    frames = np.stack([_dtmf(lows[i // 4], highs[i % 4], 0.02) for i in range(16)])
    assert "".join(str(d) for d in classify(frames)) == keys


def test_goertzel_ignores_single_tones_speech_like_noise_and_silence() -> None:
    rng = np.random.default_rng(1)
    frames = np.stack(
        [
            tone(697, 0.02, 8000),
            tone(1000, 0.02, 8000) + tone(1500, 0.02, 8000),
            (rng.normal(0, 3000, 160)).astype(np.int16),
            np.zeros(160, np.int16),
        ]
    )
    assert classify(frames) == [None, None, None, None]


def test_inband_detector_debounces() -> None:
    detector = InbandDetector()
    signal = np.concatenate(
        [
            _dtmf(770, 1336, 0.1),
            np.zeros(800, np.int16),
            _dtmf(941, 1477, 0.02),
            np.zeros(800, np.int16),
        ]
    )
    presses = [detector.feed(d) for d in classify(signal.reshape(-1, 160))]
    assert [p for p in presses if p] == [DtmfDigit(digit="5", duration_ms=100)]
