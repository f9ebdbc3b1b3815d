"""UDP sockets for legs: RTP on an even port and RTCP on the next one (RFC 3550 §11).

Each socket is a plain non-blocking socket the event loop watches (``loop.add_reader``): one
read per wake-up, no protocol object or transport in between. An RTP socket starts open to
anyone; the first valid packet latches the peer's address (symmetric RTP, RFC 4961: the
address packets come from, which behind a NAT is not the one in the SDP) and the socket is then
``connect()``-ed to it, so that the kernel drops packets from other addresses (RTP injection,
bleed from a stale call: Asterisk's strictrtp) and sends and receives skip the per-packet
address work. A renegotiation (re-INVITE, answer) unlatches it: the socket is disconnected and
learns the address again.

While latched, a second socket on the same port (SO_REUSEPORT: the kernel hands a connected
socket its peer's packets and the unconnected one the rest) receives the strangers' packets, so
that they are counted, and so that the peer's own stream, come from a new address because its
NAT mapping changed, is followed there (``RtpSession.stranger``).
"""

from __future__ import annotations

import asyncio
import ctypes
import errno
import functools
import logging
import os
import socket
import time
from collections import deque
from collections.abc import Callable

from ..engine import Leg
from ..session import Address

__all__ = ["PortPool", "RtcpSocket", "RtpSocket", "disconnect", "open_sockets"]

log = logging.getLogger(__name__)
_monotonic = time.monotonic
_SIZE = 2048  # larger than any RTP packet a G.711 leg takes
_libc = ctypes.CDLL(None, use_errno=True)
_UNSPEC = bytes(16)  # a sockaddr of family AF_UNSPEC (0)


def disconnect(sock: socket.socket) -> None:
    """Dissolve a datagram socket's association: connect() to an AF_UNSPEC address (POSIX),
    which Python's ``connect`` cannot express."""
    if _libc.connect(sock.fileno(), _UNSPEC, len(_UNSPEC)) != 0:
        number = ctypes.get_errno()
        if number != errno.EAFNOSUPPORT:  # some systems say so, and disconnect all the same
            raise OSError(number, os.strerror(number))


class _LegSocket:
    """A leg's non-blocking socket: the running loop calls ``on_readable`` when data waits."""

    kind = "RTP"

    def __init__(self, leg: Leg, sock: socket.socket, on_readable: Callable[[], None]) -> None:
        self.leg = leg
        self.sock = sock
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(sock.fileno(), on_readable)

    def _recvfrom(self, sock: socket.socket | None = None) -> tuple[bytes, Address] | None:
        """A datagram and its source from ``sock`` (this leg's own by default); None if none."""
        try:
            return (self.sock if sock is None else sock).recvfrom(_SIZE)
        except OSError as exc:
            self._error(exc)
            return None

    def _error(self, exc: OSError) -> None:
        if not isinstance(exc, BlockingIOError | InterruptedError):
            # ICMP port unreachable from a peer that hung up: expected, not worth a traceback.
            log.debug("%s socket error on leg %s: %s", self.kind, self.leg.leg_id, exc)

    def close(self) -> None:
        if self.sock.fileno() >= 0:
            self._loop.remove_reader(self.sock.fileno())
            self.sock.close()


