"""UDP sockets for legs: RTP on an even port and RTCP on the next one (RFC 3550 §11)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable

from ..engine import Leg

__all__ = ["PortPool", "RtcpProtocol", "RtpProtocol", "open_sockets"]

log = logging.getLogger(__name__)
_monotonic = time.monotonic


class RtpProtocol(asyncio.DatagramProtocol):
    """Feeds RTP datagrams to the leg's session and sends what it relays, at once."""

    def __init__(self, leg: Leg, on_digits: Callable[[Leg], None]) -> None:
        self.leg = leg
        self._on_digits = on_digits

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        leg = self.leg
        session = leg.session
        # The address goes in as given (IPv6 adds flow and scope): it is only compared and
        # handed back to sendto().
        relayed = session.receive(data, addr, _monotonic())
        if relayed is not None:
            partner = leg.partner
            if partner is not None and partner.transport is not None:
                remote = partner.session.remote
                if remote is not None:
                    partner.transport.sendto(relayed, remote)
        if session.digits:
            self._on_digits(leg)

    def error_received(self, exc: Exception) -> None:
        # ICMP port unreachable from a peer that hung up: expected, not worth a traceback.
        log.debug("RTP socket error on leg %s: %s", self.leg.leg_id, exc)


class RtcpProtocol(asyncio.DatagramProtocol):
    """Feeds RTCP datagrams to the leg's session."""

    def __init__(self, leg: Leg) -> None:
        self.leg = leg

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.leg.session.receive_rtcp(data, addr, _monotonic())

    def error_received(self, exc: Exception) -> None:
        log.debug("RTCP socket error on leg %s: %s", self.leg.leg_id, exc)


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


async def open_sockets(
    leg: Leg, address: str, pool: PortPool, on_digits: Callable[[Leg], None]
) -> tuple[int, asyncio.DatagramTransport, asyncio.DatagramTransport]:
    """Bind RTP and RTCP sockets on the first free pair of ports; OSError when none is left."""
    loop = asyncio.get_running_loop()
    for _ in range(len(pool)):
        port = pool.take()
        if port is None:
            break
        try:
            rtp, _ = await loop.create_datagram_endpoint(
                lambda: RtpProtocol(leg, on_digits), local_addr=(address, port)
            )
        except OSError:
            pool.give_back(port)
            continue
        try:
            rtcp, _ = await loop.create_datagram_endpoint(
                lambda: RtcpProtocol(leg), local_addr=(address, port + 1)
            )
        except OSError:
            rtp.close()
            pool.give_back(port)
            continue
        return port, rtp, rtcp
    raise OSError(f"no free RTP port pair on {address}")
