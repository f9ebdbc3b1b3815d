"""``MediaServer``: the async interface call control uses (see the package docstring)."""

from __future__ import annotations

import itertools
import logging
import random
import time
from collections.abc import Sequence
from pathlib import Path

from ..dtmf import DIGITS, DtmfDigit, DtmfSource
from ..engine import Bridge, Leg, MediaEngine
from ..events import (
    BridgeId,
    LegId,
    LegStatistics,
    PlaybackId,
    RecordingFinished,
    RecordingId,
)
from ..g711 import Law
from ..mixer import Role
from ..negotiation import NegotiatedAudio, answer_offer, apply_answer, build_offer
from ..player import PROMPTS_DIR, Player, PromptLibrary, StopReason
from ..recorder import Recording
from ..say import Language
from ..sdp import SessionDescription, parse_sdp
from ..session import RtpSession
from ..tone import InbandDetector, dtmf_tones
from ..wav import WavWriter, repair_folder
from .clock import ClockMetrics, MediaClock
from .stream import EventSource, EventStream
from .transport import PortPool, RtcpSocket, RtpSocket, open_sockets

__all__ = ["MediaServer", "UnknownId"]

log = logging.getLogger(__name__)


class UnknownId(KeyError):
    """A leg, bridge or recording id that does not exist (any more)."""


