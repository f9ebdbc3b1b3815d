"""The SIP side of a B2BUA call: one inbound leg (we are its UAS) and outbound legs (we are
their UAC), each with its own dialog (RFC 3261 §12, RFC 7092 §3.1).

Legs turn SIP into call-control signals (``hotline.pbx.signals``) for their call and carry out
its decisions: answer, reject, hang up (BYE or CANCEL), answer a re-offer. They keep the rules
that are pure SIP: a 2xx is ACKed whatever the call thinks of it (§13.2.2.4), a 2xx we sent is
retransmitted until its ACK (§13.3.1.4), a CANCEL waits for a provisional response (§9.1).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import Enum

from hotline.media import LegId
from hotline.pbx.clock import Clock, Timer
from hotline.pbx.signals import Answered, DigitReceived, HungUp, Reoffered, Ringing
from hotline.pbx.sip_ports import SipSender
from hotline.sip.address import Peer, reach
from hotline.sip.dialog import AckTimedOut, Dialog, DialogId, SuccessRetransmitter, dialog_target
from hotline.sip.headers import CSeq, Headers, Via
from hotline.sip.message import Request, Response, make_response, new_call_id, new_tag
from hotline.sip.transaction import cancel_for
from hotline.sip.transaction_layer import response_destination
from hotline.sip.uri import NameAddress, SipUri

__all__ = [
    "InboundLeg",
    "Leg",
    "LegState",
    "OutboundLeg",
    "Signal",
    "SipContext",
    "ask_to_retry",
    "ignore_signal",
    "is_hold",
]

log = logging.getLogger(__name__)

SDP = "application/sdp"
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO"
# The Retry-After of a 503: a media process restarts within a second or two.
RETRY_AFTER_SECONDS = 5


def ask_to_retry(response: Response) -> None:
    """Every 503 of ours is passing (no media port free, the media process restarting, a stop,
    too many calls): phones and trunks are asked to wait rather than retry at once (§21.5.4)."""
    response.headers.set("Retry-After", str(RETRY_AFTER_SECONDS))


class LegState(Enum):
    CALLING = "calling"  # INVITE sent or received, nothing final yet
    EARLY = "early"  # provisional response sent or received
    CANCELLING = "cancelling"  # we gave up before a final response
    CONFIRMED = "confirmed"  # 2xx sent or received
    ENDED = "ended"


def ignore_signal(signal: Signal) -> None:
    """The signal handler of a leg no call listens to: before its call exists, or after the
    call has ended (so the leg no longer holds the call)."""


def is_hold(sdp: str) -> bool:
    """An offer that puts us on hold: sendonly, inactive, or the RFC 2543 null address
    (RFC 3264 §8.4)."""
    return any(m in sdp for m in ("a=sendonly", "a=inactive", "c=IN IP4 0.0.0.0"))


class SipContext:
    """What every leg needs: the endpoint, our address, the clock, and the dialogs by id."""

    def __init__(self, endpoint: SipSender, domain: str, clock: Clock) -> None:
        self.endpoint = endpoint
        self.domain = domain
        self.clock = clock
        self.dialogs: dict[DialogId, Leg] = {}
        self.pending: dict[tuple[str, str], InboundLeg] = {}  # (Call-ID, From tag) for CANCEL
        # RFC 3261 T1: 2xx retransmissions start here and give up at 64*T1; an ended dialog
        # stays known that long too, to ACK late 2xx retransmissions again.
        self.t1 = endpoint.timers.t1

    @property
    def hostport(self) -> str:
        host = self.endpoint.transport.host
        return f"[{host}]:{self.endpoint.port}" if ":" in host else f"{host}:{self.endpoint.port}"

    def via(self, peer: Peer) -> Via:
        return Via.parse(f"SIP/2.0/{peer.transport} {self.hostport};rport")

    def contact(self, peer: Peer) -> NameAddress:
        """Our Contact in a dialog with ``peer``: over TCP it says so, or the phone would send
        its ACK and BYE over UDP, which a TCP-only phone cannot (RFC 3261 §19.1.1)."""
        transport = ";transport=tcp" if peer.transport == "TCP" else ""
        return NameAddress.parse(f"<sip:hotline@{self.hostport}{transport}>")

    def register(self, dialog: Dialog, leg: Leg) -> None:
        self.dialogs[dialog.id] = leg

    def forget_later(self, dialog: Dialog | None) -> None:
        if dialog is not None:
            dialog_id = dialog.id
            self.clock.call_later(64 * self.t1, lambda: self.dialogs.pop(dialog_id, None))


class Leg:
    """What both kinds of leg share: the dialog, in-dialog requests, 2xx retransmission."""

    def __init__(self, ctx: SipContext, destination: Peer, on_signal: SignalHandler) -> None:
        self.ctx = ctx
        self.destination = destination
        self.on_signal = on_signal
        self.state = LegState.CALLING
        self.dialog: Dialog | None = None
        self.media: LegId | None = None
        self._retransmitter: SuccessRetransmitter | None = None
        self._timer: Timer | None = None
        self._reinvite: Request | None = None
        # Whether the party holds the call (its last offer was a hold): a re-offer that keeps
        # this as it is (a session-timer refresh, RFC 4028) neither holds nor resumes.
        self.holding = False

    @property
    def ended(self) -> bool:
        return self.state is LegState.ENDED

    def bye(self) -> None:
        """End a confirmed dialog with BYE (§15.1.1)."""
        if self.dialog is None or self.state is not LegState.CONFIRMED:
            return
        request = self.dialog.create_request("BYE", via=self.ctx.via(self.destination))
        self.ctx.endpoint.send_request(request, self.destination, _ignore)
        self._finish()

    def _finish(self) -> None:
        self.state = LegState.ENDED
        if self._timer is not None:
            self._timer.cancel()
        if self.dialog is not None:
            self.dialog.terminate()
        self.ctx.forget_later(self.dialog)

    # -- requests received in the dialog --------------------------------------------------

    def receive(self, request: Request) -> Response | None:
        """An in-dialog request (BYE, INFO, re-INVITE): the response, or None for a
        re-INVITE answered later through ``answer_reoffer``."""
        assert self.dialog is not None
        refused = self.dialog.receive_request(request)
        if refused is not None:
            return refused
        if request.method == "BYE":
            ended = self.state is not LegState.ENDED
            self._finish()
            if ended:
                self.on_signal(HungUp(leg=self))
            return make_response(request, 200)
        if request.method == "INFO":
            return self._info(request)
        if request.method == "INVITE":
            return self._reoffer(request)
        return make_response(request, 405)

    def _info(self, request: Request) -> Response:
        digit, duration = _info_digit(request)
        if digit is not None:
            self.on_signal(DigitReceived(leg=self, digit=digit, duration_ms=duration))
        return make_response(request, 200)

    def _reoffer(self, request: Request) -> Response | None:
        if self.state is not LegState.CONFIRMED or self._reinvite is not None:
            return make_response(request, 491)  # §14.2: one offer at a time
        if request.content_type != SDP or not request.body:
            return make_response(request, 488, "Offer Required")
        self._reinvite = request
        sdp = request.body.decode("utf-8", "replace")
        self.on_signal(Reoffered(leg=self, sdp=sdp, on_hold=is_hold(sdp)))
        return None

    def answer_reoffer(self, sdp: str | None) -> None:
        """Answer the pending re-INVITE with our SDP, or 488 when ``sdp`` is None."""
        request, self._reinvite = self._reinvite, None
        if request is None:
            return
        if sdp is None:
            self.ctx.endpoint.respond(make_response(request, 488))
            return
        response = make_response(request, 200)
        _add_body(response, sdp, self.ctx.contact(self.destination))
        self.ctx.endpoint.respond(response)
        self._retransmit(response, response_destination(request.top_via, self.destination))

    def acknowledge(self, ack: Request) -> None:
        if self._retransmitter is not None and self._retransmitter.acknowledge(ack):
            self._retransmitter = None
            if self._timer is not None:
                self._timer.cancel()

    def _retransmit(self, response: Response, destination: Peer) -> None:
        """§13.3.1.4: our 2xx goes out again until the ACK comes (UDP only needs it, but the
        ACK timeout also tells a dead TCP peer)."""
        self._retransmitter = SuccessRetransmitter(
            response=response, destination=destination, now=self.ctx.clock.now(), t1=self.ctx.t1
        )
        self._arm()

    def _arm(self) -> None:
        retransmitter = self._retransmitter
        when = retransmitter.get_timer() if retransmitter is not None else None
        if when is not None:
            self._timer = self.ctx.clock.call_at(when, self._fire)

    def _fire(self) -> None:
        retransmitter = self._retransmitter
        if retransmitter is None:
            return
        retransmitter.handle_timer(self.ctx.clock.now())
        for message, destination in retransmitter.messages_to_send():
            self.ctx.endpoint.send_stateless(message, destination)
        if isinstance(retransmitter.next_event(), AckTimedOut):
            self._retransmitter = None
            log.info("no ACK for our 2xx on %s: the call is dead", self.dialog and self.dialog.id)
            if self.state is LegState.CONFIRMED:
                self.bye()
                self.on_signal(HungUp(leg=self, status=408, dead=True))
            return
        self._arm()


class InboundLeg(Leg):
    """The caller's leg: we are the UAS of its INVITE."""

    def __init__(self, ctx: SipContext, request: Request, source: Peer, on_signal: SignalHandler):
        # Without a Contact (an RFC 2543 caller) our requests go back where it came from.
        target = dialog_target(request) if request.contacts else None
        super().__init__(ctx, reach(target, source) if target else source, on_signal)
        self.request = request
        self.local_tag = new_tag()
        self._key = (request.call_id, request.from_address.tag or "")
        ctx.pending[self._key] = self

    def respond(self, status: int, sdp: str | None = None, reason: str | None = None) -> None:
        """Send a response to the INVITE: 1xx, 2xx (with our SDP answer) or a failure."""
        if self.state not in (LegState.CALLING, LegState.EARLY):
            return
        response = make_response(self.request, status, reason, to_tag=self.local_tag)
        if status == 503:
            ask_to_retry(response)
        if status < 300:
            response.headers.set("Allow", ALLOW)
            _add_body(response, sdp, self.ctx.contact(self.destination))
        if 100 < status < 300 and self.dialog is None:
            self.dialog = Dialog.as_uas(self.request, response)
            self.ctx.register(self.dialog, self)
        self.ctx.endpoint.respond(response)
        if status < 200:
            self.state = LegState.EARLY
        elif status < 300:
            assert self.dialog is not None
            self.dialog.record_response(response)
            self.state = LegState.CONFIRMED
            self.ctx.pending.pop(self._key, None)
            self._retransmit(response, response_destination(self.request.top_via, self.destination))
        else:
            self.ctx.pending.pop(self._key, None)
            self._finish()

    def hang_up(self, status: int = 480) -> None:
        """BYE when answered, else the failure ``status``."""
        if self.state is LegState.CONFIRMED:
            self.bye()
        else:
            self.respond(status)

    def cancelled(self) -> None:
        """The caller sent CANCEL (§9.2): the INVITE gets 487 and the call ends."""
        if self.state in (LegState.CALLING, LegState.EARLY):
            self.respond(487)
            self.on_signal(HungUp(leg=self, status=487))


