"""Hypothesis drives the engine with random event sequences and checks the invariants.

- no agent ever holds two offers or calls, across all queues;
- nobody logged out of the queue, paused or unreachable is offered a caller;
- every caller who joined leaves exactly once (connected or left), and is in line until then;
- first come, first served within a priority: when a caller is offered an agent, no caller
  of the same queue and priority who joined earlier is waiting without an offer.

Three queues share five agents, with assorted strategies and options. Events are drawn
mostly valid for the current state; invalid ones must raise AcdError and change nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from hotline.acd import (
    AcdError,
    AgentId,
    CallbackOffer,
    CallerId,
    CancelOffer,
    Command,
    Connect,
    DialCallback,
    Engine,
    EngineOptions,
    Event,
    Leave,
    Offer,
    PauseAgent,
    QueueId,
)

from .script import (
    abandon,
    answer,
    busy,
    callback,
    callback_failed,
    end,
    engine,
    free,
    join,
    login,
    logout,
    pause,
    queue,
    reachable,
    reject,
    tick,
    unpause,
    unreachable,
    wrapped,
)

AGENTS = ("a1", "a2", "a3", "a4", "a5")
QUEUES = ("q1", "q2", "q3")


class EngineMachine(RuleBasedStateMachine):
    by_sla = False

    def __init__(self) -> None:
        super().__init__()
        self.engine = self.build()
        self.now = 0.0
        self.joined: dict[CallerId, tuple[QueueId, int, int]] = {}  # queue, priority, order
        self.left: dict[CallerId, int] = {}
        self.ringing: dict[CallerId, set[AgentId]] = {}
        self.on_call: dict[AgentId, CallerId] = {}
        self.logged_in: dict[AgentId, set[QueueId]] = {AgentId(a): set() for a in AGENTS}
        self.paused: set[AgentId] = set()
        self.unreachable: set[AgentId] = set()
        self.member_of = {AgentId(a): set(self.engine.member_queues(AgentId(a))) for a in AGENTS}
        self.callbacks: set[CallerId] = set()
        self.count = 0
        self.join_time: dict[CallerId, float] = {}

    def build(self) -> Engine:
        return engine(
            queue("q1", members=("a1", "a2", "a3"), strategy="ring_all", wrap_up_seconds=5,
                  max_wait_seconds=200, auto_pause_after=3),
            queue("q2", members=("a3", "a4", "a5", "a1"), strategy="ring_progressively",
                  priority=1, progressive_step_seconds=4, ring_seconds=10,
                  callback=CallbackOffer(after_seconds=20)),
            queue("q3", members=("a5", "a2", "a4"), strategy="hunt_by_threes_random",
                  ring_seconds=7, sticky_days=1),
            seed=5,
        )  # fmt: skip

    # -- feeding events and mirroring the commands -------------------------------------

    def send(self, event: Event, update: Callable[[], None] | None = None) -> bool:
        """Handle ``event``; ``update`` changes the mirror first (its commands depend on it)
        and is undone if the engine refuses the event."""
        saved = ({a: set(q) for a, q in self.logged_in.items()}, set(self.paused),
                 {c: set(a) for c, a in self.ringing.items()}, set(self.unreachable))  # fmt: skip
        if update is not None:
            update()
        try:
            commands = self.engine.handle(event, self.now)
        except AcdError:
            self.logged_in, self.paused, self.ringing, self.unreachable = saved
            return False
        for command in commands:
            self.mirror(command)
        return True

    def mirror(self, command: Command) -> None:
        if isinstance(command, Offer | DialCallback):
            agents = command.agents if isinstance(command, Offer) else (command.agent,)
            queue_id = self.joined[command.caller][0]
            for agent in agents:
                busy_with = [c for c, a in self.ringing.items() if agent in a]
                assert not busy_with and agent not in self.on_call, f"{agent} double-booked"
                assert queue_id in self.logged_in[agent], f"{agent} offered from {queue_id}"
                assert agent not in self.paused, f"paused {agent} offered"
                assert agent not in self.unreachable, f"unreachable {agent} offered"
            self.check_first_come_first_served(command.caller, agents)
            self.ringing.setdefault(command.caller, set()).update(agents)
        elif isinstance(command, CancelOffer):
            self.ringing.get(command.caller, set()).difference_update(command.agents)
        elif isinstance(command, Connect):
            assert command.agent in self.ringing.pop(command.caller, set())
            self.on_call[command.agent] = command.caller
            self.leaves(command.caller)
        elif isinstance(command, Leave):
            assert not self.ringing.pop(command.caller, set())
            if command.caller in self.joined:
                self.leaves(command.caller)
        elif isinstance(command, PauseAgent):
            self.paused.add(command.agent)

    def leaves(self, caller: CallerId) -> None:
        self.left[caller] = self.left.get(caller, 0) + 1
        assert self.left[caller] == 1, f"{caller} left twice"

    def check_first_come_first_served(self, caller: CallerId, agents: tuple[AgentId, ...]) -> None:
        """No caller who ranks before ``caller`` waits unoffered in a queue of these agents.

        The rank is the engine's documented order: queue priority, caller priority, then join
        time (or SLA deadline with ``order_by_sla``), then arrival order.
        """
        rank = self.rank(caller)
        for other in self.joined:
            if other == caller or other in self.left or self.ringing.get(other):
                continue
            other_queue = self.joined[other][0]
            if any(other_queue in self.logged_in[agent] for agent in agents):
                assert self.rank(other) > rank, f"{caller} offered before {other}"

    def rank(self, caller: CallerId) -> tuple[int, int, float, int]:
        queue_id, priority, order = self.joined[caller]
        config = self.engine.queue_config(queue_id)
        deadline = self.join_time[caller] + (config.sla_seconds if self.by_sla else 0.0)
        return (-config.priority, -priority, deadline, order)

    def waiting(self) -> list[CallerId]:
        return [c for c in self.joined if c not in self.left]

    # -- rules ------------------------------------------------------------------------

    @initialize()
    def everyone_logs_in(self) -> None:
        # Start staffed: contention between queues comes within a few steps.
        for name in AGENTS:
            agent = AgentId(name)
            self.logged_in[agent] |= self.member_of[agent]
            assert self.send(login(name))

    @rule(q=st.sampled_from(QUEUES), priority=st.integers(0, 1), sticky=st.booleans())
    def caller_joins(self, q: str, priority: int, sticky: bool) -> None:
        self.count += 1
        caller = CallerId(f"c{self.count}")
        self.joined[caller] = (QueueId(q), priority, self.count)
        self.join_time[caller] = self.now
        number = "555" if sticky else None
        if not self.send(join(caller, q, priority, number=number)):
            del self.joined[caller]

    @rule(data=st.data())
    def caller_abandons(self, data: st.DataObject) -> None:
        if self.waiting():
            self.send(abandon(data.draw(st.sampled_from(self.waiting()))))

    @rule(data=st.data())
    def caller_asks_callback(self, data: st.DataObject) -> None:
        if self.waiting():
            caller = data.draw(st.sampled_from(self.waiting()))
            if self.send(callback(caller)):
                self.callbacks.add(caller)

    @rule(agent=st.sampled_from(AGENTS), data=st.data())
    def agent_logs_in(self, agent: str, data: st.DataObject) -> None:
        queues = data.draw(st.lists(st.sampled_from(sorted(self.member_of[AgentId(agent)])),
                                    max_size=2, unique=True))  # fmt: skip

        def update() -> None:
            self.logged_in[AgentId(agent)] |= set(queues) or self.member_of[AgentId(agent)]

        self.send(login(agent, *queues), update)

    @rule(agent=st.sampled_from(AGENTS), everything=st.booleans(), data=st.data())
    def agent_logs_out(self, agent: str, everything: bool, data: st.DataObject) -> None:
        member_of = sorted(self.member_of[AgentId(agent)])
        queues = [] if everything else [data.draw(st.sampled_from(member_of))]

        def update() -> None:
            self.logged_in[AgentId(agent)] -= set(queues) or self.member_of[AgentId(agent)]
            if not self.logged_in[AgentId(agent)]:
                self.paused.discard(AgentId(agent))

        self.send(logout(agent, *queues), update)

    @rule(agent=st.sampled_from(AGENTS))
    def agent_pauses(self, agent: str) -> None:
        self.send(pause(agent), lambda: self.paused.add(AgentId(agent)))

    @rule(agent=st.sampled_from(AGENTS))
    def agent_unpauses(self, agent: str) -> None:
        self.send(unpause(agent), lambda: self.paused.discard(AgentId(agent)))

    @rule(data=st.data(), accept=st.booleans())
    def agent_responds(self, data: st.DataObject, accept: bool) -> None:
        pairs = sorted((c, a) for c, agents in self.ringing.items() for a in agents)
        if pairs:
            caller, agent = data.draw(st.sampled_from(pairs))
            if accept:
                self.send(answer(caller, agent))
                return
            # A refusal comes from call control: no CancelOffer follows for that agent.
            refusal = callback_failed if caller in self.callbacks else reject
            self.send(refusal(caller, agent), lambda: self.ringing[caller].discard(agent))

    @rule(data=st.data())
    def call_ends(self, data: st.DataObject) -> None:
        if self.on_call:
            agent = data.draw(st.sampled_from(sorted(self.on_call)))
            caller = self.on_call[agent]

            def update() -> None:
                del self.on_call[agent]

            if not self.send(end(agent), update):
                self.on_call[agent] = caller

    @rule(agent=st.sampled_from(AGENTS))
    def agent_ends_wrap_up(self, agent: str) -> None:
        self.send(wrapped(agent))

    @rule(agent=st.sampled_from(AGENTS), going=st.booleans())
    def agent_other_call(self, agent: str, going: bool) -> None:
        self.send(busy(agent) if going else free(agent))

    @rule(agent=st.sampled_from(AGENTS), going=st.booleans())
    def agent_phone_changes(self, agent: str, going: bool) -> None:
        if going:
            self.send(unreachable(agent), lambda: self.unreachable.add(AgentId(agent)))
        else:
            self.send(reachable(agent), lambda: self.unreachable.discard(AgentId(agent)))

    @rule(seconds=st.sampled_from([0.0, 1.0, 3.0, 6.0, 11.0, 25.0, 90.0]))
    def time_passes(self, seconds: float) -> None:
        self.now += seconds
        self.send(tick())

    # -- invariants -------------------------------------------------------------------

    @invariant()
    def every_caller_is_in_line_until_it_leaves(self) -> None:
        for caller in self.joined:
            in_line = self.engine.position(caller) is not None
            assert in_line == (caller not in self.left), caller

    @invariant()
    def each_agent_holds_at_most_one_offer_or_call(self) -> None:
        held = [a for agents in self.ringing.values() for a in agents] + list(self.on_call)
        assert len(held) == len(set(held))

    @invariant()
    def serving_counts_match_a_recount(self) -> None:
        # The engine keeps the unpaused, reachable logged-in members of each queue as a
        # running count (it feeds the estimated wait); it must equal counting them afresh.
        for runtime in self.engine._core.queues.values():
            members = runtime.logged_in.values()
            serving = sum(1 for a in members if a.pause_reason is None and a.reachable)
            assert runtime.serving == serving


class SlaOrderMachine(EngineMachine):
    """The same rules with ``order_by_sla``: queues with different SLA thresholds and equal
    priorities, so the order across queues is by deadline (join time + SLA)."""

    by_sla = True

    def build(self) -> Engine:
        return engine(
            queue("q1", members=("a1", "a2", "a3"), strategy="longest_waiting", sla_seconds=60,
                  auto_pause_after=2),
            queue("q2", members=("a3", "a4", "a5", "a1"), strategy="round_robin",
                  sla_seconds=10, wrap_up_seconds=3),
            queue("q3", members=("a5", "a2", "a4"), strategy="fewest_answered", sla_seconds=30,
                  callback=CallbackOffer(after_seconds=15)),
            options=EngineOptions(order_by_sla=True),
            seed=9,
        )  # fmt: skip


EngineMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_engine_invariants = EngineMachine.TestCase
SlaOrderMachine.TestCase.settings = EngineMachine.TestCase.settings
test_sla_order_invariants = SlaOrderMachine.TestCase