class MediaServer(EventSource):
    """RTP legs, bridges, players and recorders behind async commands and an event stream."""

    def __init__(
        self,
        *,
        rtp_address: str,
        port_range: tuple[int, int],
        recordings_dir: Path | None = None,
        prompts_dir: Path = PROMPTS_DIR,
        rtp_timeout: float = 30.0,
        statistics_interval: float | None = None,
        jitter_ms: int = 40,
        laws: tuple[Law, ...] = (Law.PCMU, Law.PCMA),
        first_id: int = 1,
    ) -> None:
        self.rtp_address = rtp_address
        self.recordings_dir = recordings_dir
        self.prompts = PromptLibrary(prompts_dir)
        self.laws = laws
        self._pool = PortPool(port_range)
        self._jitter = jitter_ms * 8
        self._stream = EventStream()
        self._emit = self._stream.emit
        self._engine = MediaEngine(
            emit=self._emit, rtp_timeout=rtp_timeout, statistics_interval=statistics_interval
        )
        self._clock = MediaClock(self._engine.tick)
        self._ids = itertools.count(first_id)  # legs, bridges, playbacks, recordings
        self._offers: dict[LegId, SessionDescription] = {}
        self._versions: dict[LegId, int] = {}  # o= versions of our later answers (RFC 3264 §8)
        self._ports: dict[LegId, int] = {}
        self._sockets: dict[LegId, tuple[RtpSocket, RtcpSocket]] = {}
        self._recordings: dict[RecordingId, Bridge] = {}
        self._leg_recordings: dict[RecordingId, Leg] = {}
        self._running = False
        # As MediaWorker's: an in-process server has no process of its own to restart.
        self.pid: int | None = None
        self.restarts = 0

    # -- lifetime ----------------------------------------------------------------------------

    async def start(self) -> list[Path]:
        """Repair recordings a crash left incomplete, then start the media clock."""
        repaired = repair_folder(self.recordings_dir) if self.recordings_dir else []
        self._clock.start()
        self._running = True
        return repaired

    async def close(self) -> None:
        """Close every leg (completing recordings) and stop the clock."""
        self._running = False
        for leg_id in list(self._engine.legs):
            await self.close_leg(leg_id)
        self._clock.stop()

    async def __aenter__(self) -> MediaServer:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @property
    def metrics(self) -> ClockMetrics:
        """Media clock figures: ticks, late ticks (the saturation signal), skipped ticks."""
        return self._clock.metrics

    @property
    def running(self) -> bool:
        return self._running

    @property
    def open_legs(self) -> int:
        return len(self._engine.legs)

    def reset_metrics(self) -> None:
        self._clock.reset_metrics()

    # -- legs --------------------------------------------------------------------------------

    async def _new_leg(self, inband_dtmf: bool) -> Leg:
        leg_id = LegId(next(self._ids))
        session = RtpSession(
            ssrc=random.getrandbits(32),
            sequence=random.getrandbits(16),
            timestamp=random.getrandbits(32),
            audio=None,
            jitter_depth=self._jitter,
        )
        session.clock_offset = time.time() - time.monotonic()
        leg = Leg(
            leg_id=leg_id,
            session=session,
            created=time.monotonic(),
            inband=InbandDetector() if inband_dtmf else None,
        )
        port, rtp, rtcp = open_sockets(leg, self.rtp_address, self._pool, self._digits)
        leg.transport, leg.rtcp_transport = rtp, rtcp
        self._sockets[leg_id] = (rtp, rtcp)
        self._ports[leg_id] = port
        self._engine.legs[leg_id] = leg
        self._engine.refresh(leg)
        return leg

    async def open_leg(self, offer: str, *, inband_dtmf: bool = False) -> tuple[LegId, str]:
        """Answer an SDP offer (RFC 3264 §6) with a new leg: returns its id and the answer.

        Raises :class:`~hotline.media.OfferRefused` (``status_hint`` 488) when no audio stream
        is acceptable, SdpError for an unparsable offer (answer 400), and OSError when the port
        range has no free pair left (answer 503).
        """
        parsed = parse_sdp(offer)
        answer_offer(parsed, address=self.rtp_address, port=9, session_id=0, laws=self.laws)
        leg = await self._new_leg(inband_dtmf)
        answer, audio = answer_offer(
            parsed,
            address=self.rtp_address,
            port=self._ports[leg.leg_id],
            session_id=leg.session.ssrc,
            laws=self.laws,
        )
        leg.session.configure(audio)
        self._engine.refresh(leg)
        return leg.leg_id, answer.to_text()

    async def create_leg(self, *, inband_dtmf: bool = False) -> tuple[LegId, str]:
        """A new leg and the SDP offer to send (RFC 3264 §5); complete it with apply_answer."""
        leg = await self._new_leg(inband_dtmf)
        offer = build_offer(
            address=self.rtp_address,
            port=self._ports[leg.leg_id],
            session_id=leg.session.ssrc,
            laws=self.laws,
        )
        self._offers[leg.leg_id] = offer
        return leg.leg_id, offer.to_text()

    async def apply_answer(self, leg_id: LegId, answer: str) -> None:
        """Apply the peer's answer to our offer; raises OfferRefused if it refused the audio."""
        leg = self._leg(leg_id)
        offer = self._offers.pop(leg_id, None)
        if offer is None:
            raise ValueError(f"leg {leg_id} has no offer waiting for an answer")
        self._reconfigure(leg, apply_answer(offer, parse_sdp(answer)))

    async def update_leg(self, leg_id: LegId, offer: str) -> str:
        """Answer a re-INVITE's offer on an existing leg (hold, resume, new address)."""
        leg = self._leg(leg_id)
        version = self._versions[leg_id] = self._versions.get(leg_id, 0) + 1
        answer, audio = answer_offer(
            parse_sdp(offer),
            address=self.rtp_address,
            port=self._ports[leg_id],
            session_id=leg.session.ssrc,
            session_version=version,
            laws=self.laws,
        )
        self._reconfigure(leg, audio)
        return answer.to_text()

    def _reconfigure(self, leg: Leg, audio: NegotiatedAudio | None) -> None:
        bridge = leg.bridge
        recording = bridge.recording if bridge is not None else None
        alaw = leg.session.alaw
        if recording is not None:
            self._engine.recorder.flush(recording)  # what came under the old law
        leg.session.configure(audio)
        if recording is not None and leg.session.alaw != alaw:
            self._engine.recorder.blank(recording)
        if bridge is not None:
            self._engine.set_mode(bridge)
        self._engine.refresh(leg)
        # The peer may send from elsewhere now: learn its address again from its packets.
        self._sockets[leg.leg_id][0].unlatch()

    async def close_leg(self, leg_id: LegId) -> LegStatistics:
        """Stop everything on a leg, leave its bridge, close its sockets; returns its figures."""
        leg = self._leg(leg_id)
        self._engine.stop_player(leg, StopReason.STOPPED)
        bridge = leg.bridge
        if bridge is not None:
            if leg in (bridge.caller, bridge.agent):
                await self.unbridge(bridge.bridge_id)
            else:
                await self.remove_participant(bridge.bridge_id, leg_id)
        if leg.recording is not None:
            self._finish_leg_recording(leg)
        statistics = self._engine.statistics(leg)
        self._engine.forget(leg)
        for sock in self._sockets.pop(leg_id):
            sock.close()
        _part_from_sockets(leg)
        self._pool.give_back(self._ports.pop(leg_id))
        self._offers.pop(leg_id, None)
        self._versions.pop(leg_id, None)
        self._emit(statistics)
        return statistics

    def statistics(self, leg_id: LegId) -> LegStatistics:
        return self._engine.statistics(self._leg(leg_id))

    def _leg(self, leg_id: LegId) -> Leg:
        leg = self._engine.legs.get(leg_id)
        if leg is None:
            raise UnknownId(f"no leg {leg_id}")
        return leg

    # -- DTMF --------------------------------------------------------------------------------

    def _digits(self, leg: Leg) -> None:
        digits, leg.session.digits = leg.session.digits, []
        self._engine.digits_received(leg, digits, DtmfSource.RFC4733, time.monotonic())

    def feed_info_digit(self, leg_id: LegId, digit: str, duration_ms: int = 100) -> None:
        """A digit call control got in a SIP INFO (application/dtmf-relay): report it as ours
        (once, when the phone also sent the key as RFC 4733 events)."""
        if len(digit) != 1 or digit.upper() not in DIGITS:
            raise ValueError(f"not a DTMF digit: {digit!r}")
        pressed = DtmfDigit(digit=digit.upper(), duration_ms=duration_ms)
        leg = self._leg(leg_id)
        self._engine.digits_received(leg, [pressed], DtmfSource.INFO, time.monotonic())

    async def send_dtmf(self, leg_id: LegId, digits: str) -> None:
        """Send digits to the leg's peer as RFC 4733 events (audio pauses meanwhile).

        A peer that did not negotiate telephone-event gets the tones in-band instead, played
        like a prompt (it replaces the leg's current playback).
        """
        leg = self._leg(leg_id)
        audio = leg.session.audio
        if audio is None or audio.telephone_event is not None:
            leg.sender.send(digits)
        else:
            self._engine.stop_player(leg, StopReason.STOPPED)
            playback_id = PlaybackId(next(self._ids))
            leg.player = Player(playback_id=playback_id, clips=[dtmf_tones(digits)])
        self._engine.refresh(leg)

    # -- bridges -----------------------------------------------------------------------------

    async def bridge(self, caller: LegId, agent: LegId) -> BridgeId:
        """Join two legs; audio is relayed packet by packet (transcoded if the laws differ)."""
        first, second = self._leg(caller), self._leg(agent)
        if first is second or first.bridge is not None or second.bridge is not None:
            raise ValueError("each leg can be in one bridge, with another leg")
        bridge = Bridge(bridge_id=BridgeId(next(self._ids)), caller=first, agent=second)
        first.bridge = second.bridge = bridge
        self._engine.bridges[bridge.bridge_id] = bridge
        self._engine.set_mode(bridge)
        return bridge.bridge_id

    async def unbridge(self, bridge_id: BridgeId) -> None:
        """Separate the legs of a bridge; participants leave and its recording is completed."""
        bridge = self._bridge(bridge_id)
        if bridge.recording is not None:
            self._finish_recording(bridge)
        for participant in list(bridge.participants):
            await self.remove_participant(bridge_id, participant)
        for leg in (bridge.caller, bridge.agent):
            leg.bridge = leg.partner = None
            leg.session.relay_to = None
            self._engine.refresh(leg)
        del self._engine.bridges[bridge_id]

    async def add_participant(self, bridge_id: BridgeId, leg_id: LegId, role: Role) -> None:
        """Add a supervisor's leg: LISTEN, WHISPER (to the agent) or BARGE."""
        bridge, leg = self._bridge(bridge_id), self._leg(leg_id)
        if leg.bridge is not None:
            raise ValueError(f"leg {leg_id} is already in a bridge")
        leg.bridge = bridge
        bridge.participants[leg_id] = (leg, role)
        self._engine.set_mode(bridge)

    async def set_role(self, bridge_id: BridgeId, leg_id: LegId, role: Role) -> None:
        """Change a participant's role mid-call (listen -> whisper -> barge and back)."""
        leg = self._participant(bridge_id, leg_id)
        self._bridge(bridge_id).participants[leg_id] = (leg, role)

    async def remove_participant(self, bridge_id: BridgeId, leg_id: LegId) -> None:
        """A participant leaves; the two parties go on (back to relaying when none is left)."""
        leg = self._participant(bridge_id, leg_id)
        bridge = self._bridge(bridge_id)
        del bridge.participants[leg_id]
        leg.bridge = None
        self._engine.set_mode(bridge)
        self._engine.refresh(leg)

    def _participant(self, bridge_id: BridgeId, leg_id: LegId) -> Leg:
        found = self._bridge(bridge_id).participants.get(leg_id)
        if found is None:
            raise UnknownId(f"leg {leg_id} is no participant of bridge {bridge_id}")
        return found[0]

    def _bridge(self, bridge_id: BridgeId) -> Bridge:
        bridge = self._engine.bridges.get(bridge_id)
        if bridge is None:
            raise UnknownId(f"no bridge {bridge_id}")
        return bridge

    # -- players -----------------------------------------------------------------------------

    async def play(
        self,
        leg_id: LegId,
        items: Sequence[str | Path],
        *,
        language: Language = "en",
        loop: bool = False,
        interrupt_digits: str = "",
    ) -> PlaybackId:
        """Play prompts (names in the prompt set, or WAV paths) in order to one leg.

        What the leg heard before (its bridge partner) is replaced until the playback ends. A
        digit in ``interrupt_digits`` stops it; PlaybackFinished reports how it ended. Build
        ``items`` with say_number, say_digits and say_duration.
        """
        leg = self._leg(leg_id)
        clips = [self.prompts.clip(item, language) for item in items]
        self._engine.stop_player(leg, StopReason.STOPPED)
        playback_id = PlaybackId(next(self._ids))
        leg.player = Player(
            playback_id=playback_id, clips=clips, loop=loop, interrupt_digits=interrupt_digits
        )
        self._engine.refresh(leg)
        return playback_id

    async def play_moh(self, leg_id: LegId, path: Path | None = None) -> PlaybackId:
        """Loop music on hold (the shipped one, or a queue's own file) until stopped."""
        source = path or self.prompts.root / "moh.wav"
        return await self.play(leg_id, [source], loop=True)

    async def stop_playback(self, leg_id: LegId) -> None:
        self._engine.stop_player(self._leg(leg_id), StopReason.STOPPED)

    # -- recording ---------------------------------------------------------------------------

    def _recording_path(self, path: Path) -> Path:
        if not path.is_absolute() and self.recordings_dir is not None:
            path = self.recordings_dir / path
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    async def record(self, bridge_id: BridgeId, path: Path) -> RecordingId:
        """Record a bridge to a stereo WAV, caller left and agent right, streamed to disk.

        A relative ``path`` is taken under ``recordings_dir``.
        """
        bridge = self._bridge(bridge_id)
        if bridge.recording is not None:
            raise ValueError(f"bridge {bridge_id} is already recorded")
        path = self._recording_path(path)
        recording_id = RecordingId(next(self._ids))
        bridge.recording = Recording(recording_id=recording_id, writer=WavWriter(path))
        self._recordings[recording_id] = bridge
        self._engine.recorder.attach(bridge.recording, bridge.caller.session, bridge.agent.session)
        return recording_id

    async def record_leg(self, leg_id: LegId, path: Path) -> RecordingId:
        """Record what one leg receives from its peer to a mono 8 kHz WAV (what a phone
        hears), bridged or not; stop it with stop_recording, or it ends with the leg."""
        leg = self._leg(leg_id)
        if leg.recording is not None:
            raise ValueError(f"leg {leg_id} is already recorded")
        recording_id = RecordingId(next(self._ids))
        writer = WavWriter(self._recording_path(path), channels=1)
        leg.recording = Recording(recording_id=recording_id, writer=writer)
        self._leg_recordings[recording_id] = leg
        self._engine.refresh(leg)
        return recording_id

    async def pause_recording(self, recording_id: RecordingId) -> None:
        self._engine.recorder.set_paused(self._recording(recording_id), True)

    async def resume_recording(self, recording_id: RecordingId) -> None:
        self._engine.recorder.set_paused(self._recording(recording_id), False)

    async def stop_recording(self, recording_id: RecordingId) -> Path:
        """Complete the file's header and return its path."""
        self._recording(recording_id)
        leg = self._leg_recordings.get(recording_id)
        if leg is not None:
            return self._finish_leg_recording(leg)
        return self._finish_recording(self._recordings[recording_id])

    def _recording(self, recording_id: RecordingId) -> Recording:
        leg = self._leg_recordings.get(recording_id)
        if leg is not None and leg.recording is not None:
            return leg.recording
        bridge = self._recordings.get(recording_id)
        if bridge is None or bridge.recording is None:
            raise UnknownId(f"no recording {recording_id}")
        return bridge.recording

    def _finish_recording(self, bridge: Bridge) -> Path:
        recording = bridge.recording
        assert recording is not None
        self._engine.recorder.detach(recording)
        bridge.recording = None
        del self._recordings[RecordingId(recording.recording_id)]
        recording.writer.close()
        return self._finished(recording)

    def _finish_leg_recording(self, leg: Leg) -> Path:
        recording = leg.recording
        assert recording is not None
        leg.recording = None
        del self._leg_recordings[RecordingId(recording.recording_id)]
        recording.writer.close()
        self._engine.refresh(leg)
        return self._finished(recording)

    def _finished(self, recording: Recording) -> Path:
        self._emit(
            RecordingFinished(
                recording_id=RecordingId(recording.recording_id),
                path=recording.path,
                seconds=recording.seconds,
            )
        )
        return recording.path


def _part_from_sockets(leg: Leg) -> None:
    """A leg and its sockets hold each other (they feed its session, it sends through them):
    a cycle that only a full garbage collection frees, and the media process runs those
    rarely while closing dozens of legs a second. Once the sockets are closed the leg lets go
    of them, and reference counting frees both."""
    leg.transport = leg.rtcp_transport = None
    leg.session.output = None
    leg.session.on_digits = None
