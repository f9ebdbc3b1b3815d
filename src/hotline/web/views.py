"""The live view of a running node: its queues, agents and calls in progress, as the API's
objects.

Queue and agent figures come from the ACD engine (on its monotonic clock, turned into epoch
seconds here); calls from call control. What a ``Call`` does not keep (when it arrived, when
a person answered, the queue that served it, hold) is followed from the bus events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from hotline.acd import AcdError, AgentId, CallerId, QueueId, WaitingCaller
from hotline.events import (
    CallAnswered,
    CallEnded,
    CallHoldChanged,
    CallStarted,
    Event,
    QueueCallConnected,
    QueueEventLogged,
)
from hotline.pbx import Call, CallState
from hotline.web.schemas import (
    AgentOut,
    LiveCallOut,
    LiveCallState,
    QueueDetailOut,
    QueueOut,
    WaitingCallerOut,
)
from hotline.web.services import WebServices

__all__ = ["LiveView"]

HOTLINE = "hotline"  # CallAnswered.answered_by when Hotline itself answers (queue, IVR)
ENTER_QUEUE = "ENTERQUEUE"  # the queue log's verb of a caller joining a line


@dataclass(slots=True)
class _CallFacts:
    started_at: float
    answered_at: float | None = None
    queues: list[str] = field(default_factory=list)  # the last one is the current one
    on_hold: bool = False
    queued_at: float | None = None  # joined the current queue
    wait_seconds: float | None = None  # waited before an agent answered


class LiveView:
    """Reads the live state of a node's calls and queues; ``observe`` must see every bus
    event."""

    def __init__(self, services: WebServices) -> None:
        self._pbx = services.calls
        self._queues = services.queues
        self._clock = services.clock
        self._engine = services.queues.engine
        config = services.config
        self._queue_config = {q.number: q for q in config.queues}
        self._agent_names = {e.number: e.name or e.number for e in config.extensions if e.agent}
        self._extensions = {e.number: e.name for e in config.extensions if e.name}
        self.members: dict[str, frozenset[str]] = {
            agent: frozenset(self._engine.member_queues(AgentId(agent)))
            for agent in self._agent_names
        }
        self._facts: dict[str, _CallFacts] = {}  # by record id
        # The engine's clock starts at boot: an agent untouched since start has been in its
        # state since Hotline started, not since the machine did.
        self._started = self._clock.wall()

    # -- following the calls ---------------------------------------------------------------

    def observe(self, event: Event) -> frozenset[str]:
        """Note what ``event`` says of a call; return the queues the event concerns."""
        if isinstance(event, QueueEventLogged):
            if event.call_id is not None and event.queue is not None:
                self._enter(event.call_id, event.queue)
                if event.verb == ENTER_QUEUE and (joined := self._facts.get(event.call_id)):
                    joined.queued_at = event.at
            return frozenset((event.queue,)) if event.queue is not None else frozenset()
        if isinstance(event, CallStarted):
            facts = self._facts[event.call_id] = _CallFacts(started_at=event.at)
            if event.destination in self._queue_config:
                facts.queues.append(event.destination)
            return frozenset(facts.queues)
        call_id = getattr(event, "call_id", None)
        found = self._facts.get(call_id) if call_id is not None else None
        if found is None:
            return frozenset()
        facts = found
        if isinstance(event, QueueCallConnected):
            self._enter(event.call_id, event.queue)
            facts.answered_at = event.at
            facts.wait_seconds = event.wait_seconds
        elif isinstance(event, CallAnswered) and event.answered_by != HOTLINE:
            facts.answered_at = facts.answered_at or event.at
        elif isinstance(event, CallHoldChanged):
            facts.on_hold = event.on_hold
        elif isinstance(event, CallEnded):
            del self._facts[event.call_id]
        return frozenset(facts.queues)

    def _enter(self, call_id: str, queue: str) -> None:
        facts = self._facts.get(call_id)
        if facts is not None and (not facts.queues or facts.queues[-1] != queue):
            facts.queues.append(queue)

    # -- queues and agents -------------------------------------------------------------------

    def queue_numbers(self) -> list[str]:
        return list(self._queue_config)

    def queue(self, number: str) -> QueueOut | None:
        config = self._queue_config.get(number)
        if config is None:
            return None
        s = self._engine.queue_stats(QueueId(number), self._clock.now())
        return QueueOut(
            number=number, name=config.name or number, strategy=config.strategy,
            priority=config.priority, sla_seconds=config.sla_seconds, waiting=s.waiting,
            longest_wait_seconds=s.longest_wait_seconds, callbacks_pending=s.callbacks_pending,
            logged_in=s.logged_in, available=s.available, unavailable=s.unavailable,
            ringing=s.ringing, on_call=s.on_call,
            wrap_up=s.wrap_up, paused=s.paused, busy_elsewhere=s.busy_elsewhere,
            offered=s.offered, answered=s.answered, abandoned=s.abandoned, timed_out=s.timed_out,
            dropped=s.dropped, answered_within_sla=s.answered_within_sla,
            service_level=s.service_level,
            abandon_rate=s.abandon_rate, average_wait_seconds=s.asa_seconds,
            average_talk_seconds=s.average_talk_seconds,
            estimated_wait_seconds=s.estimated_wait_seconds, agents=list(config.agents),
        )  # fmt: skip

    def queue_detail(self, number: str) -> QueueDetailOut | None:
        """The queue with the callers waiting in it, for supervisors."""
        queue = self.queue(number)
        if queue is None:
            return None
        callers = []
        for waiting in self._engine.waiting(QueueId(number), self._clock.now()):
            call = self._pbx.calls.get(waiting.caller)
            callers.append(
                WaitingCallerOut(
                    call_id=self._pbx.record_id(waiting.caller),
                    caller=call.caller if call is not None else "",
                    position=waiting.position,
                    wait_seconds=waiting.wait_seconds,
                    priority=waiting.priority,
                    callback=waiting.callback,
                    ringing=list(waiting.ringing),
                )
            )
        return QueueDetailOut(**queue.model_dump(), callers=callers)

    def queues(self) -> list[QueueOut]:
        return [q for number in self._queue_config if (q := self.queue(number)) is not None]

    def agent(self, number: str) -> AgentOut | None:
        name = self._agent_names.get(number)
        if name is None:
            return None
        try:
            s = self._engine.agent_stats(AgentId(number), self._clock.now())
        except AcdError:
            return None
        wall = self._clock.wall()
        return AgentOut(
            number=number,
            name=name,
            state=s.state.value,
            pause_reason=s.pause_reason,
            unavailable_reason=s.unavailable_reason,
            state_since=max(self._started, wall - s.seconds_in_state),
            queues=sorted(self.members[number]),
            logged_in_queues=sorted(s.queues),
            answered=s.answered,
            talk_seconds=s.talk_seconds,
            paused_seconds=s.paused_seconds,
            wrap_up_ends_at=(
                None if s.wrap_up_seconds_left is None else wall + s.wrap_up_seconds_left
            ),
        )

    def agents(self) -> list[AgentOut]:
        return [a for number in self._agent_names if (a := self.agent(number)) is not None]

    def reset_today(self) -> None:
        """Start a new day of queue and agent counters."""
        self._engine.reset_statistics(now=self._clock.now())

    # -- calls -----------------------------------------------------------------------------

    def calls(self) -> list[LiveCallOut]:
        now = self._clock.now()
        waiting = {
            entry.caller: entry
            for queue in self._queue_config
            for entry in self._engine.waiting(QueueId(queue), now)
        }
        return [c for call in list(self._pbx.calls.values()) if (c := self._call(call, waiting))]

    def _call(self, call: Call, waiting: Mapping[CallerId, WaitingCaller]) -> LiveCallOut | None:
        if call.ended:
            return None
        record_id = self._pbx.record_id(call.id)
        facts = self._facts.get(record_id) or _CallFacts(started_at=self._clock.wall())
        waiting_in = self._queues.queue_of(call)
        queue = waiting_in or (facts.queues[-1] if facts.queues else None)
        line = waiting.get(CallerId(call.id))
        return LiveCallOut(
            id=record_id,
            caller=call.caller,
            destination=call.destination.number,
            queue=queue,
            agent=self._queues.agent_of(call),
            state=_state(call, facts, queued=waiting_in is not None),
            started_at=facts.started_at,
            answered_at=facts.answered_at,
            caller_name=self._caller_name(call),
            queued_at=facts.queued_at if queue is not None else None,
            wait_seconds=facts.wait_seconds,
            position=line.position if line is not None else None,
            ringing=list(line.ringing) if line is not None else [],
        )

    def _caller_name(self, call: Call) -> str | None:
        """The calling extension's configured name, else the display name of its From."""
        if call.extension is not None and (extension := self._extensions.get(call.extension)):
            return extension
        if call.inbound is None:  # a call Hotline placed: no caller's From to read
            return None
        return call.inbound.request.from_address.display_name


def _state(call: Call, facts: _CallFacts, *, queued: bool) -> LiveCallState:
    if call.state in (CallState.ROUTING, CallState.RINGING):
        return "ringing"
    if call.state is CallState.ANSWERED and queued:
        return "queued"
    return "on_hold" if facts.on_hold else "connected"


def agents_of(view: LiveView, queues: Iterable[str]) -> frozenset[str]:
    """The agents who are members of any of ``queues``."""
    wanted = frozenset(queues)
    return frozenset(agent for agent, member in view.members.items() if member & wanted)
