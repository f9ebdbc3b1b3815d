"""The dialplan: what a dialled number reaches.

The core knows no destination of its own: each feature registers its kind of destination
(extension, queue, echo test, agent feature code ...) with its numbers, or its feature codes
with the arguments they take (``*64`` then a pause reason: ``*642``). Pure data in, a
destination out; call control then hands the call to the feature of its kind. Numbers come from
the configuration, which already refuses a number used twice.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

__all__ = ["UNKNOWN", "Destination", "DestinationKind", "Dialplan"]


@dataclass(frozen=True, slots=True)
class DestinationKind:
    """A kind of destination, named by the feature that serves it. ``from_trunks``: a
    trunk's DID may lead here. ``service``: a short call to Hotline itself (feature codes),
    admitted past the load limits and making nobody busy."""

    name: str
    from_trunks: bool = False
    service: bool = False


UNKNOWN = DestinationKind("unknown")


@dataclass(frozen=True, slots=True, kw_only=True)
class Destination:
    """Where a number leads. A feature code's ``code`` names what it does (``agent_pause``)
    and ``argument`` is what was dialled after it (``2`` of ``*642``)."""

    kind: DestinationKind
    number: str
    code: str | None = None
    argument: str | None = None


@dataclass(frozen=True, slots=True)
class _Code:
    kind: DestinationKind
    name: str
    arguments: frozenset[str]


class Dialplan:
    """Numbers to destinations, as the features registered them."""

    def __init__(self) -> None:
        self._numbers: dict[str, DestinationKind] = {}
        self._codes: dict[str, _Code] = {}

    def add(self, kind: DestinationKind, numbers: Iterable[str]) -> None:
        """``numbers`` lead to ``kind``."""
        for number in numbers:
            self._numbers[number] = kind

    def add_code(
        self, kind: DestinationKind, code: str, name: str, arguments: Collection[str] = ()
    ) -> None:
        """The feature code ``code`` (``*64``), alone or followed by one of ``arguments``."""
        self._codes[code] = _Code(kind, name, frozenset(arguments))

    def route(self, number: str) -> Destination:
        """The destination of a number dialled by one of our extensions."""
        kind = self._numbers.get(number)
        if kind is not None:
            return Destination(kind=kind, number=number)
        found = self._codes.get(number)
        if found is not None:
            return Destination(kind=found.kind, number=number, code=found.name)
        return self._code_with_argument(number)

    def _code_with_argument(self, number: str) -> Destination:
        for code, found in self._codes.items():
            if number.startswith(code) and number[len(code) :] in found.arguments:
                argument = number[len(code) :]
                return Destination(kind=found.kind, number=code, code=found.name, argument=argument)
        return Destination(kind=UNKNOWN, number=number)

    def route_did(self, trunk_did: dict[str, str], number: str) -> Destination:
        """A trunk's call: the number dialled must be one of its DIDs, leading to a kind of
        destination open to trunks (extensions and queues, never a feature code)."""
        target = trunk_did.get(number)
        if target is None:
            return Destination(kind=UNKNOWN, number=number)
        destination = self.route(target)
        if not destination.kind.from_trunks:
            return Destination(kind=UNKNOWN, number=number)
        return destination
