"""A batch of agent changes written at once leaves the very rows the changes written one by
one leave: any sequence of logins, logouts, pauses and unpauses, cut into any batches."""

from __future__ import annotations

import asyncio
import itertools
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from hotline.events import AgentStateChanged
from hotline.store.agent_batch import write_agent_changes
from hotline.store.agents import write_agent_change
from hotline.store.database import create_engine
from hotline.store.migrate import upgrade

CHANGES = st.lists(
    st.tuples(st.sampled_from(("201", "202")),
              st.sampled_from(("logged_in", "logged_out", "paused", "unpaused")),
              st.sampled_from((None, "lunch", "break"))),
    max_size=25,
)  # fmt: skip


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
    changes: list[tuple[str, str, str | None]], cuts: list[int]
) -> None:
    events = [AgentStateChanged(agent=a, change=c, reason=r if c == "paused" else None,
                                at=10.0 + n) for n, (a, c, r) in enumerate(changes)]  # fmt: skip
    edges = sorted({0, len(events), *(min(cut, len(events)) for cut in cuts)})
    batches = [events[a:b] for a, b in itertools.pairwise(edges)]
    with tempfile.TemporaryDirectory() as root:
        one = f"sqlite+aiosqlite:///{Path(root) / 'one.db'}"
        many = f"sqlite+aiosqlite:///{Path(root) / 'many.db'}"
        single = asyncio.run(_tables(one, [[e] for e in events], batched=False))
        batched = asyncio.run(_tables(many, batches, batched=True))
    assert batched == single
