"""Handlers for the agent side: login, pause, calls, wrap-up, other calls, phone reachability.

An agent's state is derived from its activity (ringing, on a queue call, wrap-up, busy on
another call) and its presence (logged in to which queues, phone reachable or not, paused or
not); handlers change one of the two and ``Core.refresh`` keeps the per-queue available
indexes in step.
"""

from __future__ import annotations

from hotline.acd.callers import leave
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
    CallEnded,
    WrapUpEnded,
)
from hotline.acd.model import AcdError, AgentId, AgentState, LeaveReason, QueueId
from hotline.acd.records import Record, Verb
from hotline.acd.state import Activity, AgentRuntime, QueueRuntime

__all__ = [
    "busy_elsewhere",
    "call_ended",
    "free_again",
    "logged_in",
    "logged_out",
    "paused",
    "reachable",
    "retry_over",
    "unpaused",
    "unreachable",
    "wrap_up_ended",
    "wrap_up_timed_out",
]


# The activity transitions of an agent, in one table: event -> {activity before: after}.
# "after" None means "decided by the handler" (wrap-up or idle, by the queue's settings).
# Presence events (login, logout, pause) are accepted in any activity; a ringing agent is
# withdrawn from its offer first, and the rest waits for the activity to end.
_TRANSITIONS: dict[type[object], dict[Activity, Activity | None]] = {
    CallEnded: {Activity.ON_CALL: None},
    WrapUpEnded: {Activity.WRAP_UP: Activity.IDLE},
    AgentBusyElsewhere: {
        Activity.IDLE: Activity.BUSY_ELSEWHERE,
        Activity.RINGING: Activity.BUSY_ELSEWHERE,
        Activity.WRAP_UP: Activity.BUSY_ELSEWHERE,
    },
    AgentFreeAgain: {Activity.BUSY_ELSEWHERE: Activity.IDLE},
}


_CALL_ENDED_FROM = _TRANSITIONS[CallEnded]
_IDLE, _WRAP_UP = Activity.IDLE, Activity.WRAP_UP
_STATE_WRAP_UP, _WRAP_UP_TIMER = AgentState.WRAP_UP, TimerKind.WRAP_UP
_new_tuple = tuple.__new__
_COMPLETEAGENT, _COMPLETECALLER = Verb.COMPLETEAGENT, Verb.COMPLETECALLER


def _check_transition(agent: AgentRuntime, event: object) -> None:
    """Refuse an event the agent's current activity has no transition for, naming both."""
    if agent.activity not in _TRANSITIONS[type(event)]:
        name = type(event).__name__
        raise AcdError(f"agent {agent.agent_id}: no transition for {name} from {agent.state.name}")


def _agent(core: Core, agent_id: AgentId) -> AgentRuntime:
    agent = core.agents.get(agent_id)
    if agent is None:
        raise AcdError(f"unknown agent {agent_id}")
    return agent


def _member_queues(
    agent: AgentRuntime, queue_ids: tuple[QueueId, ...] | None
) -> list[QueueRuntime]:
    if queue_ids is None:
        return list(agent.member_of.values())
    missing = [q for q in queue_ids if q not in agent.member_of]
    if missing:
        raise AcdError(f"agent {agent.agent_id} is not a member of {', '.join(missing)}")
    return [agent.member_of[q] for q in queue_ids]


def logged_in(core: Core, event: AgentLoggedIn, now: float) -> None:
    agent = _agent(core, event.agent)
    queues = _member_queues(agent, event.queues)
    if not agent.logged_in and agent.activity is Activity.IDLE:
        agent.idle_since = now  # idle time counts from login for longest_waiting
    for queue in queues:
        if queue.queue_id in agent.logged_in:
            continue
        core.join_queue(agent, queue)
        core.record(now, Verb.ADDMEMBER, queue=queue.queue_id, agent=agent.agent_id)
    core.sync_availability(agent)
    core.refresh(agent, now)


def logged_out(core: Core, event: AgentLoggedOut, now: float) -> None:
    agent = _agent(core, event.agent)
    queues = _member_queues(agent, event.queues)
    ringing = agent.ringing_for
    if ringing is not None and ringing.queue in queues:
        core.withdraw_agent(agent, now)
    for queue in queues:
        if queue.queue_id not in agent.logged_in:
            continue
        core.leave_queue(agent, queue)
        core.record(now, Verb.REMOVEMEMBER, queue=queue.queue_id, agent=agent.agent_id)
    if not agent.logged_in:
        core.set_pause(agent, None, now)
        agent.consecutive_misses = 0
    core.sync_availability(agent)
    core.refresh(agent, now)
    for queue in queues:
        if not queue.logged_in and queue.config.leave_when_empty:
            _empty_queue(core, queue, now)


def _empty_queue(core: Core, queue: QueueRuntime, now: float) -> None:
    """The last member logged out: callers on the line leave (callbacks keep waiting)."""
    for entry in [e for e in queue.line if e.callback_number is None]:
        leave(core, entry, LeaveReason.LEAVE_EMPTY, now)


def paused(core: Core, event: AgentPaused, now: float) -> None:
    agent = _agent(core, event.agent)
    if not agent.logged_in:
        raise AcdError(f"agent {agent.agent_id} is logged out and cannot pause")
    if agent.ringing_for is not None:
        core.withdraw_agent(agent, now)
    core.set_pause(agent, event.reason, now)
    core.record(now, Verb.PAUSE, agent=agent.agent_id, reason=event.reason)
    core.refresh(agent, now)


