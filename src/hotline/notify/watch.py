"""The watcher: what is worth telling, seen from the event bus and a tick of the clock.

``observe`` takes each bus event (lost calls, auto-pauses, failed callbacks are single
events); ``tick(now)`` looks at what lasts (callers past the SLA, the service level over its
window, callers with no agent, the system's health). Both return notices and never do I/O:
the notifier writes them. An ongoing condition is raised once, updated while it changes (an
SLA breach) and cleared once it ends.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from hotline.events import AgentStateChanged, Event, QueueEventLogged
from hotline.notify.notices import Facts, Kind, Notice, Phase

__all__ = ["QueueWatch", "SystemCheck", "Watcher"]

log = logging.getLogger(__name__)

# A check of the system's health: a sentence naming the problem, or None when all is well.
SystemCheck = Callable[[], str | None]

LOST_VERBS = {
    "ABANDON": "abandoned",
    "EXITWITHTIMEOUT": "timeout",
    "EXITEMPTY": "failover",
    "FULL": "failover",
    "JOINEMPTY": "failover",
    "DROPPED": "dropped",
}
GONE_VERBS = {"CONNECT", "CALLBACKFAILED", *LOST_VERBS}
AUTO_PAUSE = ("paused", "auto")  # the ACD gives "auto" as the reason of its own pauses
MIN_SAMPLES = 5  # calls in the window before a service level says anything


@dataclass(frozen=True, slots=True, kw_only=True)
class QueueWatch:
    """What the watcher needs of a queue's settings."""

    number: str
    name: str = ""
    sla_seconds: float = 20.0
    short_abandon_seconds: float = 5.0


@dataclass(slots=True)
class _Waiting:
    queue: str
    joined_at: float
    number: str | None
    position: int | None


@dataclass(slots=True)
class _Breach:
    started_at: float
    callers: frozenset[str]


@dataclass(slots=True)
class _QueueState:
    breach: _Breach | None = None
    samples: deque[tuple[float, bool]] = field(default_factory=deque)  # (at, within SLA)
    service_level_low: bool = False
    no_agents: bool = False


