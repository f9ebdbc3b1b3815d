"""Hotline's own SIP user agent: a phone without media of its own (RFC 3261 §8, §10, §13).

It registers with a registrar (answering 401 digest challenges and refreshing before the
binding expires), places calls (INVITE, 407 answered, 100/180/183/200, ACK, CANCEL before the
answer), receives calls (ring, answer, reject, CANCEL), and in a call sends and receives BYE,
re-INVITE hold and resume, and INFO. Every request goes to one peer, the server, as phones
with an outbound proxy do; a call may instead be placed straight to another user agent.

Media stays outside: each call gets a :class:`CallMedia` from the factory the user agent was
given, which makes and answers SDP and owns the RTP. ``hotline.demo.softphone`` plugs Hotline's
media engine in; this package imports nothing else of hotline::

    ua = UserAgent("127.0.0.1", username="101", password="s3cret-101",
                   domain="hotline.local", registrar=server, media=make_media)
    await ua.start()
    await ua.register(expires=300)
    call = await ua.invite("102")          # CallFailed(status) if refused at once
    await call.wait_answered()             # CallFailed(486) when busy ...
    await call.hold(); await call.resume(); await call.send_info(b"Signal=5\\r\\n")
    await call.hangup()                    # CANCEL before the answer, BYE after
    incoming = await ua.next_incoming()    # or ua.on_incoming = callback
    await incoming.ring(); await incoming.answer()   # or await incoming.reject(486)
    await incoming.wait_ended()            # the far end's BYE
    await ua.close()                       # hangs up, unregisters, closes the sockets
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from hotline.sip.address import Peer
from hotline.sip.aio.endpoint import SipEndpoint
from hotline.sip.aio.ua_call import (
    Call,
    CallFailed,
    CallMedia,
    CallState,
    InfoReceived,
    transact,
)
from hotline.sip.aio.ua_incoming import IncomingCall
from hotline.sip.aio.ua_outgoing import Credentials, OutgoingCall
from hotline.sip.aio.ua_registration import Registration, RegistrationFailed
from hotline.sip.headers import Headers, Via
from hotline.sip.message import Request, Response, make_response, new_call_id, new_tag
from hotline.sip.transaction_layer import TransactionId, server_transaction_id
from hotline.sip.uri import NameAddress, SipUri

__all__ = [
    "Call",
    "CallFailed",
    "CallMedia",
    "CallState",
    "IncomingCall",
    "InfoReceived",
    "MediaFactory",
    "OutgoingCall",
    "RegistrationFailed",
    "UserAgent",
]

log = logging.getLogger("hotline.sip.ua")

MediaFactory = Callable[[], CallMedia]
# Calls are found by Call-ID and our own tag, known from the start in both directions.
CallKey = tuple[str, str]


class UserAgent:
    """A SIP user agent on one UDP port (see the module docstring)."""

    def __init__(
        self,
        host: str,
        port: int = 0,
        *,
        username: str,
        password: str,
        domain: str,
        registrar: Peer | None = None,
        media: MediaFactory,
        display_name: str | None = None,
        name: str = "Hotline UA",
    ) -> None:
        self.host = host
        self.username = username
        self.domain = domain
        self.registrar = registrar
        self.display_name = display_name
        self.endpoint = SipEndpoint(host, port, server_name=name)
        self.credentials = Credentials(username=username, password=password)
        self.on_incoming: Callable[[IncomingCall], None] | None = None
        self._media = media
        self._incoming: asyncio.Queue[IncomingCall] = asyncio.Queue()
        self._calls: dict[CallKey, Call] = {}
        self._pending: dict[TransactionId, IncomingCall] = {}
        self._registration: Registration | None = None
        for method in ("INVITE", "BYE", "INFO"):
            self.endpoint.add_handler(method, self._request)
        self.endpoint.on_ack = self._ack
        self.endpoint.on_cancel = self._cancel
        self.endpoint.on_stray_response = self._stray_response

    # -- lifetime ----------------------------------------------------------------------------

    async def start(self) -> None:
        await self.endpoint.start()

    async def close(self) -> None:
        """Hang up every call, remove our binding, close the sockets."""
        calls = [call for call in self._calls.values() if not call.ended]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(3.0):
                await asyncio.gather(*(call.hangup() for call in calls), return_exceptions=True)
        if self._registration is not None:
            with contextlib.suppress(RegistrationFailed, TimeoutError):
                async with asyncio.timeout(2.0):
                    await self._registration.stop()
        await self.endpoint.close()

    async def __aenter__(self) -> UserAgent:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @property
    def port(self) -> int:
        return self.endpoint.port

    @property
    def address(self) -> Peer:
        """Where other user agents reach this one."""
        return Peer(transport="UDP", host=self.host, port=self.port)

    @property
    def aor(self) -> NameAddress:
        """Our address of record, ``sip:user@domain`` (RFC 3261 §10)."""
        uri = SipUri(scheme="sip", user=self.username, host=self.domain)
        return NameAddress(uri, self.display_name)

    @property
    def contact(self) -> NameAddress:
        """Where requests for us go: our user at this host and port."""
        return NameAddress(SipUri(scheme="sip", user=self.username, host=self.host, port=self.port))

    def via(self) -> Via:
        """A Via for a new request: the transaction layer adds the branch; ``rport`` asks for
        responses to our source port (RFC 3581)."""
        return Via("UDP", self.host, self.port, (("rport", None),))

    # -- registration ------------------------------------------------------------------------

    async def register(self, expires: int = 3600) -> int:
        """Register our contact (RFC 3261 §10.2) and keep it refreshed; returns the expiry the
        registrar granted. RegistrationFailed with the status when refused."""
        if self._registration is None:
            self._registration = Registration(
                endpoint=self.endpoint,
                registrar=self._server(),
                aor=self.aor,
                contact=self.contact,
                credentials=self.credentials,
                via=self.via,
            )
        return await self._registration.start(expires)

    async def unregister(self) -> None:
        """Remove our binding (Expires: 0) and stop refreshing it."""
        if self._registration is not None:
            await self._registration.stop()

    async def options(self, destination: Peer | None = None) -> Response:
        """Send OPTIONS (RFC 3261 §11) to the server or ``destination``; its final response."""
        peer = destination or self._server()
        uri = SipUri(scheme="sip", host=peer.host, port=peer.port)
        request = self._new_request("OPTIONS", uri, NameAddress(uri), new_call_id(), new_tag())
        return await transact(self.endpoint, request, peer)

    def _server(self) -> Peer:
        if self.registrar is None:
            raise ValueError("this user agent has no registrar (server) to send to")
        return self.registrar

    # -- placing calls -----------------------------------------------------------------------

    async def invite(
        self, number: str, *, destination: Peer | None = None, caller_id: str | None = None
    ) -> OutgoingCall:
        """Call ``number`` through the server, or the user agent at ``destination`` directly
        (RFC 3261 §13.2.1). Returns once the INVITE got a first response that is not a
        challenge; raises CallFailed when that response is a final failure. ``caller_id``
        replaces our user in From, as a trunk presents each caller's number."""
        peer = destination or self._server()
        host = self.domain if destination is None else destination.host
        port = None if destination is None else destination.port
        target = SipUri(scheme="sip", user=number, host=host, port=port)
        media = self._media()
        offer = await media.offer()
        tag, call_id = new_tag(), new_call_id()
        request = self._new_request("INVITE", target, NameAddress(target), call_id, tag)
        if caller_id is not None:
            uri = SipUri(scheme="sip", user=caller_id, host=self.domain)
            request.headers.set("From", str(NameAddress(uri).with_tag(tag)))
        request.headers.add("Contact", str(self.contact))
        request.headers.add("Content-Type", "application/sdp")
        request.body = offer.encode()
        parts = self._call_parts(request, peer, media, tag)
        call = OutgoingCall(credentials=self.credentials, **parts)
        call.local_sdp = offer
        self._calls[(call_id, tag)] = call
        await call.start()  # raises the CallFailed of a final failure
        return call

    def _call_parts(
        self, invite: Request, peer: Peer, media: CallMedia, tag: str
    ) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "peer": peer,
            "media": media,
            "via": self.via,
            "invite": invite,
            "local_tag": tag,
            "on_end": self._call_ended,
        }

    def _new_request(
        self, method: str, uri: SipUri, to: NameAddress, call_id: str, tag: str
    ) -> Request:
        """A request outside any dialog (RFC 3261 §8.1.1)."""
        headers = Headers([("Via", str(self.via()))])
        headers.add("Max-Forwards", "70")
        headers.add("From", str(self.aor.with_tag(tag)))
        headers.add("To", str(to))
        headers.add("Call-ID", call_id)
        headers.add("CSeq", f"1 {method}")
        return Request(method=method, uri=uri, headers=headers)

    # -- receiving calls -----------------------------------------------------------------------

    async def next_incoming(self) -> IncomingCall:
        """The next call to this user agent (when ``on_incoming`` is not set)."""
        return await self._incoming.get()

    def _request(self, request: Request, source: Peer) -> Response | None:
        to_tag = request.to_address.tag
        if to_tag is not None:
            call = self._calls.get((request.call_id, to_tag))
            if call is None:
                return make_response(request, 481)
            return call.receive_request(request, source)
        if request.method != "INVITE":
            return make_response(request, 481)
        self._new_incoming(request, source)
        return None

    def _new_incoming(self, invite: Request, source: Peer) -> None:
        tag = new_tag()
        self.endpoint.respond(make_response(invite, 100))
        parts = self._call_parts(invite, source, self._media(), tag)
        call = IncomingCall(source=source, contact=self.contact, **parts)
        self._calls[(invite.call_id, tag)] = call
        self._pending[server_transaction_id(invite)] = call
        log.debug("incoming call %s from %s", invite.call_id, call.caller)
        if self.on_incoming is not None:
            self.on_incoming(call)
        else:
            self._incoming.put_nowait(call)

    def _ack(self, ack: Request, source: Peer) -> None:
        call = self._calls.get((ack.call_id, ack.to_address.tag or ""))
        if call is not None:
            call.receive_ack(ack)

    def _cancel(self, cancel: Request, invite: TransactionId) -> None:
        call = self._pending.pop(invite, None)
        if call is not None:
            call.cancelled()

    def _stray_response(self, response: Response) -> None:
        call = self._calls.get((response.call_id, response.from_address.tag or ""))
        if isinstance(call, OutgoingCall):
            call.receive_stray(response)

    def _call_ended(self, call: Call) -> None:
        self._calls.pop((call.call_id, call.local_tag), None)
        if isinstance(call, IncomingCall):
            self._pending.pop(server_transaction_id(call.invite), None)

    @property
    def calls(self) -> list[Call]:
        """The calls in progress."""
        return list(self._calls.values())
