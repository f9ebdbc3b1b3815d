"""The SIP side call control is given: what legs send through, and what the B2BUA hooks into.

``hotline.sip.aio.SipEndpoint`` is both; tests give legs ``hotline.testing.FakeSipSender``,
which records what would have gone out (aioice's ``TransactionSender`` idea).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from hotline.sip.address import Peer
from hotline.sip.message import Request, Response
from hotline.sip.timers import TimerSettings
from hotline.sip.transaction_layer import TransactionId

__all__ = ["BoundHost", "SipSender", "SipServer"]

ResponseHandler = Callable[[Response], None]
RequestHandler = Callable[[Request, Peer], Response | None]
AckHandler = Callable[[Request, Peer], None]
CancelHandler = Callable[[Request, TransactionId], None]


class BoundHost(Protocol):
    @property
    def host(self) -> str: ...


class SipSender(Protocol):
    """Sends responses (through their server transaction), requests and stateless messages;
    ``transport.host`` and ``port`` are where we listen (our Via and Contact)."""

    @property
    def transport(self) -> BoundHost: ...

    @property
    def port(self) -> int: ...

    @property
    def timers(self) -> TimerSettings:
        """RFC 3261's timer values the transactions run on (T1 sets how long an ended dialog
        is kept, to answer late retransmissions)."""
        ...

    def respond(self, response: Response) -> None: ...

    def send_request(
        self, request: Request, destination: Peer, on_response: ResponseHandler
    ) -> TransactionId: ...

    def send_stateless(self, message: Request | Response, destination: Peer) -> None: ...


class SipServer(SipSender, Protocol):
    """A sender that also hands call control the requests it receives."""

    on_ack: AckHandler | None
    on_cancel: CancelHandler | None
    on_stray_response: ResponseHandler | None

    def add_handler(self, method: str, handler: RequestHandler) -> None: ...
