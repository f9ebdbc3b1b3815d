"""A discrete-event simulator driving the very same ACD engine on a virtual clock.

Callers arrive per queue as Poisson processes, talk for exponential or log-normal handle
times and, given a patience, abandon after an exponential time if still waiting. Agents log
in and out by shift and answer every offer after ``ring_delay_seconds`` (0 by default, so an
M/M/n run matches Erlang C exactly in the model). The engine's own timers are honoured through
``next_wakeup``, exactly as call control does live.
"""

from __future__ import annotations

import enum
import heapq
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from random import Random
from typing import Literal

from hotline.acd.commands import CancelOffer, Command, Connect, DialCallback, Leave, Offer
from hotline.acd.engine import Engine
from hotline.acd.events import (
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentUnpaused,
    CallEnded,
    CallerAbandoned,
    CallerJoined,
    Event,
    OfferAnswered,
    TimerFired,
)
from hotline.acd.model import (
    AgentConfig,
    AgentId,
    CallerId,
    EngineOptions,
    Member,
    QueueConfig,
    QueueId,
    Skills,
)
from hotline.acd.records import Record
from hotline.acd.stats import QueueStats

__all__ = [
    "Break",
    "Scenario",
    "Shift",
    "SimulationResult",
    "Traffic",
    "simulate",
    "single_queue",
]