class OutboundLeg(Leg):
    """A leg we call: INVITE to one registered contact of a phone."""

    def __init__(
        self,
        ctx: SipContext,
        *,
        target: SipUri,
        destination: Peer,
        caller: NameAddress,
        callee: NameAddress,
        on_signal: SignalHandler,
        label: str = "",
    ) -> None:
        super().__init__(ctx, destination, on_signal)
        self.target = target
        self.label = label
        self._caller = caller.with_tag(new_tag())
        self._callee = callee
        self._invite: Request | None = None
        self._provisional = False

    def invite(self, sdp: str) -> None:
        headers = Headers([("Via", str(self.ctx.via(self.destination)))])
        headers.add("Max-Forwards", "70")
        headers.add("From", str(self._caller))
        headers.add("To", str(self._callee))
        headers.add("Call-ID", new_call_id())
        headers.add("CSeq", str(CSeq(number=1, method="INVITE")))
        headers.add("Allow", ALLOW)
        request = Request(method="INVITE", uri=self.target, headers=headers)
        _add_body(request, sdp, self.ctx.contact(self.destination))
        self._invite = request
        self.ctx.endpoint.send_request(request, self.destination, self._on_response)

    def hang_up(self) -> None:
        """BYE when answered, CANCEL while ringing (§9.1: only after a provisional)."""
        if self.state is LegState.CONFIRMED:
            self.bye()
        elif self.state in (LegState.CALLING, LegState.EARLY):
            self.state = LegState.CANCELLING
            if self._provisional:
                self._send_cancel()

    def _send_cancel(self) -> None:
        assert self._invite is not None
        self.ctx.endpoint.send_request(cancel_for(self._invite), self.destination, _ignore)

    def _on_response(self, response: Response) -> None:
        if response.cseq.method != "INVITE":
            return
        status = response.status
        if status < 200:
            self._provisional_received(response)
        elif status < 300:
            self._success(response)
        elif self.state is not LegState.ENDED:
            lost = self.state is not LegState.CANCELLING
            self._finish()
            if lost:
                self.on_signal(HungUp(leg=self, status=status))
            else:
                self.on_signal(HungUp(leg=self, status=487))

    def _provisional_received(self, response: Response) -> None:
        first = not self._provisional
        self._provisional = True
        if self.state is LegState.CANCELLING and first:
            self._send_cancel()
        elif self.state is LegState.CALLING and response.status > 100:
            self.state = LegState.EARLY
            self.on_signal(Ringing(leg=self, status=response.status))

    def _success(self, response: Response) -> None:
        """A 2xx: always ACKed (§13.2.2.4); then answered, or hung up at once if we had given
        up on this leg meanwhile (never leave a half-open dialog)."""
        assert self._invite is not None
        if self.dialog is None:
            self.dialog = Dialog.as_uac(self._invite, response)
            self.ctx.register(self.dialog, self)
        self.resend_ack(response)
        if self.state in (LegState.CALLING, LegState.EARLY):
            self.state = LegState.CONFIRMED
            sdp = response.body.decode("utf-8", "replace")
            self.on_signal(Answered(leg=self, sdp=sdp))
        elif self.state is LegState.CANCELLING:
            self.state = LegState.CONFIRMED
            self.bye()
            self.on_signal(HungUp(leg=self, status=487))

    def resend_ack(self, response: Response) -> None:
        """ACK a 2xx again (each retransmission gets the same ACK)."""
        if self.dialog is None or response.cseq.method != "INVITE":
            return
        ack = self.dialog.create_ack(response, via=self.ctx.via(self.destination))
        self.ctx.endpoint.send_stateless(ack, self.destination)


