"""SIP transactions (RFC 3261 §17) as sans-IO state machines.

Theory of operation: one :class:`Transaction` class drives the four machines of §17 (client and
server, INVITE and non-INVITE). Each machine is one table ``(state, stimulus) -> (action,
next_state)``; a stimulus is a received message classified by kind, something the transaction
user (TU) sends, a transport error or a timer. Actions return outputs (messages to transmit and
events for the TU); they never send. Timers are absolute deadlines built from the ``now`` the
caller passes in; nothing here reads a clock.

A pair missing from a table raises :class:`LocalProtocolError` naming the state and the
stimulus and leaves the machine as it was: only our own code (the TU sending a second final
response, a timer that is not armed) can cause that, and a transaction that went to pieces on
such a mistake would stop absorbing the peer's retransmissions. Every stimulus the peer can
cause has an entry, if only "ignore".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import NewType

from hotline.sip.address import Peer
from hotline.sip.errors import LocalProtocolError
from hotline.sip.headers import CSeq, Headers
from hotline.sip.message import Request, Response, make_response
from hotline.sip.timers import Timer, TimerSettings

__all__ = [
    "AckReceived",
    "CancelReceived",
    "MessageInput",
    "RequestReceived",
    "ResponseReceived",
    "Stimulus",
    "Transaction",
    "TransactionEvent",
    "TransactionId",
    "TransactionKind",
    "TransactionState",
    "TransactionTerminated",
    "TransactionTimedOut",
    "Transmit",
    "ack_for_failure",
    "cancel_for",
    "table_for",
]

logger = logging.getLogger(__name__)

TransactionId = NewType("TransactionId", str)
Message = Request | Response


class TransactionKind(Enum):
    """The four machines of RFC 3261 §17.1.1, §17.1.2, §17.2.1 and §17.2.2."""

    INVITE_CLIENT = "INVITE client"
    NON_INVITE_CLIENT = "non-INVITE client"
    INVITE_SERVER = "INVITE server"
    NON_INVITE_SERVER = "non-INVITE server"


class TransactionState(Enum):
    """Transaction states with the names of RFC 3261 Figures 5 to 8."""

    CALLING = "Calling"
    TRYING = "Trying"
    PROCEEDING = "Proceeding"
    COMPLETED = "Completed"
    ACCEPTED = "Accepted"  # RFC 6026 §7.1, server INVITE only
    CONFIRMED = "Confirmed"
    TERMINATED = "Terminated"


class MessageInput(Enum):
    """Stimuli other than timers: what arrives from the peer, the TU or the transport."""

    PROVISIONAL = "1xx received"
    SUCCESS = "2xx received"
    FAILURE = "300-699 received"
    REQUEST = "request retransmission received"
    ACK = "ACK received"
    SEND_PROVISIONAL = "TU sends 1xx"
    SEND_SUCCESS = "TU sends 2xx"
    SEND_FAILURE = "TU sends 300-699"
    SEND_CANCEL = "TU sends CANCEL"  # for this INVITE (§9.1)
    TRANSPORT_ERROR = "transport error"


Stimulus = MessageInput | Timer


# -- events for the transaction user ----------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestReceived:
    """A new request that is not a retransmission, with its new server transaction."""

    request: Request
    source: Peer
    transaction_id: TransactionId


@dataclass(frozen=True, slots=True, kw_only=True)
class ResponseReceived:
    """A response the TU must see (§17.1.1.2, §17.1.2.2), or a 2xx retransmission to an
    INVITE whose client transaction already ended (the dialog layer ACKs it, §13.2.2.4)."""

    response: Response
    transaction_id: TransactionId


@dataclass(frozen=True, slots=True, kw_only=True)
class AckReceived:
    """An ACK that matched no server transaction: the ACK for a 2xx (§17.2.3, §13.3.1.4)."""

    request: Request
    source: Peer


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelReceived:
    """A CANCEL matched a pending INVITE server transaction (already answered 200, §9.2);
    the TU should answer the INVITE 487. ``transaction_id`` is the INVITE's."""

    request: Request
    source: Peer
    transaction_id: TransactionId


@dataclass(frozen=True, slots=True, kw_only=True)
class TransactionTimedOut:
    """Timer B, F or H fired, or the transport failed (§17.1.4, §17.2.4) when
    ``transport_error`` is set. The TU treats it as 408 (or 503 for a transport error, §8.1.3.1)."""

    transaction_id: TransactionId
    transport_error: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class TransactionTerminated:
    """The transaction reached Terminated and was forgotten."""

    transaction_id: TransactionId


