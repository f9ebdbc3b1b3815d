"""Who uses Hotline's web side: a user, its role and the queues and extension it is tied to."""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = ["Language", "Role", "User", "user_problems"]

Language = Literal["en", "ru"]


class Role(enum.StrEnum):
    """What a user is for; the policy table says what each may do."""

    ADMIN = "admin"  # everything
    SUPERVISOR = "supervisor"  # its queues and the agents in them
    AGENT = "agent"  # itself, and the live figures of its queues
    WALLBOARD = "wallboard"  # the live figures of its queues, read only, nothing personal


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """A signed-in user as the policy sees it. ``queues`` is the scope of a supervisor or a
    wallboard; for an agent, the queues its extension serves."""

    name: str
    role: Role
    extension: str | None = None
    queues: frozenset[str] = frozenset()
    language: Language = "en"
    email: str | None = None  # where its notifications go
    disabled: bool = False


def user_problems(
    *,
    role: Role,
    extension: str | None,
    queues: Iterable[str],
    extensions: Collection[str],
    agents: Collection[str],
    known_queues: Collection[str],
) -> list[str]:
    """What is wrong with a user's ties to the configuration (empty: nothing). The same rules
    for a ``[[users]]`` entry and a user created through the API."""
    problems = []
    if role is Role.AGENT:
        if extension is None:
            problems.append("an agent needs an extension")
        elif extension not in agents:
            problems.append(f"extension {extension} is not an agent extension")
        if set(queues):
            problems.append("an agent's queues are those its extension serves; leave queues out")
    elif extension is not None and extension not in extensions:
        problems.append(f"extension {extension} does not exist")
    unknown = sorted(set(queues) - set(known_queues))
    if unknown:
        problems.append(f"unknown queue {', '.join(unknown)}")
    if role in (Role.SUPERVISOR, Role.WALLBOARD) and not set(queues):
        problems.append(f"a {role} needs at least one queue")
    return problems
