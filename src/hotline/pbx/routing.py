"""The dialplan: what a dialled number reaches (extension, queue, feature code, echo test).

Pure data in, a destination out; call control then carries the call there. Numbers come from
the configuration, which already refuses a number used twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from hotline.config import Config

__all__ = ["Destination", "Dialplan", "Feature", "Kind"]


class Kind(Enum):
    EXTENSION = "extension"
    QUEUE = "queue"
    FEATURE = "feature"
    ECHO_TEST = "echo_test"
    UNKNOWN = "unknown"


class Feature(Enum):
    AGENT_LOGIN = "agent_login"
    AGENT_LOGOUT = "agent_logout"
    AGENT_PAUSE = "agent_pause"


@dataclass(frozen=True, slots=True, kw_only=True)
class Destination:
    """Where a number leads. ``argument`` is the digit after a pause code (its reason)."""

    kind: Kind
    number: str
    feature: Feature | None = None
    argument: str | None = None


class Dialplan:
    """Numbers to destinations, built once from the configuration."""

    def __init__(self, config: Config) -> None:
        self._extensions = {extension.number for extension in config.extensions}
        self._queues = {queue.number for queue in config.queues}
        features = config.features
        self._echo = features.echo_test
        self._features = {
            features.agent_login: Feature.AGENT_LOGIN,
            features.agent_logout: Feature.AGENT_LOGOUT,
            features.agent_pause: Feature.AGENT_PAUSE,
        }
        self._pause_reasons = set(config.agents.pause_reasons)
        self._dids = {did: target for trunk in config.trunks for did, target in trunk.did.items()}

    def route(self, number: str) -> Destination:
        """The destination of a number dialled by one of our extensions."""
        if number in self._extensions:
            return Destination(kind=Kind.EXTENSION, number=number)
        if number in self._queues:
            return Destination(kind=Kind.QUEUE, number=number)
        if number == self._echo:
            return Destination(kind=Kind.ECHO_TEST, number=number)
        feature = self._features.get(number)
        if feature is not None:
            return Destination(kind=Kind.FEATURE, number=number, feature=feature)
        return self._pause_with_reason(number)

    def _pause_with_reason(self, number: str) -> Destination:
        # *64 followed by one reason digit: *641 is "pause for a break".
        for code, feature in self._features.items():
            if feature is Feature.AGENT_PAUSE and number.startswith(code):
                reason = number[len(code) :]
                if reason in self._pause_reasons:
                    return Destination(
                        kind=Kind.FEATURE, number=code, feature=feature, argument=reason
                    )
        return Destination(kind=Kind.UNKNOWN, number=number)

    def route_did(self, trunk_did: dict[str, str], number: str) -> Destination:
        """A trunk's call: the number dialled must be one of its DIDs; only extensions and
        queues are reachable from outside (never a feature code or the echo test)."""
        target = trunk_did.get(number)
        if target is None:
            return Destination(kind=Kind.UNKNOWN, number=number)
        destination = self.route(target)
        if destination.kind not in (Kind.EXTENSION, Kind.QUEUE):
            return Destination(kind=Kind.UNKNOWN, number=number)
        return destination
