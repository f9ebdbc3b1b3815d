"""ACD engine throughput and decision latency at 1,000 agents, 100 queues, 10,000 callers.

Every agent is a member of 3 queues (30 members a queue), strategies cycle through the
built-in ones, and one queue in three has a 2 s wrap-up. After all agents are on a call and
10,000 callers wait, the driver (playing call control) repeats rounds of 10 ms of virtual
time: a random agent on a call hangs up; an agent whose early wrap-up is due ends it (the
others run out on the engine's timer); every offer is answered at once by its first agent;
a new caller joins a random queue; every fourth round a random waiting caller abandons and
another joins; every tenth round an agent on a call asks for a break, or every fiftieth
logs out (both effective when the call is over); the break ends 1 s after the call, the
agent logs back in 2 s after it.

The driver's events are logged, then replayed into a fresh engine with the same seed (it
returns the same commands), so only ``handle()`` is measured. It prints the events handled
per second of CPU time (best and median of passes of 5,000 rounds: the best is the figure for
an idle core, the median shows what the processes sharing the machine cost), and the p50/p99
CPU and wall time of the ``handle()`` calls that made a distribution decision (returned an
Offer; only these are timed one by one, as reading the thread's CPU clock costs about 1 us).
Last it prints the load average around the replay: on a machine busy with other processes
even CPU time runs slower (shared caches), so compare figures taken under similar load, or
count instructions with callgrind, which the load does not change; and the yardstick read
before and after the replay (see _yardstick.py): a virtual machine's host has slow periods
at any load, in which the yardstick drops with every figure here.

    uv run python bench/acd_engine.py [--rounds 50000] [--seed 1] [--no-records]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import time
from collections import Counter, deque

from _yardstick import yardstick
from hotline.acd import (
    AgentConfig,
    AgentId,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentUnpaused,
    CallEnded,
    CallerAbandoned,
    CallerId,
    CallerJoined,
    Engine,
    EngineOptions,
    Event,
    Member,
    Offer,
    OfferAnswered,
    QueueConfig,
    QueueId,
    WrapUpEnded,
)
from hotline.app import tune_garbage_collector

AGENTS, QUEUES, WAITING, PER_QUEUE = 1000, 100, 10_000, 30
WRAP_UP, EARLY_WRAP_UP, BREAK, AWAY, STEP = 2.0, 0.5, 1.0, 2.0, 0.01
PASS = 5000
Logged = tuple[Event | None, float, bool]  # event (None: drain the records), now, offered
STRATEGIES = (
    "longest_waiting", "ring_all", "round_robin", "prioritized_hunt", "fewest_answered",
    "least_talk_time", "hunt_random_start", "hunt_by_threes_prioritized", "weighted_random",
)  # fmt: skip


def build(seed: int, keep_records: bool = True) -> Engine:
    agents = [AgentConfig(agent_id=AgentId(f"a{i}")) for i in range(AGENTS)]
    queues = [
        QueueConfig(
            queue_id=QueueId(f"q{q}"),
            strategy=STRATEGIES[q % len(STRATEGIES)],
            priority=q % 3,
            wrap_up_seconds=WRAP_UP if q % 3 == 1 else 0.0,
            members=tuple(
                Member(agent=AgentId(f"a{(q * 10 + k) % AGENTS}")) for k in range(PER_QUEUE)
            ),
        )
        for q in range(QUEUES)
    ]
    options = EngineOptions(keep_records=keep_records)
    return Engine(queues, agents, options=options, seed=seed)


class Pool:
    """Ids with O(1) add, remove and random draw (the driver's own bookkeeping)."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.index: dict[str, int] = {}

    def add(self, item: str) -> None:
        self.index[item] = len(self.items)
        self.items.append(item)

    def remove(self, item: str) -> None:
        index = self.index.pop(item)
        last = self.items.pop()
        if last != item:
            self.items[index] = last
            self.index[last] = index

    def draw(self, rng: random.Random) -> str:
        return self.items[rng.randrange(len(self.items))]

    def __len__(self) -> int:
        return len(self.items)


class Driver:
    """Plays call control: answers every offer with its first agent at once."""

    def __init__(self, engine: Engine, seed: int) -> None:
        self.engine = engine
        self.rng = random.Random(seed)
        self.now = 0.0
        self.next_caller = 0
        self.on_call = Pool()  # agents on a call who may hang up, pause or log out
        self.leaving: dict[str, str] = {}  # on a call, already paused or logged out: which
        self.waiting = Pool()
        self.wrap_up_queue = {f"q{q}" for q in range(QUEUES) if q % 3 == 1}
        self.early_wrap_ups: deque[tuple[float, AgentId]] = deque()
        self.breaks: deque[tuple[float, AgentId]] = deque()
        self.away: deque[tuple[float, AgentId]] = deque()
        self.call_queue: dict[str, str] = {}
        self.log: list[Logged] = []

    def send(self, event: Event) -> None:
        index = len(self.log)
        self.log.append((event, self.now, False))
        offers = [c for c in self.engine.handle(event, self.now) if isinstance(c, Offer)]
        if offers:
            self.log[index] = (event, self.now, True)
        for offer in offers:
            agent = offer.agents[0]
            self.waiting.remove(offer.caller)
            self.call_queue[agent] = offer.queue
            self.send(OfferAnswered(caller=offer.caller, agent=agent))
            self.on_call.add(agent)

    def join(self) -> None:
        self.next_caller += 1
        caller = CallerId(f"c{self.next_caller}")
        self.waiting.add(caller)
        self.send(CallerJoined(caller=caller, queue=QueueId(f"q{self.rng.randrange(QUEUES)}")))

    def hang_up(self) -> None:
        agent = AgentId(self.on_call.draw(self.rng))
        self.on_call.remove(agent)
        wraps_up = self.call_queue.pop(agent) in self.wrap_up_queue
        leaving = self.leaving.pop(agent, None)
        if leaving == "break":
            self.breaks.append((self.now + BREAK, agent))
        elif leaving == "away":
            self.away.append((self.now + AWAY, agent))
        elif wraps_up and int(agent[1:]) % 2:
            self.early_wrap_ups.append((self.now + EARLY_WRAP_UP, agent))
        self.send(CallEnded(agent=agent))

    def step_aside(self, n: int) -> None:
        """Breaks and logouts are asked for on a call; they end a while after the call."""
        if n % 10 == 0:
            agent = AgentId(self.on_call.draw(self.rng))
            if agent not in self.leaving:
                if n % 50 == 0:
                    self.leaving[agent] = "away"
                    self.send(AgentLoggedOut(agent=agent))
                else:
                    self.leaving[agent] = "break"
                    self.send(AgentPaused(agent=agent, reason="break"))
        if self.breaks and self.breaks[0][0] <= self.now:
            self.send(AgentUnpaused(agent=self.breaks.popleft()[1]))
        if self.away and self.away[0][0] <= self.now:
            self.send(AgentLoggedIn(agent=self.away.popleft()[1]))

    def round(self, n: int) -> None:
        self.now += STEP
        self.hang_up()
        if self.early_wrap_ups and self.early_wrap_ups[0][0] <= self.now:
            # Still wrapping up: the engine's timer (2 s) has not run out yet.
            self.send(WrapUpEnded(agent=self.early_wrap_ups.popleft()[1]))
        self.join()
        if n % 4 == 0:
            caller = CallerId(self.waiting.draw(self.rng))
            self.waiting.remove(caller)
            self.send(CallerAbandoned(caller=caller))
            self.join()
        self.step_aside(n)
        if n % 1000 == 0:
            self.log.append((None, self.now, False))
            self.engine.take_records()


def prefill(driver: Driver) -> None:
    for i in range(AGENTS):
        driver.send(AgentLoggedIn(agent=AgentId(f"a{i}")))
    while len(driver.on_call) < AGENTS:
        driver.join()
    while len(driver.waiting) < WAITING:
        driver.join()


def play(driver: Driver, rounds: int) -> list[int]:
    """Play the rounds; return where each pass of PASS rounds starts in the driver's log."""
    starts = []
    for n in range(rounds):
        if n % PASS == 0:
            starts.append(len(driver.log))
        driver.round(n)
    return starts


def replay(
    engine: Engine, log: list[Logged], starts: list[int]
) -> tuple[list[float], list[float], list[float]]:
    """Feed the logged events to a fresh engine (same seed: same commands). Return the events
    per second of CPU time of each pass, and the CPU and wall times of each call that
    offered: on a shared machine the wall time also counts the time other processes ran."""
    rates, cpu_times, wall_times = [], [], []
    for event, now, _ in log[: starts[0]]:
        engine.handle(event, now) if event is not None else engine.take_records()
    for start, end in zip(starts, [*starts[1:], len(log)], strict=True):
        cpu_started = time.process_time()
        for event, now, decides in log[start:end]:
            if event is None:
                engine.take_records()
            elif not decides:
                engine.handle(event, now)
            else:
                wall, cpu = time.perf_counter(), time.thread_time()
                engine.handle(event, now)
                cpu_times.append(time.thread_time() - cpu)
                wall_times.append(time.perf_counter() - wall)
        rates.append((end - start) / (time.process_time() - cpu_started))
    return rates, cpu_times, wall_times


def percentiles(times: list[float]) -> str:
    times = sorted(times)
    p50, p99 = times[len(times) // 2] * 1e3, times[int(len(times) * 0.99)] * 1e3
    return f"p50 {p50:.3f} ms, p99 {p99:.3f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-records", action="store_true", help="do not keep event records")
    args = parser.parse_args()
    driver = Driver(build(args.seed, keep_records=not args.no_records), args.seed)
    prefill(driver)
    starts = play(driver, args.rounds)
    log, waiting = driver.log, len(driver.waiting)
    del driver
    engine = build(args.seed, keep_records=not args.no_records)
    # The log is not the engine's garbage: keep the collector from scanning it again and
    # again (in service, events die young); what the engine allocates is still collected,
    # as often as in `hotline serve`.
    gc.collect()
    tune_garbage_collector()
    load_before, speed_before = os.getloadavg()[0], yardstick()
    rates, cpu_times, wall_times = replay(engine, log, starts)
    load_after, speed_after = os.getloadavg()[0], yardstick()
    events = Counter(type(event).__name__ for event, _, _ in log[starts[0] :] if event)
    records = "off" if args.no_records else "on"
    print(f"agents={AGENTS} queues={QUEUES} waiting={waiting} rounds={args.rounds}",
          f"records={records}")  # fmt: skip
    print("events:", ", ".join(f"{name} {count}" for name, count in events.most_common()))
    print(f"events handled per second of CPU time in handle(): best {max(rates):,.0f}, "
          f"median {statistics.median(rates):,.0f} (passes of {PASS} rounds)")  # fmt: skip
    print(f"distribution decision ({len(cpu_times)} calls): CPU {percentiles(cpu_times)}; "
          f"wall {percentiles(wall_times)}")  # fmt: skip
    print(f"machine: {os.cpu_count()} cores, load average {load_before:.1f} before the "
          f"replay, {load_after:.1f} after; above about {(os.cpu_count() or 1) - 1} other "
          "processes compete for the cores: CPU figures then run slower (shared caches, "
          "frequency) and wall figures count the time others ran; trust the best pass")  # fmt: skip
    print(f"yardstick: {speed_before:.1f} before, {speed_after:.1f} after (millions of steps a "
          "second of a fixed Python loop; lower in the host's slow periods)")  # fmt: skip


if __name__ == "__main__":
    main()
