"""Where a message came from or goes to: transport, address and, for TCP, the connection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Peer", "Transport"]

Transport = Literal["UDP", "TCP"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Peer:
    """A remote SIP endpoint as seen by a transport.

    ``connection_id`` names the TCP connection a request arrived on, so its responses go back
    over that same connection (RFC 3261 §18.2.2); None for UDP or a connection not yet opened.
    """

    transport: Transport
    host: str
    port: int
    connection_id: int | None = None

    @property
    def reliable(self) -> bool:
        """TCP delivers or fails; retransmission timers do not apply (RFC 3261 §17)."""
        return self.transport == "TCP"
