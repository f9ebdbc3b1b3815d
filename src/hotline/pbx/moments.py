"""The moments of a call that features subscribe to, and their subscribers in order.

For each call the core announces, in this order:

1. ``Routed``: the dialplan chose a destination (the feature of its kind takes the call next);
2. ``BranchAnswered`` (a subscriber may veto: the branch is then withdrawn and hung up) and
   ``BranchFailed`` as the phones it rings answer or fail; ``Bridged`` once two parties talk;
3. ``KeyPressed`` and ``PromptFinished`` while it lasts;
4. ``Ended`` (its record still open: last words for the record, such as how a caller left a
   queue), then ``Released`` (the record closed: parties free for other calls).

Subscribers of one moment run in the order they subscribed, which the composition module
sets (``hotline.pbx.composition``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from hotline.media import LegId, PlaybackFinished
from hotline.pbx.calls import Call
from hotline.pbx.legs import OutboundLeg
from hotline.pbx.routing import Destination

__all__ = [
    "BranchAnswered",
    "BranchFailed",
    "Bridged",
    "Ended",
    "KeyPressed",
    "Moment",
    "Moments",
    "PromptFinished",
    "Released",
    "Routed",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Routed:
    call: Call
    destination: Destination


@dataclass(frozen=True, slots=True, kw_only=True)
class BranchAnswered:
    """A phone we rang answered first; subscribers return False to refuse it."""

    call: Call
    leg: OutboundLeg


@dataclass(frozen=True, slots=True, kw_only=True)
class BranchFailed:
    call: Call
    leg: OutboundLeg
    status: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Bridged:
    call: Call
    leg: OutboundLeg


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyPressed:
    """A DTMF digit on one of the call's media legs (RFC 4733, INFO or in-band)."""

    call: Call
    leg: LegId
    digit: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PromptFinished:
    """A playback on the caller's leg ended (see ``event.reason``)."""

    call: Call
    event: PlaybackFinished


@dataclass(frozen=True, slots=True, kw_only=True)
class Ended:
    """``cause`` as in CallEnded; ``by_peer``: the answered party (not the caller) hung up."""

    call: Call
    cause: str
    by_peer: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Released:
    call: Call


Moment = Routed | BranchAnswered | BranchFailed | Bridged | KeyPressed | PromptFinished | Ended
M = TypeVar("M", bound="Moment | Released")


class Moments:
    """Subscribers by moment, each list in subscription order."""

    def __init__(self) -> None:
        self._handlers: dict[type, list[Callable[[Any], object]]] = {}

    def subscribe(self, moment: type[M], handler: Callable[[M], object]) -> None:
        self._handlers.setdefault(moment, []).append(handler)

    def announce(self, moment: Moment | Released) -> None:
        for handler in self._handlers.get(type(moment), ()):
            handler(moment)

    def accepted(self, moment: BranchAnswered) -> bool:
        """Ask every subscriber in turn; the first False is a veto."""
        return all(
            handler(moment) is not False for handler in self._handlers.get(BranchAnswered, ())
        )
