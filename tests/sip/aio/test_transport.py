"""The asyncio transport over real loopback: UDP and TCP on one port, framing, idle close."""

from __future__ import annotations

import asyncio

from hotline.sip.address import Peer
from hotline.sip.aio.transport import SipTransport

MESSAGE = (
    b"OPTIONS sip:hotline.local SIP/2.0\r\n"
    b"Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKt1\r\n"
    b"From: <sip:a@b>;tag=1\r\nTo: <sip:hotline.local>\r\nCall-ID: t\r\n"
    b"CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 4\r\n\r\nbody"
)


class Collector:
    def __init__(self) -> None:
        self.messages: list[tuple[bytes, Peer]] = []
        self.arrived = asyncio.Event()

    def __call__(self, data: bytes, peer: Peer) -> None:
        self.messages.append((data, peer))
        self.arrived.set()


async def test_udp_and_tcp_share_one_port() -> None:
    collector = Collector()
    transport = SipTransport("127.0.0.1", 0, collector)
    await transport.start()
    try:
        loop = asyncio.get_running_loop()
        udp, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, remote_addr=("127.0.0.1", transport.port)
        )
        udp.sendto(b"hello udp")
        reader, writer = await asyncio.open_connection("127.0.0.1", transport.port)
        # Two messages split at odd places, with a keep-alive CRLF in front.
        stream = b"\r\n\r\n" + MESSAGE + MESSAGE
        for start in range(0, len(stream), 37):
            writer.write(stream[start : start + 37])
            await writer.drain()
        async with asyncio.timeout(5):
            while len(collector.messages) < 3:
                collector.arrived.clear()
                await collector.arrived.wait()
        kinds = sorted(peer.transport for _, peer in collector.messages)
        assert kinds == ["TCP", "TCP", "UDP"]
        tcp_messages = [data for data, peer in collector.messages if peer.transport == "TCP"]
        assert tcp_messages == [MESSAGE, MESSAGE]
        # A response goes back over the connection the request came on.
        tcp_peer = next(peer for _, peer in collector.messages if peer.transport == "TCP")
        assert tcp_peer.connection_id is not None
        transport.send(b"SIP/2.0 200 OK\r\n\r\n", tcp_peer)
        async with asyncio.timeout(5):
            # The keep-alive in front was a ping: its pong came first (RFC 5626 §3.5.1).
            assert await reader.readexactly(20) == b"\r\nSIP/2.0 200 OK\r\n\r\n"
        writer.close()
        udp.close()
    finally:
        await transport.close()


async def test_idle_tcp_connection_is_closed() -> None:
    transport = SipTransport("127.0.0.1", 0, Collector(), tcp_idle_timeout=0.3)
    await transport.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", transport.port)
        async with asyncio.timeout(5):
            assert await reader.read() == b""  # the server closed it
        assert transport.statistics.tcp_connections_closed_idle == 1
        writer.close()
    finally:
        await transport.close()


async def test_broken_stream_is_closed_and_server_keeps_serving() -> None:
    collector = Collector()
    transport = SipTransport("127.0.0.1", 0, collector)
    await transport.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", transport.port)
        writer.write(b"GARBAGE\r\nContent-Length: nope\r\n\r\n")
        async with asyncio.timeout(5):
            assert await reader.read() == b""
        assert transport.statistics.stream_errors == 1
        reader, writer = await asyncio.open_connection("127.0.0.1", transport.port)
        writer.write(MESSAGE)
        async with asyncio.timeout(5):
            await collector.arrived.wait()
        assert collector.messages[0][0] == MESSAGE
        writer.close()
    finally:
        await transport.close()


async def test_tcp_sends_over_the_peers_connection_else_connect_to_its_address() -> None:
    """A phone's connection is used while it is open, whatever address the request is for
    (RFC 5923 §4); once it is closed, a new connection goes to the address (its Contact)."""
    collector = Collector()
    transport = SipTransport("127.0.0.1", 0, collector)
    await transport.start()
    accepted: asyncio.Queue[asyncio.StreamReader] = asyncio.Queue()

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await accepted.put(reader)

    listener = await asyncio.start_server(accept, "127.0.0.1", 0)
    listening = listener.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", transport.port)
        writer.write(MESSAGE)
        async with asyncio.timeout(5):
            await collector.arrived.wait()
        flow = collector.messages[0][1]
        contact = Peer(transport="TCP", host="127.0.0.1", port=listening,
                       connection_id=flow.connection_id)  # fmt: skip
        transport.send(b"INVITE 1\r\n\r\n", contact)
        async with asyncio.timeout(5):
            assert await reader.readexactly(12) == b"INVITE 1\r\n\r\n"
        assert accepted.empty()
        writer.close()
        async with asyncio.timeout(5):
            while transport._connections:  # the transport sees the close
                await asyncio.sleep(0.01)
        transport.send(b"INVITE 2\r\n\r\n", contact)
        async with asyncio.timeout(5):
            opened = await accepted.get()
            assert await opened.readexactly(12) == b"INVITE 2\r\n\r\n"
        transport.send(b"INVITE 3\r\n\r\n", contact)  # the new connection serves from now on
        async with asyncio.timeout(5):
            assert await opened.readexactly(12) == b"INVITE 3\r\n\r\n"
        assert accepted.empty()
    finally:
        listener.close()
        await transport.close()
