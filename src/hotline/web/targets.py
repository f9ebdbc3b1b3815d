"""What the policy is asked about: a queue, an agent (with the queues it serves), a call."""

from __future__ import annotations

from hotline.access import Target
from hotline.config import Config

__all__ = ["agent_target", "call_target", "queue_target"]


def queue_target(number: str) -> Target:
    return Target(queues=frozenset({number}))


def agent_target(config: Config, number: str) -> Target:
    """An agent belongs to the queues it is a member of (none for an unknown number: only
    those who may act on any agent may ask about it)."""
    return Target(queues=config.queues_of(number), agent=number)


def call_target(queue: str | None, agent: str | None) -> Target:
    return Target(queues=frozenset({queue}) if queue else frozenset(), agent=agent)
