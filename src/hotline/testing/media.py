"""A fake media service: records the commands call control gives, opens no socket.

It satisfies ``hotline.media.MediaService``. Legs, bridges and playbacks get ids from one
counter; ``emit`` hands call control a media event (DTMF, end of a prompt, RTP timeout), as the
media clock would.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from pathlib import Path

from hotline.media import (
    BridgeId,
    ClockMetrics,
    Language,
    LegId,
    LegStatistics,
    MediaEvent,
    PlaybackId,
    RecordingId,
    Role,
    UnknownId,
)

__all__ = ["FakeMediaService"]

_SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"


class FakeMediaService:
    """Open legs in ``legs``, bridges in ``bridges``, and every playback in ``played`` as
    (leg, items); ``log`` has each command's name and first argument in order."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._callbacks: list[Callable[[MediaEvent], None]] = []
        self.legs: set[LegId] = set()
        self.closed: list[LegId] = []
        self.bridges: dict[BridgeId, tuple[LegId, LegId]] = {}
        self.played: list[tuple[LegId, list[str]]] = []
        self.playing: dict[LegId, PlaybackId] = {}
        self.dtmf_sent: list[tuple[LegId, str]] = []
        self.log: list[tuple[str, int]] = []
        self.pid: int | None = None
        self.restarts = 0
        self.running = False

    @property
    def open_legs(self) -> int:
        return len(self.legs)

    @property
    def metrics(self) -> ClockMetrics:
        return ClockMetrics(ticks=0, late_ticks=0, skipped_ticks=0, max_tick_seconds=0.0)

    def emit(self, event: MediaEvent) -> None:
        for callback in list(self._callbacks):
            callback(event)

    def subscribe(self, callback: Callable[[MediaEvent], None]) -> None:
        self._callbacks.append(callback)

    async def start(self) -> list[Path]:
        self.running = True
        return []

    async def close(self) -> None:
        self.running = False

    def _leg(self, name: str, leg_id: LegId) -> None:
        if leg_id not in self.legs:
            raise UnknownId(f"no leg {leg_id}")
        self.log.append((name, leg_id))

    async def open_leg(self, offer: str, *, inband_dtmf: bool = False) -> tuple[LegId, str]:
        leg = LegId(next(self._ids))
        self.legs.add(leg)
        self.log.append(("open_leg", leg))
        return leg, _SDP

    async def create_leg(self, *, inband_dtmf: bool = False) -> tuple[LegId, str]:
        leg = LegId(next(self._ids))
        self.legs.add(leg)
        self.log.append(("create_leg", leg))
        return leg, _SDP

    async def apply_answer(self, leg_id: LegId, answer: str) -> None:
        self._leg("apply_answer", leg_id)

    async def update_leg(self, leg_id: LegId, offer: str) -> str:
        self._leg("update_leg", leg_id)
        return _SDP

    async def close_leg(self, leg_id: LegId) -> LegStatistics:
        self._leg("close_leg", leg_id)
        self.legs.discard(leg_id)
        self.closed.append(leg_id)
        self.playing.pop(leg_id, None)
        return LegStatistics(
            leg_id=leg_id, packets_received=0, packets_lost=0, jitter_ms=0.0, packets_sent=0,
            bad_packets=0, late_packets=0, remote_fraction_lost=0.0, remote_jitter_ms=0.0,
            round_trip_ms=None,
        )  # fmt: skip

    def feed_info_digit(self, leg_id: LegId, digit: str, duration_ms: int = 100) -> None:
        self._leg("feed_info_digit", leg_id)

    async def send_dtmf(self, leg_id: LegId, digits: str) -> None:
        self._leg("send_dtmf", leg_id)
        self.dtmf_sent.append((leg_id, digits))

    async def bridge(self, caller: LegId, agent: LegId) -> BridgeId:
        self._leg("bridge", caller)
        self._leg("bridge", agent)
        bridge = BridgeId(next(self._ids))
        self.bridges[bridge] = (caller, agent)
        return bridge

    async def unbridge(self, bridge_id: BridgeId) -> None:
        self.bridges.pop(bridge_id)

    async def add_participant(self, bridge_id: BridgeId, leg_id: LegId, role: Role) -> None:
        self._leg("add_participant", leg_id)

    async def set_role(self, bridge_id: BridgeId, leg_id: LegId, role: Role) -> None:
        self._leg("set_role", leg_id)

    async def remove_participant(self, bridge_id: BridgeId, leg_id: LegId) -> None:
        self._leg("remove_participant", leg_id)

    async def play(
        self,
        leg_id: LegId,
        items: Sequence[str | Path],
        *,
        language: Language = "en",
        loop: bool = False,
        interrupt_digits: str = "",
    ) -> PlaybackId:
        self._leg("play", leg_id)
        playback = PlaybackId(next(self._ids))
        self.played.append((leg_id, [str(item) for item in items]))
        self.playing[leg_id] = playback
        return playback

    async def play_moh(self, leg_id: LegId, path: Path | None = None) -> PlaybackId:
        return await self.play(leg_id, ["moh"], loop=True)

    async def stop_playback(self, leg_id: LegId) -> None:
        self._leg("stop_playback", leg_id)
        self.playing.pop(leg_id, None)

    async def record(self, bridge_id: BridgeId, path: Path) -> RecordingId:
        return RecordingId(next(self._ids))

    async def record_leg(self, leg_id: LegId, path: Path) -> RecordingId:
        self._leg("record_leg", leg_id)
        return RecordingId(next(self._ids))

    async def pause_recording(self, recording_id: RecordingId) -> None:
        """Nothing is recorded."""

    async def resume_recording(self, recording_id: RecordingId) -> None:
        """Nothing is recorded."""

    async def stop_recording(self, recording_id: RecordingId) -> Path:
        return Path(f"recording-{recording_id}.wav")
