"""The SIP endpoint on uvloop, over real loopback sockets."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest
import uvloop

from hotline.sip.address import Peer
from hotline.sip.aio.endpoint import SipEndpoint
from hotline.sip.message import Request, Response, make_response
from hotline.sip.parser import parse_message


def _options(index: int) -> bytes:
    return (
        f"OPTIONS sip:hotline.local SIP/2.0\r\n"
        f"Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKburst{index}\r\n"
        f"From: <sip:a@b>;tag={index}\r\nTo: <sip:hotline.local>\r\nCall-ID: burst-{index}\r\n"
        f"CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    ).encode()


async def _burst_over_tcp(count: int) -> list[bytes]:
    endpoint = SipEndpoint("127.0.0.1", 0)
    await endpoint.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", endpoint.port)
        # All in one write: one loop iteration handles them, and over TCP the transactions'
        # last timers are due at once (RFC 3261 §17.2.2 timer J is 0 on reliable transports).
        writer.write(b"".join(_options(index) for index in range(count)))
        answers = []
        async with asyncio.timeout(5):
            while len(answers) < count:
                line = await reader.readuntil(b"\r\n\r\n")
                answers.append(line.split(b"\r\n", 1)[0])
        writer.close()
        return answers
    finally:
        await endpoint.close()


def test_a_burst_over_tcp_on_uvloop_is_answered_in_full() -> None:
    answers = uvloop.run(_burst_over_tcp(20))
    assert answers == [b"SIP/2.0 200 OK"] * 20


async def _without_content_length() -> tuple[bytes, bytes]:
    endpoint = SipEndpoint("127.0.0.1", 0)
    await endpoint.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", endpoint.port)
        writer.write(_options(1).replace(b"Content-Length: 0\r\n", b""))
        async with asyncio.timeout(5):
            answer = await reader.readuntil(b"\r\n\r\n")
            rest = await reader.read()  # the connection is closed after the answer
        writer.close()
        return answer, rest
    finally:
        await endpoint.close()


def test_a_stream_without_framing_is_answered_400_before_it_closes() -> None:
    answer, rest = uvloop.run(_without_content_length())
    assert answer.startswith(b"SIP/2.0 400 Missing Content-Length header")  # RFC 3261 §18.3
    assert b"Call-ID: burst-1\r\n" in answer
    assert rest == b""


async def test_crlf_keep_alives_are_quiet_and_a_tcp_ping_gets_its_pong(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="hotline")
    endpoint = SipEndpoint("127.0.0.1", 0)
    await endpoint.start()
    try:
        loop = asyncio.get_running_loop()
        udp, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, remote_addr=("127.0.0.1", endpoint.port)
        )
        udp.sendto(b"\r\n")
        udp.sendto(b"\r\n\r\n")
        reader, writer = await asyncio.open_connection("127.0.0.1", endpoint.port)
        # A ping, a message and a ping: both pongs, then the answer.
        writer.write(b"\r\n\r\n" + _options(1) + b"\r\n\r\n")
        async with asyncio.timeout(5):
            assert await reader.readexactly(4) == b"\r\n\r\n"  # RFC 5626 §3.5.1 pongs
            answer = await reader.readuntil(b"\r\n\r\n")
            assert answer.startswith(b"SIP/2.0 200 OK")
        # The UDP keep-alives have arrived by now (sent first, on loopback); a request after
        # them makes sure they have been handled.
        answered = asyncio.Event()

        class Answers(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
                answered.set()

        udp2, _ = await loop.create_datagram_endpoint(
            Answers, remote_addr=("127.0.0.1", endpoint.port)
        )
        udp2.sendto(_options(2).replace(b"TCP 127.0.0.1:9;", b"UDP 127.0.0.1:9;rport;"))
        async with asyncio.timeout(5):
            await answered.wait()
        writer.close()
        udp.close()
        udp2.close()
    finally:
        await endpoint.close()
    noisy = [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("hotline") and record.levelno >= logging.INFO
    ]
    assert noisy == []
    assert endpoint.statistics.malformed_dropped == 0


async def test_options_requiring_an_unknown_extension_gets_420_with_unsupported() -> None:
    endpoint = SipEndpoint("127.0.0.1", 0)
    await endpoint.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", endpoint.port)
        # RFC 4475 §3.3.5 (bext01): answered 420, not 200 (RFC 3261 §8.2.2.3).
        writer.write(
            _options(1).replace(b"Max-Forwards", b"Require: nothingSupportsThis, x\r\nMax-Forwards")
        )
        async with asyncio.timeout(5):
            answer = await reader.readuntil(b"\r\n\r\n")
        writer.close()
    finally:
        await endpoint.close()
    assert answer.startswith(b"SIP/2.0 420 Bad Extension\r\n")
    assert b"\r\nUnsupported: nothingSupportsThis, x\r\n" in answer


async def test_a_message_before_broken_framing_in_one_read_is_answered_too() -> None:
    endpoint = SipEndpoint("127.0.0.1", 0)
    await endpoint.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", endpoint.port)
        broken = _options(2).replace(b"Content-Length: 0\r\n", b"")
        writer.write(_options(1) + broken)  # one write: the framer gets both in one read
        async with asyncio.timeout(5):
            first = await reader.readuntil(b"\r\n\r\n")
            second = await reader.readuntil(b"\r\n\r\n")
            rest = await reader.read()
        writer.close()
    finally:
        await endpoint.close()
    assert first.startswith(b"SIP/2.0 200 OK") and b"Call-ID: burst-1\r\n" in first
    assert second.startswith(b"SIP/2.0 400 Missing Content-Length header")
    assert b"Call-ID: burst-2\r\n" in second
    assert rest == b""


async def test_a_request_to_a_tcp_peer_nobody_listens_at_fails_at_once_with_503() -> None:
    """RFC 3261 §8.1.3.1: a transport error ends the client transaction as a 503 (a queue
    moves on to its next agent), rather than after Timer B's 32 seconds."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, never listening: connections are refused
        endpoint = SipEndpoint("127.0.0.1", 0)
        await endpoint.start()
        try:
            request = parse_message(_options(1).replace(b"sip:hotline.local", b"sip:x@127.0.0.1"))
            assert isinstance(request, Request)
            answered: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
            peer = Peer(transport="TCP", host="127.0.0.1", port=port)
            endpoint.send_request(request, peer, answered.set_result)
            async with asyncio.timeout(5):
                response = await answered
            assert response.status == 503
            assert endpoint.transport.statistics.send_errors == 1
        finally:
            await endpoint.close()


