"""SIP dialogs (RFC 3261 §12) and the UAS retransmission of a 2xx to INVITE (§13.3.1.4).

A :class:`Dialog` is pure state: it builds in-dialog requests and the ACK for a 2xx, and checks
incoming requests and responses against its sequence numbers. It never sends; the transaction
user passes what it builds to the transaction layer.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from enum import Enum

from hotline.sip.address import Peer
from hotline.sip.errors import LocalProtocolError
from hotline.sip.headers import CSeq, Headers, Via
from hotline.sip.message import Request, Response, make_response, new_branch
from hotline.sip.uri import NameAddress, SipUri

__all__ = [
    "TARGET_REFRESH_METHODS",
    "AckTimedOut",
    "Dialog",
    "DialogId",
    "DialogState",
    "RetransmissionState",
    "SuccessRetransmitter",
    "dialog_target",
    "next_hop",
]

logger = logging.getLogger(__name__)

# Requests whose Contact replaces the remote target (RFC 3261 §12.2; UPDATE from RFC 3311).
TARGET_REFRESH_METHODS = frozenset({"INVITE", "UPDATE"})


class DialogState(Enum):
    """Dialog states of RFC 3261 §12."""

    EARLY = "Early"
    CONFIRMED = "Confirmed"
    TERMINATED = "Terminated"


@dataclass(frozen=True, slots=True, kw_only=True)
class DialogId:
    """Call-ID, local tag and remote tag (RFC 3261 §12)."""

    call_id: str
    local_tag: str
    remote_tag: str

    @classmethod
    def of_incoming_request(cls, request: Request) -> DialogId | None:
        """The id of the dialog a received request belongs to (UAS view), None without
        To tag. An RFC 2543 peer sends no From tag: its dialogs' remote tag is empty
        (RFC 3261 §12.1.1)."""
        to_tag = request.to_address.tag
        if to_tag is None:
            return None
        return cls(
            call_id=request.call_id, local_tag=to_tag, remote_tag=request.from_address.tag or ""
        )

    @classmethod
    def of_response(cls, response: Response) -> DialogId | None:
        """The id of the dialog a received response belongs to (UAC view)."""
        to_tag, from_tag = response.to_address.tag, response.from_address.tag
        if to_tag is None or from_tag is None:
            return None
        return cls(call_id=response.call_id, local_tag=from_tag, remote_tag=to_tag)


def next_hop(request: Request) -> SipUri:
    """The URI to resolve to reach the next hop: the first Route, else the Request-URI
    (RFC 3261 §8.1.2)."""
    routes = request.headers.get_all("Route")
    return NameAddress.parse(routes[0]).uri if routes else request.uri


def _tagged(address: NameAddress, tag: str) -> NameAddress:
    # An empty tag is an RFC 2543 peer's: its address stays without one.
    return address if address.tag == tag or not tag else address.with_tag(tag)


def _required_tag(address: NameAddress, what: str) -> str:
    if address.tag is None:
        raise LocalProtocolError(f"A dialog needs a {what} tag", None)
    return address.tag


def _contact_uri(message: Request | Response) -> SipUri | None:
    """The Contact a dialog's requests may go to: a SIP URI (a mailto: or urn: one parses,
    RFC 4475 §3.3.4, but is no target), else None, which keeps the target as it was."""
    contacts = message.contacts
    return contacts[0].uri if contacts and contacts[0].uri.is_sip else None


def dialog_target(request: Request) -> SipUri | None:
    """Where requests in the dialog a request creates go: its Contact, or for an RFC 2543
    peer that sent none, the From address (RFC 4475 §3.4.1); None when neither is a SIP
    URI to send to."""
    contacts = request.contacts
    uri = contacts[0].uri if contacts else request.from_address.uri
    return uri if uri.is_sip else None


class Dialog:
    """One dialog, as UAC or UAS (RFC 3261 §12.1); create it with :meth:`as_uac` or
    :meth:`as_uas`."""

    def __init__(
        self,
        *,
        dialog_id: DialogId,
        state: DialogState,
        local_address: NameAddress,
        remote_address: NameAddress,
        remote_target: SipUri,
        route_set: list[NameAddress],
        local_cseq: int | None,
        remote_cseq: int | None,
        local_contact: NameAddress | None,
        secure: bool,
    ) -> None:
        self.id = dialog_id
        self.state = state
        self.local_address = _tagged(local_address, dialog_id.local_tag)
        self.remote_address = _tagged(remote_address, dialog_id.remote_tag)
        self.remote_target = remote_target
        self.route_set = route_set
        self.local_cseq = local_cseq
        self.remote_cseq = remote_cseq
        self.local_contact = local_contact
        self.secure = secure
        self._acks: dict[int, Request] = {}

    @classmethod
    def as_uac(cls, request: Request, response: Response) -> Dialog:
        """The UAC's dialog from its request and a 1xx with To tag (early) or a 2xx
        (confirmed); the route set is the Record-Route of the response reversed (§12.1.2)."""
        if not 100 < response.status < 300:
            raise LocalProtocolError(f"A {response.status} response creates no dialog", None)
        remote_tag = _required_tag(response.to_address, "To")
        local_tag = _required_tag(request.from_address, "From")
        routes = [NameAddress.parse(v) for v in response.headers.get_all("Record-Route")]
        contacts = request.contacts
        return cls(
            dialog_id=DialogId(call_id=request.call_id, local_tag=local_tag, remote_tag=remote_tag),
            state=DialogState.EARLY if response.status < 200 else DialogState.CONFIRMED,
            local_address=request.from_address,
            remote_address=response.to_address,
            # No Contact in the response leaves the original Request-URI as the target.
            remote_target=_contact_uri(response) or request.uri,
            route_set=list(reversed(routes)),
            local_cseq=request.cseq.number,
            remote_cseq=None,
            local_contact=contacts[0] if contacts else None,
            secure=request.uri.scheme == "sips",
        )

    @classmethod
    def as_uas(cls, request: Request, response: Response) -> Dialog:
        """The UAS's dialog from the request it received and its own 1xx/2xx with To tag;
        the route set is the request's Record-Route in order (§12.1.1)."""
        if not 100 < response.status < 300:
            raise LocalProtocolError(f"A {response.status} response creates no dialog", None)
        local_tag = _required_tag(response.to_address, "To")
        remote_tag = request.from_address.tag or ""  # none from an RFC 2543 peer (§12.1.1)
        routes = [NameAddress.parse(v) for v in request.headers.get_all("Record-Route")]
        contacts = response.contacts
        remote_target = dialog_target(request)
        if remote_target is None:
            raise LocalProtocolError("A dialog-creating request needs a Contact", 400)
        return cls(
            dialog_id=DialogId(call_id=request.call_id, local_tag=local_tag, remote_tag=remote_tag),
            state=DialogState.EARLY if response.status < 200 else DialogState.CONFIRMED,
            local_address=response.to_address,
            remote_address=request.from_address,
            remote_target=remote_target,
            route_set=routes,
            local_cseq=None,
            remote_cseq=request.cseq.number,
            local_contact=contacts[0] if contacts else None,
            secure=request.uri.scheme == "sips",
        )

    # -- requests we send -----------------------------------------------------------------

    def create_request(
        self,
        method: str,
        *,
        via: Via,
        body: bytes = b"",
        content_type: str | None = None,
        extra_headers: tuple[tuple[str, str], ...] = (),
    ) -> Request:
        """A request within the dialog (RFC 3261 §12.2.1.1) with the next local CSeq. The
        transaction layer adds the Via branch when it sends it."""
        if self.state is DialogState.TERMINATED:
            raise LocalProtocolError(f"Cannot send {method} in a terminated dialog", None)
        if method in ("ACK", "CANCEL"):
            raise LocalProtocolError(f"{method} is not built by create_request", None)
        self.local_cseq = (self.local_cseq or 0) + 1
        return self._build(method, self.local_cseq, via, body, content_type, extra_headers)

    def create_ack(self, response: Response, *, via: Via, body: bytes = b"") -> Request:
        """The ACK for a 2xx to INVITE (§13.2.2.4): built like any in-dialog request but with
        the INVITE's CSeq number, and a branch of its own. The same ACK comes back for each
        retransmission of that 2xx."""
        number = response.cseq.number
        ack = self._acks.get(number)
        if ack is None:
            if not via.branch:
                via = via.with_params(branch=new_branch())
            ack = self._build("ACK", number, via, body, None, ())
            self._acks[number] = ack
        return ack

    def _build(
        self,
        method: str,
        number: int,
        via: Via,
        body: bytes,
        content_type: str | None,
        extra_headers: tuple[tuple[str, str], ...],
    ) -> Request:
        uri, routes = self._request_target()
        headers = Headers([("Via", str(via))])
        for route in routes:
            headers.add("Route", route)
        headers.add("Max-Forwards", "70")
        headers.add("From", str(self.local_address))
        headers.add("To", str(self.remote_address))
        headers.add("Call-ID", self.id.call_id)
        headers.add("CSeq", str(CSeq(number=number, method=method)))
        if self.local_contact is not None and method in TARGET_REFRESH_METHODS:
            headers.add("Contact", str(self.local_contact))
        if content_type is not None:
            headers.add("Content-Type", content_type)
        for name, value in extra_headers:
            headers.add(name, value)
        return Request(method=method, uri=uri, headers=headers, body=body)

    def _request_target(self) -> tuple[SipUri, list[str]]:
        """Request-URI and Route values (§12.2.1.1): a loose router (``lr``) first in the route
        set keeps the remote target as Request-URI; a strict router takes its place and the
        remote target goes last in the Route."""
        if not self.route_set:
            return self.remote_target, []
        first = self.route_set[0]
        if first.uri.has_param("lr"):
            return self.remote_target, [str(route) for route in self.route_set]
        # "method" is not allowed in a Request-URI, nor are headers (§19.1.1 Table 1)
        kept = tuple(p for p in first.uri.parameters if p[0] != "method")
        uri = dataclasses.replace(first.uri, parameters=kept, headers=())
        routes = [str(route) for route in self.route_set[1:]]
        return uri, [*routes, f"<{self.remote_target}>"]

    # -- what we receive ------------------------------------------------------------------

    def receive_request(self, request: Request) -> Response | None:
        """Check a request received in this dialog (§12.2.2). Returns the 500 to answer when
        its CSeq is lower than the last one (out of order), else None after updating the
        remote CSeq and, for a target refresh, the remote target."""
        if request.method in ("ACK", "CANCEL"):
            return None  # they reuse the CSeq number of the request they refer to
        number = request.cseq.number
        if self.remote_cseq is not None and number < self.remote_cseq:
            logger.info("dialog %s: CSeq %d after %d", self.id, number, self.remote_cseq)
            return make_response(request, 500, "CSeq Out of Order")
        self.remote_cseq = number
        target = _contact_uri(request)
        if request.method in TARGET_REFRESH_METHODS and target is not None:
            self.remote_target = target
        if request.method == "BYE":
            self.state = DialogState.TERMINATED
        return None

    def receive_response(self, response: Response) -> None:
        """Update the dialog with a response to one of its requests (§12.2.1.2, §13.2.2.4):
        a 2xx to INVITE confirms an early dialog and recomputes its route set, a 2xx to a
        target refresh replaces the remote target, a 481 or 408 or a failed early INVITE
        ends it."""
        method, status = response.cseq.method, response.status
        early_failure = method == "INVITE" and status >= 300 and self.state is DialogState.EARLY
        if status in (408, 481) or (method == "BYE" and status >= 200) or early_failure:
            self.state = DialogState.TERMINATED
        elif 200 <= status < 300 and method in TARGET_REFRESH_METHODS:
            if method == "INVITE" and self.state is DialogState.EARLY:
                self.state = DialogState.CONFIRMED
                routes = response.headers.get_all("Record-Route")
                self.route_set = [NameAddress.parse(v) for v in reversed(routes)]
            target = _contact_uri(response)
            if target is not None:
                self.remote_target = target

    def record_response(self, response: Response) -> None:
        """Update a UAS dialog with a response it sent to its INVITE (§12.1.1, §13.3.1): a
        2xx confirms an early dialog, a final failure ends it."""
        if response.cseq.method != "INVITE" or self.state is not DialogState.EARLY:
            return
        if 200 <= response.status < 300:
            self.state = DialogState.CONFIRMED
        elif response.status >= 300:
            self.state = DialogState.TERMINATED

    def terminate(self) -> None:
        """End the dialog (BYE sent, session given up)."""
        self.state = DialogState.TERMINATED