TransactionEvent = (
    RequestReceived
    | ResponseReceived
    | AckReceived
    | CancelReceived
    | TransactionTimedOut
    | TransactionTerminated
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Transmit:
    """A message for the transport layer."""

    message: Message
    destination: Peer


Output = TransactionEvent | Transmit
Action = Callable[["Transaction", Message | None, float], list[Output]]


@dataclass(frozen=True, slots=True)
class Transition:
    """One table entry: cancel timers, run the action, arm timers, move to ``next_state``."""

    action: Action
    next_state: TransactionState
    arm: tuple[Timer, ...] = ()
    cancel: tuple[Timer, ...] = ()


def ack_for_failure(request: Request, response: Response) -> Request:
    """The ACK for a non-2xx final response to ``request`` (RFC 3261 §17.1.1.3): same
    Request-URI, Call-ID, From, CSeq number and top Via as the INVITE, the To of the response,
    the INVITE's Route headers."""
    return _same_transaction_request(request, "ACK", _header(response, "To"))


def cancel_for(request: Request) -> Request:
    """The CANCEL for a pending request (RFC 3261 §9.1): same Request-URI, Call-ID, From, To,
    CSeq number, Route headers and top Via, so the same branch. Send it only after a
    provisional response came back."""
    return _same_transaction_request(request, "CANCEL", _header(request, "To"))


def _same_transaction_request(request: Request, method: str, to: str) -> Request:
    headers = Headers()
    headers.add("Via", str(request.top_via))
    for route in request.headers.get_all("Route"):
        headers.add("Route", route)
    headers.add("Max-Forwards", "70")
    headers.add("From", _header(request, "From"))
    headers.add("To", to)
    headers.add("Call-ID", request.call_id)
    headers.add("CSeq", str(CSeq(number=request.cseq.number, method=method)))
    return Request(method=method, uri=request.uri, headers=headers)


def _header(message: Message, name: str) -> str:
    value = message.headers.get(name)
    if value is None:
        raise LocalProtocolError(f"Missing {name} header", None)
    return value


class Transaction:
    """One SIP transaction of any of the four kinds, driven by explicit stimuli and ``now``.

    For a client transaction ``peer`` is the next hop the request goes to; for a server
    transaction it is where responses go (§18.2.2). Every public method returns the outputs
    of the step: :class:`Transmit` commands and TU events.
    """

    # Slotted: a busy registrar keeps tens of thousands of finished transactions until timer
    # J, and every object they hold is one more for the garbage collector to walk.
    __slots__ = (
        "_deadlines",
        "_intervals",
        "ack",
        "id",
        "kind",
        "last_response",
        "merge_key",
        "peer",
        "request",
        "settings",
        "state",
    )

    def __init__(
        self,
        *,
        kind: TransactionKind,
        transaction_id: TransactionId,
        request: Request,
        peer: Peer,
        settings: TimerSettings,
    ) -> None:
        self.kind = kind
        self.id = transaction_id
        self.request = request
        self.peer = peer
        self.settings = settings
        self.state = _INITIAL_STATE[kind]
        self.last_response: Response | None = None
        self.ack: Request | None = None
        # (From tag, Call-ID, CSeq) of a server transaction whose request had no To tag: the
        # transaction layer's index of requests that could be merged (§8.2.2.2).
        self.merge_key: tuple[str | None, str, int, str] | None = None
        self._deadlines: dict[Timer, float] = {}
        self._intervals: dict[Timer, float] = {}

    @property
    def reliable(self) -> bool:
        return self.peer.reliable

    # -- entry points ---------------------------------------------------------------------

    def start(self, now: float) -> list[Output]:
        """Client: send the request and arm A/B or E/F. Server: arm the 100 Trying delay."""
        match self.kind:
            case TransactionKind.INVITE_CLIENT:
                return self._start_client(now, Timer.TIMER_A, Timer.TIMER_B)
            case TransactionKind.NON_INVITE_CLIENT:
                return self._start_client(now, Timer.TIMER_E, Timer.TIMER_F)
            case TransactionKind.INVITE_SERVER:
                self._arm(Timer.TRYING, now)
                return []
            case TransactionKind.NON_INVITE_SERVER:
                return []

    def receive_response(self, response: Response, now: float) -> list[Output]:
        """A response matched this client transaction (§17.1.3)."""
        if response.status < 200:
            stimulus = MessageInput.PROVISIONAL
        elif response.status < 300:
            stimulus = MessageInput.SUCCESS
        else:
            stimulus = MessageInput.FAILURE
        return self.handle(stimulus, response, now)

    def receive_request(self, request: Request, now: float) -> list[Output]:
        """A request matched this server transaction: a retransmission or the ACK (§17.2.3)."""
        stimulus = MessageInput.ACK if request.method == "ACK" else MessageInput.REQUEST
        return self.handle(stimulus, request, now)

    def send_response(self, response: Response, now: float) -> list[Output]:
        """The TU answers through this server transaction (§17.2.1, §17.2.2)."""
        if response.status < 200:
            stimulus = MessageInput.SEND_PROVISIONAL
        elif response.status < 300:
            stimulus = MessageInput.SEND_SUCCESS
        else:
            stimulus = MessageInput.SEND_FAILURE
        return self.handle(stimulus, response, now)

    def cancel_sent(self, now: float) -> list[Output]:
        """The TU sent a CANCEL for this INVITE: without a final response within 64*T1 the
        transaction times out, rather than waiting forever for a phone that is gone (§9.1)."""
        return self.handle(MessageInput.SEND_CANCEL, None, now)

    def transport_error(self, now: float) -> list[Output]:
        """The transport could not deliver a message of this transaction (§17.1.4, §17.2.4)."""
        return self.handle(MessageInput.TRANSPORT_ERROR, None, now)

    def get_timer(self) -> float | None:
        """The earliest armed deadline, or None."""
        return min(self._deadlines.values(), default=None)

    def handle_timer(self, now: float) -> list[Output]:
        """Fire every timer whose deadline is at or before ``now``, earliest first."""
        deadlines = self._deadlines
        if not deadlines or min(deadlines.values()) > now:
            return []  # the usual case, after every message: nothing due
        outputs: list[Output] = []
        while self.state is not TransactionState.TERMINATED:
            due = [(deadline, timer) for timer, deadline in self._deadlines.items()]
            due = sorted(d for d in due if d[0] <= now)
            if not due:
                break
            timer = due[0][1]
            del self._deadlines[timer]
            outputs += self._step(timer, None, now)
        return outputs

    def handle(self, stimulus: Stimulus, message: Message | None, now: float) -> list[Output]:
        """Apply one stimulus through the table, then fire timers that are already due
        (a zero-length timer on a reliable transport ends the transaction at once)."""
        outputs = self._step(stimulus, message, now)
        due = self.handle_timer(now)
        return outputs + due if due else outputs

    # -- machinery ------------------------------------------------------------------------

    def _step(self, stimulus: Stimulus, message: Message | None, now: float) -> list[Output]:
        transition = _TABLES[self.kind].get((self.state, stimulus))
        if transition is None:
            raise LocalProtocolError(
                f"{self.kind.value} transaction in state {self.state.name} "
                f"cannot take {stimulus.name}",
                None,
            )
        self._cancel(*transition.cancel)
        outputs = transition.action(self, message, now)
        for timer in transition.arm:
            self._arm(timer, now)
        if transition.next_state is not self.state:
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s %s: %s -> %s",
                    self.kind.value,
                    self.id,
                    self.state.name,
                    transition.next_state.name,
                )
            self.state = transition.next_state
            if self.state is TransactionState.TERMINATED:
                self._deadlines.clear()
                outputs.append(TransactionTerminated(transaction_id=self.id))
        return outputs

    def _start_client(self, now: float, retransmit: Timer, timeout: Timer) -> list[Output]:
        self._arm(retransmit, now)
        self._arm(timeout, now)
        return [Transmit(message=self.request, destination=self.peer)]

    def _arm(self, timer: Timer, now: float, interval: float | None = None) -> None:
        if self.reliable and timer in _RETRANSMISSION_TIMERS:
            return  # a reliable transport retransmits for us (§17.1.1.2, §17.2.1)
        if interval is None:
            interval = self.settings.initial(timer, reliable=self.reliable)
        self._intervals[timer] = interval
        self._deadlines[timer] = now + interval

    def _interval(self, timer: Timer) -> float:
        """The current interval of a retransmission timer (its first value if never armed)."""
        return self._intervals.get(timer, self.settings.initial(timer, reliable=self.reliable))

    def _cancel(self, *timers: Timer) -> None:
        for timer in timers:
            self._deadlines.pop(timer, None)

    def _transmit(self, message: Message) -> Transmit:
        return Transmit(message=message, destination=self.peer)


