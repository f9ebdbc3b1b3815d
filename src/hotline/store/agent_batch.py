"""A batch of agent changes in four statements instead of three or four per change.

Recorded one by one, a change is an UPDATE, an INSERT and an upsert; at the writer's rates an
agent's day (a login, breaks, a logout) then costs as much as hundreds of calls, each
statement a trip to the database. Here the batch is played in memory with the same rules:
sessions opened and closed within the batch are inserted with their end, sessions opened
before it are closed by one UPDATE per (agent, kind) at the first time the batch ends them,
and each agent's status row is read once and written once as the last change left it.

The row keeps the queues the agent is logged in to, as a login, a join, a leave or a logout
left them (null: all its queues, whichever they are when it is restored).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.events import AgentStateChanged
from hotline.store.agents import SESSIONS, STATUS
from hotline.store.models import SessionKind
from hotline.store.upsert import upsert

__all__ = ["write_agent_changes"]

KINDS = (SessionKind.LOGIN.value, SessionKind.PAUSE.value)
CLOSE = (
    update(SESSIONS)
    .where(SESSIONS.c.agent == bindparam("b_agent"), SESSIONS.c.kind == bindparam("b_kind"),
           SESSIONS.c.ended_at.is_(None))
    .values(ended_at=bindparam("b_at"))
)  # fmt: skip
STATUS_COLUMNS = (
    "logged_in", "logged_in_at", "pause_reason", "paused_at", "updated_at", "queues"
)  # fmt: skip
# A logged-in agent joining or leaving one of its queues: its session goes on.
QUEUE_CHANGES = ("queue_joined", "queue_left")


@dataclass(slots=True)
class _Plan:
    opened: list[dict[str, object]] = field(default_factory=list)
    closed_before: dict[tuple[str, str], float] = field(default_factory=dict)
    status: dict[str, dict[str, object] | None] = field(default_factory=dict)

    def close(self, agent: str, at: float, kinds: Sequence[str]) -> None:
        for session in self.opened:
            if (
                session["agent"] == agent
                and session["ended_at"] is None
                and session["kind"] in kinds
            ):
                session["ended_at"] = at
        for kind in kinds:
            self.closed_before.setdefault((agent, kind), at)

    def open(self, change: AgentStateChanged, kind: str) -> None:
        self.opened.append({"agent": change.agent, "kind": kind, "reason": change.reason,
                            "started_at": change.at, "ended_at": None})  # fmt: skip

    def apply(self, change: AgentStateChanged) -> None:
        agent, at = change.agent, change.at
        row = self.status[agent]
        if change.change == "logged_in":
            self.close(agent, at, KINDS)
            self.open(change, SessionKind.LOGIN.value)
            self.status[agent] = _row(agent, True, at, None, None, at, _listed(change))
        elif change.change in QUEUE_CHANGES:
            if row is not None:
                row.update(queues=_listed(change), updated_at=at)
        elif change.change == "logged_out":
            self.close(agent, at, KINDS)
            if row is not None:
                row.update(logged_in=False, pause_reason=None, paused_at=None, updated_at=at,
                           queues=None)  # fmt: skip
        elif change.change == "paused":
            self.close(agent, at, (SessionKind.PAUSE.value,))
            self.open(change, SessionKind.PAUSE.value)
            if row is None:  # a pause implies a login (an agent always logged in)
                self.status[agent] = _row(agent, True, at, change.reason, at, at)
            else:
                row.update(logged_in=True, pause_reason=change.reason, paused_at=at, updated_at=at)
        elif change.change == "unpaused":
            self.close(agent, at, (SessionKind.PAUSE.value,))
            if row is not None:
                row.update(pause_reason=None, paused_at=None, updated_at=at)


def _row(agent: str, logged_in: bool, logged_in_at: float | None, reason: str | None,
         paused_at: float | None, updated_at: float,
         queues: list[str] | None = None) -> dict[str, object]:  # fmt: skip
    return {"agent": agent, "logged_in": logged_in, "logged_in_at": logged_in_at,
            "pause_reason": reason, "paused_at": paused_at, "updated_at": updated_at,
            "queues": queues}  # fmt: skip


def _listed(change: AgentStateChanged) -> list[str] | None:
    """The queues as the row keeps them: a JSON list, or null for all its queues."""
    return None if change.queues is None else list(change.queues)


async def write_agent_changes(
    connection: AsyncConnection, changes: Sequence[AgentStateChanged]
) -> None:
    """Record ``changes`` in order, leaving the rows they would leave recorded one by one."""
    if not changes:
        return
    agents = sorted({change.agent for change in changes})
    found = await connection.execute(select(STATUS).where(STATUS.c.agent.in_(agents)))
    plan = _Plan(status=dict.fromkeys(agents))
    for row in found.mappings():
        plan.status[row["agent"]] = dict(row)
    for change in changes:
        plan.apply(change)
    if plan.closed_before:
        closes = [{"b_agent": agent, "b_kind": kind, "b_at": at}
                  for (agent, kind), at in plan.closed_before.items()]  # fmt: skip
        await connection.execute(CLOSE, closes)
    if plan.opened:
        await connection.execute(SESSIONS.insert(), plan.opened)
    rows = [row for row in plan.status.values() if row is not None]
    if rows:
        statement = upsert(connection.dialect.name, STATUS, "agent", STATUS_COLUMNS)
        await connection.execute(statement, rows)
