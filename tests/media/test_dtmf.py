"""RFC 4733 telephone-events and in-band Goertzel detection."""

import numpy as np

from hotline.media.dtmf import (
    DtmfDigit,
    DtmfSource,
    PressMatcher,
    TelephoneEventReceiver,
    TelephoneEventSender,
)
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


def _event(code: int, duration: int, *, end: bool = False) -> bytes:
    return bytes([code, (0x80 if end else 0) | 10]) + duration.to_bytes(2, "big")


def test_an_event_re_stamped_while_it_goes_on_is_one_press() -> None:
    receiver = TelephoneEventReceiver()
    got = receiver.receive(_event(1, 160), timestamp=8, now=0.0)
    got += receiver.receive(_event(1, 320), timestamp=8, now=0.02)
    # The stream around the event starts over (a translator, a restarted phone): the event
    # goes on under another timestamp, and its end packets come under a third one.
    got += receiver.receive(_event(1, 480), timestamp=90_000, now=0.04)
    got += receiver.receive(_event(1, 640, end=True), timestamp=90_000, now=0.06)
    for now in (0.08, 0.1):
        got += receiver.receive(_event(1, 640, end=True), timestamp=4_000, now=now)
    got += receiver.handle_timer(1.0)
    assert got == [DtmfDigit(digit="1", duration_ms=80)]


def test_the_same_key_pressed_again_soon_is_a_second_press() -> None:
    receiver = TelephoneEventReceiver()
    got = receiver.receive(_event(1, 800, end=True), timestamp=8, now=0.0)
    # 60 ms later the key again: a new timestamp and a duration that starts over.
    got += receiver.receive(_event(1, 160), timestamp=1_400, now=0.06)
    got += receiver.receive(_event(1, 800, end=True), timestamp=1_400, now=0.16)
    assert [d.digit for d in got] == ["1", "1"]


def test_a_key_sent_as_info_and_as_events_is_one_press() -> None:
    matcher = PressMatcher()
    info, events, tone_ = DtmfSource.INFO, DtmfSource.RFC4733, DtmfSource.INBAND
    reports = [
        ("1", info, 0.0), ("1", events, 0.12),  # one press, two channels
        ("1", events, 0.4), ("1", info, 0.45),  # the key again: a second press
        ("2", info, 0.8), ("3", events, 0.85),  # two keys
        ("4", events, 1.0), ("4", events, 1.2),  # one channel, twice: two presses
        ("5", tone_, 2.0), ("5", events, 3.5),  # too far apart to be one press
    ]  # fmt: skip
    kept = [digit for digit, source, now in reports if matcher.first(digit, source, now)]
    assert kept == ["1", "1", "2", "3", "4", "4", "5", "5"]