class RtpSocket(_LegSocket):
    """A leg's RTP socket: feeds datagrams to the leg's session, which relays to its partner's
    ``output``: this socket's send."""

    def __init__(self, leg: Leg, sock: socket.socket, on_digits: Callable[[Leg], None]) -> None:
        self.connected = False
        self._strangers: socket.socket | None = None  # while latched: other sources' packets
        self._send = sock.send
        self._sendto = sock.sendto
        self._recv = sock.recv
        self._receive = leg.session.receive
        leg.session.output = self._send_unlatched
        leg.session.on_digits = functools.partial(on_digits, leg)
        super().__init__(leg, sock, self._read)

    def _read(self) -> None:
        """Not latched: take a packet from anyone, and connect to the first valid one's source."""
        datagram = self._recvfrom()
        if datagram is None:
            return
        session = self.leg.session
        self._receive(*datagram, _monotonic())
        if session.latched and not self.connected and session.remote is not None:
            self._latch(session.remote)

    def _read_peer(self) -> None:
        """Latched: the kernel passes only the peer's packets."""
        try:
            data = self._recv(_SIZE)
        except OSError as exc:
            self._error(exc)
            return
        self._receive(data, None, _monotonic())

    def _send_unlatched(self, data: bytes) -> None:
        remote = self.leg.session.remote
        if remote is not None:
            self._sendto(data, remote)

    def sendto(self, data: bytes, address: Address) -> None:
        try:
            if self.connected:
                self._send(data)  # the address is the latched peer's: the session's remote
            else:
                self._sendto(data, address)
        except OSError as exc:
            self._error(exc)

    def _connect(self, remote: Address) -> bool:
        try:
            self.sock.connect(remote)
        except OSError as exc:  # the session stays latched and drops strangers itself
            log.debug("RTP socket of leg %s cannot connect to %s: %s", self.leg.leg_id, remote, exc)
            return False
        return True

    def _latch(self, remote: Address) -> None:
        if not self._connect(remote):
            return
        self.connected = True
        self.leg.session.output = self._send
        self._loop.add_reader(self.sock.fileno(), self._read_peer)
        try:
            strangers = _bound(*self.sock.getsockname()[:2], reuse_port=True)
        except OSError as exc:  # out of files: the kernel drops the strangers uncounted
            log.debug("leg %s cannot watch for strangers: %s", self.leg.leg_id, exc)
            return
        self._strangers = strangers
        self._loop.add_reader(strangers.fileno(), self._read_stranger)

    def _read_stranger(self) -> None:
        """Latched: a packet from another address; the peer's stream moved there is followed."""
        assert self._strangers is not None
        datagram = self._recvfrom(self._strangers)
        if datagram is None:
            return
        data, source = datagram
        session = self.leg.session
        before = session.remote
        if not session.stranger(data, source):
            return
        if source != before:
            self._connect(source)
            log.info(
                "RTP of leg %s now comes from %s port %d (was %s port %d): followed",
                self.leg.leg_id, source[0], source[1], *(before or ("?", 0)),
            )  # fmt: skip
        self._receive(data, None, _monotonic())

    def _stop_watching(self) -> None:
        strangers, self._strangers = self._strangers, None
        if strangers is not None:
            self._loop.remove_reader(strangers.fileno())
            strangers.close()

    def unlatch(self) -> None:
        """Accept packets from anyone again and learn the peer's address anew."""
        self.leg.session.latched = False
        # First, so that two unconnected sockets never share the port (the kernel would
        # spread the packets over both).
        self._stop_watching()
        if self.connected:
            disconnect(self.sock)
            self.connected = False
            self.leg.session.output = self._send_unlatched
            self._loop.add_reader(self.sock.fileno(), self._read)

    def close(self) -> None:
        self._stop_watching()
        super().close()


class RtcpSocket(_LegSocket):
    """A leg's RTCP socket: feeds datagrams to the leg's session, sends its reports."""

    kind = "RTCP"

    def __init__(self, leg: Leg, sock: socket.socket) -> None:
        super().__init__(leg, sock, self._read)

    def _read(self) -> None:
        datagram = self._recvfrom()
        if datagram is not None:
            self.leg.session.receive_rtcp(*datagram, _monotonic())

    def sendto(self, data: bytes, address: Address) -> None:
        try:
            self.sock.sendto(data, address)
        except OSError as exc:
            self._error(exc)


class PortPool:
    """Even ports of the configured range, handed out least recently used first."""

    def __init__(self, port_range: tuple[int, int]) -> None:
        low, high = port_range
        if not 0 < low < high <= 65535:
            raise ValueError(f"bad RTP port range {low}-{high}")
        self._free = deque(range(low + (low & 1), high, 2))

    def take(self) -> int | None:
        return self._free.popleft() if self._free else None

    def give_back(self, port: int) -> None:
        self._free.append(port)

    def __len__(self) -> int:
        return len(self._free)


def _bound(address: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        if reuse_port:  # on both sockets of a port, before binding
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((address, port))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def open_sockets(
    leg: Leg, address: str, pool: PortPool, on_digits: Callable[[Leg], None]
) -> tuple[int, RtpSocket, RtcpSocket]:
    """Bind RTP and RTCP sockets on the first free pair of ports; OSError when none is left."""
    for _ in range(len(pool)):
        port = pool.take()
        if port is None:
            break
        try:
            rtp = _bound(address, port, reuse_port=True)  # the strangers' socket joins it
        except OSError:
            pool.give_back(port)
            continue
        try:
            rtcp = _bound(address, port + 1)
        except OSError:
            rtp.close()
            pool.give_back(port)
            continue
        return port, RtpSocket(leg, rtp, on_digits), RtcpSocket(leg, rtcp)
    raise OSError(f"no free RTP port pair on {address}")