# -- actions (each returns the outputs of one transition) -----------------------------------

_RETRANSMISSION_TIMERS = frozenset({Timer.TIMER_A, Timer.TIMER_E, Timer.TIMER_G})


def _ignore(tx: Transaction, message: Message | None, now: float) -> list[Output]:
    return []


def _pass_up(tx: Transaction, message: Message | None, now: float) -> list[Output]:
    assert isinstance(message, Response)
    return [ResponseReceived(response=message, transaction_id=tx.id)]


def _pass_up_and_ack(tx: Transaction, message: Message | None, now: float) -> list[Output]:
    assert isinstance(message, Response)
    tx.ack = ack_for_failure(tx.request, message)
    return [*_pass_up(tx, message, now), tx._transmit(tx.ack)]


def _resend_ack(tx: Transaction, message: Message | None, now: float) -> list[Output]:
    assert tx.ack is not None
    return [tx._transmit(tx.ack)]


def _time_out(tx: Transaction, message: Message | None, now: float) -> list[Output]:
    return [TransactionTimedOut(transaction_id=tx.id)]


def _transport_failed(tx: Transaction, message: Message | None, now: float) -> list[Output]:
    return [TransactionTimedOut(transaction_id=tx.id, transport_error=True)]


def _retransmit_a(tx: Transaction, message: Message | None, now: float) -> list[Output]:
    # Timer A doubles without the T2 cap; timer B ends the transaction first (§17.1.1.2).
    tx._arm(Timer.TIMER_A, now, 2 * tx._interval(Timer.TIMER_A))
    return [tx._transmit(tx.request)]


