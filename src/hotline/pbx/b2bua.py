"""``B2bua``: Hotline's call core, a B2BUA between the SIP endpoint and the media service
(RFC 7092 §3.1: a signalling and media relaying B2BUA).

It owns the SIP handlers for calls: a new INVITE is admitted (digest 407 or trunk), routed by
the dialplan and becomes a :class:`~hotline.pbx.calls.Call`, handed to the feature registered
for its kind of destination; in-dialog requests, ACKs, CANCELs and late 2xx retransmissions
reach the leg of their dialog. Media events reach the call of their leg: RTP timeout and a lost
media process tear the call down, bridged parties hear each other's digits, and the rest is
announced as the call's moments (``hotline.pbx.moments``). It knows no feature.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from hotline.config import Config
from hotline.events import CallAnswered, CallEnded, CallHoldChanged, CallStarted, EventBus
from hotline.media import (
    DtmfReceived,
    LegId,
    MediaEvent,
    MediaLost,
    MediaService,
    PlaybackFinished,
    RtpTimeout,
    UnknownId,
)
from hotline.pbx.admission import Admission, Refused
from hotline.pbx.calls import Call
from hotline.pbx.capacity import CallCapacity
from hotline.pbx.clock import Clock
from hotline.pbx.legs import InboundLeg, OutboundLeg, SipContext, ask_to_retry, ignore_signal
from hotline.pbx.moments import (
    BranchAnswered,
    BranchFailed,
    Bridged,
    Ended,
    KeyPressed,
    Moments,
    PromptFinished,
    Released,
    Routed,
)
from hotline.pbx.routing import DestinationKind, Dialplan
from hotline.pbx.sip_ports import SipServer
from hotline.sip.address import Peer
from hotline.sip.auth import DigestAuthenticator
from hotline.sip.dialog import DialogId, dialog_target
from hotline.sip.guard import AuthGuard
from hotline.sip.location import Binding, LocationService
from hotline.sip.message import Request, Response, make_response, new_tag
from hotline.sip.transaction_layer import TransactionId

__all__ = ["B2bua", "RouteHandler"]

log = logging.getLogger("hotline.pbx")

# Calls refused for load are logged at most this often (a flood would flood the log too).
_OVERLOAD_LOG_SECONDS = 10.0

# What a feature does with a call routed to its kind of destination.
RouteHandler = Callable[[Call], Coroutine[Any, Any, None]]


class B2bua:
    """The call core of one Hotline node; ``install`` hooks it into the SIP endpoint."""

    def __init__(
        self,
        config: Config,
        endpoint: SipServer,
        media: MediaService,
        location: LocationService,
        authenticator: DigestAuthenticator,
        guard: AuthGuard,
        *,
        bus: EventBus,
        clock: Clock,
        dialplan: Dialplan | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.sip = SipContext(endpoint, config.server.domain, clock)
        self.media = media
        self.location = location
        self.bus = bus
        self.clock = clock
        # Short call ids (c1, c2 ...) restart with the process; records need ids unique across
        # restarts, so published events carry them behind this run's prefix (see record_id).
        self.run_id = _base36(int(clock.wall() * 1000))
        self.dialplan = dialplan or Dialplan()
        self.admission = Admission(config, self.dialplan, authenticator, guard)
        limits = config.limits
        self.capacity = CallCapacity(limits.max_calls, limits.max_calls_per_second)
        self._overload_logged = (float("-inf"), 0)  # when, and the refusals counted then
        self.calls: dict[str, Call] = {}
        self.by_media: dict[LegId, Call] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.moments = Moments()
        self._routes: dict[DestinationKind, RouteHandler] = {}

    def on_route(self, kind: DestinationKind, handler: RouteHandler) -> None:
        """Calls routed to ``kind`` go to ``handler`` (one feature serves each kind)."""
        self._routes[kind] = handler

    def install(self) -> None:
        endpoint = self.endpoint
        endpoint.add_handler("INVITE", self._invite)
        endpoint.add_handler("BYE", self._in_dialog)
        endpoint.add_handler("INFO", self._in_dialog)
        endpoint.on_ack = self._ack
        endpoint.on_cancel = self._cancel
        endpoint.on_stray_response = self._stray_response
        self.media.subscribe(self._media_event)

    async def close(self) -> None:
        """Hang up every call (BYE or CANCEL) and free their media."""
        for call in list(self.calls.values()):
            call.end("shutdown", status=503)
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=2.0)
        for leg in list(self.by_media):
            await self._close_leg(None, leg)

    def record_id(self, call_id: str) -> str:
        """The id under which the call is recorded: unique across restarts of Hotline."""
        return f"{self.run_id}-{call_id}"

    def contacts(self, number: str) -> list[Binding]:
        return self.location.contacts_for(number, self.clock.wall())

    def start_call(self, call: Call) -> None:
        """Carry ``call`` (an INVITE's, or one Hotline places) to its destination."""
        self.calls[call.id] = call
        destination = call.destination
        log.info("call %s: %s -> %s (%s)", call.id, call.caller, destination.number,
                 destination.kind.name)  # fmt: skip
        log.debug("call %s is recorded as %s", call.id, self.record_id(call.id))
        self.bus.publish(
            CallStarted(
                call_id=self.record_id(call.id),
                caller=call.caller,
                destination=destination.number,
                trunk=call.trunk,
                at=self.clock.wall(),
            )
        )
        self.moments.announce(Routed(call=call, destination=destination))
        route = self._routes.get(destination.kind)
        if route is None:
            call.end("unknown_number", status=404)
        else:
            call.spawn(route(call))

    # -- SIP in ------------------------------------------------------------------------------

    def _invite(self, request: Request, source: Peer) -> Response | None:
        if request.to_address.tag is not None:
            return self._in_dialog(request, source)
        decision = self.admission.admit(request, source.host, self.clock.wall())
        if isinstance(decision, Refused):
            log.info("INVITE %s from %s refused %d: %s", request.uri, source.host,
                     decision.status, decision.reason)  # fmt: skip
            response = make_response(request, decision.status, to_tag=new_tag())
            for challenge in decision.challenge:
                response.headers.add("Proxy-Authenticate", challenge)
            return response
        refused = _malformed(request)
        if refused is not None:
            return refused
        if not decision.destination.kind.service:  # agents may always log in and out
            overload = self.capacity.admit(len(self.calls), self.clock.now())
            if overload is not None:
                self._refused_for_load(overload)
                response = make_response(request, 503, to_tag=new_tag())
                ask_to_retry(response)
                return response
        leg = InboundLeg(self.sip, request, source, ignore_signal)  # the call listens once made
        call = Call(
            self,
            leg,
            decision.destination,
            caller=decision.caller,
            extension=decision.extension,
            trunk=decision.trunk,
        )
        leg.on_signal = call.on_signal
        self.start_call(call)
        return None

    def _refused_for_load(self, overload: str) -> None:
        now, refused = self.clock.now(), self.capacity.refused
        last, counted = self._overload_logged
        if now - last >= _OVERLOAD_LOG_SECONDS:
            self._overload_logged = (now, refused)
            log.warning(
                "new calls refused (503): %s; %d refused since the last report", overload,
                refused - counted,
            )  # fmt: skip

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

    # -- what calls tell their core (CallCore) ---------------------------------------------

    def spawn(self, call: Call, coroutine: Coroutine[Any, Any, None]) -> None:
        # The loop keeps only weak references to tasks: the node's set holds them until done.
        task = asyncio.get_running_loop().create_task(_guard(call, coroutine))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def attach(self, call: Call, leg: LegId) -> None:
        self.by_media[leg] = call

    def answered(self, call: Call, by: str) -> None:
        self.bus.publish(
            CallAnswered(call_id=self.record_id(call.id), answered_by=by, at=self.clock.wall())
        )

    def branch_answered(self, call: Call, leg: OutboundLeg) -> bool:
        return self.moments.accepted(BranchAnswered(call=call, leg=leg))

    def branch_failed(self, call: Call, leg: OutboundLeg, status: int) -> None:
        self.moments.announce(BranchFailed(call=call, leg=leg, status=status))

    def bridged(self, call: Call, leg: OutboundLeg) -> None:
        self.moments.announce(Bridged(call=call, leg=leg))

    def hold_changed(self, call: Call, on_hold: bool) -> None:
        at = self.clock.wall()
        self.bus.publish(CallHoldChanged(call_id=self.record_id(call.id), on_hold=on_hold, at=at))

    def ended(self, call: Call, cause: str, *, by_peer: bool) -> None:
        self.calls.pop(call.id, None)
        log.info("call %s ended: %s", call.id, cause)
        # Features first (how a caller left a queue is published before the end, which closes
        # the call's record), then the record, then the parties are free again.
        self.moments.announce(Ended(call=call, cause=cause, by_peer=by_peer))
        at = self.clock.wall()
        self.bus.publish(CallEnded(call_id=self.record_id(call.id), cause=cause, at=at))
        self.moments.announce(Released(call=call))

    async def close_media(self, call: Call | None, legs: list[LegId]) -> None:
        for leg in legs:
            await self._close_leg(call, leg)

    async def _close_leg(self, call: Call | None, leg: LegId) -> None:
        self.by_media.pop(leg, None)
        try:
            stats = await self.media.close_leg(leg)
        except UnknownId:
            return
        log.info("call %s: media leg %d received %d packets, sent %d", call.id if call else "-",
                 leg, stats.packets_received, stats.packets_sent)  # fmt: skip

    # -- media in ------------------------------------------------------------------------------

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
            elif event.leg_id == call.caller_media:
                self._playback_finished(call, event)

    def _digit(self, call: Call, event: DtmfReceived) -> None:
        log.info("call %s: DTMF %s (%s)", call.id, event.digit, event.source.value)
        if call.bridge is not None and call.peer is not None:
            # Bridged parties hear each other's keys (an IVR or voicemail behind the far
            # phone, a PIN): however a digit came in (RFC 4733, INFO, in-band), it goes out as
            # an RFC 4733 event, or as tones to a phone that negotiated none.
            caller, peer = call.caller_media, call.peer.media
            other = peer if event.leg_id == caller else caller if event.leg_id == peer else None
            if other is not None:
                call.spawn(self.media.send_dtmf(other, event.digit))
        self.moments.announce(KeyPressed(call=call, leg=event.leg_id, digit=event.digit))

    def _playback_finished(self, call: Call, event: PlaybackFinished) -> None:
        if call.hang_up_after_playback:
            call.end("normal")
        else:
            self.moments.announce(PromptFinished(call=call, event=event))


async def _guard(call: Call, coroutine: Coroutine[Any, Any, None]) -> None:
    try:
        await coroutine
    except (UnknownId, ValueError, OSError) as error:
        # A leg closed under our feet (the call ended meanwhile), no port was free or the
        # media process is being replaced: the last two pass, hence 503 (try again).
        if not call.ended:
            log.warning("call %s: media step failed: %s", call.id, error)
            call.end("media_failure", status=503 if isinstance(error, OSError) else 500)
    except Exception:  # our bug: say so, and never leave the legs half open
        log.exception("call %s: call control failed", call.id)
        call.end("internal_error", status=500)


def _malformed(request: Request) -> Response | None:
    """Why an admitted INVITE cannot start a call, as the response to send (the endpoint has
    refused unknown extensions and body types already, hotline.sip.uas)."""
    if not request.body:
        return make_response(request, 488, "Offer Required", to_tag=new_tag())
    if dialog_target(request) is None:
        # §8.1.1.8: an INVITE says where to reach its sender within the dialog; an RFC 2543
        # caller without Contact is reached at its From address (RFC 4475 §3.4.1).
        reason = "Contact Must Be A SIP URI" if request.contacts else "Missing Contact"
        return make_response(request, 400, reason, to_tag=new_tag())
    return None


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while number:
        number, digit = divmod(number, 36)
        text = digits[digit] + text
    return text or "0"