async def test_a_response_after_the_connection_closed_goes_to_the_via_port() -> None:
    """RFC 3261 §18.2.2: over TCP the response takes the request's connection while it is
    open, else a new connection to the received address at the Via's sent-by port."""
    accepted: asyncio.Queue[asyncio.StreamReader] = asyncio.Queue()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accepted.put(reader)

    phone = await asyncio.start_server(accept, "127.0.0.1", 0)
    listening = phone.sockets[0].getsockname()[1]
    endpoint = SipEndpoint("127.0.0.1", 0)
    invites: list[Request] = []
    endpoint.add_handler("INVITE", lambda request, source: invites.append(request))
    await endpoint.start()
    try:
        invite = (
            _options(7)
            .replace(b"OPTIONS", b"INVITE")
            .replace(b"127.0.0.1:9", f"127.0.0.1:{listening}".encode())
        )
        _, writer = await asyncio.open_connection("127.0.0.1", endpoint.port)
        writer.write(invite)
        async with asyncio.timeout(5):
            while not invites:
                await asyncio.sleep(0.01)
            writer.close()
            while endpoint.transport._connections:
                await asyncio.sleep(0.01)
        endpoint.respond(make_response(invites[0], 486, to_tag="busy"))
        async with asyncio.timeout(5):
            opened = await accepted.get()
            assert (await opened.readuntil(b"\r\n")).startswith(b"SIP/2.0 486 ")
    finally:
        await endpoint.close()
        phone.close()