def _retransmit_e(tx: Transaction, message: Message | None, now: float) -> list[Output]:
    # Trying: doubling capped at T2; Proceeding: every T2 (§17.1.2.2).
    if tx.state is TransactionState.PROCEEDING:
        interval = tx.settings.t2
    else:
        interval = tx.settings.backoff(tx._interval(Timer.TIMER_E))
    tx._arm(Timer.TIMER_E, now, interval)
    return [tx._transmit(tx.request)]


def _retransmit_g(tx: Transaction, message: Message | None, now: float) -> list[Output]:
    tx._arm(Timer.TIMER_G, now, tx.settings.backoff(tx._interval(Timer.TIMER_G)))
    return _resend_last_response(tx, message, now)


def _send_trying(tx: Transaction, message: Message | None, now: float) -> list[Output]:
    tx.last_response = make_response(tx.request, 100)
    return [tx._transmit(tx.last_response)]


def _resend_last_response(tx: Transaction, message: Message | None, now: float) -> list[Output]:
    # Before the TU answered there is nothing to resend: the retransmission is just absorbed.
    if tx.last_response is None:
        return []
    return [tx._transmit(tx.last_response)]


def _send(tx: Transaction, message: Message | None, now: float) -> list[Output]:
    assert isinstance(message, Response)
    tx.last_response = message
    return [tx._transmit(message)]


# -- the tables: (state, stimulus) -> Transition(action, next state, arm, cancel) -------------

_S = TransactionState
_M = MessageInput
_T = Timer
Table = dict[tuple[TransactionState, Stimulus], Transition]
_AB = (_T.TIMER_A, _T.TIMER_B)
_EF = (_T.TIMER_E, _T.TIMER_F)
_GH = (_T.TIMER_G, _T.TIMER_H)
_TRYING = (_T.TRYING,)


def _with_transport_errors(table: Table, *states: TransactionState) -> Table:
    for state in states:
        table[(state, _M.TRANSPORT_ERROR)] = Transition(_transport_failed, _S.TERMINATED)
    return table


