"""Where a message came from or goes to: transport, address and, for TCP, the connection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hotline.sip.uri import SipUri

__all__ = ["Peer", "Transport", "reach"]

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


def reach(contact: SipUri, flow: Peer) -> Peer:
    """Where requests to ``contact`` go, when the phone that gave it reached us over ``flow``
    (the source of its REGISTER or INVITE).

    Over UDP the flow's address itself: behind a NAT that is the only address that works
    (RFC 3581). Over TCP the flow's connection while it is open, as RFC 5923 §4 reuses an
    aliased connection; once it is closed (or never known: a binding restored after a
    restart) a new connection to the Contact's host and port, where the phone listens
    (RFC 3261 §18.1.1, 5060 by default, RFC 3263 §4.2).
    """
    if flow.transport == "UDP":
        return flow
    port = contact.port or 5060
    return Peer(transport="TCP", host=contact.host, port=port, connection_id=flow.connection_id)
