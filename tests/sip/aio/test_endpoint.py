"""The SIP endpoint on uvloop, over real loopback sockets."""

from __future__ import annotations

import asyncio

import uvloop

from hotline.sip.aio.endpoint import SipEndpoint


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
