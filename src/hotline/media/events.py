"""Events the media engine reports to call control, and the ids it hands out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NewType

from .dtmf import DtmfSource
from .player import StopReason

__all__ = [
    "BridgeId",
    "DtmfReceived",
    "LegId",
    "LegStatistics",
    "MediaEvent",
    "MediaLost",
    "PlaybackFinished",
    "PlaybackId",
    "RecordingFinished",
    "RecordingId",
    "RtpTimeout",
]

LegId = NewType("LegId", int)
BridgeId = NewType("BridgeId", int)
PlaybackId = NewType("PlaybackId", int)
RecordingId = NewType("RecordingId", int)


@dataclass(frozen=True, slots=True, kw_only=True)
class DtmfReceived:
    """A key pressed on a leg: RFC 4733 event, in-band tone or SIP INFO fed in."""

    leg_id: LegId
    digit: str
    duration_ms: int
    source: DtmfSource


@dataclass(frozen=True, slots=True, kw_only=True)
class PlaybackFinished:
    """A playback ended; ``digit`` is the key that interrupted it, if one did."""

    leg_id: LegId
    playback_id: PlaybackId
    reason: StopReason
    digit: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RtpTimeout:
    """No RTP or RTCP from the peer for the configured time: the call is probably dead."""

    leg_id: LegId
    silent_for: float


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaLost:
    """The media process died: this leg's audio is gone for good, so its call must end."""

    leg_id: LegId


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordingFinished:
    """A recording was stopped (or its bridge or a leg closed) and its file is complete."""

    recording_id: RecordingId
    path: Path
    seconds: float


@dataclass(frozen=True, slots=True, kw_only=True)
class LegStatistics:
    """Reception and sending figures of a leg (RFC 3550 §6.4 report fields and our counters)."""

    leg_id: LegId
    packets_received: int
    packets_lost: int
    jitter_ms: float
    packets_sent: int
    bad_packets: int
    late_packets: int  # arrived after their play-out time (the jitter buffer grew for them)
    remote_fraction_lost: float
    remote_jitter_ms: float
    round_trip_ms: float | None
    # Packets dropped because they came from another address than the latched peer's.
    strangers: int = 0
    # Times the peer's stream came from a new address (its NAT mapping changed) and was
    # followed there.
    peer_moves: int = 0
    # Where the leg's audio is decoded (mixing, recording, tones): packets too late to be
    # played at all, the jitter buffer's delay now, and the 20 ms frames that never arrived
    # and were concealed.
    discarded_packets: int = 0
    buffer_delay_ms: float = 0.0
    concealed_frames: int = 0


MediaEvent = (
    DtmfReceived | PlaybackFinished | RtpTimeout | MediaLost | RecordingFinished | LegStatistics
)
