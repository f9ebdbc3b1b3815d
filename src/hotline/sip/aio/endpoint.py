"""The SIP endpoint: transport, transaction layer and request handlers on one event loop.

Bytes from the transport are parsed; garbage is answered 400 with the reason when a response
can be formed and dropped otherwise, and counted either way. Parsed messages go through the
sans-IO ``TransactionLayer``; its events reach the handlers (registrar, OPTIONS, and the call
control of later issues). One ``loop.call_at`` is re-armed to the layer's earliest timer
(aioquic's ``transmit()`` pattern).
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
from hotline.sip.message import Request, Response, make_response, parse_message
from hotline.sip.registrar import Registrar
from hotline.sip.transaction_layer import (
    AckReceived,
    CancelReceived,
    RequestReceived,
    TransactionLayer,
)

__all__ = ["ALLOWED_METHODS", "EndpointStatistics", "RequestHandler", "SipEndpoint"]

log = logging.getLogger("hotline.sip")

ALLOWED_METHODS = ("REGISTER", "OPTIONS")

# A handler answers a request: it returns the final response, or None when it answers later
# through ``SipEndpoint.respond``.
RequestHandler = Callable[[Request, Peer], Response | None]


@dataclass(slots=True)
class EndpointStatistics:
    messages_received: int = 0
    malformed_answered: int = 0
    malformed_dropped: int = 0
    requests_handled: int = 0


class SipEndpoint:
    """Hotline's SIP side: answers REGISTER through the registrar and OPTIONS itself."""

    def __init__(
        self,
        host: str,
        port: int,
        registrar: Registrar,
        *,
        server_name: str = "Hotline",
        tcp_idle_timeout: float = 300.0,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.registrar = registrar
        # Timers run on the loop's monotonic clock; bindings and Date headers need wall time.
        self._wall_clock = wall_clock
        self.statistics = EndpointStatistics()
        self.transport = SipTransport(
            host, port, self._message_received, tcp_idle_timeout=tcp_idle_timeout
        )
        self._layer = TransactionLayer()
        self._server_name = server_name
        self._handlers: dict[str, RequestHandler] = {
            "REGISTER": self._register,
            "OPTIONS": self._options,
        }
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def port(self) -> int:
        return self.transport.port

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

    def _process(self) -> None:
        while (event := self._layer.next_event()) is not None:
            if isinstance(event, RequestReceived):
                self._dispatch(event.request, event.source)
            elif isinstance(event, (AckReceived, CancelReceived)):
                # No dialogs yet: nothing to do for a stray ACK; CANCEL is answered by the layer.
                log.debug("ignored %s", type(event).__name__)
        self._flush()

    def _dispatch(self, request: Request, source: Peer) -> None:
        self.statistics.requests_handled += 1
        handler = self._handlers.get(request.method)
        if handler is None:
            response = make_response(request, 405)
            response.headers.set("Allow", ", ".join(ALLOWED_METHODS))
        else:
            answer = handler(request, source)
            if answer is None:
                return
            response = answer
        self.respond(response)

    def respond(self, response: Response) -> None:
        """Send a response through its server transaction."""
        response.headers.set("Server", self._server_name)
        self._layer.send_response(response, self._now())
        self._flush()

    # -- handlers --------------------------------------------------------------------------

    def _register(self, request: Request, source: Peer) -> Response:
        return self.registrar.handle_register(request, source, self._wall_clock())

    def _options(self, request: Request, source: Peer) -> Response:
        """OPTIONS (RFC 3261 §11.2): what we accept, so phones and SBCs can probe us."""
        response = make_response(request, 200)
        response.headers.set("Allow", ", ".join(ALLOWED_METHODS))
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
            if deadline is not None and self._timer.when() == deadline:
                return
            self._timer.cancel()
            self._timer = None
        if deadline is not None and self._loop is not None:
            self._timer = self._loop.call_at(deadline, self._fire_timer)

    def _fire_timer(self) -> None:
        self._timer = None
        self._layer.handle_timer(self._now())
        self._process()
