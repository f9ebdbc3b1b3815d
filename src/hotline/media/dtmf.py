"""DTMF as RFC 4733 telephone-events: a receiver and a sender, both sans-IO.

The receiver reports each key press once, when its end packet arrives (RFC 4733 §2.5.1.4 sends
the end packet three times), or when the event stops without an end (lost end packets) or a new
event starts. A replayed stream (same timestamp after a pause, or a new event code) is a new
press, not a duplicate; an event whose timestamp changes while it goes on (the stream around it
was re-stamped by a translator or restarted) is the same press. :class:`PressMatcher` makes one
press of a phone that sends a key both ways (SIP INFO and RFC 4733 events) one digit.
"""

from __future__ import annotations

import enum
import struct
from collections import deque
from dataclasses import dataclass

__all__ = [
    "DIGITS",
    "DtmfDigit",
    "DtmfSource",
    "PressMatcher",
    "TelephoneEventReceiver",
    "TelephoneEventSender",
    "encode_event",
]

DIGITS = "0123456789*#ABCD"
_EVENT = struct.Struct("!BBH")
_SAMPLES_PER_MS = 8
# A repeat of the same event after this long without packets is a new press (a replay).
_REPLAY_GAP = 0.25
# An event with no packet for this long has ended even though no end packet came.
_EVENT_TIMEOUT = 0.3
# The same key from two channels (INFO and RFC 4733, or a tone) this close is one press.
_SAME_PRESS = 1.0


class DtmfSource(enum.Enum):
    """Where a digit came from."""

    RFC4733 = "rfc4733"
    INBAND = "inband"
    INFO = "info"


@dataclass(frozen=True, slots=True, kw_only=True)
class DtmfDigit:
    """A key press: the digit and how long it was held, in milliseconds."""

    digit: str
    duration_ms: int


@dataclass(slots=True, kw_only=True)
class _Event:
    code: int
    timestamp: int
    duration: int
    last_arrival: float
    ended: bool = False
    reported: bool = False


class TelephoneEventReceiver:
    """Turns telephone-event payloads (RFC 4733 §2.3) into key presses."""

    def __init__(self) -> None:
        self._event: _Event | None = None

    def receive(self, payload: bytes, *, timestamp: int, now: float) -> list[DtmfDigit]:
        """Feed one telephone-event payload; returns the presses it completes."""
        if len(payload) < 4:
            return []
        code, flags, duration = _EVENT.unpack_from(payload)
        if code >= len(DIGITS):
            return []
        end = bool(flags & 0x80)
        done: list[DtmfDigit] = []
        event = self._event
        if event is None or self._starts_new(event, code, timestamp, duration, end, now):
            if event is not None and not event.reported:
                done.append(self._report(event))
            event = self._event = _Event(
                code=code, timestamp=timestamp, duration=duration, last_arrival=now
            )
        elif timestamp != event.timestamp:
            event.timestamp = timestamp  # the same press, re-stamped on the way
        event.duration = max(event.duration, duration)
        event.last_arrival = now
        if end and not event.ended:
            event.ended = True
            done.append(self._report(event))
        return done

    @staticmethod
    def _starts_new(
        event: _Event, code: int, timestamp: int, duration: int, end: bool, now: float
    ) -> bool:
        recent = now - event.last_arrival <= _REPLAY_GAP
        if code != event.code:
            return True
        if timestamp == event.timestamp:
            return event.ended and not end and not recent
        # Another timestamp for the same key: the same press if it goes on where the event
        # stood (re-stamped on the way); a new press starts its duration over.
        return not (recent and duration >= event.duration)

    def _report(self, event: _Event) -> DtmfDigit:
        event.reported = True
        return DtmfDigit(digit=DIGITS[event.code], duration_ms=event.duration // _SAMPLES_PER_MS)

    def handle_timer(self, now: float) -> list[DtmfDigit]:
        """Report an event whose end packets were all lost."""
        event = self._event
        if event is None or event.reported or now - event.last_arrival < _EVENT_TIMEOUT:
            return []
        return [self._report(event)]


class PressMatcher:
    """One digit per key press, however many channels carry it.

    Some phones send a key both as SIP INFO (application/dtmf-relay) and as RFC 4733 events,
    or the events with the tone left in the audio: the first report of a key is the press,
    and one report of the same key from another channel within a second is its echo. Each
    report pairs with at most one other, so a key pressed twice is two digits.
    """

    def __init__(self) -> None:
        self._unpaired: list[tuple[str, DtmfSource, float]] = []

    def first(self, digit: str, source: DtmfSource, now: float) -> bool:
        """Whether this report is a new press (True) or another channel's copy of one."""
        self._unpaired = [seen for seen in self._unpaired if now - seen[2] <= _SAME_PRESS]
        for index, (other, other_source, _) in enumerate(self._unpaired):
            if other == digit and other_source is not source:
                del self._unpaired[index]
                return False
        self._unpaired.append((digit, source, now))
        return True


def encode_event(code: int, *, end: bool, volume: int, duration: int) -> bytes:
    """One telephone-event payload (RFC 4733 §2.3): event, E bit, volume, duration."""
    return _EVENT.pack(code, (0x80 if end else 0) | (volume & 0x3F), duration & 0xFFFF)


@dataclass(frozen=True, slots=True, kw_only=True)
class EventPacket:
    """What the sender emits for one 20 ms tick."""

    payload: bytes
    marker: bool
    new_event: bool


class TelephoneEventSender:
    """Sends queued digits as telephone-events, one packet per 20 ms tick (RFC 4733 §2.5.1).

    Each digit lasts ``duration_ms``, its end packet is sent three times, and a pause of
    ``gap_ms`` of normal audio separates digits.
    """

    def __init__(self, *, duration_ms: int = 100, gap_ms: int = 60, volume: int = 10) -> None:
        self._ticks = max(1, duration_ms // 20)
        self._gap = max(1, gap_ms // 20)
        self._volume = volume
        self._steps: deque[EventPacket | None] = deque()

    def send(self, digits: str) -> None:
        """Queue digits; characters outside 0-9 * # A-D are rejected with ValueError."""
        for digit in digits.upper():
            code = DIGITS.find(digit)
            if code < 0:
                raise ValueError(f"not a DTMF digit: {digit!r}")
            self._queue(code)

    def _queue(self, code: int) -> None:
        for tick in range(1, self._ticks + 1):
            payload = encode_event(code, end=False, volume=self._volume, duration=tick * 160)
            self._steps.append(EventPacket(payload=payload, marker=tick == 1, new_event=tick == 1))
        last = encode_event(code, end=True, volume=self._volume, duration=self._ticks * 160)
        self._steps.extend([EventPacket(payload=last, marker=False, new_event=False)] * 3)
        self._steps.extend([None] * self._gap)

    @property
    def busy(self) -> bool:
        """True while digits (or the pause after them) are still being sent."""
        return bool(self._steps)

    def next_packet(self) -> EventPacket | None:
        """The event packet for this tick, or None when the tick carries audio."""
        return self._steps.popleft() if self._steps else None
