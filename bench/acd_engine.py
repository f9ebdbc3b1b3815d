"""ACD engine throughput and decision latency at 1,000 agents, 100 queues, 10,000 callers.

Every agent is a member of 3 queues (30 members a queue), strategies cycle through the
built-in ones. After all agents are on a call and 10,000 callers wait, the loop repeats:
a random agent ends its call (the engine picks the next caller across the agent's queues and
the agent by strategy: one distribution decision), the agent answers, a new caller joins a
random queue, and every fourth round a random waiting caller abandons. It prints the events
handled per second (wall clock with this driver playing call control, and counting only the
time inside handle()) and the p50/p99 time of the handle() call that makes a decision.

    uv run python bench/acd_engine.py [--rounds 50000] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import time

from hotline.acd import (
    AgentConfig,
    AgentId,
    AgentLoggedIn,
    CallEnded,
    CallerAbandoned,
    CallerId,
    CallerJoined,
    Engine,
    EngineOptions,
    Member,
    Offer,
    OfferAnswered,
    QueueConfig,
    QueueId,
)

AGENTS, QUEUES, WAITING, PER_QUEUE = 1000, 100, 10_000, 30
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
            members=tuple(
                Member(agent=AgentId(f"a{(q * 10 + k) % AGENTS}")) for k in range(PER_QUEUE)
            ),
        )
        for q in range(QUEUES)
    ]
    options = EngineOptions(keep_records=keep_records)
    return Engine(queues, agents, options=options, seed=seed)


class Driver:
    """Plays call control: answers every offer with its first agent at once."""

    def __init__(self, engine: Engine, seed: int) -> None:
        self.engine = engine
        self.rng = random.Random(seed)
        self.now = 0.0
        self.next_caller = 0
        self.on_call: list[AgentId] = []
        self.waiting: dict[CallerId, None] = {}
        self.events = 0
        self.engine_seconds = 0.0

    def send(self, event: object) -> list[object]:
        self.events += 1
        before = time.perf_counter()
        commands = self.engine.handle(event, self.now)  # type: ignore[arg-type]
        self.engine_seconds += time.perf_counter() - before
        for command in commands:
            if isinstance(command, Offer):
                self.pending.append(command)
        return commands  # type: ignore[return-value]

    def answer_offers(self) -> None:
        while self.pending:
            offer = self.pending.pop()
            self.waiting.pop(offer.caller, None)
            self.send(OfferAnswered(caller=offer.caller, agent=offer.agents[0]))
            self.on_call.append(offer.agents[0])

    def join(self) -> None:
        self.next_caller += 1
        caller = CallerId(f"c{self.next_caller}")
        queue = QueueId(f"q{self.rng.randrange(QUEUES)}")
        self.waiting[caller] = None
        self.send(CallerJoined(caller=caller, queue=queue))
        self.answer_offers()

    pending: list[Offer]


def prefill(driver: Driver) -> None:
    driver.pending = []
    for i in range(AGENTS):
        driver.send(AgentLoggedIn(agent=AgentId(f"a{i}")))
    while len(driver.on_call) < AGENTS:
        driver.join()
    while len(driver.waiting) < WAITING:
        driver.join()


def measure(driver: Driver, rounds: int) -> tuple[float, list[float]]:
    rng, decisions = driver.rng, []
    driver.events = 0
    driver.engine_seconds = 0.0
    started = time.perf_counter()
    for n in range(rounds):
        driver.now += 0.01
        index = rng.randrange(len(driver.on_call))
        agent = driver.on_call[index]
        driver.on_call[index] = driver.on_call[-1]
        driver.on_call.pop()
        before = time.perf_counter()
        driver.send(CallEnded(agent=agent))
        decisions.append(time.perf_counter() - before)
        driver.answer_offers()
        driver.join()
        if n % 4 == 0 and driver.waiting:
            caller = next(iter(driver.waiting))
            del driver.waiting[caller]
            driver.send(CallerAbandoned(caller=caller))
            driver.join()
        if n % 1000 == 0:
            driver.engine.take_records()
    return time.perf_counter() - started, decisions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-records", action="store_true", help="do not keep event records")
    args = parser.parse_args()
    driver = Driver(build(args.seed, keep_records=not args.no_records), args.seed)
    prefill(driver)
    elapsed, decisions = measure(driver, args.rounds)
    decisions.sort()
    p50 = decisions[len(decisions) // 2] * 1e3
    p99 = decisions[int(len(decisions) * 0.99)] * 1e3
    waiting = len(driver.waiting)
    records = "off" if args.no_records else "on"
    print(f"agents={AGENTS} queues={QUEUES} waiting={waiting} rounds={args.rounds}", end=" ")
    print(f"records={records}")
    print(f"events handled per second: {driver.events / elapsed:,.0f} with the driver, "
          f"{driver.events / driver.engine_seconds:,.0f} inside handle()")  # fmt: skip
    print(f"distribution decision: p50 {p50:.3f} ms, p99 {p99:.3f} ms")


if __name__ == "__main__":
    main()
