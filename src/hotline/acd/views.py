"""Read-only snapshots of the engine for wallboards and supervisors."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from hotline.acd.dispatcher import Core
from hotline.acd.model import AgentId, AgentState, CallerId
from hotline.acd.state import Activity, AgentRuntime, QueueRuntime
from hotline.acd.stats import AgentStats, QueueStats, ratio

__all__ = ["WaitingCaller", "agent_stats", "queue_stats", "waiting_callers"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitingCaller:
    caller: CallerId
    position: int
    wait_seconds: float
    priority: int
    callback: bool
    ringing: tuple[AgentId, ...]


def queue_stats(core: Core, queue: QueueRuntime, now: float) -> QueueStats:
    """The queue's figures at ``now``; definitions in ``hotline.acd.stats``."""
    c = queue.counters
    states = Counter(agent.state for agent in queue.logged_in.values())
    head = queue.line.first()
    callbacks = sum(1 for entry in queue.line if entry.callback_number is not None)
    answered_or_abandoned = c.answered + c.abandoned
    return QueueStats(
        queue=queue.queue_id,
        waiting=len(queue.line) - callbacks,
        callbacks_pending=callbacks,
        longest_wait_seconds=_longest_wait(queue, now) if head is not None else 0.0,
        logged_in=len(queue.logged_in),
        # AVAILABLE agents waiting out a retry delay are not in queue.available but count.
        available=states[AgentState.AVAILABLE],
        unavailable=states[AgentState.UNAVAILABLE],
        ringing=states[AgentState.RINGING],
        on_call=states[AgentState.ON_CALL],
        wrap_up=states[AgentState.WRAP_UP],
        paused=states[AgentState.PAUSED],
        busy_elsewhere=states[AgentState.BUSY_ELSEWHERE],
        offered=c.offered,
        refused=c.refused,
        answered=c.answered,
        abandoned=c.abandoned,
        short_abandoned=c.short_abandoned,
        timed_out=c.timed_out,
        left_empty=c.left_empty,
        dropped=c.dropped,
        callback_failed=c.callback_failed,
        answered_within_sla=c.answered_within_sla,
        service_level=ratio(c.answered_within_sla, c.answered),
        service_level_with_abandons=ratio(
            c.answered_within_sla + c.abandoned_within_sla, answered_or_abandoned
        ),
        service_level_offered=ratio(c.answered_within_sla, c.offered),
        abandon_rate=ratio(c.abandoned, c.offered),
        p_wait=ratio(c.waited, c.offered),
        asa_seconds=ratio(c.wait_answered, c.answered),
        average_talk_seconds=ratio(c.talk_total, c.talk_count),
        average_handle_seconds=ratio(c.handle_total, c.handle_count),
        estimated_wait_seconds=core.estimate(queue, len(queue.line) + 1),
        estimate_mean_abs_error=ratio(c.estimate_abs_error, c.estimate_count),
        estimate_bias=ratio(c.estimate_error, c.estimate_count),
    )


def _longest_wait(queue: QueueRuntime, now: float) -> float:
    # The head is the first to serve, not always the longest waiting (VIP, SLA order).
    return max(now - entry.join_time for entry in queue.line)


def agent_stats(agent: AgentRuntime, now: float) -> AgentStats:
    paused = agent.paused_seconds
    if agent.pause_reason is not None:
        paused += now - agent.pause_start
    return AgentStats(
        agent=agent.agent_id,
        state=agent.state,
        seconds_in_state=now - agent.state_since,
        pause_reason=agent.pause_reason,
        queues=tuple(agent.logged_in),
        answered=agent.answered,
        missed=agent.missed,
        consecutive_misses=agent.consecutive_misses,
        talk_seconds=agent.talk_seconds,
        paused_seconds=paused,
        wrap_up_seconds_left=_wrap_up_left(agent, now),
        unavailable_reason=None if agent.reachable else agent.unreachable_reason,
    )


def _wrap_up_left(agent: AgentRuntime, now: float) -> float | None:
    queue = agent.call_queue
    if agent.activity is not Activity.WRAP_UP or queue is None:
        return None
    return max(0.0, agent.wrap_start + queue.config.wrap_up_seconds - now)


def waiting_callers(queue: QueueRuntime, now: float) -> list[WaitingCaller]:
    return [
        WaitingCaller(
            caller=entry.caller,
            position=position,
            wait_seconds=now - entry.join_time,
            priority=entry.priority,
            callback=entry.callback_number is not None,
            ringing=tuple(entry.ringing),
        )
        for position, entry in enumerate(queue.line, start=1)
    ]
