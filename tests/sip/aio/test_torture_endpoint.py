"""Every RFC 4475 torture message as a datagram to a live endpoint: the path a phone's message
takes (socket, parser, transaction layer, the UAS checks, the registrar or a handler), and
what comes back, one case per message (``endpoint`` in vectors/rfc4475/expected.toml):

- a status: the endpoint answers with it (400 for a malformed request, 505, 416, 420, 415,
  406, 501, the registrar's 401 or 400, 405 for a method Hotline does not serve, 200 for
  OPTIONS);
- "handled": the request reached its handler (as a call's INVITE reaches the B2BUA);
- "response": a 2xx to INVITE of no transaction reached the dialog layer (which ACKs late
  2xx retransmissions);
- "ignored": it parsed, and nothing is answered: a response of no transaction of ours, or
  one with more than one Via (RFC 3261 §8.1.3.3);
- "dropped": malformed, and nothing goes back, there being no response that could be formed.

Responses go to the Via's port at the source address (RFC 3261 §18.2.2): the test sends
from port 5060 of a loopback address of its own (one per process), where every Via without
a port points, and listens on 5050 too (quotbal's Via). After each message a probe OPTIONS
follows; its answer arriving first on the same path tells nothing else is coming.
"""

from __future__ import annotations

import asyncio
import os
import socket
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.sip.address import Peer
from hotline.sip.aio.endpoint import SipEndpoint
from hotline.sip.auth import DigestAuthenticator
from hotline.sip.guard import AuthGuard
from hotline.sip.location import InMemoryLocationService
from hotline.sip.message import Request, Response
from hotline.sip.registrar import Registrar

VECTORS = Path(__file__).parents[1] / "vectors" / "rfc4475"
EXPECTED = tomllib.loads((VECTORS / "expected.toml").read_text())
PROBE = (
    b"OPTIONS sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP probe.example.com;branch=z9hG4bKprobe"
    b"\r\nFrom: <sip:probe@example.com>;tag=p\r\nTo: <sip:example.com>\r\nCall-ID: probe\r\n"
    b"CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
)


def _own_loopback_address() -> str:
    pid = os.getpid()
    return f"127.77.{pid // 250 % 250 + 1}.{pid % 250 + 1}"


@pytest.fixture(scope="module")
def sockets() -> Iterator[tuple[socket.socket, socket.socket]]:
    """The phone's side: port 5060 (sends, and gets most answers) and 5050."""
    host = _own_loopback_address()
    opened = []
    try:
        for port in (5060, 5050):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            opened.append(sock)
            sock.bind((host, port))
            sock.setblocking(False)
    except OSError as error:
        for sock in opened:
            sock.close()
        pytest.skip(f"cannot bind {host}:5060 and :5050 ({error})")
    yield opened[0], opened[1]
    for sock in opened:
        sock.close()


class Node:
    """An endpoint as Hotline runs one: the registrar for example.com, and handlers for the
    methods call control serves (they record the request and answer later)."""

    def __init__(self) -> None:
        location = InMemoryLocationService(domain="example.com")
        authenticator = DigestAuthenticator("example.com", lambda user: None, secret=b"k" * 32)
        guard = AuthGuard(
            max_failures=100, window=60, backoff=60, max_backoff=60, scan_users=100,
            max_address_failures=1000, ban=60,
        )  # fmt: skip
        registrar = Registrar("example.com", authenticator, location, guard)
        self.endpoint = SipEndpoint("127.0.0.1", 0, registrar)
        self.handled: list[Request] = []
        self.responses: list[Response] = []
        for method in ("INVITE", "BYE", "INFO"):
            self.endpoint.add_handler(method, self._handle)
        self.endpoint.on_stray_response = self.responses.append

    def _handle(self, request: Request, source: Peer) -> None:
        self.handled.append(request)


async def _exchange(
    name: str, sockets: tuple[socket.socket, socket.socket], port: int
) -> list[bytes]:
    """Send vector ``name`` then the probe to ``port``; every datagram that came back before
    the probe's answer."""
    main, other = sockets
    loop = asyncio.get_running_loop()
    await loop.sock_sendto(main, (VECTORS / f"{name}.dat").read_bytes(), ("127.0.0.1", port))
    await loop.sock_sendto(main, PROBE, ("127.0.0.1", port))
    received = []
    async with asyncio.timeout(5):
        while b"Call-ID: probe" not in (data := await loop.sock_recv(main, 65536)):
            received.append(data)
    while True:  # sent before the probe's answer: already here if it was sent at all
        try:
            received.append(other.recv(65536))
        except BlockingIOError:
            return received


@pytest.mark.parametrize("name", sorted(EXPECTED))
async def test_each_torture_message_is_handled_as_the_rfc_says(
    name: str, sockets: tuple[socket.socket, socket.socket]
) -> None:
    expected = EXPECTED[name]["endpoint"]
    node = Node()
    await node.endpoint.start()
    try:
        received = await _exchange(name, sockets, node.endpoint.port)
    finally:
        await node.endpoint.close()
    finals = [data for data in received if not data.startswith(b"SIP/2.0 100 ")]
    if expected == "handled":
        assert [request.call_id for request in node.handled] != [], received
        assert finals == []
    elif expected == "response":
        assert len(node.responses) == 1 and finals == []
    elif expected in ("ignored", "dropped"):
        assert received == [] and node.handled == node.responses == []
        assert node.endpoint.statistics.malformed_dropped == (expected == "dropped")
    else:
        assert len(finals) == 1, finals
        reason = EXPECTED[name].get("endpoint_reason", "")
        assert finals[0].startswith(f"SIP/2.0 {expected} {reason}".encode()), finals[0][:200]
        assert node.handled == []


def test_every_message_has_its_endpoint_outcome() -> None:
    assert len(EXPECTED) == 49
    assert all("endpoint" in expectation for expectation in EXPECTED.values())