HOUR = 3600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Traffic:
    """Calls offered to one queue: Poisson arrivals, handle times and optional patience.

    ``handle_distribution`` "lognormal" uses ``handle_sigma`` as the standard deviation of the
    underlying normal, with the mean kept at ``handle_seconds``.
    """

    queue: QueueId
    calls_per_hour: float
    handle_seconds: float
    handle_distribution: Literal["exponential", "lognormal"] = "exponential"
    handle_sigma: float = 0.5
    patience_seconds: float | None = None
    caller_skills: Skills = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Break:
    """A pause from ``start_hour`` to ``end_hour`` of the day, given ``reason``."""

    start_hour: float
    end_hour: float
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Shift:
    """An agent is logged in from ``start_hour`` to ``end_hour`` of every simulated day, and
    paused for its ``breaks``."""

    start_hour: float
    end_hour: float
    breaks: tuple[Break, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """What to simulate; agents without shifts are logged in all the time."""

    queues: tuple[QueueConfig, ...]
    agents: tuple[AgentConfig, ...]
    traffic: tuple[Traffic, ...]
    shifts: Mapping[AgentId, tuple[Shift, ...]] = field(default_factory=dict)
    hours: float = 8.0
    warmup_hours: float = 0.0
    ring_delay_seconds: float = 0.0
    options: EngineOptions = field(default_factory=lambda: EngineOptions(keep_records=False))


@dataclass(frozen=True, slots=True, kw_only=True)
class SimulationResult:
    """Statistics after the warm-up, per queue, and the number of engine events handled."""

    queues: dict[QueueId, QueueStats]
    hours: float
    events: int


class _Kind(enum.IntEnum):
    ARRIVAL = 0
    ANSWER = 1
    HANGUP = 2
    ABANDON = 3
    LOGIN = 4
    LOGOUT = 5
    RESET = 6
    PAUSE = 7
    UNPAUSE = 8


class _Simulation:
    def __init__(
        self, scenario: Scenario, seed: int, on_records: Callable[[list[Record]], None] | None
    ) -> None:
        self.scenario = scenario
        self.on_records = on_records
        self.rng = Random(seed)
        self.engine = Engine(
            scenario.queues, scenario.agents, options=scenario.options, seed=seed + 1
        )
        self.traffic_of = {t.queue: t for t in scenario.traffic}
        self.heap: list[tuple[float, int, _Kind, str, str]] = []
        self.seq = 0
        self.events = 0
        self.callers = 0
        self.waiting: set[CallerId] = set()
        self.answering: dict[CallerId, AgentId] = {}
        self.queue_of: dict[CallerId, QueueId] = {}

    def push(self, at: float, kind: _Kind, a: str = "", b: str = "") -> None:
        self.seq += 1
        heapq.heappush(self.heap, (at, self.seq, kind, a, b))

    def start(self) -> None:
        end = self.scenario.hours * HOUR
        for agent in self.scenario.agents:
            shifts = self.scenario.shifts.get(agent.agent_id, ())
            if not shifts:
                self.push(0.0, _Kind.LOGIN, agent.agent_id)
            for day in range(math.ceil(self.scenario.hours / 24.0) + 1):
                for shift in shifts:
                    base = day * 24.0
                    self.push((base + shift.start_hour) * HOUR, _Kind.LOGIN, agent.agent_id)
                    self.push((base + shift.end_hour) * HOUR, _Kind.LOGOUT, agent.agent_id)
                    for pause in shift.breaks:
                        start, end_hour = base + pause.start_hour, base + pause.end_hour
                        self.push(start * HOUR, _Kind.PAUSE, agent.agent_id, pause.reason)
                        self.push(end_hour * HOUR, _Kind.UNPAUSE, agent.agent_id)
        for traffic in self.scenario.traffic:
            self.push(self.interarrival(traffic), _Kind.ARRIVAL, traffic.queue)
        if self.scenario.warmup_hours > 0:
            self.push(self.scenario.warmup_hours * HOUR, _Kind.RESET)
        self.push(end, _Kind.RESET, "end")

    def interarrival(self, traffic: Traffic) -> float:
        return self.rng.expovariate(traffic.calls_per_hour / HOUR)

    def handle_time(self, traffic: Traffic) -> float:
        if traffic.handle_distribution == "lognormal":
            sigma = traffic.handle_sigma
            mu = math.log(traffic.handle_seconds) - sigma * sigma / 2.0
            return self.rng.lognormvariate(mu, sigma)
        return self.rng.expovariate(1.0 / traffic.handle_seconds)

    def run(self, progress: Callable[[float], None] | None) -> None:
        end = self.scenario.hours * HOUR
        next_report = HOUR
        while self.heap:
            # Merge the engine's timers into the event list: the earlier goes first, and a
            # timer's commands may schedule events before the next one already listed.
            wake = self.engine.next_wakeup()
            if wake is not None and wake <= self.heap[0][0]:
                self.feed(TimerFired(), wake)
                continue
            at, _, kind, a, b = heapq.heappop(self.heap)
            if kind is _Kind.RESET:
                if a == "end":
                    return
                self.engine.reset_statistics()
                continue
            self.step(at, kind, a, b, end)
            if progress is not None and at >= next_report:
                progress(at / HOUR)
                next_report += HOUR

    def step(self, now: float, kind: _Kind, a: str, b: str, end: float) -> None:
        if kind is _Kind.ARRIVAL:
            self.arrive(QueueId(a), now)
        elif kind is _Kind.ANSWER:
            caller, agent = CallerId(a), AgentId(b)
            if self.answering.get(caller) == agent:
                del self.answering[caller]
                self.feed(OfferAnswered(caller=caller, agent=agent), now)
        elif kind is _Kind.HANGUP:
            self.feed(CallEnded(agent=AgentId(a)), now)
        elif kind is _Kind.ABANDON:
            if CallerId(a) in self.waiting:
                self.feed(CallerAbandoned(caller=CallerId(a)), now)
        elif kind is _Kind.LOGIN:
            self.feed(AgentLoggedIn(agent=AgentId(a)), now)
        elif kind is _Kind.LOGOUT:
            self.feed(AgentLoggedOut(agent=AgentId(a)), now)
        elif kind is _Kind.PAUSE:
            self.feed(AgentPaused(agent=AgentId(a), reason=b), now)
        elif kind is _Kind.UNPAUSE:
            self.feed(AgentUnpaused(agent=AgentId(a)), now)

    def arrive(self, queue: QueueId, now: float) -> None:
        traffic = self.traffic_of[queue]
        self.push(now + self.interarrival(traffic), _Kind.ARRIVAL, queue)
        self.callers += 1
        caller = CallerId(f"c{self.callers}")
        self.waiting.add(caller)
        self.queue_of[caller] = queue
        if traffic.patience_seconds is not None:
            patience = self.rng.expovariate(1.0 / traffic.patience_seconds)
            self.push(now + patience, _Kind.ABANDON, caller)
        self.feed(CallerJoined(caller=caller, queue=queue, skills=traffic.caller_skills), now)

    def feed(self, event: Event, now: float) -> None:
        self.events += 1
        for command in self.engine.handle(event, now):
            self.obey(command, now)
        if self.on_records is not None:
            self.on_records(self.engine.take_records())

    def obey(self, command: Command, now: float) -> None:
        if isinstance(command, Offer | DialCallback):
            agent = command.agents[0] if isinstance(command, Offer) else command.agent
            if command.caller not in self.answering:
                self.answering[command.caller] = agent
                delay = self.scenario.ring_delay_seconds
                self.push(now + delay, _Kind.ANSWER, command.caller, agent)
        elif isinstance(command, CancelOffer):
            if self.answering.get(command.caller) in command.agents:
                del self.answering[command.caller]
        elif isinstance(command, Connect):
            self.depart(command.caller)
            traffic = self.traffic_of[command.queue]
            self.push(now + self.handle_time(traffic), _Kind.HANGUP, command.agent)
        elif isinstance(command, Leave):
            self.depart(command.caller)

    def depart(self, caller: CallerId) -> None:
        self.waiting.discard(caller)
        self.answering.pop(caller, None)
        self.queue_of.pop(caller, None)


def simulate(
    scenario: Scenario,
    *,
    seed: int = 1,
    progress: Callable[[float], None] | None = None,
    on_records: Callable[[list[Record]], None] | None = None,
) -> SimulationResult:
    """Run ``scenario``; ``progress`` is called with the simulated hours done, every hour, and
    ``on_records`` with the engine's queue-log records after each event (the scenario's
    options must keep them)."""
    simulation = _Simulation(scenario, seed, on_records)
    simulation.start()
    simulation.run(progress)
    if progress is not None:
        progress(scenario.hours)
    end = scenario.hours * HOUR
    engine = simulation.engine
    stats = {queue_id: engine.queue_stats(queue_id, end) for queue_id in engine.queue_ids}
    measured = scenario.hours - scenario.warmup_hours
    return SimulationResult(queues=stats, hours=measured, events=simulation.events)


def single_queue(
    *,
    agents: int,
    calls_per_hour: float,
    handle_seconds: float,
    patience_seconds: float | None = None,
    sla_seconds: float = 20.0,
    strategy: str = "longest_waiting",
    hours: float = 8.0,
    warmup_hours: float = 0.0,
    handle_distribution: Literal["exponential", "lognormal"] = "exponential",
    ring_delay_seconds: float = 0.0,
) -> Scenario:
    """The one-queue scenario of ``hotline simulate --agents N ...`` (agents a1..aN)."""
    ids = [AgentId(f"a{i}") for i in range(1, agents + 1)]
    queue = QueueConfig(
        queue_id=QueueId("main"),
        strategy=strategy,
        members=tuple(_members(ids)),
        sla_seconds=sla_seconds,
        expected_handle_seconds=handle_seconds,
    )
    traffic = Traffic(
        queue=queue.queue_id,
        calls_per_hour=calls_per_hour,
        handle_seconds=handle_seconds,
        patience_seconds=patience_seconds,
        handle_distribution=handle_distribution,
    )
    return Scenario(
        queues=(queue,),
        agents=tuple(AgentConfig(agent_id=a) for a in ids),
        traffic=(traffic,),
        hours=hours,
        warmup_hours=warmup_hours,
        ring_delay_seconds=ring_delay_seconds,
    )


def _members(ids: Sequence[AgentId]) -> list[Member]:
    return [Member(agent=agent_id) for agent_id in ids]
