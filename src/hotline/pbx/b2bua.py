"""``Pbx``: Hotline's call control, a B2BUA between the SIP endpoint, the media server and the
ACD engine (RFC 7092 §3.1: a signalling and media relaying B2BUA).

It owns the SIP handlers for calls: a new INVITE is admitted (digest 407 or trunk), routed by
the dialplan and becomes a :class:`~hotline.pbx.calls.Call`; in-dialog requests, ACKs, CANCELs
and late 2xx retransmissions reach the leg of their dialog. Media events reach the call of
their leg: RTP timeout tears the call down, DTMF is echoed on the echo test, the end of a
prompt resumes music on hold or hangs up after a feature code.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from hotline.config import Config
from hotline.events import CallAnswered, CallEnded, CallStarted, EventBus
from hotline.media import (
    DtmfReceived,
    Language,
    LegId,
    MediaEvent,
    MediaLost,
    MediaService,
    PlaybackFinished,
    RtpTimeout,
    UnknownId,
)
from hotline.pbx.admission import Admission, Refused
from hotline.pbx.agent_control import AgentControl
from hotline.pbx.calls import Call, CallState
from hotline.pbx.capacity import CallCapacity
from hotline.pbx.features import FeatureCodes
from hotline.pbx.legs import InboundLeg, OutboundLeg, SipContext, ask_to_retry
from hotline.pbx.presence import Presence
from hotline.pbx.queue_calls import QueueService
from hotline.pbx.routing import Dialplan, Kind
from hotline.sip.address import Peer
from hotline.sip.aio.endpoint import SipEndpoint
from hotline.sip.auth import DigestAuthenticator
from hotline.sip.dialog import DialogId
from hotline.sip.location import Binding, LocationService
from hotline.sip.message import Request, Response, make_response, new_tag
from hotline.sip.security import AuthFailureLimiter
from hotline.sip.transaction_layer import TransactionId

__all__ = ["Pbx"]

log = logging.getLogger("hotline.pbx")

# Calls refused for load are logged at most this often (a flood would flood the log too).
_OVERLOAD_LOG_SECONDS = 10.0


class Pbx:
    """Call control for one Hotline node; ``install`` hooks it into the SIP endpoint."""

    def __init__(
        self,
        config: Config,
        endpoint: SipEndpoint,
        media: MediaService,
        location: LocationService,
        authenticator: DigestAuthenticator,
        limiter: AuthFailureLimiter,
        *,
        bus: EventBus | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.sip = SipContext(endpoint, config.server.domain)
        self.media = media
        self.location = location
        self.bus = bus or EventBus()
        self.wall = wall_clock
        # Short call ids (c1, c2 ...) restart with the process; records need ids unique across
        # restarts, so published events carry them behind this run's prefix (see record_id).
        self.run_id = _base36(int(wall_clock() * 1000))
        self.dialplan = Dialplan(config)
        self.admission = Admission(config, self.dialplan, authenticator, limiter)
        limits = config.limits
        self.capacity = CallCapacity(limits.max_calls, limits.max_calls_per_second)
        self._overload_logged = (float("-inf"), 0)  # when, and the refusals counted then
        self.calls: dict[str, Call] = {}
        self.by_media: dict[LegId, Call] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.queues = QueueService(self)
        agents = {e.number for e in config.extensions if e.agent}
        # How long a call to each extension rings before the caller hears 480.
        self.extension_ring_seconds = {e.number: e.ring_timeout for e in config.extensions}
        self.presence = Presence(agents, self.queues.feed)
        self.agents = AgentControl(
            config,
            self.queues.engine,
            self.queues.feed,
            self.bus.publish,
            now=self.queues.now,
            wall=wall_clock,
        )
        self.features = FeatureCodes(self.agents)

    def install(self) -> None:
        endpoint = self.sip.endpoint
        endpoint.add_handler("INVITE", self._invite)
        endpoint.add_handler("BYE", self._in_dialog)
        endpoint.add_handler("INFO", self._in_dialog)
        endpoint.on_ack = self._ack
        endpoint.on_cancel = self._cancel
        endpoint.on_stray_response = self._stray_response
        self.media.subscribe(self._media_event)

    def start(self) -> None:
        self.queues.start()

    async def close(self) -> None:
        """Hang up every call (BYE or CANCEL) and free their media."""
        for call in list(self.calls.values()):
            call.end("shutdown", status=503)
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=2.0)
        for leg in list(self.by_media):
            await self._close_leg(None, leg)
        self.queues.close()

    def record_id(self, call_id: str) -> str:
        """The id under which the call is recorded: unique across restarts of Hotline."""
        return f"{self.run_id}-{call_id}"

    def contacts(self, number: str) -> list[Binding]:
        return self.location.contacts_for(number, self.wall())

    # -- SIP in ------------------------------------------------------------------------------

    def _invite(self, request: Request, source: Peer) -> Response | None:
        if request.to_address.tag is not None:
            return self._in_dialog(request, source)
        decision = self.admission.admit(request, source.host, self.wall())
        if isinstance(decision, Refused):
            log.info(
                "INVITE %s from %s refused %d: %s",
                request.uri,
                source.host,
                decision.status,
                decision.reason,
            )
            response = make_response(request, decision.status, to_tag=new_tag())
            for challenge in decision.challenge:
                response.headers.add("Proxy-Authenticate", challenge)
            return response
        if request.content_type != "application/sdp" or not request.body:
            return make_response(request, 488, "Offer Required", to_tag=new_tag())
        if not request.contacts:
            # §8.1.1.8: an INVITE must say where to reach its sender within the dialog.
            return make_response(request, 400, "Missing Contact", to_tag=new_tag())
        required = _required_extensions(request)
        if required:
            # §8.2.2.3: we support no extension (session timers stay off), so say which.
            response = make_response(request, 420, to_tag=new_tag())
            response.headers.set("Unsupported", ", ".join(required))
            return response
        if decision.destination.kind is not Kind.FEATURE:  # agents may always log in and out
            overload = self.capacity.admit(len(self.calls), time.monotonic())
            if overload is not None:
                self._refused_for_load(overload)
                response = make_response(request, 503, to_tag=new_tag())
                ask_to_retry(response)
                return response
        leg = InboundLeg(self.sip, request, source, _nothing)
        call = Call(
            self,
            leg,
            decision.destination,
            caller=decision.caller,
            extension=decision.extension,
            trunk=decision.trunk,
        )
        leg.on_signal = call.on_signal
        self.calls[call.id] = call
        log.info(
            "call %s: %s -> %s (%s)",
            call.id,
            call.caller,
            decision.destination.number,
            decision.destination.kind.value,
        )
        log.debug("call %s is recorded as %s", call.id, self.record_id(call.id))
        self.bus.publish(
            CallStarted(
                call_id=self.record_id(call.id),
                caller=call.caller,
                destination=decision.destination.number,
                trunk=decision.trunk,
                at=self.wall(),
            )
        )
        call.spawn(self._route(call))
        return None

    def _refused_for_load(self, overload: str) -> None:
        now, refused = time.monotonic(), self.capacity.refused
        last, counted = self._overload_logged
        if now - last >= _OVERLOAD_LOG_SECONDS:
            self._overload_logged = (now, refused)
            log.warning(
                "new calls refused (503): %s; %d refused since the last report", overload,
                refused - counted,
            )  # fmt: skip

    async def _route(self, call: Call) -> None:
        if call.ended:  # cancelled before routing began: presence would count it for ever
            return
        destination = call.destination
        if call.extension is not None and destination.kind is not Kind.FEATURE:
            self.presence.busy(call.id, call.extension)
        if destination.kind is Kind.EXTENSION:
            await call.call_extension(destination.number)
        elif destination.kind is Kind.QUEUE:
            if await call.answer() and not call.ended:
                self.queues.join(call, destination.number)
        elif destination.kind is Kind.ECHO_TEST:
            await self._echo(call)
        elif destination.kind is Kind.FEATURE:
            await self._feature(call)
        else:
            call.end("unknown_number", status=404)

    def _in_dialog(self, request: Request, source: Peer) -> Response | None:
        dialog_id = DialogId.of_incoming_request(request)
        leg = self.sip.dialogs.get(dialog_id) if dialog_id is not None else None
        if leg is None:
            return make_response(request, 481)
        return leg.receive(request)

    def _ack(self, request: Request, source: Peer) -> None:
        dialog_id = DialogId.of_incoming_request(request)
        leg = self.sip.dialogs.get(dialog_id) if dialog_id is not None else None
        if leg is not None:
            leg.acknowledge(request)

    def _cancel(self, request: Request, invite: TransactionId) -> None:
        leg = self.sip.pending.get((request.call_id, request.from_address.tag or ""))
        if leg is not None:
            leg.cancelled()

    def _stray_response(self, response: Response) -> None:
        dialog_id = DialogId.of_response(response)
        leg = self.sip.dialogs.get(dialog_id) if dialog_id is not None else None
        if isinstance(leg, OutboundLeg) and 200 <= response.status < 300:
            leg.resend_ack(response)

    # -- Hotline answers ---------------------------------------------------------------------

    async def _echo(self, call: Call) -> None:
        """The echo test. The media server has no echo of its own, so the caller's leg is
        bridged with a leg whose RTP goes to its own port: what the caller sends comes back
        through the bridge, rewritten as our stream. DTMF is sent back as RFC 4733 events."""
        if not await call.answer():
            return
        loop_leg, offer = await self.media.create_leg()
        self.by_media[loop_leg] = call
        call.echo_leg = loop_leg
        if call.ended or call.inbound.media is None:
            await self._close_leg(call, loop_leg)
            return
        await self.media.apply_answer(loop_leg, offer)
        call.bridge = await self.media.bridge(call.inbound.media, loop_leg)
        call.state = CallState.BRIDGED
        log.info("call %s: echo test", call.id)

    async def _feature(self, call: Call) -> None:
        if not self.features.is_agent(call.extension):
            call.end("forbidden", status=403)
            return
        assert call.extension is not None
        if not await call.answer():
            return
        prompt, _ = self.features.apply(call.extension, call.destination)
        assert call.inbound.media is not None
        call.hang_up_after_playback = True
        await self.media.play(call.inbound.media, [prompt])

    def failover(self, call: Call, destination: str | None, language: Language = "en") -> None:
        """Where a caller goes after the queue's maximum wait: another queue, an extension,
        or a goodbye prompt and hang-up."""
        target = self.dialplan.route(destination) if destination else None
        if target is not None and target.kind is Kind.QUEUE:
            self.queues.join(call, target.number)
        elif target is not None and target.kind is Kind.EXTENSION:
            call.spawn(call.call_extension(target.number, answered=True))
        elif call.inbound.media is not None:
            call.hang_up_after_playback = True
            media = call.inbound.media

            async def goodbye() -> None:
                await self.media.play(media, ["all_busy"], language=language)

            call.spawn(goodbye())
        else:
            call.end("failover_hangup")

    # -- bookkeeping -------------------------------------------------------------------------

    def call_answered(self, call: Call, by: str) -> None:
        self.bus.publish(
            CallAnswered(call_id=self.record_id(call.id), answered_by=by, at=self.wall())
        )

    def call_ended(self, call: Call, cause: str, previous: CallState, *, by_agent: bool) -> None:
        self.calls.pop(call.id, None)
        log.info("call %s ended: %s", call.id, cause)
        # The queue first: how the caller left the line (its queue event) is published before
        # the end, which closes the call's record.
        self.queues.call_ended(call, cause, by_agent=by_agent)
        self.bus.publish(CallEnded(call_id=self.record_id(call.id), cause=cause, at=self.wall()))
        self.presence.call_ended(call.id)

    async def close_media(self, call: Call | None, legs: list[LegId]) -> None:
        for leg in legs:
            await self._close_leg(call, leg)

    async def _close_leg(self, call: Call | None, leg: LegId) -> None:
        self.by_media.pop(leg, None)
        try:
            stats = await self.media.close_leg(leg)
        except UnknownId:
            return
        log.info(
            "call %s: media leg %d received %d packets, sent %d",
            call.id if call else "-",
            leg,
            stats.packets_received,
            stats.packets_sent,
        )

    def _media_event(self, event: MediaEvent) -> None:
        if isinstance(event, (RtpTimeout, MediaLost, DtmfReceived, PlaybackFinished)):
            call = self.by_media.get(event.leg_id)
            if call is None or call.ended:
                return
            if isinstance(event, RtpTimeout):
                log.info("call %s: no RTP for %.0f s", call.id, event.silent_for)
                call.end("rtp_timeout")
            elif isinstance(event, MediaLost):
                # The media process died: nobody can hear anything on this call any more.
                log.warning("call %s: media lost", call.id)
                call.end("media_lost", status=503)
            elif isinstance(event, DtmfReceived):
                self._digit(call, event)
            elif event.leg_id == call.inbound.media:
                self._playback_finished(call, event)

    def _digit(self, call: Call, event: DtmfReceived) -> None:
        log.info("call %s: DTMF %s (%s)", call.id, event.digit, event.source.value)
        if call.echo_leg is not None and event.leg_id == call.inbound.media:
            call.spawn(self.media.send_dtmf(event.leg_id, event.digit))
        elif call.bridge is not None and call.peer is not None:
            # Bridged parties hear each other's keys (an IVR or voicemail behind the far
            # phone, a PIN): however a digit came in (RFC 4733, INFO, in-band), it goes out as
            # an RFC 4733 event, or as tones to a phone that negotiated none.
            inbound, peer = call.inbound.media, call.peer.media
            other = peer if event.leg_id == inbound else inbound if event.leg_id == peer else None
            if other is not None:
                call.spawn(self.media.send_dtmf(other, event.digit))

    def _playback_finished(self, call: Call, event: PlaybackFinished) -> None:
        if call.hang_up_after_playback:
            call.end("normal")
        else:
            self.queues.playback_finished(call, event)


def _required_extensions(request: Request) -> list[str]:
    values = request.headers.get_all("Require")
    return [option.strip() for value in values for option in value.split(",") if option.strip()]


def _nothing(signal: object) -> None:
    """Placeholder until the leg's call exists."""


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while number:
        number, digit = divmod(number, 36)
        text = digits[digit] + text
    return text or "0"
