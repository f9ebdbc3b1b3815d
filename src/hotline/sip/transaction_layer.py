"""The transaction layer (RFC 3261 §17) with the transport rules that sit under it (§18).

Sans-IO: the asyncio shell feeds received messages with their source and the time, sends what
:meth:`TransactionLayer.messages_to_send` returns, arms one timer at
:meth:`TransactionLayer.get_timer` and calls :meth:`TransactionLayer.handle_timer` when it
fires. The transaction user (registrar, call control) reads :meth:`TransactionLayer.next_event`
and answers with :meth:`TransactionLayer.send_response`.
"""

from __future__ import annotations

import heapq
import logging
from collections import deque

from hotline.sip.address import Peer
from hotline.sip.errors import LocalProtocolError, RemoteProtocolError
from hotline.sip.headers import Headers, Via
from hotline.sip.message import Request, Response, make_response, new_branch, new_tag
from hotline.sip.timers import TimerSettings
from hotline.sip.transaction import (
    AckReceived,
    CancelReceived,
    RequestReceived,
    ResponseReceived,
    Transaction,
    TransactionEvent,
    TransactionId,
    TransactionKind,
    TransactionState,
    TransactionTerminated,
    TransactionTimedOut,
    Transmit,
)

__all__ = [
    "MAGIC_COOKIE",
    "AckReceived",
    "CancelReceived",
    "RequestReceived",
    "ResponseReceived",
    "TransactionEvent",
    "TransactionId",
    "TransactionLayer",
    "TransactionTerminated",
    "TransactionTimedOut",
    "client_transaction_id",
    "response_destination",
    "server_transaction_id",
    "stamp_via",
]

logger = logging.getLogger(__name__)

MAGIC_COOKIE = "z9hG4bK"
"""Branches that start with it are unique per transaction (RFC 3261 §8.1.1.7)."""

Message = Request | Response
# (From tag, Call-ID, CSeq number, CSeq method) of a request without To tag (§8.2.2.2)
MergeKey = tuple[str | None, str, int, str]


def client_transaction_id(message: Message, method: str | None = None) -> TransactionId | None:
    """The client transaction a response (or our request) belongs to: top Via branch and CSeq
    method (RFC 3261 §17.1.3), or ``method`` (a CANCEL's INVITE). None without a branch."""
    branch = message.top_via.branch
    if not branch:
        return None
    return TransactionId(f"client {branch} {method or message.cseq.method}")


def server_transaction_id(message: Message, method: str | None = None) -> TransactionId:
    """The server transaction a request (or our response to it) belongs to (§17.2.3): branch,
    sent-by and method, with ACK matching its INVITE. A branch without the magic cookie falls
    back to RFC 2543 fields, completed by :func:`_matches_rfc2543`."""
    via = message.top_via
    method = method or message.cseq.method
    if method == "ACK":
        method = "INVITE"
    sent_by = f"{via.host.lower()}:{via.port or ''}"
    branch = via.branch or ""
    if branch.startswith(MAGIC_COOKIE):
        return TransactionId(f"server {branch} {sent_by} {method}")
    from_tag = message.from_address.tag or ""
    return TransactionId(
        f"server-2543 {message.call_id} {from_tag} {message.cseq.number} {sent_by} {branch} "
        f"{method}"
    )


def stamp_via(request: Request, source: Peer) -> None:
    """Add ``received`` when the source address differs from the Via sent-by host (RFC 3261
    §18.2.1) and fill an empty ``rport`` with the source port, which also requires
    ``received`` (RFC 3581 §4)."""
    via = request.top_via
    params: dict[str, str] = {}
    if via.rport == "":
        params["rport"] = str(source.port)
        params["received"] = source.host
    elif via.host.lower() != source.host.lower():
        params["received"] = source.host
    if not params:
        return
    _replace_top_via(request, via.with_params(**params))


def response_destination(via: Via, source: Peer) -> Peer:
    """Where the responses to a request go (RFC 3261 §18.2.2, RFC 3581 §4): on a reliable
    transport back over the request's connection while it is open, else over a new one to the
    ``received`` address at the sent-by port (5060 by default); over UDP to the ``received``
    address at the ``rport`` port if present, else the sent-by port, else 5060. ``received``
    is the source address whenever it differs from the sent-by host, so the source host is
    used either way."""
    port = via.port or 5060
    if source.reliable:
        return Peer(transport=source.transport, host=source.host, port=port,
                    connection_id=source.connection_id)  # fmt: skip
    if via.rport:
        try:
            port = int(via.rport)
        except ValueError:
            logger.info("ignoring a bad rport %r", via.rport)
    return Peer(transport=source.transport, host=source.host, port=port)


