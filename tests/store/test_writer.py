"""The event writer on real databases: call records, the queue log and agents' state."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from hotline.events import (
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallStarted,
    EventBus,
    QueueCallConnected,
    QueueEventLogged,
)
from hotline.store import (
    AgentRecords,
    CallFilter,
    CallRecords,
    Disposition,
    PageRequest,
    QueueEventFilter,
    QueueEvents,
    SessionFilter,
    SessionKind,
    Store,
)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = await Store.open(database_url, now=0.0, interval=0.05)
    yield store
    await store.close()


def queued_call(bus: EventBus, call_id: str, at: float, *, answered: bool) -> None:
    """A caller queues in ``sales`` at ``at``; answered by agent 201 after 5 s, or abandons."""
    bus.publish(CallStarted(call_id=call_id, caller="0601", destination="500", at=at))
    bus.publish(CallAnswered(call_id=call_id, answered_by="hotline", at=at))
    bus.publish(QueueEventLogged(at=at + 1, verb="ENTERQUEUE", call_id=call_id, queue="sales",
                                 position=1, original_position=1, detail="0601"))  # fmt: skip
    if answered:
        bus.publish(QueueEventLogged(at=at + 6, verb="CONNECT", call_id=call_id, queue="sales",
                                     agent="201", wait=5.0, ring=2.0))  # fmt: skip
        bus.publish(QueueCallConnected(call_id=call_id, queue="sales", agent="201",
                                       wait_seconds=5.0, at=at + 6))  # fmt: skip
    else:
        bus.publish(QueueEventLogged(at=at + 6, verb="ABANDON", call_id=call_id, queue="sales",
                                     position=1, original_position=1, wait=5.0))  # fmt: skip
    bus.publish(CallEnded(call_id=call_id, cause="normal", at=at + 30))


async def test_calls_and_queue_events_are_written(store: Store) -> None:
    bus = EventBus()
    store.start(bus)
    queued_call(bus, "a", 100.0, answered=True)
    queued_call(bus, "b", 200.0, answered=False)
    await store.writer.stop()

    async with store.database.session() as session:
        calls = await CallRecords(session).search()
        events = await QueueEvents(session).search(QueueEventFilter(call_id="b"))
    assert [(c.call_id, c.disposition) for c in calls.items] == [
        ("b", Disposition.ABANDONED.value), ("a", Disposition.ANSWERED.value)]  # fmt: skip
    answered = calls.items[1]
    assert (answered.queue, answered.agent, answered.wait_seconds) == ("sales", "201", 5.0)
    assert (answered.answered_at, answered.talk_seconds) == (106.0, 24.0)
    assert [(e.verb, e.position, e.wait) for e in events.items] == [
        ("ENTERQUEUE", 1, None), ("ABANDON", 1, 5.0)]  # fmt: skip


async def test_a_call_in_progress_has_a_record_closed_at_next_open(database_url: str) -> None:
    store = await Store.open(database_url, now=0.0, interval=0.05)
    bus = EventBus()
    store.start(bus)
    bus.publish(CallStarted(call_id="live", caller="0601", destination="500", at=10.0))
    await asyncio.sleep(0.2)  # the writer's own tick, not stop(), writes it
    async with store.database.session() as session:
        record = await CallRecords(session).get("live")
        assert record is not None and record.ended_at is None and record.disposition is None
    await store.close()

    reopened = await Store.open(database_url, now=50.0)
    async with reopened.database.session() as session:
        record = await CallRecords(session).get("live")
    await reopened.close()
    assert record is not None
    assert (record.ended_at, record.disposition, record.end_cause) == (50.0, "failed",
                                                                       "interrupted")  # fmt: skip


async def test_search_filters_and_pages(store: Store) -> None:
    bus = EventBus()
    store.start(bus)
    for n in range(25):
        queued_call(bus, f"call-{n:02}", 1000.0 + n * 60, answered=n % 5 != 0)
    await store.writer.stop()

    async with store.database.session() as session:
        calls = CallRecords(session)
        abandoned = await calls.search(CallFilter(disposition=Disposition.ABANDONED))
        window = await calls.search(CallFilter(since=1000.0 + 10 * 60, until=1000.0 + 20 * 60))
        second_page = await calls.search(CallFilter(agent="201"), PageRequest(limit=8, offset=8))
        log = await QueueEvents(session).search(
            QueueEventFilter(queue="sales", verbs=frozenset({"CONNECT"})),
            PageRequest(limit=5), newest_first=True)  # fmt: skip
        assert await calls.get("nope") is None
    assert [c.call_id for c in abandoned.items] == ["call-20", "call-15", "call-10", "call-05",
                                                    "call-00"]  # fmt: skip
    assert window.total == 10 and window.items[0].call_id == "call-19"
    assert second_page.total == 20 and len(second_page.items) == 8
    assert second_page.items[0].call_id == "call-14"
    assert log.total == 20 and log.items[0].call_id == "call-24"


async def test_agents_logged_in_survive_a_restart(database_url: str) -> None:
    store = await Store.open(database_url, now=0.0, interval=0.05)
    bus = EventBus()
    store.start(bus)
    for agent in ("201", "202", "203"):
        bus.publish(AgentStateChanged(agent=agent, change="logged_in", at=10.0))
    bus.publish(AgentStateChanged(agent="202", change="paused", reason="lunch", at=20.0))
    bus.publish(AgentStateChanged(agent="203", change="logged_out", at=30.0))
    bus.publish(AgentStateChanged(agent="204", change="paused", reason="training", at=40.0))
    await store.close()

    store = await Store.open(database_url, now=100.0)
    agents = await store.logged_in_agents()
    async with store.database.session() as session:
        sessions = await AgentRecords(session).sessions(SessionFilter(agent="203"))
        pauses = await AgentRecords(session).sessions(SessionFilter(kind=SessionKind.PAUSE))
    await store.close()
    assert [(a.agent, a.logged_in_at, a.pause_reason, a.paused_at) for a in agents] == [
        ("201", 10.0, None, None), ("202", 10.0, "lunch", 20.0),
        ("204", 40.0, "training", 40.0)]  # fmt: skip
    assert [(s.kind, s.started_at, s.ended_at) for s in sessions.items] == [("login", 10.0, 30.0)]
    assert {(s.agent, s.reason, s.ended_at) for s in pauses.items} == {
        ("202", "lunch", None), ("204", "training", None)}  # fmt: skip


async def test_each_agent_comes_back_in_the_queues_it_was_logged_in_to(database_url: str) -> None:
    """A login to some queues, a join, a leave, a login to all and a logout from all each
    leave the queues to restore; a pause keeps them; a login that does not say means all, and
    so does a join that leaves the agent in all its queues."""
    store = await Store.open(database_url, now=0.0, interval=0.05)
    bus = EventBus()
    store.start(bus)
    for change in (
        AgentStateChanged(agent="201", change="logged_in", queues=("800",), at=1.0),
        AgentStateChanged(agent="202", change="logged_in", queues=("800",), at=1.0),
        AgentStateChanged(agent="202", change="queue_joined", reason="801", queues=("800", "801"),
                          at=2.0),
        AgentStateChanged(agent="202", change="paused", reason="lunch", at=3.0),
        AgentStateChanged(agent="203", change="logged_in", queues=("800", "801"), at=1.0),
        AgentStateChanged(agent="203", change="queue_left", reason="800", queues=("801",), at=2.0),
        AgentStateChanged(agent="204", change="logged_in", queues=("801",), at=1.0),
        AgentStateChanged(agent="204", change="logged_in", queues=("800", "801"), at=2.0),
        AgentStateChanged(agent="205", change="logged_in", queues=("800", "801"), at=1.0),
        AgentStateChanged(agent="205", change="logged_out", queues=(), at=2.0),
        AgentStateChanged(agent="206", change="logged_in", at=1.0),
        AgentStateChanged(agent="207", change="logged_in", queues=("800",), at=1.0),
        AgentStateChanged(agent="207", change="queue_joined", reason="801", queues=None, at=2.0),
    ):  # fmt: skip
        bus.publish(change)
    await store.close()

    store = await Store.open(database_url, now=100.0)
    agents = await store.logged_in_agents()
    async with store.database.session() as session:
        statuses = await AgentRecords(session).statuses()
    await store.close()
    assert [(a.agent, a.queues, a.pause_reason) for a in agents] == [
        ("201", ("800",), None), ("202", ("800", "801"), "lunch"), ("203", ("801",), None),
        ("204", ("800", "801"), None), ("206", None, None), ("207", None, None)]  # fmt: skip
    assert [(s.agent, s.logged_in, s.queues) for s in statuses if s.agent == "205"] == [
        ("205", False, None)
    ]


async def test_unpause_and_logout_close_the_sessions(store: Store) -> None:
    bus = EventBus()
    store.start(bus)
    for change, at in (("logged_in", 1.0), ("paused", 2.0), ("unpaused", 3.0), ("paused", 4.0),
                       ("logged_out", 5.0)):  # fmt: skip
        bus.publish(AgentStateChanged(agent="201", change=change, reason="coffee", at=at))
    await store.writer.stop()
    async with store.database.session() as session:
        page = await AgentRecords(session).sessions(SessionFilter(agent="201", since=0.0))
        statuses = await AgentRecords(session).statuses()
    assert [(s.kind, s.started_at, s.ended_at) for s in page.items] == [
        ("pause", 4.0, 5.0), ("pause", 2.0, 3.0), ("login", 1.0, 5.0)]  # fmt: skip
    assert [(s.agent, s.logged_in, s.pause_reason) for s in statuses] == [("201", False, None)]


async def test_a_burst_is_written_in_batches_without_blocking(store: Store) -> None:
    store.writer.batch_size = 500
    bus = EventBus()
    store.start(bus)
    for n in range(3000):
        bus.publish(QueueEventLogged(at=float(n), verb="OFFER", queue="sales", agent="201"))
    # Publishing only queued them: nothing has been written yet.
    assert store.writer.rows_written == 0
    await store.writer.stop()
    assert store.writer.rows_written == 3000
    async with store.database.session() as session:
        page = await QueueEvents(session).search(QueueEventFilter(since=2990.0))
    assert page.total == 10


async def test_a_row_the_database_refuses_does_not_stop_the_writer(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    bus = EventBus()
    store.start(bus)
    too_long = "x" * 300  # longer than the detail column: PostgreSQL refuses it, SQLite not
    for n, detail in enumerate(("before", too_long, "after")):
        bus.publish(QueueEventLogged(at=float(n), verb="ENTERQUEUE", queue="q", detail=detail))
    await store.writer.stop()
    queued_call(bus, "later", 10.0, answered=True)
    await store.writer.stop()
    async with store.database.session() as session:
        page = await QueueEvents(session).search(QueueEventFilter(until=3.0))
        later = await CallRecords(session).get("later")
    details = [e.detail for e in page.items]
    assert details[0] == "before" and details[-1] == "after"
    assert later is not None and later.disposition == "answered"
    if store.database.dialect == "postgresql":
        assert len(details) == 2 and "row refused and dropped" in caplog.text


async def test_only_calls_seen_starting_get_a_record(store: Store) -> None:
    bus = EventBus()
    store.start(bus)
    bus.publish(CallAnswered(call_id="before-restart", answered_by="201", at=1.0))
    bus.publish(CallEnded(call_id="before-restart", cause="normal", at=2.0))
    queued_call(bus, "x", 10.0, answered=True)
    bus.publish(QueueEventLogged(at=41.0, verb="COMPLETECALLER", call_id="x", queue="sales",
                                 agent="201", wait=5.0, talk=24.0))  # fmt: skip
    await store.writer.stop()
    async with store.database.session() as session:
        calls = await CallRecords(session).search()
        log = await QueueEvents(session).search(QueueEventFilter(call_id="x"))
    assert [(c.call_id, c.ended_at, c.talk_seconds) for c in calls.items] == [("x", 40.0, 24.0)]
    assert [e.verb for e in log.items] == ["ENTERQUEUE", "CONNECT", "COMPLETECALLER"]
