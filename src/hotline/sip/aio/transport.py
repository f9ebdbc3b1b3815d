"""UDP and TCP on one address (RFC 3261 §18), the asyncio side of the SIP stack.

The transport moves whole messages as bytes. UDP datagrams go up as they are; TCP streams are
cut into messages by ``StreamFramer`` (Content-Length framing, §18.3). Every message goes up
with the ``Peer`` it came from; a TCP peer carries its connection id, so responses return over
the connection the request came on (§18.2.2). Idle TCP connections are closed after a while.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

from hotline.sip.address import Peer
from hotline.sip.errors import SipParseError
from hotline.sip.parser import StreamFramer

__all__ = ["SipTransport", "TransportStatistics"]

log = logging.getLogger("hotline.sip.transport")

MessageHandler = Callable[[bytes, Peer], None]
# A stream whose framing is lost, before its connection closes: the error may carry a request
# that can still be answered (SipParseError.partial, RFC 4475 §3.1.2.3).
StreamErrorHandler = Callable[[SipParseError, Peer], None]
# A message that could not be sent: no TCP connection to its peer could be opened.
SendErrorHandler = Callable[[bytes, Peer], None]


@dataclass(slots=True)
class TransportStatistics:
    datagrams_received: int = 0
    datagrams_sent: int = 0
    tcp_connections_opened: int = 0
    tcp_connections_closed_idle: int = 0
    stream_errors: int = 0
    send_errors: int = 0


@dataclass(slots=True)
class _Connection:
    connection_id: int
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    peer: Peer
    last_activity: float
    framer: StreamFramer = field(default_factory=StreamFramer)


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, transport: SipTransport) -> None:
        self._owner = transport

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self._owner._datagram_received(data, str(addr[0]), int(addr[1]))

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable and the like: the transaction layer times out on its own.
        log.debug("UDP error: %s", exc)


class SipTransport:
    """SIP over UDP and TCP on ``host:port``; ``port=0`` picks a free port for both."""

    def __init__(
        self,
        host: str,
        port: int,
        on_message: MessageHandler,
        *,
        tcp_idle_timeout: float = 300.0,
        on_stream_error: StreamErrorHandler | None = None,
        on_send_error: SendErrorHandler | None = None,
    ) -> None:
        self.host = host
        self._on_stream_error = on_stream_error
        self._on_send_error = on_send_error
        self.port = port
        self.statistics = TransportStatistics()
        self._on_message = on_message
        self._tcp_idle_timeout = tcp_idle_timeout
        self._udp: asyncio.DatagramTransport | None = None
        self._server: asyncio.Server | None = None
        self._connections: dict[int, _Connection] = {}
        self._by_address: dict[tuple[str, int], int] = {}
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self._reaper: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Bind UDP and TCP to the same address (retrying when port 0 lands on a taken TCP port)."""
        loop = asyncio.get_running_loop()
        for _attempt in range(20):
            udp, _ = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self), local_addr=(self.host, self.port)
            )
            port = int(udp.get_extra_info("sockname")[1])
            try:
                self._server = await asyncio.start_server(
                    self._accept, self.host, port, reuse_address=True
                )
            except OSError:
                udp.close()
                if self.port:
                    raise
                continue
            self._udp, self.port = udp, port
            self._reaper = asyncio.create_task(self._close_idle_connections())
            return
        raise OSError(f"no free port for both UDP and TCP on {self.host}")

    async def close(self) -> None:
        if self._reaper:
            self._reaper.cancel()
        if self._udp:
            self._udp.close()
        if self._server:
            self._server.close()
        for connection in list(self._connections.values()):
            connection.writer.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server:
            await self._server.wait_closed()

    # -- receiving -------------------------------------------------------------------------

    def _datagram_received(self, data: bytes, host: str, port: int) -> None:
        self.statistics.datagrams_received += 1
        if not data.strip(b"\r\n"):
            # A CRLF keep-alive (phones send them to hold their NAT binding open): no message.
            log.debug("keep-alive from %s:%d over UDP", host, port)
            return
        self._on_message(data, Peer(transport="UDP", host=host, port=port))

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        address = writer.get_extra_info("peername")
        connection = self._register(reader, writer, str(address[0]), int(address[1]))
        await self._read_stream(connection)

    def _register(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, port: int
    ) -> _Connection:
        connection_id = next(self._ids)
        peer = Peer(transport="TCP", host=host, port=port, connection_id=connection_id)
        loop = asyncio.get_running_loop()
        connection = _Connection(connection_id, reader, writer, peer, loop.time())
        self._connections[connection_id] = connection
        self._by_address[(host, port)] = connection_id
        self.statistics.tcp_connections_opened += 1
        return connection

    async def _read_stream(self, connection: _Connection) -> None:
        loop = asyncio.get_running_loop()
        try:
            while data := await connection.reader.read(65536):
                connection.last_activity = loop.time()
                framer = connection.framer
                messages = framer.feed(data)
                if framer.pings:
                    # Each CRLFCRLF ping gets its CRLF pong (RFC 5626 §3.5.1), ahead of the
                    # answers to the read's messages: a pong is never held up behind them.
                    connection.writer.write(b"\r\n" * framer.pings)
                    framer.pings = 0
                for message in messages:
                    self._on_message(message, connection.peer)
                if framer.failure is not None:
                    raise framer.failure  # the messages before the break are handed over
        except SipParseError as error:
            # A broken stream cannot be resynchronised: framing is lost, so close it.
            self.statistics.stream_errors += 1
            log.warning("closing TCP connection from %s: %s", connection.peer.host, error.reason)
            if self._on_stream_error is not None:
                self._on_stream_error(error, connection.peer)  # still open: an answer goes out
        except (ConnectionError, OSError) as error:
            log.debug("TCP connection %d failed: %s", connection.connection_id, error)
        finally:
            self._forget(connection)

    def _forget(self, connection: _Connection) -> None:
        self._connections.pop(connection.connection_id, None)
        address = (connection.peer.host, connection.peer.port)
        if self._by_address.get(address) == connection.connection_id:
            del self._by_address[address]
        connection.writer.close()

    async def _close_idle_connections(self) -> None:
        loop = asyncio.get_running_loop()
        period = max(0.05, min(self._tcp_idle_timeout / 4, 10.0))
        while True:
            await asyncio.sleep(period)
            deadline = loop.time() - self._tcp_idle_timeout
            for connection in list(self._connections.values()):
                if connection.last_activity < deadline:
                    self.statistics.tcp_connections_closed_idle += 1
                    log.debug("closing idle TCP connection %d", connection.connection_id)
                    self._forget(connection)

    # -- sending ---------------------------------------------------------------------------

    def send(self, data: bytes, peer: Peer) -> None:
        """Send one message; over TCP on the peer's connection, or on one open to its address,
        or on a new connection to its address when there is none."""
        if peer.transport == "UDP":
            if self._udp is not None:
                self._udp.sendto(data, (peer.host, peer.port))
                self.statistics.datagrams_sent += 1
            return
        connection = self._connection_to(peer)
        if connection is not None:
            connection.writer.write(data)
            connection.last_activity = asyncio.get_running_loop().time()
            return
        task = asyncio.create_task(self._connect_and_send(data, peer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _connection_to(self, peer: Peer) -> _Connection | None:
        """The peer's own connection while it is open, else any open one to its address."""
        if peer.connection_id is not None:
            connection = self._connections.get(peer.connection_id)
            if connection is not None:
                return connection
        connection_id = self._by_address.get((peer.host, peer.port))
        return None if connection_id is None else self._connections.get(connection_id)

    async def _connect_and_send(self, data: bytes, peer: Peer) -> None:
        try:
            reader, writer = await asyncio.open_connection(peer.host, peer.port)
        except OSError as error:
            self.statistics.send_errors += 1
            log.info("cannot connect to %s:%d over TCP: %s", peer.host, peer.port, error)
            if self._on_send_error is not None:
                self._on_send_error(data, peer)
            return
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection = self._register(reader, writer, peer.host, peer.port)
        writer.write(data)
        await self._read_stream(connection)
