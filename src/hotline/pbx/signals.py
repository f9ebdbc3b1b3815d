"""Typed call-control events between the legs of a B2BUA call (sippy's CCEvents idea).

Legs turn SIP into these and the call reacts to them; no SIP message crosses from one leg to
the other, so each side keeps its own dialog, Call-ID, tags and CSeq (RFC 7092 §3.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hotline.pbx.legs import InboundLeg, OutboundLeg

__all__ = ["Answered", "DigitReceived", "HungUp", "Reoffered", "Ringing", "Signal"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Ringing:
    """The called phone is alerting (180) or sends early media (183)."""

    leg: OutboundLeg
    status: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Answered:
    """The called phone answered with ``sdp`` (its answer to our offer)."""

    leg: OutboundLeg
    sdp: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HungUp:
    """The leg is over: BYE or CANCEL from its peer, a final failure (``status``), a timeout
    (408) or no ACK for our 2xx (``dead``)."""

    leg: InboundLeg | OutboundLeg
    status: int = 200
    dead: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Reoffered:
    """A re-INVITE with a new offer (hold, resume, new address); answer with ``answer``."""

    leg: InboundLeg | OutboundLeg
    sdp: str
    on_hold: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class DigitReceived:
    """A DTMF digit carried in SIP INFO (application/dtmf-relay or application/dtmf)."""

    leg: InboundLeg | OutboundLeg
    digit: str
    duration_ms: int


Signal = Ringing | Answered | HungUp | Reoffered | DigitReceived
