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

It prints the events handled per second counting only the time inside ``handle()`` (best and
median of passes of 5,000 rounds: the best is the figure for an idle core, the median shows
what the other processes sharing the machine cost), the same with the driver in CPU time,
and the p50/p99 time of the ``handle()`` calls that made a distribution decision (returned an
Offer), wall clock.

    uv run python bench/acd_engine.py [--rounds 50000] [--seed 1] [--no-records]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter, deque

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

AGENTS, QUEUES, WAITING, PER_QUEUE = 1000, 100, 10_000, 30
WRAP_UP, EARLY_WRAP_UP, BREAK, AWAY, STEP = 2.0, 0.5, 1.0, 2.0, 0.01
PASS = 5000
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
        self.events: Counter[str] = Counter()
        self.engine_seconds = 0.0
        self.decisions: list[float] = []

    def send(self, event: Event) -> None:
        self.events[type(event).__name__] += 1
        before = time.perf_counter()
        commands = self.engine.handle(event, self.now)
        spent = time.perf_counter() - before
        self.engine_seconds += spent
        offers = [c for c in commands if isinstance(c, Offer)]
        if offers:
            self.decisions.append(spent)
        for offer in offers:
            self.waiting.remove(offer.caller)
            self.call_queue[offer.agents[0]] = offer.queue
            self.send(OfferAnswered(caller=offer.caller, agent=offer.agents[0]))
            self.on_call.add(offer.agents[0])

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
            self.engine.take_records()


def prefill(driver: Driver) -> None:
    for i in range(AGENTS):
        driver.send(AgentLoggedIn(agent=AgentId(f"a{i}")))
    while len(driver.on_call) < AGENTS:
        driver.join()
    while len(driver.waiting) < WAITING:
        driver.join()


def measure(driver: Driver, rounds: int) -> tuple[list[float], float]:
    """Events per second inside handle() for each pass, and with the driver (CPU time)."""
    rates: list[float] = []
    driver.events.clear()
    driver.decisions.clear()
    cpu_started = time.process_time()
    for first in range(0, rounds, PASS):
        events, driver.engine_seconds = driver.events.total(), 0.0
        for n in range(first, min(first + PASS, rounds)):
            driver.round(n)
        rates.append((driver.events.total() - events) / driver.engine_seconds)
    return rates, driver.events.total() / (time.process_time() - cpu_started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-records", action="store_true", help="do not keep event records")
    args = parser.parse_args()
    driver = Driver(build(args.seed, keep_records=not args.no_records), args.seed)
    prefill(driver)
    rates, with_driver = measure(driver, args.rounds)
    decisions = sorted(driver.decisions)
    p50 = decisions[len(decisions) // 2] * 1e3
    p99 = decisions[int(len(decisions) * 0.99)] * 1e3
    records = "off" if args.no_records else "on"
    print(f"agents={AGENTS} queues={QUEUES} waiting={len(driver.waiting)} rounds={args.rounds}",
          f"records={records}")  # fmt: skip
    print("events:", ", ".join(f"{name} {count}" for name, count in driver.events.most_common()))
    median = statistics.median(rates)
    print(f"events handled per second inside handle(): best {max(rates):,.0f}, "
          f"median {median:,.0f}; with the driver (CPU) {with_driver:,.0f}")  # fmt: skip
    print(f"distribution decision ({len(decisions)}): p50 {p50:.3f} ms, p99 {p99:.3f} ms")


if __name__ == "__main__":
    main()