def _replace_top_via(message: Message, via: Via) -> None:
    """Rewrite the first Via value, keeping every other header where it was.

    The message gets new Headers (whoever shares the old object sees no change); the values
    parsed from the other headers carry over, and the new Via list is known without parsing.
    """
    vias = message.vias
    first_line = message.headers.get("Via")
    assert first_line is not None  # vias is not empty
    rest = Headers([("Via", first_line)]).get_all("Via")[1:] if "," in first_line else []
    headers = message.headers.with_first_line("Via", ", ".join([str(via), *rest]))
    headers.remember("Via", [via, *vias[1:]])
    message.headers = headers


def _matches_rfc2543(tx: Transaction, request: Request) -> bool:
    """The rest of the RFC 2543 matching rules (§17.2.3): Request-URI and To tag, where an ACK
    carries the To tag of the response it acknowledges."""
    if str(request.uri) != str(tx.request.uri):
        return False
    if request.method == "ACK" and tx.last_response is not None:
        return request.to_address.tag == tx.last_response.to_address.tag
    return request.to_address.tag == tx.request.to_address.tag


class TransactionLayer:
    """Every client and server transaction of one endpoint, with matching (RFC 3261 §17.1.3,
    §17.2.3), CANCEL (§9.2), merged requests (§8.2.2.2) and received/rport (§18.2.1)."""

    def __init__(self, *, settings: TimerSettings | None = None) -> None:
        """``settings``: T1, T2, T4 ... when not RFC 3261's defaults."""
        self.settings = settings or TimerSettings()
        self._transactions: dict[TransactionId, Transaction] = {}
        self._merge_index: dict[MergeKey, TransactionId] = {}
        self._events: deque[TransactionEvent] = deque()
        self._outgoing: list[tuple[Message, Peer]] = []
        # A heap of (deadline, id) with lazy deletion: an entry is live while it equals the
        # transaction's current deadline in _scheduled, so no timer costs a scan of all.
        self._heap: list[tuple[float, TransactionId]] = []
        self._scheduled: dict[TransactionId, float] = {}

    # -- input ----------------------------------------------------------------------------

    def receive(self, message: Message, source: Peer, now: float) -> None:
        """A message from the transport (already parsed and validated)."""
        try:
            if isinstance(message, Request):
                self._receive_request(message, source, now)
            else:
                self._receive_response(message, now)
        except RemoteProtocolError as error:
            logger.info("dropping a message from %s: %s", source, error.reason)
        except LocalProtocolError:
            # every input a peer can cause has a table entry, so this is our bug: say so loudly
            # but keep serving the other transactions
            logger.exception("transaction layer failed on a message from %s", source)

    def send_request(self, request: Request, destination: Peer, now: float) -> TransactionId:
        """Start a client transaction (§17.1); adds a branch to the top Via if it has none."""
        if request.method == "ACK":
            raise LocalProtocolError("ACK is not a transaction: use send_stateless", None)
        if not request.top_via.branch:
            _replace_top_via(request, request.top_via.with_params(branch=new_branch()))
        transaction_id = client_transaction_id(request)
        assert transaction_id is not None
        if transaction_id in self._transactions:
            raise LocalProtocolError(f"Transaction {transaction_id} already exists", None)
        invite = request.method == "INVITE"
        kind = TransactionKind.INVITE_CLIENT if invite else TransactionKind.NON_INVITE_CLIENT
        tx = self._add(kind, transaction_id, request, destination)
        self._run(tx, tx.start(now))
        if request.method == "CANCEL":
            self._invite_cancelled(request, now)
        return transaction_id

    def _invite_cancelled(self, cancel: Request, now: float) -> None:
        """A CANCEL shares its INVITE's branch (§9.1): that INVITE now waits 64*T1 at most
        for its final response, or it would be kept for ever when the callee is gone."""
        invite_id = client_transaction_id(cancel, "INVITE")
        invite = self._transactions.get(invite_id) if invite_id is not None else None
        if invite is not None and invite.kind is TransactionKind.INVITE_CLIENT:
            self._run(invite, invite.cancel_sent(now))

    def send_response(self, response: Response, now: float) -> None:
        """Answer through the server transaction named by the top Via and CSeq method."""
        transaction_id = server_transaction_id(response)
        tx = self._transactions.get(transaction_id)
        if tx is None:
            raise LocalProtocolError(f"No server transaction {transaction_id}", None)
        self._run(tx, tx.send_response(response, now))
        if response.status >= 200:
            # Answered: retransmissions match by transaction id, so lookups by header name
            # are rare from now on (Headers.compact says why this matters); the response is
            # only ever sent again as it is.
            tx.request.headers.compact()
            response.headers.compact()

    def send_stateless(self, message: Message, destination: Peer) -> None:
        """Send outside any transaction: the ACK for a 2xx (§13.2.2.4), 2xx retransmissions
        (§13.3.1.4). A request without a branch gets one."""
        if isinstance(message, Request) and not message.top_via.branch:
            _replace_top_via(message, message.top_via.with_params(branch=new_branch()))
        self._outgoing.append((message, destination))

    def transport_error(self, transaction_id: TransactionId, now: float) -> None:
        """The transport failed to deliver a message of this transaction (§17.1.4, §17.2.4)."""
        tx = self._transactions.get(transaction_id)
        if tx is None:
            logger.debug("transport error for a finished transaction %s", transaction_id)
            return
        self._run(tx, tx.transport_error(now))

    def handle_timer(self, now: float) -> None:
        """Fire every transaction timer due at or before ``now``."""
        while self._heap and self._heap[0][0] <= now:
            deadline, transaction_id = heapq.heappop(self._heap)
            if self._scheduled.get(transaction_id) != deadline:
                continue
            del self._scheduled[transaction_id]
            tx = self._transactions[transaction_id]
            self._run(tx, tx.handle_timer(now))

    # -- output ---------------------------------------------------------------------------

    def next_event(self) -> TransactionEvent | None:
        """The next event for the transaction user, or None."""
        return self._events.popleft() if self._events else None

    def messages_to_send(self) -> list[tuple[Message, Peer]]:
        """Messages for the transport, oldest first; the list is drained."""
        outgoing, self._outgoing = self._outgoing, []
        return outgoing

    def get_timer(self) -> float | None:
        """The earliest deadline over all transactions, or None."""
        while self._heap and self._scheduled.get(self._heap[0][1]) != self._heap[0][0]:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    @property
    def transaction_count(self) -> int:
        """Live transactions (ended ones are forgotten at once)."""
        return len(self._transactions)

    def transaction(self, transaction_id: TransactionId) -> Transaction | None:
        """A live transaction, for inspection."""
        return self._transactions.get(transaction_id)

    # -- requests -------------------------------------------------------------------------

    def _receive_request(self, request: Request, source: Peer, now: float) -> None:
        stamp_via(request, source)
        transaction_id = server_transaction_id(request)
        tx = self._transactions.get(transaction_id)
        if tx is not None and request.method == "ACK" and tx.state is TransactionState.ACCEPTED:
            tx = None  # an ACK for the 2xx that reuses the branch (RFC 2543 peers): the TU's
        if tx is not None and self._matches(tx, request):
            self._run(tx, tx.receive_request(request, now))
        elif request.method == "ACK":
            self._events.append(AckReceived(request=request, source=source))
        elif request.method == "CANCEL":
            self._receive_cancel(request, source, now)
        elif (key := _merge_key(request)) is not None and key in self._merge_index:
            logger.info("merged request %s %s: 482", request.method, request.call_id)
            tx = self._new_server(request, source, now, transaction_id, key)
            self._run(tx, tx.send_response(make_response(request, 482, to_tag=new_tag()), now))
        else:
            tx = self._new_server(request, source, now, transaction_id, key)
            self._events.append(
                RequestReceived(request=request, source=source, transaction_id=tx.id)
            )

    def _matches(self, tx: Transaction, request: Request) -> bool:
        branch = request.top_via.branch or ""
        return branch.startswith(MAGIC_COOKIE) or _matches_rfc2543(tx, request)

    def _receive_cancel(self, cancel: Request, source: Peer, now: float) -> None:
        """§9.2: a CANCEL that matches an INVITE server transaction is answered 200 here, and
        the TU hears of it only while the INVITE still waits for a final response."""
        invite_tx = self._transactions.get(server_transaction_id(cancel, "INVITE"))
        if invite_tx is not None and not self._matches(invite_tx, cancel):
            invite_tx = None
        tx = self._new_server(cancel, source, now, server_transaction_id(cancel), None)
        if invite_tx is None:
            self._run(tx, tx.send_response(make_response(cancel, 481, to_tag=new_tag()), now))
            return
        # §9.2: the To tag of the 200 should be the one the INVITE's responses carry.
        sent = invite_tx.last_response
        to_tag = (sent.to_address.tag if sent is not None else None) or new_tag()
        self._run(tx, tx.send_response(make_response(cancel, 200, to_tag=to_tag), now))
        if invite_tx.state is TransactionState.PROCEEDING:
            self._events.append(
                CancelReceived(request=cancel, source=source, transaction_id=invite_tx.id)
            )

    def _new_server(
        self,
        request: Request,
        source: Peer,
        now: float,
        transaction_id: TransactionId,
        merge_key: MergeKey | None,
    ) -> Transaction:
        """A server transaction for ``request``, its id and merge key (_merge_key, None for
        a CANCEL) already worked out by the caller."""
        invite = request.method == "INVITE"
        kind = TransactionKind.INVITE_SERVER if invite else TransactionKind.NON_INVITE_SERVER
        destination = response_destination(request.top_via, source)
        tx = self._add(kind, transaction_id, request, destination)
        tx.merge_key = merge_key
        if merge_key is not None:
            self._merge_index.setdefault(merge_key, tx.id)
        self._run(tx, tx.start(now))
        return tx

    # -- responses ------------------------------------------------------------------------

    def _receive_response(self, response: Response, now: float) -> None:
        if len(response.vias) != 1:
            # §8.1.3.3: a user agent is the only hop; more Vias mean it was misrouted
            logger.info("dropping a %d response with %d Vias", response.status, len(response.vias))
            return
        transaction_id = client_transaction_id(response)
        tx = self._transactions.get(transaction_id) if transaction_id else None
        if tx is not None:
            self._run(tx, tx.receive_response(response, now))
        elif transaction_id and response.status // 100 == 2 and response.cseq.method == "INVITE":
            # a 2xx retransmission after the transaction ended: the dialog layer ACKs it
            self._events.append(ResponseReceived(response=response, transaction_id=transaction_id))
        else:
            logger.debug("dropping a stray %d response", response.status)

    # -- bookkeeping ----------------------------------------------------------------------

    def _add(
        self, kind: TransactionKind, transaction_id: TransactionId, request: Request, peer: Peer
    ) -> Transaction:
        tx = Transaction(
            kind=kind,
            transaction_id=transaction_id,
            request=request,
            peer=peer,
            settings=self.settings,
        )
        self._transactions[transaction_id] = tx
        return tx

    def _run(self, tx: Transaction, outputs: list[Transmit | TransactionEvent]) -> None:
        """Route a step's outputs, reschedule the transaction's timer, forget it once
        terminated."""
        for output in outputs:
            if isinstance(output, Transmit):
                self._outgoing.append((output.message, output.destination))
            else:
                self._events.append(output)
        if tx.state is TransactionState.TERMINATED:
            self._forget(tx)
            return
        deadline = tx.get_timer()
        if deadline is None:
            self._scheduled.pop(tx.id, None)
        elif self._scheduled.get(tx.id) != deadline:
            self._scheduled[tx.id] = deadline
            heapq.heappush(self._heap, (deadline, tx.id))

    def _forget(self, tx: Transaction) -> None:
        self._transactions.pop(tx.id, None)
        self._scheduled.pop(tx.id, None)
        key = tx.merge_key
        if key is not None and self._merge_index.get(key) == tx.id:
            del self._merge_index[key]


def _merge_key(request: Request) -> MergeKey | None:
    """Requests without a To tag can be merged copies of one another (§8.2.2.2)."""
    if request.to_address.tag is not None or request.method in ("ACK", "CANCEL"):
        return None
    cseq = request.cseq
    return (request.from_address.tag, request.call_id, cseq.number, cseq.method)