class Watcher:
    """Notices from events and time. ``staffed(queue)``: whether an agent of the queue is
    logged in and not paused; ``queues_of(agent)``: the queues an agent serves."""

    def __init__(
        self,
        queues: Mapping[str, QueueWatch],
        *,
        staffed: Callable[[str], bool],
        queues_of: Callable[[str], frozenset[str]],
        checks: Mapping[str, SystemCheck] | None = None,
        service_level_target: float = 80.0,
        service_level_window: float = 900.0,
    ) -> None:
        self.queues = dict(queues)
        self._staffed = staffed
        self._queues_of = queues_of
        self._checks = dict(checks or {})
        self._target = service_level_target
        self._window = service_level_window
        self._waiting: dict[str, _Waiting] = {}
        self._state = {number: _QueueState() for number in self.queues}
        self._problems: dict[str, str | None] = {}

    # -- events ------------------------------------------------------------------------------

    def replay(self, events: Iterable[Event]) -> list[Notice]:
        """The single-event notices (lost calls, failed callbacks, auto-pauses) of ``events``
        from before a restart, seen by a watcher of their own: the callers they name are gone,
        and must not count as waiting now."""
        fresh = Watcher(self.queues, staffed=self._staffed, queues_of=self._queues_of)
        return [notice for event in events for notice in fresh.observe(event)]

    def observe(self, event: Event) -> list[Notice]:
        if isinstance(event, QueueEventLogged) and event.queue in self.queues:
            return self._queue_event(event)
        if isinstance(event, AgentStateChanged) and (event.change, event.reason) == AUTO_PAUSE:
            return self._auto_paused(event)
        return []

    def _queue_event(self, event: QueueEventLogged) -> list[Notice]:
        assert event.queue is not None
        call_id = event.call_id or ""
        if event.verb == "ENTERQUEUE":
            self._waiting[call_id] = _Waiting(event.queue, event.at, event.detail, event.position)
            return []
        if event.verb not in GONE_VERBS:
            return []
        waiting = self._waiting.pop(call_id, None)
        queue = self.queues[event.queue]
        wait = event.wait or 0.0
        if event.verb == "CONNECT":
            self._sample(event.queue, event.at, within=wait <= queue.sla_seconds)
            return []
        facts = {
            "number": waiting.number if waiting else event.detail,
            "wait": round(wait, 1),
            "position": event.position,
        }
        if event.verb == "CALLBACKFAILED":
            return [self._single("callback_failed", event, facts)]
        if event.verb == "ABANDON" and wait < queue.short_abandon_seconds:
            return []  # a short abandon: a wrong number, not a lost customer
        self._sample(event.queue, event.at, within=False)
        return [self._single("lost_call", event, {**facts, "reason": LOST_VERBS[event.verb]})]

    def _single(self, kind: Kind, event: QueueEventLogged, facts: Facts) -> Notice:
        return Notice(
            kind=kind,
            key=f"{kind}:{event.queue}:{event.call_id}:{event.at:.3f}",
            at=event.at,
            queue=event.queue,
            call_id=event.call_id,
            facts=facts,
        )

    def _auto_paused(self, event: AgentStateChanged) -> list[Notice]:
        return [
            Notice(
                kind="agent_auto_paused",
                key=f"agent_auto_paused:{queue}:{event.agent}:{event.at:.3f}",
                at=event.at,
                queue=queue,
                facts={"agent": event.agent},
            )
            for queue in sorted(self._queues_of(event.agent) & self.queues.keys())
        ]

    def _sample(self, queue: str, at: float, *, within: bool) -> None:
        self._state[queue].samples.append((at, within))

    # -- time ----------------------------------------------------------------------------------

    def tick(self, now: float) -> list[Notice]:
        waiting: dict[str, dict[str, _Waiting]] = {number: {} for number in self.queues}
        for call, caller in self._waiting.items():  # one pass for every queue
            waiting[caller.queue][call] = caller
        notices: list[Notice] = []
        for number in self.queues:
            notices += self._sla(number, waiting[number], now)
            notices += self._service_level(number, now)
            notices += self._no_agents(number, len(waiting[number]), now)
        notices += self._system(now)
        return notices

    def _sla(self, queue: str, waiting: dict[str, _Waiting], now: float) -> list[Notice]:
        state, sla = self._state[queue], self.queues[queue].sla_seconds
        over = {call: w for call, w in waiting.items() if now - w.joined_at >= sla}
        breach = state.breach
        if breach is None and not over:
            return []
        if breach is None:
            breach = state.breach = _Breach(started_at=now, callers=frozenset(over))
            return [self._breach_notice(queue, breach, over, now, "raised")]
        key = f"sla_breach:{queue}:{breach.started_at:.3f}"
        if not over:
            state.breach = None
            facts = {"since": breach.started_at, "callers": len(breach.callers)}
            return [Notice(kind="sla_breach", key=f"{key}:cleared", at=now, queue=queue,
                           phase="cleared", facts=facts)]  # fmt: skip
        if frozenset(over) == breach.callers:
            return []
        breach.callers = frozenset(over)
        return [self._breach_notice(queue, breach, over, now, "updated")]

    def _breach_notice(
        self, queue: str, breach: _Breach, over: dict[str, _Waiting], now: float, phase: Phase
    ) -> Notice:
        call, first = min(over.items(), key=lambda item: item[1].joined_at)
        return Notice(
            kind="sla_breach",
            key=f"sla_breach:{queue}:{breach.started_at:.3f}",
            at=now,
            queue=queue,
            phase=phase,
            call_id=call,
            facts={
                "waiting": len(over),
                "wait": round(now - first.joined_at, 1),
                "number": first.number,
                "position": first.position,
                "since": breach.started_at,
            },
        )

    def _service_level(self, queue: str, now: float) -> list[Notice]:
        state = self._state[queue]
        samples = state.samples
        while samples and samples[0][0] < now - self._window:
            samples.popleft()
        if len(samples) < MIN_SAMPLES:
            return []
        level = round(100.0 * sum(within for _, within in samples) / len(samples), 1)
        low = level < self._target
        if low == state.service_level_low:
            return []
        state.service_level_low = low
        facts = {"service_level": level, "target": self._target, "calls": len(samples),
                 "window": self._window}  # fmt: skip
        return [self._edge("service_level_low", queue, now, low, facts)]

    def _no_agents(self, queue: str, waiting: int, now: float) -> list[Notice]:
        state = self._state[queue]
        empty = waiting > 0 and not self._staffed(queue)
        if empty == state.no_agents:
            return []
        state.no_agents = empty
        return [self._edge("no_agents", queue, now, empty, {"waiting": waiting})]

    def _edge(self, kind: Kind, queue: str, now: float, raised: bool, facts: Facts) -> Notice:
        return Notice(
            kind=kind,
            key=f"{kind}:{queue}:{now:.3f}",
            at=now,
            queue=queue,
            phase="raised" if raised else "cleared",
            facts=facts,
        )

    def _system(self, now: float) -> list[Notice]:
        notices = []
        for name, check in self._checks.items():
            try:
                problem = check()
            except Exception:  # a broken check must not stop the others
                log.exception("notify: system check %s failed", name)
                continue
            before = self._problems.get(name)
            if problem == before:
                continue
            self._problems[name] = problem
            # A problem that is gone is said once, naming what it was.
            facts: Facts = {"check": name, "problem": problem if problem is not None else before}
            phase: Phase = "raised" if problem is not None else "cleared"
            notices.append(Notice(kind="system", key=f"system:{name}:{now:.3f}", at=now,
                                  phase=phase, facts=facts))  # fmt: skip
        return notices
