"""A batch of agent changes written at once leaves the very rows the changes written one by
one leave: any sequence of logins (to some queues or all), joins and leaves of one queue,
logouts, pauses and unpauses, cut into any batches."""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.events import AgentStateChanged
from hotline.store.agent_batch import write_agent_changes
from hotline.store.agents import SESSIONS, STATUS
from hotline.store.database import create_engine
from hotline.store.migrate import upgrade
from hotline.store.models import SessionKind
from hotline.store.upsert import upsert

CHANGES = st.lists(
    st.tuples(st.sampled_from(("201", "202")),
              st.sampled_from(("logged_in", "logged_out", "paused", "unpaused", "queue_joined",
                               "queue_left")),
              st.sampled_from((None, "lunch", "break")),
              st.sampled_from((None, (), ("800",), ("800", "801")))),
    max_size=25,
)  # fmt: skip


async def write_agent_change(connection: AsyncConnection, change: AgentStateChanged) -> None:
    """The reference: one login, logout, pause or unpause recorded by itself, the plain way."""
    if change.change == "logged_in":
        await _close_sessions(connection, change.agent, change.at, None)
        await _open_session(connection, change, SessionKind.LOGIN)
        await _set_status(connection, change, logged_in_at=change.at, pause=False)
    elif change.change in ("queue_joined", "queue_left"):  # None: in all its queues now
        queues = None if change.queues is None else list(change.queues)
        await connection.execute(
            update(STATUS)
            .where(STATUS.c.agent == change.agent)
            .values(queues=queues, updated_at=change.at)
        )
    elif change.change == "logged_out":
        await _close_sessions(connection, change.agent, change.at, None)
        await connection.execute(
            update(STATUS)
            .where(STATUS.c.agent == change.agent)
            .values(logged_in=False, pause_reason=None, paused_at=None, updated_at=change.at,
                    queues=None)
        )  # fmt: skip
    elif change.change == "paused":
        await _close_sessions(connection, change.agent, change.at, SessionKind.PAUSE)
        await _open_session(connection, change, SessionKind.PAUSE)
        await _set_status(connection, change, logged_in_at=None, pause=True)
    elif change.change == "unpaused":
        await _close_sessions(connection, change.agent, change.at, SessionKind.PAUSE)
        await connection.execute(
            update(STATUS)
            .where(STATUS.c.agent == change.agent)
            .values(pause_reason=None, paused_at=None, updated_at=change.at)
        )


async def _open_session(
    connection: AsyncConnection, change: AgentStateChanged, kind: SessionKind
) -> None:
    await connection.execute(
        SESSIONS.insert().values(
            agent=change.agent, kind=kind.value, reason=change.reason, started_at=change.at
        )
    )


async def _close_sessions(
    connection: AsyncConnection, agent: str, at: float, kind: SessionKind | None
) -> None:
    """End the agent's open sessions (of one kind, or all): a logout ends its pause too."""
    where = [SESSIONS.c.agent == agent, SESSIONS.c.ended_at.is_(None)]
    if kind is not None:
        where.append(SESSIONS.c.kind == kind.value)
    await connection.execute(update(SESSIONS).where(*where).values(ended_at=at))


async def _set_status(
    connection: AsyncConnection,
    change: AgentStateChanged,
    *,
    logged_in_at: float | None,
    pause: bool,
) -> None:
    """Upsert the status row. A pause implies a login: an agent that is always logged in
    pauses without ever logging in, so the pause creates its row when there is none (logged
    in to all its queues); a login says its queues (None: all)."""
    values = {
        "agent": change.agent,
        "logged_in": True,
        "logged_in_at": logged_in_at if logged_in_at is not None else change.at,
        "pause_reason": change.reason if pause else None,
        "paused_at": change.at if pause else None,
        "updated_at": change.at,
        "queues": None if pause or change.queues is None else list(change.queues),
    }
    changed = ["logged_in", "pause_reason", "paused_at", "updated_at"]
    if not pause:
        changed += ["logged_in_at", "queues"]
    statement = upsert(connection.dialect.name, STATUS, "agent", tuple(changed))
    await connection.execute(statement, values)


async def _tables(url: str, batches: list[list[AgentStateChanged]], batched: bool) -> list[object]:
    engine = create_engine(url)
    await upgrade(engine)
    async with engine.begin() as connection:
        await connection.execute(text(
            "INSERT INTO agent_status (agent, logged_in, logged_in_at, updated_at) "
            "VALUES ('202', true, 1, 1)"))  # fmt: skip
        await connection.execute(
            text("INSERT INTO agent_sessions (agent, kind, started_at) VALUES ('202', 'login', 1)")
        )
    for batch in batches:
        async with engine.begin() as connection:
            if batched:
                await write_agent_changes(connection, batch)
            else:
                for change in batch:
                    await write_agent_change(connection, change)
    async with engine.connect() as connection:
        sessions = (await connection.execute(text(
            "SELECT id, agent, kind, reason, started_at, ended_at FROM agent_sessions "
            "ORDER BY id"))).all()  # fmt: skip
        status = (await connection.execute(text("SELECT * FROM agent_status ORDER BY agent"))).all()
    await engine.dispose()
    return [tuple(r) for r in sessions] + [tuple(r) for r in status]


@settings(max_examples=60, deadline=None)
@given(changes=CHANGES, cuts=st.lists(st.integers(min_value=0, max_value=25), max_size=4))
def test_batched_changes_leave_the_rows_of_single_ones(
    changes: list[tuple[str, str, str | None, tuple[str, ...] | None]], cuts: list[int]
) -> None:
    events = [AgentStateChanged(agent=a, change=c, reason=r if c == "paused" else None,
                                at=10.0 + n, queues=q)
              for n, (a, c, r, q) in enumerate(changes)]  # fmt: skip
    edges = sorted({0, len(events), *(min(cut, len(events)) for cut in cuts)})
    batches = [events[a:b] for a, b in itertools.pairwise(edges)]
    with tempfile.TemporaryDirectory() as root:
        one = f"sqlite+aiosqlite:///{Path(root) / 'one.db'}"
        many = f"sqlite+aiosqlite:///{Path(root) / 'many.db'}"
        single = asyncio.run(_tables(one, [[e] for e in events], batched=False))
        batched = asyncio.run(_tables(many, batches, batched=True))
    assert batched == single
