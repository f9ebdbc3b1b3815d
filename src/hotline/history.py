"""Realistic call history, made by the ACD simulator and written through the store's own path.

The simulator runs the configured queues and agents (the engine call control runs live) over
``days`` days: callers arrive as Poisson processes, talk log-normal handle times, abandon
after an exponential patience; agents work one of two 12-hour shifts with a break and lunch.
Its queue-log records are turned into the bus events call control would publish (the call's
start and end, the connection, agents' logins and pauses) and handed to the store's
``EventWriter``, so the call records, the queue log, agent sessions and report rollups are
exactly what live traffic would have left. For demos, tests and the reports benchmark.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from random import Random
from zoneinfo import ZoneInfo

from hotline.acd import AgentConfig, AgentId, EngineOptions
from hotline.acd.records import Record, Verb
from hotline.acd.simulator import Break, Scenario, Shift, Traffic, simulate
from hotline.config import Config
from hotline.events import (
    AgentStateChanged,
    CallEnded,
    CallStarted,
    Event,
    EventBus,
    QueueCallConnected,
    QueueEventLogged,
)
from hotline.pbx.features.queue_engine import acd_queue
from hotline.store import EventWriter

__all__ = ["HistoryPlan", "generate_history", "history_events", "plan_for"]

log = logging.getLogger(__name__)

# Caller areas: country and area codes the generated numbers start with.
AREAS = ("7495", "7812", "7383", "4420", "4916", "3314", "1212", "1415")
SHIFTS = (
    Shift(start_hour=0.0, end_hour=12.0, breaks=(
        Break(start_hour=3.0, end_hour=3.25, reason="break"),
        Break(start_hour=6.0, end_hour=6.5, reason="lunch"),
    )),
    Shift(start_hour=12.0, end_hour=24.0, breaks=(
        Break(start_hour=15.0, end_hour=15.25, reason="break"),
        Break(start_hour=18.0, end_hour=18.5, reason="lunch"),
    )),
)  # fmt: skip
END_CAUSES = {
    "COMPLETECALLER": "caller_hangup",
    "COMPLETEAGENT": "agent_hangup",
    "ABANDON": "caller_hangup",
    "EXITWITHTIMEOUT": "normal",
    "EXITEMPTY": "normal",
    "FULL": "normal",
    "JOINEMPTY": "normal",
    "DROPPED": "media_failure",
}
AGENT_CHANGES = {
    Verb.PAUSE: "paused",
    Verb.UNPAUSE: "unpaused",
}
CHUNK = 20_000  # events handed from the simulating thread to the writer at a time


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryPlan:
    """What to generate: ``days`` days ending before ``end`` (epoch, a local midnight)."""

    scenario: Scenario
    start: float
    days: int
    seed: int


def plan_for(
    config: Config, *, days: int, calls_per_day: int, seed: int, end: datetime.date
) -> HistoryPlan:
    """The scenario for ``config``'s queues and agents: the calls shared evenly among the
    queues, handle times chosen so the agents on shift are about 80 % busy (at most 4 min)."""
    if not config.queues:
        raise ValueError("the configuration has no queue to make history for")
    agents = [e.number for e in config.extensions if e.agent]
    if not agents:
        raise ValueError("the configuration has no agent extension")
    per_hour = calls_per_day / 24.0
    on_shift = max(1, (len(agents) + 1) // 2)
    handle = min(240.0, 0.8 * on_shift * 3600.0 / per_hour)
    queues = tuple(acd_queue(q) for q in config.queues)
    traffic = tuple(
        Traffic(queue=q.queue_id, calls_per_hour=per_hour / len(queues), handle_seconds=handle,
                handle_distribution="lognormal", patience_seconds=90.0)
        for q in queues
    )  # fmt: skip
    shifts = {AgentId(a): (SHIFTS[n % 2],) for n, a in enumerate(agents)}
    scenario = Scenario(
        queues=queues,
        agents=tuple(AgentConfig(agent_id=AgentId(a)) for a in agents),
        traffic=traffic,
        shifts=shifts,
        hours=24.0 * days,
        ring_delay_seconds=3.0,
        options=EngineOptions(keep_records=True),
    )
    zone = ZoneInfo(config.server.timezone)
    first = end - datetime.timedelta(days=days)
    start = datetime.datetime.combine(first, datetime.time(), zone).timestamp()
    return HistoryPlan(scenario=scenario, start=start, days=days, seed=seed)


@dataclass(slots=True)
class _Translator:
    """Queue-log records of the simulator into the events call control publishes."""

    start: float
    seed: int
    rng: Random = field(init=False)
    logged_in: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.rng = Random(self.seed)

    def events(self, records: list[Record]) -> Iterator[Event]:
        for record in records:
            at = self.start + record.time
            call_id = f"h{self.seed}-{record.caller}" if record.caller else None
            detail = record.detail
            if record.verb is Verb.ENTERQUEUE and call_id is not None:
                detail = self.number()
                yield CallStarted(call_id=call_id, caller=detail, destination=record.queue or "",
                                  at=at)  # fmt: skip
            yield from self.agent_change(record, at)
            yield QueueEventLogged(
                at=at, verb=record.verb.value, call_id=call_id, queue=record.queue,
                agent=record.agent, position=record.position,
                original_position=record.original_position, wait=record.wait,
                talk=record.talk, ring=record.ring, reason=record.reason, detail=detail,
            )  # fmt: skip
            if call_id is None:
                continue
            if record.verb is Verb.CONNECT and record.queue and record.agent:
                yield QueueCallConnected(call_id=call_id, queue=record.queue, agent=record.agent,
                                         wait_seconds=record.wait or 0.0, at=at)  # fmt: skip
            cause = END_CAUSES.get(record.verb.value)
            if cause is not None:
                yield CallEnded(call_id=call_id, cause=cause, at=at)

    def agent_change(self, record: Record, at: float) -> Iterator[AgentStateChanged]:
        agent = record.agent
        if agent is None:
            return
        change = AGENT_CHANGES.get(record.verb)
        if record.verb is Verb.ADDMEMBER and agent not in self.logged_in:
            self.logged_in.add(agent)
            change = "logged_in"
        elif record.verb is Verb.REMOVEMEMBER and agent in self.logged_in:
            self.logged_in.discard(agent)
            change = "logged_out"
        if change is not None:
            yield AgentStateChanged(agent=agent, change=change, reason=record.reason, at=at)

    def number(self) -> str:
        return f"+{self.rng.choice(AREAS)}{self.rng.randrange(10**6, 10**7)}"


def history_events(plan: HistoryPlan, sink: Callable[[list[Event]], None]) -> int:
    """Run the simulation, handing its events to ``sink`` in chunks; returns the calls made."""
    translator = _Translator(start=plan.start, seed=plan.seed)
    chunk: list[Event] = []
    calls = 0

    def take(records: list[Record]) -> None:
        nonlocal chunk, calls
        for event in translator.events(records):
            chunk.append(event)
            calls += isinstance(event, CallStarted)
        if len(chunk) >= CHUNK:
            sink(chunk)
            chunk = []

    simulate(plan.scenario, seed=plan.seed, on_records=take)
    if chunk:
        sink(chunk)
    return calls


async def generate_history(plan: HistoryPlan, writer: EventWriter) -> int:
    """Generate ``plan``'s history into ``writer`` (started by the caller); the simulation
    runs in a thread while this task publishes its events and lets the writer keep up.
    Returns the calls made."""
    bus = EventBus()
    writer.attach(bus)
    chunks: queue.Queue[list[Event] | None] = queue.Queue(maxsize=4)
    result: list[int] = []

    def produce() -> None:
        try:
            result.append(history_events(plan, chunks.put))
        finally:
            chunks.put(None)

    thread = threading.Thread(target=produce, name="history", daemon=True)
    thread.start()
    while (chunk := await asyncio.to_thread(chunks.get)) is not None:
        for event in chunk:
            bus.publish(event)
        await writer.flush()
    thread.join()
    if not result:
        raise RuntimeError("the history simulation failed (see the log)")
    return result[0]