class RetransmissionState(Enum):
    RETRANSMITTING = "Retransmitting"
    ACKNOWLEDGED = "Acknowledged"
    TIMED_OUT = "Timed out"


@dataclass(frozen=True, slots=True, kw_only=True)
class AckTimedOut:
    """No ACK came for a 2xx within 64*T1 (§13.3.1.4): call control should send BYE."""

    response: Response


class SuccessRetransmitter:
    """The UAS core's retransmission of a 2xx to INVITE until its ACK arrives (§13.3.1.4):
    every T1, doubling up to T2, on any transport, giving up after 64*T1. The first
    transmission went out through the server transaction at ``now``."""

    def __init__(
        self, *, response: Response, destination: Peer, now: float, t1: float = 0.5, t2: float = 4.0
    ) -> None:
        self.response = response
        self.destination = destination
        self.state = RetransmissionState.RETRANSMITTING
        self._t2 = t2
        self._interval = t1
        self._next = now + t1
        self._give_up = now + 64 * t1
        self._outgoing: list[tuple[Response, Peer]] = []
        self._events: list[AckTimedOut] = []

    def get_timer(self) -> float | None:
        if self.state is not RetransmissionState.RETRANSMITTING:
            return None
        return min(self._next, self._give_up)

    def handle_timer(self, now: float) -> None:
        if self.state is not RetransmissionState.RETRANSMITTING:
            return
        if now >= self._give_up:
            self.state = RetransmissionState.TIMED_OUT
            self._events.append(AckTimedOut(response=self.response))
            return
        while self._next <= now:
            self._outgoing.append((self.response, self.destination))
            self._interval = min(2 * self._interval, self._t2)
            self._next += self._interval

    def acknowledge(self, ack: Request) -> bool:
        """Stop on the ACK for this 2xx (same Call-ID and CSeq number); False if it is not."""
        matches = (
            ack.method == "ACK"
            and ack.call_id == self.response.call_id
            and ack.cseq.number == self.response.cseq.number
        )
        if matches and self.state is RetransmissionState.RETRANSMITTING:
            self.state = RetransmissionState.ACKNOWLEDGED
        return matches

    def messages_to_send(self) -> list[tuple[Response, Peer]]:
        outgoing, self._outgoing = self._outgoing, []
        return outgoing

    def next_event(self) -> AckTimedOut | None:
        return self._events.pop(0) if self._events else None
