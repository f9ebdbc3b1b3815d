"""The media engine's core: legs, bridges, players and recordings, driven by a 20 ms tick.

One ``tick(now)`` does all periodic work for every leg (the issue's single media clock): take
each leg's next frame out of its jitter buffer, advance the recordings' timeline and write a
share of them, detect in-band digits, mix conference bridges, play prompts and music, send
RFC 4733 events, and look at a share of the legs' timers. Two-party bridges relay packets as
they arrive instead (see :class:`~hotline.media.session.RtpSession`), so their added delay is
the time to rewrite a header, not a tick, and their recordings take each packet as it arrives
(see :mod:`~hotline.media.recorder`): a recorded two-party call costs the tick nothing but its
share of the half-second writes.

The engine never opens sockets: each leg holds a :class:`DatagramSender` (the leg's socket in
production, see :mod:`~hotline.media.aio.transport`; anything with ``sendto`` in tests), and
relayed packets go out through the receiving session's ``output``, set by that socket.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import numpy.typing as npt

from .dtmf import DtmfDigit, DtmfSource, PressMatcher, TelephoneEventSender
from .events import (
    BridgeId,
    DtmfReceived,
    LegId,
    LegStatistics,
    MediaEvent,
    PlaybackFinished,
    PlaybackId,
    RtpTimeout,
)
from .g711 import DECODE_BOTH, ENCODE_TABLES, Law, transcode_table
from .mixer import Role, mix, routes
from .player import Player, StopReason
from .plc import AHEAD_FRAMES, Concealer
from .recorder import Recorder, Recording
from .session import Address, RtpSession
from .tone import InbandDetector, classify

__all__ = ["Bridge", "DatagramSender", "Leg", "MediaEngine"]

log = logging.getLogger(__name__)
Samples = npt.NDArray[np.int16]
# Each buffering leg's 20 ms of received codes for this tick (None when nothing arrived).
Frames = dict[LegId, bytearray | None]
# Each buffering leg's 20 ms as heard: decoded, losses concealed (None when it is silent).
Heard = dict[LegId, Samples | None]
_SILENCE = np.zeros(160, np.int16)
_HOUSEKEEPING_TICKS = 25
_RTCP_INTERVAL = 5.0


class DatagramSender(Protocol):
    """What a leg needs from its socket."""

    def sendto(self, data: bytes, addr: Address) -> None: ...


@dataclass(eq=False, slots=True, kw_only=True)
class Leg:
    """One RTP leg as the engine sees it."""

    leg_id: LegId
    session: RtpSession
    created: float
    transport: DatagramSender | None = None
    rtcp_transport: DatagramSender | None = None
    bridge: Bridge | None = None
    partner: Leg | None = None
    player: Player | None = None
    sender: TelephoneEventSender = field(default_factory=TelephoneEventSender)
    presses: PressMatcher = field(default_factory=PressMatcher)
    concealer: Concealer = field(default_factory=Concealer)
    inband: InbandDetector | None = None
    timed_out: bool = False
    next_rtcp: float = 0.0
    event_timestamp: int = 0
    recording: Recording | None = None  # what this leg receives, mono (record_leg)

    @property
    def law(self) -> Law:
        audio = self.session.audio
        return audio.law if audio is not None else Law.PCMU

    def send(self, packet: bytes) -> None:
        remote = self.session.remote
        if self.transport is not None and remote is not None:
            self.transport.sendto(packet, remote)


@dataclass(eq=False, slots=True, kw_only=True)
class Bridge:
    """A caller and an agent, plus supervisors with roles, plus an optional recording."""

    bridge_id: BridgeId
    caller: Leg
    agent: Leg
    participants: dict[LegId, tuple[Leg, Role]] = field(default_factory=dict)
    recording: Recording | None = None

    @property
    def legs(self) -> list[Leg]:
        return [self.caller, self.agent, *(leg for leg, _ in self.participants.values())]


class MediaEngine:
    """All legs and bridges of one media clock."""

    def __init__(
        self,
        *,
        emit: Callable[[MediaEvent], None],
        rtp_timeout: float = 30.0,
        statistics_interval: float | None = None,
        cname: str = "hotline",
    ) -> None:
        self.emit = emit
        self.rtp_timeout = rtp_timeout
        self.statistics_interval = statistics_interval
        self._next_statistics = 0.0
        self.cname = cname
        self.legs: dict[LegId, Leg] = {}
        self.bridges: dict[BridgeId, Bridge] = {}
        self.ticks = 0
        self.recorder = Recorder()
        # Legs that need work on the tick, kept up to date by refresh() so that a tick
        # never walks the legs that only relay.
        self._buffering: dict[LegId, Leg] = {}
        self._playing: dict[LegId, Leg] = {}
        self._signalling: dict[LegId, Leg] = {}
        self._scanning: dict[LegId, Leg] = {}
        self._mixing: dict[BridgeId, Bridge] = {}  # bridges with participants

    # -- relay and mixing modes ------------------------------------------------------------

    def refresh(self, leg: Leg) -> None:
        """Recompute what the tick does for ``leg`` and whether it takes relayed packets.

        Call it after any change to the leg's bridge, player, DTMF sender or negotiation.
        """
        session = leg.session
        bridge = leg.bridge
        session.buffering = (
            leg.inband is not None
            or leg.recording is not None
            or (bridge is not None and bool(bridge.participants))
        )
        for members, present in (
            (self._buffering, session.buffering),
            (self._playing, leg.player is not None),
            (self._signalling, leg.sender.busy),
            (self._scanning, leg.inband is not None),
        ):
            if present:
                members[leg.leg_id] = leg
            else:
                members.pop(leg.leg_id, None)
        accepted = session.accepts_relay
        session.accepts_relay = (
            leg.partner is not None
            and leg.player is None
            and not leg.sender.busy
            and session.audio is not None
            and session.audio.direction.sends
        )
        if session.accepts_relay and not accepted:
            # Our stream ran on (a prompt, DTMF, hold) while the relay paused: map the
            # partner's timestamps afresh so ours never step backwards.
            session.restart_relay()

    def set_mode(self, bridge: Bridge) -> None:
        """Relay when only two parties talk; mix on the tick when supervisors are in."""
        caller, agent = bridge.caller, bridge.agent
        relay = not bridge.participants
        if relay:
            self._mixing.pop(bridge.bridge_id, None)
        else:
            self._mixing[bridge.bridge_id] = bridge
        for leg, other in ((caller, agent), (agent, caller)):
            leg.partner = other if relay else None
            leg.session.relay_to = other.session if relay else None
            leg.session.translate = (
                transcode_table(other.law, leg.law) if other.law is not leg.law else None
            )
            leg.session.restart_relay()
            self.refresh(leg)
        for participant, _ in bridge.participants.values():
            self.refresh(participant)

    # -- digits ----------------------------------------------------------------------------

    def digits_received(
        self, leg: Leg, digits: list[DtmfDigit], source: DtmfSource, now: float
    ) -> None:
        """Report digits, each press once, and let them interrupt the leg's playback."""
        for digit in digits:
            if not leg.presses.first(digit.digit, source, now):
                continue
            self.emit(
                DtmfReceived(
                    leg_id=leg.leg_id,
                    digit=digit.digit,
                    duration_ms=digit.duration_ms,
                    source=source,
                )
            )
            player = leg.player
            if player is not None and digit.digit in player.interrupt_digits:
                self.stop_player(leg, StopReason.INTERRUPTED, digit.digit)

    def forget(self, leg: Leg) -> None:
        """Drop a closed leg from the tick's work lists."""
        for members in (self._buffering, self._playing, self._signalling, self._scanning):
            members.pop(leg.leg_id, None)
        self.legs.pop(leg.leg_id, None)

    def stop_player(self, leg: Leg, reason: StopReason, digit: str | None = None) -> None:
        player = leg.player
        if player is None:
            return
        leg.player = None
        self.refresh(leg)
        self.emit(
            PlaybackFinished(
                leg_id=leg.leg_id,
                playback_id=PlaybackId(player.playback_id),
                reason=reason,
                digit=digit,
            )
        )

    # -- the tick ----------------------------------------------------------------------------

    def tick(self, now: float) -> None:
        """Do one 20 ms step of every stream."""
        self.ticks += 1
        self.recorder.tick()
        frames = {leg_id: leg.session.jitter.pop(now) for leg_id, leg in self._buffering.items()}
        heard = self._hear(frames)
        self._record_legs(heard)
        self._detect_inband(heard, now)
        outgoing: list[tuple[Leg, Samples]] = []
        self._mix(heard, outgoing)
        self._send_events(now)
        self._play(now)
        self._encode_and_send(outgoing, now)
        # Each leg's timers are looked at every 25 ticks, a 25th of the legs on each tick, so
        # that no tick walks them all.
        phase = self.ticks % _HOUSEKEEPING_TICKS
        legs = list(self.legs.values())[phase::_HOUSEKEEPING_TICKS]
        self.housekeeping(now, legs, statistics=phase == 0)

    def _hear(self, frames: Frames) -> Heard:
        """Each buffering leg's next 20 ms decoded, a frame that never came concealed from
        the speech around it (G.711 Appendix I, ``plc``); None where the leg is silent."""
        legs = list(self._buffering.values())
        decoded = self._decode(legs, frames)
        heard: Heard = {}
        for leg in legs:
            samples = decoded.get(leg.leg_id)
            jitter = leg.session.jitter
            if samples is not None:
                heard[leg.leg_id] = leg.concealer.good(samples)
            elif jitter.missing:
                heard[leg.leg_id] = self._conceal(leg)
            else:
                heard[leg.leg_id] = None
        return heard

    @staticmethod
    def _conceal(leg: Leg) -> Samples | None:
        """A leg's frame that never came (whole), made up: bridged to the speech after it
        when that is in the jitter buffer already, and the part of it that came put back."""
        jitter, law = leg.session.jitter, int(leg.session.alaw)
        came = None
        if jitter.partial is not None:
            codes, present = jitter.partial
            decoded = DECODE_BOTH[law, np.frombuffer(codes, np.uint8)]
            came = (decoded, np.frombuffer(present, np.bool_))
        found = jitter.peek(AHEAD_FRAMES)
        if found is None:
            return leg.concealer.lost(came=came)
        codes, ahead = found
        following = DECODE_BOTH[law, np.frombuffer(codes, np.uint8)]
        return leg.concealer.lost(following, ahead, came)

    def _record_legs(self, heard: Heard) -> None:
        """Mono recordings of what single legs receive (a softphone's ear): few, so one
        write each per tick."""
        for leg in self._buffering.values():
            recording = leg.recording
            if recording is None or recording.paused:
                continue
            samples = heard.get(leg.leg_id)
            if samples is None:
                samples = _SILENCE
            recording.writer.write(samples.astype("<i2").tobytes())

    def _decode(self, legs: list[Leg], frames: Frames) -> dict[LegId, Samples]:
        present = [(leg, frame) for leg in legs if (frame := frames.get(leg.leg_id)) is not None]
        if not present:
            return {}
        codes = np.frombuffer(b"".join(frame for _, frame in present), np.uint8)
        laws = np.repeat([leg.law is Law.PCMA for leg, _ in present], 160).astype(np.intp)
        linear = DECODE_BOTH[laws, codes].reshape(len(present), 160)
        return {leg.leg_id: linear[index] for index, (leg, _) in enumerate(present)}

    def _detect_inband(self, heard: Heard, now: float) -> None:
        legs = list(self._scanning.values())
        if not legs:
            return
        frames = [heard.get(leg.leg_id) for leg in legs]
        matrix = np.stack([_SILENCE if frame is None else frame for frame in frames])
        for leg, digit in zip(legs, classify(matrix), strict=True):
            assert leg.inband is not None
            pressed = leg.inband.feed(digit)
            if pressed is not None:
                self.digits_received(leg, [pressed], DtmfSource.INBAND, now)

    def _mix(self, heard: Heard, outgoing: list[tuple[Leg, Samples]]) -> None:
        for bridge in self._mixing.values():
            legs = bridge.legs
            roles = {leg_id: role for leg_id, (_, role) in bridge.participants.items()}
            hears = routes(bridge.caller.leg_id, bridge.agent.leg_id, roles)
            mixed = mix({leg.leg_id: heard.get(leg.leg_id) for leg in legs}, hears)
            for leg in legs:
                frame = mixed.get(leg.leg_id)
                if frame is not None and leg.player is None:
                    outgoing.append((leg, frame))

    def _play(self, now: float) -> None:
        """Send each playing leg its next frame, from the clips' codes (encoded once)."""
        for leg in list(self._playing.values()):
            player = leg.player
            if player is None:
                continue
            session = leg.session
            payload = player.next_payload(leg.law)
            if payload is None:
                self.stop_player(leg, StopReason.FINISHED)
            elif session.sending and not leg.sender.busy:
                leg.send(session.packet(payload, now))

    def _send_events(self, now: float) -> None:
        for leg in list(self._signalling.values()):
            sender = leg.sender
            packet = sender.next_packet()
            if packet is not None and leg.session.sending:
                if packet.new_event:
                    leg.event_timestamp = leg.session.position(now)
                leg.send(
                    leg.session.packet(
                        packet.payload,
                        now,
                        event=True,
                        marker=packet.marker,
                        timestamp=leg.event_timestamp,
                    )
                )
            if not sender.busy:
                self.refresh(leg)

    def _encode_and_send(self, outgoing: list[tuple[Leg, Samples]], now: float) -> None:
        ready = [
            (leg, frame) for leg, frame in outgoing if leg.session.sending and not leg.sender.busy
        ]
        if not ready:
            return
        linear = np.stack([frame for _, frame in ready]).astype(np.int32) + 32768
        mulaw, alaw = ENCODE_TABLES[Law.PCMU][linear], ENCODE_TABLES[Law.PCMA][linear]
        for index, (leg, _) in enumerate(ready):
            codes = alaw[index] if leg.law is Law.PCMA else mulaw[index]
            leg.send(leg.session.packet(codes.tobytes(), now))

    # -- timers ------------------------------------------------------------------------------

    def housekeeping(
        self, now: float, legs: list[Leg] | None = None, *, statistics: bool = True
    ) -> None:
        """Inactivity, DTMF events without end packets, RTCP reports (for ``legs``, all by
        default), periodic statistics (for all legs, when ``statistics``)."""
        interval = self.statistics_interval
        if statistics and interval is not None and now >= self._next_statistics:
            self._next_statistics = now + interval
            for leg in self.legs.values():
                self.emit(self.statistics(leg))
        for leg in self.legs.values() if legs is None else legs:
            session = leg.session
            digits = session.dtmf.handle_timer(now)
            if digits:
                self.digits_received(leg, digits, DtmfSource.RFC4733, now)
            self._check_timeout(leg, now)
            if now >= leg.next_rtcp and leg.rtcp_transport is not None:
                # Randomized (RFC 3550 §6.2) so that calls set up together report apart.
                leg.next_rtcp = now + _RTCP_INTERVAL * random.uniform(0.5, 1.5)
                remote = session.remote_rtcp
                if remote is not None and session.audio is not None:
                    leg.rtcp_transport.sendto(session.rtcp_report(now, self.cname), remote)

    def _check_timeout(self, leg: Leg, now: float) -> None:
        audio = leg.session.audio
        if audio is None or not audio.direction.receives:
            return
        last = leg.session.last_received or leg.created
        silent = now - last
        if silent < self.rtp_timeout:
            leg.timed_out = False
        elif not leg.timed_out:
            leg.timed_out = True
            self.emit(RtpTimeout(leg_id=leg.leg_id, silent_for=silent))

    def statistics(self, leg: Leg) -> LegStatistics:
        session = leg.session
        stats, counters = session.statistics, session.counters
        return LegStatistics(
            leg_id=leg.leg_id,
            packets_received=counters.packets_received,
            packets_lost=max(stats.lost, 0),
            jitter_ms=stats.jitter / 8,
            packets_sent=session.packets_sent,
            bad_packets=counters.bad_packets,
            late_packets=session.jitter.late,
            discarded_packets=session.jitter.discarded,
            buffer_delay_ms=session.jitter.delay_ms,
            concealed_frames=session.jitter.concealed,
            remote_fraction_lost=counters.remote_fraction_lost,
            remote_jitter_ms=counters.remote_jitter_ms,
            round_trip_ms=counters.round_trip_ms,
            strangers=counters.strangers,
            peer_moves=counters.peer_moves,
        )