# What a leg tells its call: Ringing and Answered come only from legs we call.
Signal = (
    Ringing[OutboundLeg] | Answered[OutboundLeg] | HungUp[Leg] | Reoffered[Leg] | DigitReceived[Leg]
)
SignalHandler = Callable[[Signal], None]


def _add_body(message: Request | Response, sdp: str | None, contact: NameAddress) -> None:
    message.headers.set("Contact", str(contact))
    if sdp:
        message.headers.set("Content-Type", SDP)
        message.body = sdp.encode()


def _info_digit(request: Request) -> tuple[str | None, int]:
    """The digit of an INFO: ``Signal=5`` (application/dtmf-relay) or ``5``
    (application/dtmf, RFC 4733 has no INFO format; these are the common ones)."""
    text = request.body.decode("utf-8", "replace").strip()
    if request.content_type == "application/dtmf":
        return (text[:1] or None), 100
    if request.content_type != "application/dtmf-relay":
        return None, 0
    fields = dict(
        (key.strip().lower(), value.strip())
        for key, _, value in (line.partition("=") for line in text.splitlines())
    )
    duration = fields.get("duration", "100")
    return (fields.get("signal", "")[:1] or None), int(duration) if duration.isdigit() else 100


def _ignore(response: Response) -> None:
    """Responses to BYE and CANCEL need nothing from us."""
