"""The ACD engine: ``handle(event, now) -> list[Command]``, sans-IO and deterministic per seed.

Call control feeds events in and carries out the commands; it also calls
``handle(TimerFired(), at)`` when a ``WakeAt`` comes due (``next_wakeup()`` says when).
Event records for the queue log are drained with ``take_records()``; live figures come from
``queue_stats`` and ``agent_stats``. A typical exchange::

    engine = Engine(queues, agents, seed=1)
    engine.handle(AgentLoggedIn(agent=AgentId("alice")), now)      # -> [] (in all her queues)
    engine.handle(CallerJoined(caller=c, queue=q), now)            # -> [Offer(c, ("alice",)),
                                                                   #     WakeAt(now + 15)]
    engine.handle(OfferAnswered(caller=c, agent=AgentId("alice")), now)  # -> [Connect(...)]
    engine.handle(CallEnded(agent=AgentId("alice")), now)          # -> wrap-up, then next offer

Commands: Offer (ring these agents), CancelOffer (stop ringing them), Connect (bridge),
Leave (caller leaves unanswered, with reason and destination), PlayAnnouncement,
OfferCallback (propose the key), DialCallback (agent reserved: dial the caller back),
PauseAgent (auto-pause), WakeAt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from hotline.acd import agents as _agents
from hotline.acd import callers as _callers
from hotline.acd.commands import Command, new_wake_at
from hotline.acd.dispatcher import Core, Timer, TimerKind
from hotline.acd.events import (
    AgentBusyElsewhere,
    AgentFreeAgain,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentReachable,
    AgentUnpaused,
    AgentUnreachable,
    CallbackFailed,
    CallbackRequested,
    CallEnded,
    CallerAbandoned,
    CallerDropped,
    CallerJoined,
    Event,
    OfferAnswered,
    OfferNotAnswered,
    OfferRejected,
    TimerFired,
    WrapUpEnded,
)
from hotline.acd.model import (
    AcdError,
    AgentConfig,
    AgentId,
    CallerId,
    EngineOptions,
    QueueConfig,
    QueueId,
)
from hotline.acd.records import Record
from hotline.acd.state import AgentRuntime, CallerEntry, QueueRuntime
from hotline.acd.stats import AgentStats, QueueCounters, QueueStats
from hotline.acd.views import WaitingCaller, agent_stats, queue_stats, waiting_callers

__all__ = ["Engine"]

Handler = Callable[[Core, Any, float], None]


def _time_passed(core: Core, event: TimerFired, now: float) -> None:
    """Nothing but time: the timers due by ``now`` have run before the event."""


_HANDLERS: dict[type[Any], Handler] = {
    CallerJoined: _callers.joined,
    CallerAbandoned: _callers.abandoned,
    CallerDropped: _callers.dropped,
    CallbackRequested: _callers.callback_requested,
    CallbackFailed: _callers.callback_failed,
    OfferAnswered: _callers.answered,
    OfferRejected: _callers.rejected,
    OfferNotAnswered: _callers.not_answered,
    AgentLoggedIn: _agents.logged_in,
    AgentLoggedOut: _agents.logged_out,
    AgentPaused: _agents.paused,
    AgentUnpaused: _agents.unpaused,
    CallEnded: _agents.call_ended,
    WrapUpEnded: _agents.wrap_up_ended,
    AgentBusyElsewhere: _agents.busy_elsewhere,
    AgentFreeAgain: _agents.free_again,
    AgentUnreachable: _agents.unreachable,
    AgentReachable: _agents.reachable,
    TimerFired: _time_passed,
}

_NEVER = float("inf")

_TIMER_HANDLERS: dict[TimerKind, Callable[[Core, Timer, float], None]] = {
    TimerKind.RING: _callers.ring_timed_out,
    TimerKind.PROGRESSIVE: _callers.progressive_step,
    TimerKind.MAX_WAIT: _callers.max_wait_reached,
    TimerKind.ANNOUNCE: _callers.announce,
    TimerKind.CALLBACK_OFFER: _callers.offer_callback,
    TimerKind.RELAX: _callers.relax,
    TimerKind.WRAP_UP: _agents.wrap_up_timed_out,
    TimerKind.RETRY: _agents.retry_over,
}


# The counters of "today" (see reset_statistics), as statistics_snapshot names them.
_QUEUE_COUNTERS = QueueCounters.__slots__
_AGENT_COUNTERS = ("answered", "missed", "talk_seconds", "paused_seconds")


class Engine:
    """The automatic call distributor for a set of queues and agents.

    Queues list their member agents; an agent may be a member of several queues. ``seed``
    fixes every random draw (random strategies, random start), so a run replays exactly.
    """

    def __init__(
        self,
        queues: Sequence[QueueConfig],
        agents: Sequence[AgentConfig],
        *,
        options: EngineOptions | None = None,
        seed: int = 0,
    ) -> None:
        self._core = Core(options or EngineOptions(), seed)
        self._pending: list[Command] = []
        self._last_wake: float | None = None
        # When the earliest live timer falls due (as found at the end of the last event):
        # most events come before it and need not look at the timers.
        self._due = _NEVER
        self._now = float("-inf")
        core = self._core
        for config in agents:
            if config.agent_id in core.agents:
                raise AcdError(f"agent {config.agent_id} configured twice")
            core.agents[config.agent_id] = AgentRuntime(config)
        for queue_config in queues:
            self._add_queue(queue_config)

    def _add_queue(self, config: QueueConfig) -> None:
        core = self._core
        if config.queue_id in core.queues:
            raise AcdError(f"queue {config.queue_id} configured twice")
        queue = QueueRuntime(config, core.options.handle_time_window)
        for member in config.members:
            agent = core.agents.get(member.agent)
            if agent is None:
                raise AcdError(f"queue {config.queue_id}: unknown member agent {member.agent}")
            agent.member_of[config.queue_id] = queue
        if len(queue.position_of) != len(config.members):
            raise AcdError(f"queue {config.queue_id} lists a member twice")
        core.queues[config.queue_id] = queue

    # -- the sans-IO interface ----------------------------------------------------------

    def handle(self, event: Event, now: float) -> list[Command]:
        """Process the timers due by ``now``, then ``event``; return the commands to carry out.

        Raises AcdError (state unchanged by the event) for an event that cannot happen now;
        commands produced by timers before the error are returned by the next call.
        """
        if now < self._now:
            raise AcdError(f"time went backwards: {now} after {self._now}")
        self._now = now
        core = self._core
        pending = self._pending
        if pending:
            out = core.out = pending
            self._pending = []
        else:
            out = core.out = []
        # Most events find no timer due and no queue to serve: look before calling in.
        if now >= self._due:
            self._run_timers(now)
        try:
            handler = _HANDLERS[type(event)]
        except KeyError:
            if not isinstance(event, TimerFired):
                self._due = float("-inf")  # timers may have run: look next time
                raise AcdError(f"unknown event {event!r}") from None
        else:
            try:
                handler(core, event, now)
            except AcdError:
                core.dispatch(now)
                self._pending = core.out
                self._due = float("-inf")  # timers may have started: look next time
                raise
        if core.dirty:
            core.dispatch(now)
        if len(core.records) > core.max_records:
            core.drop_oldest_records()
        wake = core.next_timer()
        self._due = _NEVER if wake is None else wake
        if wake != self._last_wake:
            self._last_wake = wake
            if wake is not None:
                out.append(new_wake_at(wake))
        return out

    def _run_timers(self, now: float) -> None:
        core = self._core
        while (timer := core.pop_due(now)) is not None:
            _TIMER_HANDLERS[timer.kind](core, timer, timer.at)
            core.dispatch(timer.at)

    def next_wakeup(self) -> float | None:
        """When the next timer falls due (None: no timer pending)."""
        return self._core.next_timer()

    @property
    def records_dropped(self) -> int:
        """Records lost because ``take_records()`` was not called before ``max_records``."""
        return self._core.records_dropped

    def take_records(self) -> list[Record]:
        """The event records made since the last call, oldest first."""
        records = self._core.records
        self._core.records = []
        return records

    # -- read-only views ----------------------------------------------------------------

    def queue_stats(self, queue_id: QueueId, now: float) -> QueueStats:
        return queue_stats(self._core, self._queue(queue_id), now)

    def agent_stats(self, agent_id: AgentId, now: float) -> AgentStats:
        agent = self._core.agents.get(agent_id)
        if agent is None:
            raise AcdError(f"unknown agent {agent_id}")
        return agent_stats(agent, now)

    def waiting(self, queue_id: QueueId, now: float) -> list[WaitingCaller]:
        """The callers of a queue in serving order, for the supervisor page."""
        return waiting_callers(self._queue(queue_id), now)

    def position(self, caller: CallerId) -> int | None:
        """The caller's place in its queue (1 = next), None if not waiting."""
        entry: CallerEntry | None = self._core.callers.get(caller)
        return None if entry is None else entry.queue.line.position(entry)

    def queue_config(self, queue_id: QueueId) -> QueueConfig:
        return self._queue(queue_id).config

    def member_queues(self, agent_id: AgentId) -> tuple[QueueId, ...]:
        """The queues listing the agent as a member (those it logs in to by default)."""
        agent = self._core.agents.get(agent_id)
        if agent is None:
            raise AcdError(f"unknown agent {agent_id}")
        return tuple(agent.member_of)

    @property
    def queue_ids(self) -> tuple[QueueId, ...]:
        return tuple(self._core.queues)

    @property
    def agent_ids(self) -> tuple[AgentId, ...]:
        return tuple(self._core.agents)

    def reset_statistics(
        self, agent_ids: Iterable[AgentId] | None = None, *, now: float | None = None
    ) -> None:
        """Start a new statistics period ("today"): zero the counters of queues and agents.
        With ``now``, a pause in progress counts in the new period from ``now`` only."""
        core = self._core
        for queue in core.queues.values():
            queue.counters.reset()
        for agent_id in agent_ids if agent_ids is not None else core.agents:
            agent = core.agents[agent_id]
            agent.answered = agent.missed = 0
            agent.talk_seconds = agent.paused_seconds = 0.0
            if now is not None:
                agent.pause_start = now

    def statistics_snapshot(self) -> dict[str, Any]:
        """Today's counters of every queue and agent as plain numbers (JSON), to be given back
        to :meth:`restore_statistics` after a restart."""
        core = self._core
        return {
            "queues": {
                queue_id: {name: getattr(queue.counters, name) for name in _QUEUE_COUNTERS}
                for queue_id, queue in core.queues.items()
            },
            "agents": {
                agent_id: {name: getattr(agent, name) for name in _AGENT_COUNTERS}
                for agent_id, agent in core.agents.items()
            },
        }

    def restore_statistics(self, snapshot: dict[str, Any]) -> None:
        """Take back counters of :meth:`statistics_snapshot`. Queues, agents and counters
        this engine does not have (the configuration changed in between) are ignored, and so
        is anything that is not a count."""
        core = self._core
        for table, names, owners in (
            ("queues", _QUEUE_COUNTERS, {q: r.counters for q, r in core.queues.items()}),
            ("agents", _AGENT_COUNTERS, core.agents),
        ):
            saved = snapshot.get(table)
            for key, values in saved.items() if isinstance(saved, dict) else ():
                owner = owners.get(key)
                if owner is None or not isinstance(values, dict):
                    continue
                for name in names:
                    value = values.get(name)
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        kind = type(getattr(owner, name))
                        setattr(owner, name, kind(max(value, 0)))

    def _queue(self, queue_id: QueueId) -> QueueRuntime:
        queue = self._core.queues.get(queue_id)
        if queue is None:
            raise AcdError(f"unknown queue {queue_id}")
        return queue
