"""The strategy seam: an ABC registered by name, as aioquic registers congestion controllers.

A strategy only orders agents. The engine has already kept the candidates that may take this
caller now (logged in to the queue, available, with the skills the caller needs, and not
among the agents who just missed the caller while others are free); the strategy returns the
agents to ring, in order. Any per-queue memory (round robin) lives in the queue, any
per-caller draw (random start) in the caller, so one instance serves every queue.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from random import Random
from typing import ClassVar, Protocol, TypeVar

from hotline.acd.model import AcdError, AgentId

__all__ = [
    "AgentView",
    "CallerView",
    "QueueView",
    "Strategy",
    "register_strategy",
    "strategy_for",
    "strategy_names",
]


class AgentView(Protocol):
    """What a strategy may read of an agent."""

    @property
    def agent_id(self) -> AgentId: ...
    @property
    def idle_since(self) -> float: ...
    @property
    def talk_seconds(self) -> float: ...
    @property
    def answered(self) -> int: ...
    @property
    def skills(self) -> Mapping[str, int]: ...


class QueueView(Protocol):
    """What a strategy may read of the queue: member order, weights, who took the last call."""

    @property
    def position_of(self) -> Mapping[AgentId, int]: ...
    @property
    def weight_of(self) -> Mapping[AgentId, float]: ...
    @property
    def last_answered(self) -> AgentId | None: ...


class CallerView(Protocol):
    """What a strategy may read of the caller: its random draw and the skills it needs."""

    @property
    def random_start(self) -> float: ...
    @property
    def skills(self) -> Mapping[str, int]: ...


A = TypeVar("A", bound=AgentView)


class Strategy(ABC):
    """Orders candidate agents for one caller.

    ``ring_at_once`` is how many of the returned agents ring together (None: all of them);
    ``progressive`` strategies ring the first and add the next one every
    ``progressive_step_seconds`` while the caller is unanswered. ``deterministic``
    strategies draw nothing from ``rng``, so the engine offers a lone candidate without
    calling ``choose`` (most decisions of a busy call center have one free agent).
    """

    name: ClassVar[str]
    tie_break: ClassVar[str]
    ring_at_once: ClassVar[int | None] = 1
    progressive: ClassVar[bool] = False
    deterministic: ClassVar[bool] = False

    @abstractmethod
    def choose(
        self, candidates: Sequence[A], *, queue: QueueView, caller: CallerView, rng: Random
    ) -> list[A]:
        """Return the candidates to ring, best first (never empty when candidates is not)."""


_REGISTRY: dict[str, type[Strategy]] = {}
_INSTANCES: dict[str, Strategy] = {}


def register_strategy(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator: make ``cls`` available under ``cls.name``."""
    _REGISTRY[cls.name] = cls
    return cls


def strategy_for(name: str) -> Strategy:
    """The shared instance of the strategy called ``name``; AcdError names the known ones."""
    if name not in _INSTANCES:
        if name not in _REGISTRY:
            known = ", ".join(sorted(_REGISTRY))
            raise AcdError(f"unknown strategy {name!r} (known: {known})")
        _INSTANCES[name] = _REGISTRY[name]()
    return _INSTANCES[name]


def strategy_names() -> tuple[str, ...]:
    return tuple(sorted(_REGISTRY))