# RFC 3261 Figure 5. Timer B only applies in Calling: an INVITE may ring as long as it likes,
# but once cancelled it waits 64*T1 at most for the final response (§9.1).
# A 2xx ends the transaction; its retransmissions and their ACKs belong to the TU (§13.2.2.4).
_INVITE_CLIENT: Table = _with_transport_errors(
    {
        (_S.CALLING, _T.TIMER_A): Transition(_retransmit_a, _S.CALLING),
        (_S.CALLING, _T.TIMER_B): Transition(_time_out, _S.TERMINATED),
        (_S.CALLING, _M.PROVISIONAL): Transition(_pass_up, _S.PROCEEDING, (), _AB),
        (_S.CALLING, _M.SUCCESS): Transition(_pass_up, _S.TERMINATED),
        (_S.CALLING, _M.FAILURE): Transition(_pass_up_and_ack, _S.COMPLETED, (_T.TIMER_D,), _AB),
        (_S.CALLING, _M.SEND_CANCEL): Transition(_ignore, _S.CALLING),  # timer B runs
        (_S.PROCEEDING, _M.PROVISIONAL): Transition(_pass_up, _S.PROCEEDING),
        (_S.PROCEEDING, _M.SUCCESS): Transition(_pass_up, _S.TERMINATED),
        (_S.PROCEEDING, _M.FAILURE): Transition(
            _pass_up_and_ack, _S.COMPLETED, (_T.TIMER_D,), (_T.AFTER_CANCEL,)
        ),
        (_S.PROCEEDING, _M.SEND_CANCEL): Transition(_ignore, _S.PROCEEDING, (_T.AFTER_CANCEL,)),
        (_S.PROCEEDING, _T.AFTER_CANCEL): Transition(_time_out, _S.TERMINATED),
        (_S.COMPLETED, _M.SEND_CANCEL): Transition(_ignore, _S.COMPLETED),
        (_S.COMPLETED, _M.FAILURE): Transition(_resend_ack, _S.COMPLETED),
        (_S.COMPLETED, _M.PROVISIONAL): Transition(_ignore, _S.COMPLETED),
        (_S.COMPLETED, _M.SUCCESS): Transition(_ignore, _S.COMPLETED),
        (_S.COMPLETED, _T.TIMER_D): Transition(_ignore, _S.TERMINATED),
    },
    _S.CALLING,
    _S.PROCEEDING,
    _S.COMPLETED,
)

# RFC 3261 Figure 6
_NON_INVITE_CLIENT: Table = _with_transport_errors(
    {
        (_S.TRYING, _T.TIMER_E): Transition(_retransmit_e, _S.TRYING),
        (_S.TRYING, _T.TIMER_F): Transition(_time_out, _S.TERMINATED),
        (_S.TRYING, _M.PROVISIONAL): Transition(_pass_up, _S.PROCEEDING),
        (_S.TRYING, _M.SUCCESS): Transition(_pass_up, _S.COMPLETED, (_T.TIMER_K,), _EF),
        (_S.TRYING, _M.FAILURE): Transition(_pass_up, _S.COMPLETED, (_T.TIMER_K,), _EF),
        (_S.PROCEEDING, _T.TIMER_E): Transition(_retransmit_e, _S.PROCEEDING),
        (_S.PROCEEDING, _T.TIMER_F): Transition(_time_out, _S.TERMINATED),
        (_S.PROCEEDING, _M.PROVISIONAL): Transition(_pass_up, _S.PROCEEDING),
        (_S.PROCEEDING, _M.SUCCESS): Transition(_pass_up, _S.COMPLETED, (_T.TIMER_K,), _EF),
        (_S.PROCEEDING, _M.FAILURE): Transition(_pass_up, _S.COMPLETED, (_T.TIMER_K,), _EF),
        (_S.COMPLETED, _M.PROVISIONAL): Transition(_ignore, _S.COMPLETED),
        (_S.COMPLETED, _M.SUCCESS): Transition(_ignore, _S.COMPLETED),
        (_S.COMPLETED, _M.FAILURE): Transition(_ignore, _S.COMPLETED),
        (_S.COMPLETED, _T.TIMER_K): Transition(_ignore, _S.TERMINATED),
    },
    _S.TRYING,
    _S.PROCEEDING,
    _S.COMPLETED,
)

