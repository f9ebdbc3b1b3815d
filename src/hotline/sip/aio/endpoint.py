"""The SIP endpoint: transport, transaction layer and transaction users on one event loop.

Bytes from the transport are parsed; garbage is answered 400 with the reason when a response
can be formed and dropped otherwise, and counted either way. Parsed messages go through the
sans-IO ``TransactionLayer``; its events reach the transaction users: request handlers by
method (the registrar, OPTIONS, call control), a response callback per client transaction,
and handlers for ACKs of 2xx, CANCELs and 2xx retransmissions that outlive their transaction.
One ``loop.call_at`` is re-armed to the layer's earliest timer (aioquic's ``transmit()``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from hotline.sip.address import Peer
from hotline.sip.aio.transport import SipTransport
from hotline.sip.errors import SipParseError
from hotline.sip.message import Request, Response, make_response
from hotline.sip.parser import parse_message
from hotline.sip.registrar import Registrar
from hotline.sip.timers import TimerSettings
from hotline.sip.transaction_layer import (
    AckReceived,
    CancelReceived,
    RequestReceived,
    ResponseReceived,
    TransactionId,
    TransactionLayer,
    TransactionTerminated,
    TransactionTimedOut,
    client_transaction_id,
)
from hotline.sip.uas import method_refusal, refusal

__all__ = [
    "AckHandler",
    "CancelHandler",
    "EndpointStatistics",
    "RequestHandler",
    "ResponseHandler",
    "SipEndpoint",
]

log = logging.getLogger("hotline.sip")

# A request handler answers: it returns the final response, or None when it answers later
# through ``SipEndpoint.respond`` (an INVITE rings first).
RequestHandler = Callable[[Request, Peer], Response | None]
# Every response of a client transaction, provisional and final. A timeout or a transport
# error arrives as a locally made 408 or 503 (RFC 3261 §8.1.3.1).
ResponseHandler = Callable[[Response], None]
AckHandler = Callable[[Request, Peer], None]
CancelHandler = Callable[[Request, TransactionId], None]


@dataclass(slots=True)
class EndpointStatistics:
    messages_received: int = 0
    malformed_answered: int = 0
    malformed_dropped: int = 0
    requests_handled: int = 0


class SipEndpoint:
    """One SIP node: answers OPTIONS itself, REGISTER through the registrar when it has one,
    and hands every other request, response, ACK and CANCEL to the handlers registered."""

    def __init__(
        self,
        host: str,
        port: int,
        registrar: Registrar | None = None,
        *,
        server_name: str = "Hotline",
        tcp_idle_timeout: float = 300.0,
        wall_clock: Callable[[], float] = time.time,
        timers: TimerSettings | None = None,
    ) -> None:
        """``timers``: T1, T2, T4 (RFC 3261 §17.1.1.1) other than the defaults."""
        self.registrar = registrar
        # Timers run on the loop's monotonic clock; bindings and Date headers need wall time.
        self._wall_clock = wall_clock
        self.statistics = EndpointStatistics()
        self.transport = SipTransport(
            host,
            port,
            self._message_received,
            tcp_idle_timeout=tcp_idle_timeout,
            on_stream_error=self._answer_malformed,
            on_send_error=self._send_failed,
        )
        self._layer = TransactionLayer(settings=timers)
        self._server_name = server_name
        self._handlers: dict[str, RequestHandler] = {"OPTIONS": self._options}
        if registrar is not None:
            self._handlers["REGISTER"] = self._register
        self._response_handlers: dict[TransactionId, tuple[Request, ResponseHandler]] = {}
        self.on_ack: AckHandler | None = None
        self.on_cancel: CancelHandler | None = None
        # 2xx retransmissions that outlive their INVITE transaction: the dialog ACKs them again.
        self.on_stray_response: ResponseHandler | None = None
        self._timer: asyncio.Handle | None = None
        self._timer_deadline: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def port(self) -> int:
        return self.transport.port

    @property
    def timers(self) -> TimerSettings:
        return self._layer.settings

    def table_sizes(self) -> dict[str, int]:
        """What the endpoint keeps per transaction, for tests and health: every entry goes
        once its transaction has ended (after the RFC 3261 timers)."""
        return {
            "transactions": self._layer.transaction_count,
            "response handlers": len(self._response_handlers),
        }

    @property
    def allowed_methods(self) -> list[str]:
        return ["ACK", "CANCEL", *self._handlers]

    def add_handler(self, method: str, handler: RequestHandler) -> None:
        """Route new requests of ``method`` (outside a transaction retransmission) to handler."""
        self._handlers[method] = handler

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.transport.start()

    async def close(self) -> None:
        if self._timer:
            self._timer.cancel()
        await self.transport.close()

    def _now(self) -> float:
        assert self._loop is not None
        return self._loop.time()

    # -- input -----------------------------------------------------------------------------

    def _message_received(self, data: bytes, source: Peer) -> None:
        self.statistics.messages_received += 1
        try:
            message = parse_message(data)
        except SipParseError as error:
            self._answer_malformed(error, source)
            return
        self._layer.receive(message, source, self._now())
        self._process()

    def _answer_malformed(self, error: SipParseError, source: Peer) -> None:
        partial = error.partial
        if isinstance(partial, Request) and partial.method != "ACK" and error.status_hint:
            try:
                response = make_response(partial, error.status_hint, error.reason)
            except SipParseError:
                partial = None
            else:
                self.statistics.malformed_answered += 1
                log.info("answered malformed message from %s: %s", source.host, error.reason)
                self._layer.send_stateless(response, source)
                self._flush()
                return
        self.statistics.malformed_dropped += 1
        log.info("dropped malformed message from %s: %s", source.host, error.reason)

    def _send_failed(self, data: bytes, destination: Peer) -> None:
        """A request that could not leave ends its client transaction at once with a
        transport error, which its handler gets as 503 (RFC 3261 §8.1.3.1, §17.1.4), rather
        than waiting out Timer B. A response that could not leave has nothing to tell."""
        message = parse_message(data)  # our own bytes: they parse
        if not isinstance(message, Request) or message.method == "ACK":
            return
        transaction_id = client_transaction_id(message)
        if transaction_id is not None:
            self._layer.transport_error(transaction_id, self._now())
            self._process()

    def _process(self) -> None:
        while (event := self._layer.next_event()) is not None:
            if isinstance(event, RequestReceived):
                self._dispatch(event.request, event.source)
            elif isinstance(event, ResponseReceived):
                self._deliver(event.transaction_id, event.response)
            elif isinstance(event, AckReceived):
                if self.on_ack is not None:
                    self.on_ack(event.request, event.source)
            elif isinstance(event, CancelReceived):
                if self.on_cancel is not None:
                    self.on_cancel(event.request, event.transaction_id)
            elif isinstance(event, TransactionTimedOut):
                self._time_out(event)
            elif isinstance(event, TransactionTerminated):
                self._response_handlers.pop(event.transaction_id, None)
        self._flush()

    def _deliver(self, transaction_id: TransactionId, response: Response) -> None:
        pending = self._response_handlers.get(transaction_id)
        handler = pending[1] if pending else self.on_stray_response
        if handler is not None:
            handler(response)

    def _time_out(self, event: TransactionTimedOut) -> None:
        pending = self._response_handlers.pop(event.transaction_id, None)
        if pending is not None:
            request, handler = pending
            handler(make_response(request, 503 if event.transport_error else 408))

    def _dispatch(self, request: Request, source: Peer) -> None:
        self.statistics.requests_handled += 1
        handler = self._handlers.get(request.method)
        if handler is None:  # the method first, then what the request requires (§8.2)
            response = method_refusal(request, self.allowed_methods)
        elif (refused := refusal(request)) is not None:
            response = refused
        else:
            answer = handler(request, source)
            if answer is None:
                return
            response = answer
        self.respond(response)

    def respond(self, response: Response) -> None:
        """Send a response through its server transaction."""
        headers = response.headers
        if "Server" in headers:
            headers.set("Server", self._server_name)
        else:
            headers.add("Server", self._server_name)  # the same, without rebuilding the list
        self._layer.send_response(response, self._now())
        self._flush()

    def send_request(
        self, request: Request, destination: Peer, on_response: ResponseHandler
    ) -> TransactionId:
        """Start a client transaction; ``on_response`` gets each of its responses."""
        request.headers.set("User-Agent", self._server_name)
        transaction_id = self._layer.send_request(request, destination, self._now())
        self._response_handlers[transaction_id] = (request, on_response)
        self._flush()
        return transaction_id

    def send_stateless(self, message: Request | Response, destination: Peer) -> None:
        """Send outside any transaction: the ACK of a 2xx, a 2xx retransmission."""
        self._layer.send_stateless(message, destination)
        self._flush()

    # -- handlers --------------------------------------------------------------------------

    def _register(self, request: Request, source: Peer) -> Response:
        assert self.registrar is not None
        return self.registrar.handle_register(request, source, self._wall_clock())

    def _options(self, request: Request, source: Peer) -> Response:
        """OPTIONS (RFC 3261 §11.2): what we accept, so phones and SBCs can probe us."""
        response = make_response(request, 200)
        response.headers.set("Allow", ", ".join(self.allowed_methods))
        response.headers.set("Accept", "application/sdp")
        response.headers.set("Accept-Language", "en")
        return response

    # -- output and timers -----------------------------------------------------------------

    def _flush(self) -> None:
        for message, destination in self._layer.messages_to_send():
            self.transport.send(message.to_bytes(), destination)
        self._arm_timer()

    def _arm_timer(self) -> None:
        deadline = self._layer.get_timer()
        if self._timer is not None:
            # The deadline is kept apart: uvloop returns a plain Handle (no ``when()``) for a
            # deadline already past.
            if deadline == self._timer_deadline:
                return
            self._timer.cancel()
            self._timer = None
        self._timer_deadline = deadline
        if deadline is not None and self._loop is not None:
            self._timer = self._loop.call_at(deadline, self._fire_timer)

    def _fire_timer(self) -> None:
        self._timer = None
        self._timer_deadline = None
        self._layer.handle_timer(self._now())
        self._process()
