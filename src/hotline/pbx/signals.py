"""Typed call-control events between the legs of a B2BUA call (sippy's CCEvents idea).

Legs turn SIP into these and the call reacts to them; no SIP message crosses from one leg to
the other, so each side keeps its own dialog, Call-ID, tags and CSeq (RFC 7092 §3.1). The
signals are generic in the leg that sends them, so this module needs no leg class
(``hotline.pbx.legs.Signal`` names them with the leg types filled in).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Answered", "DigitReceived", "HungUp", "Reoffered", "Ringing"]

L = TypeVar("L", covariant=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class Ringing(Generic[L]):
    """The called phone is alerting (180) or sends early media (183)."""

    leg: L
    status: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Answered(Generic[L]):
    """The called phone answered with ``sdp`` (its answer to our offer)."""

    leg: L
    sdp: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HungUp(Generic[L]):
    """The leg is over: BYE or CANCEL from its peer, a final failure (``status``), a timeout
    (408) or no ACK for our 2xx (``dead``)."""

    leg: L
    status: int = 200
    dead: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Reoffered(Generic[L]):
    """A re-INVITE with a new offer (hold, resume, new address); answer with ``answer``."""

    leg: L
    sdp: str
    on_hold: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class DigitReceived(Generic[L]):
    """A DTMF digit carried in SIP INFO (application/dtmf-relay or application/dtmf)."""

    leg: L
    digit: str
    duration_ms: int
