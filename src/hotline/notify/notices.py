"""What Hotline tells people about: a notice of one kind, with its facts.

A notice is what the watcher saw; the notifier turns it into a row of the in-app centre and
into messages (email, webhook) for the rules that ask for its kind. ``key`` names what the
notice is about, so the same thing noticed again (an ongoing SLA breach updated) is one
notification, and a message is never enqueued twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

__all__ = ["KINDS", "Fact", "Facts", "Kind", "Notice", "Phase"]

Kind = Literal[
    "sla_breach",  # a caller waited past the queue's sla_seconds (one per ongoing breach)
    "service_level_low",  # the queue's service level over the window fell below the target
    "lost_call",  # a queue caller hung up, timed out or went to the failover
    "callback_failed",  # a callback gave up
    "no_agents",  # callers wait and no agent of the queue is logged in and unpaused
    "agent_auto_paused",  # the ACD paused an agent after missed offers
    "system",  # media process restarted, database refusing writes, disk low
]
KINDS: tuple[Kind, ...] = get_args(Kind)

# raised: a new thing; updated: the same thing changed (in the app only); cleared: it is over.
Phase = Literal["raised", "updated", "cleared"]

Fact = str | int | float | None
Facts = Mapping[str, Fact]


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """``kind`` about ``queue`` (None: the system) at ``at`` (epoch seconds). ``facts`` are
    plain values for the texts: ``number`` (the caller's), ``wait``, ``position``,
    ``reason``, ``agent``, ``waiting``, ``service_level``, ``problem`` ..."""

    kind: Kind
    key: str
    at: float
    queue: str | None = None
    phase: Phase = "raised"
    call_id: str | None = None
    facts: Facts = field(default_factory=dict)

    @property
    def goes_out(self) -> bool:
        """Whether it is worth a message (an update is shown in the app only)."""
        return self.phase != "updated"

    def as_json(self) -> dict[str, Fact | dict[str, Fact]]:
        """The notice as a JSON object (a webhook's body, an outbox row)."""
        return {
            "kind": self.kind, "key": self.key, "at": self.at, "queue": self.queue,
            "phase": self.phase, "call_id": self.call_id, "facts": dict(self.facts),
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Notice:
        facts = data.get("facts")
        return cls(
            kind=data["kind"],  # type: ignore[arg-type]  # written by as_json
            key=str(data["key"]),
            at=float(data["at"]),  # type: ignore[arg-type]
            queue=None if data.get("queue") is None else str(data["queue"]),
            phase=data.get("phase", "raised"),  # type: ignore[arg-type]
            call_id=None if data.get("call_id") is None else str(data["call_id"]),
            facts=dict(facts) if isinstance(facts, dict) else {},
        )