def unpaused(core: Core, event: AgentUnpaused, now: float) -> None:
    agent = _agent(core, event.agent)
    if agent.pause_reason is None:
        raise AcdError(f"agent {agent.agent_id} is not paused")
    core.set_pause(agent, None, now)
    agent.consecutive_misses = 0
    core.record(now, Verb.UNPAUSE, agent=agent.agent_id)
    core.refresh(agent, now)


def call_ended(core: Core, event: CallEnded, now: float) -> None:
    agent = core.agents.get(event.agent)  # _agent(), inline
    if agent is None:
        raise AcdError(f"unknown agent {event.agent}")
    if agent.activity not in _CALL_ENDED_FROM:
        _check_transition(agent, event)
    queue = agent.call_queue
    assert queue is not None  # set together with ON_CALL
    talk = now - agent.call_start
    agent.talk_seconds += talk
    counters = queue.counters
    counters.talk_total += talk
    counters.talk_count += 1
    if core.keep_records:  # core.record(), inline; fields of Record by position
        core.records.append(
            _new_tuple(Record, (
                now, _COMPLETEAGENT if event.by_agent else _COMPLETECALLER, agent.call_caller,
                queue.queue_id, agent.agent_id, None, None, agent.call_wait, talk, None, None,
                (), None,
            ))
        )  # fmt: skip
    agent.call_caller = None
    wrap_up = queue.config.wrap_up_seconds
    if wrap_up > 0:
        agent.activity = _WRAP_UP
        token = agent.wrap_token = agent.wrap_token + 1
        agent.wrap_start = now
        core.add_timer(now + wrap_up, _WRAP_UP_TIMER, None, agent, token)
        # core.refresh(agent, now), inline: from ON_CALL to WRAP_UP, two states outside the
        # available indexes.
        agent.state = _STATE_WRAP_UP
        agent.state_since = now
    else:
        _free(core, agent, now, serve=True)


def _free(core: Core, agent: AgentRuntime, now: float, *, serve: bool = False) -> None:
    """The queue call and its wrap-up are over: record the handle time, agent is idle.

    ``serve``: the handler does nothing more to the agent, so it may be offered a caller at
    once (``Core.serve_freed``); busy_elsewhere frees it on its way to another call.
    """
    queue = agent.call_queue
    if queue is not None:
        handle = now - agent.call_start
        counters = queue.counters
        counters.handle_total += handle
        counters.handle_count += 1
        queue.handle_times.append(handle)
    agent.call_queue = None
    agent.activity = _IDLE
    # Any wrap-up is over: its timer goes stale (this is the only way out of WRAP_UP).
    agent.wrap_token += 1
    agent.idle_since = now
    if not serve or not core.serve_freed(agent, now):
        core.refresh(agent, now)


def wrap_up_ended(core: Core, event: WrapUpEnded, now: float) -> None:
    agent = _agent(core, event.agent)
    _check_transition(agent, event)
    core.record(now, Verb.WRAPUPEND, agent=agent.agent_id, reason="agent")
    _free(core, agent, now, serve=True)


def wrap_up_timed_out(core: Core, timer: Timer, now: float) -> None:
    agent = timer.agent
    assert agent is not None
    core.record(now, Verb.WRAPUPEND, agent=agent.agent_id, reason="timeout")
    _free(core, agent, now, serve=True)


def retry_over(core: Core, timer: Timer, now: float) -> None:
    agent = timer.agent
    assert agent is not None
    core.retry_over(agent)


def busy_elsewhere(core: Core, event: AgentBusyElsewhere, now: float) -> None:
    agent = _agent(core, event.agent)
    _check_transition(agent, event)
    if agent.ringing_for is not None:
        core.withdraw_agent(agent, now)
    if agent.activity is Activity.WRAP_UP:
        _free(core, agent, now)
    agent.activity = Activity.BUSY_ELSEWHERE
    core.record(now, Verb.BUSYELSEWHERE, agent=agent.agent_id)
    core.refresh(agent, now)


def free_again(core: Core, event: AgentFreeAgain, now: float) -> None:
    agent = _agent(core, event.agent)
    _check_transition(agent, event)
    agent.activity = Activity.IDLE
    core.record(now, Verb.FREEAGAIN, agent=agent.agent_id)
    core.refresh(agent, now)


def unreachable(core: Core, event: AgentUnreachable, now: float) -> None:
    """The agent's phone cannot be reached: no new offer. A call or wrap-up in progress goes
    on (the state shows it until it ends); a ringing offer is withdrawn, so the caller is
    offered to someone else at once rather than when the ring time runs out. A callback
    already dialled for the agent goes on: the caller is being called."""
    agent = _agent(core, event.agent)
    if not agent.reachable:
        raise AcdError(f"agent {agent.agent_id} is already unreachable")
    entry = agent.ringing_for
    if entry is not None and entry.callback_number is None:
        core.withdraw_agent(agent, now)
    core.set_reachable(agent, False)
    agent.unreachable_reason = event.reason
    core.record(now, Verb.UNREACHABLE, agent=agent.agent_id, reason=event.reason)
    core.refresh(agent, now)


def reachable(core: Core, event: AgentReachable, now: float) -> None:
    agent = _agent(core, event.agent)
    if agent.reachable:
        raise AcdError(f"agent {agent.agent_id} is already reachable")
    core.set_reachable(agent, True)
    agent.unreachable_reason = None
    core.record(now, Verb.REACHABLE, agent=agent.agent_id)
    core.refresh(agent, now)