# RFC 3261 Figure 7 as amended by RFC 6026 §7.1: after a 2xx the transaction waits in
# Accepted for timer L, absorbing INVITE retransmissions that would otherwise reach the TU as
# new requests; the TU retransmits the 2xx itself (§13.3.1.4), and may do so through here.
_INVITE_SERVER: Table = _with_transport_errors(
    {
        (_S.PROCEEDING, _T.TRYING): Transition(_send_trying, _S.PROCEEDING),
        (_S.PROCEEDING, _M.REQUEST): Transition(_resend_last_response, _S.PROCEEDING),
        (_S.PROCEEDING, _M.ACK): Transition(_ignore, _S.PROCEEDING),
        (_S.PROCEEDING, _M.SEND_PROVISIONAL): Transition(_send, _S.PROCEEDING, (), _TRYING),
        (_S.PROCEEDING, _M.SEND_SUCCESS): Transition(_send, _S.ACCEPTED, (_T.TIMER_L,), _TRYING),
        (_S.PROCEEDING, _M.SEND_FAILURE): Transition(_send, _S.COMPLETED, _GH, _TRYING),
        (_S.COMPLETED, _M.REQUEST): Transition(_resend_last_response, _S.COMPLETED),
        (_S.COMPLETED, _T.TIMER_G): Transition(_retransmit_g, _S.COMPLETED),
        (_S.COMPLETED, _T.TIMER_H): Transition(_time_out, _S.TERMINATED),
        (_S.COMPLETED, _M.ACK): Transition(_ignore, _S.CONFIRMED, (_T.TIMER_I,), _GH),
        (_S.ACCEPTED, _M.REQUEST): Transition(_ignore, _S.ACCEPTED),
        (_S.ACCEPTED, _M.ACK): Transition(_ignore, _S.ACCEPTED),
        (_S.ACCEPTED, _M.SEND_SUCCESS): Transition(_send, _S.ACCEPTED),
        (_S.ACCEPTED, _T.TIMER_L): Transition(_ignore, _S.TERMINATED),
        (_S.CONFIRMED, _M.REQUEST): Transition(_ignore, _S.CONFIRMED),
        (_S.CONFIRMED, _M.ACK): Transition(_ignore, _S.CONFIRMED),
        (_S.CONFIRMED, _T.TIMER_I): Transition(_ignore, _S.TERMINATED),
    },
    _S.PROCEEDING,
    _S.COMPLETED,
    _S.ACCEPTED,
    _S.CONFIRMED,
)

# RFC 3261 Figure 8
_NON_INVITE_SERVER: Table = _with_transport_errors(
    {
        (_S.TRYING, _M.REQUEST): Transition(_ignore, _S.TRYING),
        (_S.TRYING, _M.SEND_PROVISIONAL): Transition(_send, _S.PROCEEDING),
        (_S.TRYING, _M.SEND_SUCCESS): Transition(_send, _S.COMPLETED, (_T.TIMER_J,)),
        (_S.TRYING, _M.SEND_FAILURE): Transition(_send, _S.COMPLETED, (_T.TIMER_J,)),
        (_S.PROCEEDING, _M.REQUEST): Transition(_resend_last_response, _S.PROCEEDING),
        (_S.PROCEEDING, _M.SEND_PROVISIONAL): Transition(_send, _S.PROCEEDING),
        (_S.PROCEEDING, _M.SEND_SUCCESS): Transition(_send, _S.COMPLETED, (_T.TIMER_J,)),
        (_S.PROCEEDING, _M.SEND_FAILURE): Transition(_send, _S.COMPLETED, (_T.TIMER_J,)),
        (_S.COMPLETED, _M.REQUEST): Transition(_resend_last_response, _S.COMPLETED),
        (_S.COMPLETED, _T.TIMER_J): Transition(_ignore, _S.TERMINATED),
    },
    _S.TRYING,
    _S.PROCEEDING,
    _S.COMPLETED,
)

_TABLES: dict[TransactionKind, Table] = {
    TransactionKind.INVITE_CLIENT: _INVITE_CLIENT,
    TransactionKind.NON_INVITE_CLIENT: _NON_INVITE_CLIENT,
    TransactionKind.INVITE_SERVER: _INVITE_SERVER,
    TransactionKind.NON_INVITE_SERVER: _NON_INVITE_SERVER,
}

_INITIAL_STATE: dict[TransactionKind, TransactionState] = {
    TransactionKind.INVITE_CLIENT: TransactionState.CALLING,
    TransactionKind.NON_INVITE_CLIENT: TransactionState.TRYING,
    TransactionKind.INVITE_SERVER: TransactionState.PROCEEDING,
    TransactionKind.NON_INVITE_SERVER: TransactionState.TRYING,
}


def table_for(kind: TransactionKind) -> dict[tuple[TransactionState, Stimulus], TransactionState]:
    """The transitions of one machine as ``(state, stimulus) -> next_state``, for tests and
    for drawing state diagrams."""
    return {key: transition.next_state for key, transition in _TABLES[kind].items()}
