"""A fake SIP endpoint: records what call control sends, and lets the test answer.

It satisfies ``hotline.pbx.SipServer`` (and so ``SipSender``): responses, requests and
stateless messages go to ``sent`` in order; each request's response handler is kept under its
Call-ID and method, so a test plays the phone by calling ``reply``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from hotline.pbx.sip_ports import AckHandler, CancelHandler, RequestHandler, ResponseHandler
from hotline.sip.address import Peer
from hotline.sip.message import Request, Response, make_response
from hotline.sip.timers import TimerSettings
from hotline.sip.transaction_layer import TransactionId

__all__ = ["FakeSipSender"]

_SDP = "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"


@dataclass
class _Bound:
    host: str = "127.0.0.1"


class FakeSipSender:
    def __init__(self, host: str = "127.0.0.1", port: int = 5060) -> None:
        self.transport = _Bound(host)
        self.port = port
        self.timers = TimerSettings()
        self.sent: list[Request | Response] = []
        # Where each request and stateless message went, in the order sent.
        self.destinations: list[tuple[Request | Response, Peer]] = []
        self.handlers: dict[str, RequestHandler] = {}
        self.on_response: dict[tuple[str, str], ResponseHandler] = {}
        self.on_ack: AckHandler | None = None
        self.on_cancel: CancelHandler | None = None
        self.on_stray_response: ResponseHandler | None = None
        self._ids = itertools.count(1)

    def add_handler(self, method: str, handler: RequestHandler) -> None:
        self.handlers[method] = handler

    def respond(self, response: Response) -> None:
        self.sent.append(response)

    def send_request(
        self, request: Request, destination: Peer, on_response: ResponseHandler
    ) -> TransactionId:
        self.sent.append(request)
        self.destinations.append((request, destination))
        self.on_response[(request.call_id, request.method)] = on_response
        return TransactionId(f"fake-{next(self._ids)}")

    def send_stateless(self, message: Request | Response, destination: Peer) -> None:
        self.sent.append(message)
        self.destinations.append((message, destination))

    # -- for tests ---------------------------------------------------------------------------

    def methods(self) -> list[str]:
        """What went out: request methods and response statuses, in order."""
        return [m.method if isinstance(m, Request) else str(m.status) for m in self.sent]

    def requests(self, method: str) -> list[Request]:
        return [m for m in self.sent if isinstance(m, Request) and m.method == method]

    def responses(self) -> list[Response]:
        return [m for m in self.sent if isinstance(m, Response)]

    def reply(self, request: Request, status: int, *, to_tag: str = "phone") -> Response:
        """The phone answers ``request`` with ``status`` (a 200 carries an SDP answer)."""
        response = make_response(request, status, to_tag=to_tag)
        response.headers.set("Contact", f"<sip:phone@{request.uri.host}>")
        if status == 200:
            response.headers.set("Content-Type", "application/sdp")
            response.body = _SDP.encode()
        self.on_response[(request.call_id, request.method)](response)
        return response
