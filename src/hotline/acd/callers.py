"""Handlers for the caller side: joining, leaving, answers, rejections and caller timers.

Each handler checks its event against the current state before changing anything, so an
AcdError leaves the engine as it was.
"""

from __future__ import annotations

from collections.abc import Mapping

from hotline.acd.commands import (
    Leave,
    OfferCallback,
    PlayAnnouncement,
    new_cancel_offer,
    new_connect,
    new_leave,
)
from hotline.acd.dispatcher import Core, Timer, TimerKind
from hotline.acd.events import (
    CallbackFailed,
    CallbackRequested,
    CallerAbandoned,
    CallerDropped,
    CallerJoined,
    OfferAnswered,
    OfferNotAnswered,
    OfferRejected,
)
from hotline.acd.model import AcdError, AgentState, CallerId, LeaveReason
from hotline.acd.records import Record, Verb
from hotline.acd.state import Activity, CallerEntry, QueueRuntime

__all__ = [
    "abandoned",
    "announce",
    "answered",
    "callback_failed",
    "callback_requested",
    "dropped",
    "joined",
    "leave",
    "max_wait_reached",
    "not_answered",
    "offer_callback",
    "progressive_step",
    "rejected",
    "relax",
    "ring_timed_out",
]

# Never changed: the engine only reads a caller's skills.
_NONE: Mapping[str, int] = {}
_new_tuple = tuple.__new__
_ENTERQUEUE, _CONNECT = Verb.ENTERQUEUE, Verb.CONNECT
_ON_CALL, _STATE_ON_CALL = Activity.ON_CALL, AgentState.ON_CALL

_ABANDON, _ABANDON_VERB = LeaveReason.ABANDON, Verb.ABANDON
_LEAVE_VERB = {
    LeaveReason.ABANDON: Verb.ABANDON,
    LeaveReason.TIMEOUT: Verb.EXITWITHTIMEOUT,
    LeaveReason.LEAVE_EMPTY: Verb.EXITEMPTY,
    LeaveReason.CALLBACK_FAILED: Verb.CALLBACKFAILED,
    LeaveReason.FULL: Verb.FULL,
    LeaveReason.JOIN_EMPTY: Verb.JOINEMPTY,
    LeaveReason.DROPPED: Verb.DROPPED,
}


def _entry(core: Core, caller: CallerId) -> CallerEntry:
    entry = core.callers.get(caller)
    if entry is None:
        raise AcdError(f"caller {caller} is not waiting in any queue")
    return entry


def joined(core: Core, event: CallerJoined, now: float) -> None:
    queue = core.queues.get(event.queue)
    if queue is None:
        raise AcdError(f"unknown queue {event.queue}")
    if event.caller in core.callers:
        raise AcdError(f"caller {event.caller} is already waiting")
    config = queue.config
    refusal = None
    if not queue.logged_in and not config.join_empty:
        refusal = LeaveReason.JOIN_EMPTY
    elif config.max_callers and len(queue.line) >= config.max_callers:
        refusal = LeaveReason.FULL
    if refusal is not None:
        _refuse(core, event, queue, refusal, now)
        return
    seq = core.caller_seq = core.caller_seq + 1
    order_key = now + config.sla_seconds if core.order_by_sla else now + 0.0
    skills = event.skills
    caller = event.caller
    # Most callers need no skill: share one empty mapping (read-only) instead of a copy each.
    entry = CallerEntry(
        caller, queue, event.priority, event.number, dict(skills) if skills else _NONE,
        now, seq, order_key, core.rng.random(),
    )  # fmt: skip
    position = entry.original_position = queue.line.add(entry)
    core.callers[caller] = entry
    # core.estimate(queue, position), inline.
    beyond = position - len(queue.available)
    if beyond <= 0:
        entry.estimate = queue.ring_delays.mean or 0.0
    elif queue.serving:
        mean = queue.handle_times.mean
        if mean is None:
            mean = config.expected_handle_seconds
        entry.estimate = (queue.ring_delays.mean or 0.0) + beyond * mean / queue.serving
    queue.counters.offered += 1
    if core.keep_records:  # core.record(), inline; fields of Record by position
        core.records.append(
            _new_tuple(Record, (
                now, _ENTERQUEUE, caller, queue.queue_id, None, position, None, None, None,
                None, None, (), event.number,
            ))
        )  # fmt: skip
    if queue.has_caller_timers:
        _start_timers(core, entry, now)
    if queue.available:  # core.mark_dirty, inline
        core.dirty[queue.queue_id] = queue


def _refuse(
    core: Core, event: CallerJoined, queue: QueueRuntime, reason: LeaveReason, now: float
) -> None:
    queue.counters.refused += 1
    position = len(queue.line) + 1
    core.out.append(
        Leave(
            caller=event.caller, queue=queue.queue_id, reason=reason,
            destination=queue.config.failover, position=position, wait_seconds=0.0,
        )
    )  # fmt: skip
    core.record(
        now, _LEAVE_VERB[reason], caller=event.caller, queue=queue.queue_id,
        position=position, reason=reason.value,
    )  # fmt: skip


def _start_timers(core: Core, entry: CallerEntry, now: float) -> None:
    config = entry.queue.config
    if config.max_wait_seconds is not None:
        core.add_timer(now + config.max_wait_seconds, TimerKind.MAX_WAIT, entry)
    if config.announcements is not None:
        first = now + config.announcements.first_after_seconds
        core.add_timer(first, TimerKind.ANNOUNCE, entry)
    if config.callback is not None:
        at = now + config.callback.after_seconds
        core.add_timer(at, TimerKind.CALLBACK_OFFER, entry)
    step = config.skill_relax_seconds
    if step and entry.skills:
        for k in range(1, max(entry.skills.values()) + 1):
            core.add_timer(now + k * step, TimerKind.RELAX, entry)


def leave(core: Core, entry: CallerEntry, reason: LeaveReason, now: float) -> None:
    """Take the caller out of its line unanswered: stop its ringing, count it, tell."""
    queue = entry.queue
    position = queue.line.position(entry)
    wait = now - entry.join_time
    # Not _LEAVE_VERB[reason] and reason.value for the frequent abandon: an Enum's hash and
    # value are Python code.
    abandon = reason is _ABANDON
    if entry.ringing:
        core.stop_ringing(entry, list(entry.ringing), now)
        core.record(now, Verb.RINGCANCELED, caller=entry.caller, queue=queue.queue_id)
    queue.line.remove(entry, position)  # stop_ringing left the line as it was
    del core.callers[entry.caller]
    if entry.first_offer is None:
        queue.counters.waited += 1
    elif reason is _ABANDON or reason is LeaveReason.TIMEOUT:
        queue.ring_delays.append(now - entry.first_offer)
    _count_exit(queue, reason, wait)
    # An abandoned or dropped caller is gone; the others go on to the failover.
    destination = None if abandon or reason is LeaveReason.DROPPED else queue.config.failover
    core.out.append(new_leave(entry.caller, queue.queue_id, reason, destination, position, wait))
    core.record(
        now, _ABANDON_VERB if abandon else _LEAVE_VERB[reason], caller=entry.caller,
        queue=queue.queue_id, position=position, original_position=entry.original_position,
        wait=wait, reason="abandon" if abandon else reason.value,
    )  # fmt: skip


def _count_exit(queue: QueueRuntime, reason: LeaveReason, wait: float) -> None:
    counters, config = queue.counters, queue.config
    if reason is LeaveReason.ABANDON:
        counters.abandoned += 1
        counters.abandoned_within_sla += wait <= config.sla_seconds
        counters.short_abandoned += wait < config.short_abandon_seconds
    elif reason is LeaveReason.TIMEOUT:
        counters.timed_out += 1
    elif reason is LeaveReason.LEAVE_EMPTY:
        counters.left_empty += 1
    elif reason is LeaveReason.CALLBACK_FAILED:
        counters.callback_failed += 1
    elif reason is LeaveReason.DROPPED:
        counters.dropped += 1


def abandoned(core: Core, event: CallerAbandoned, now: float) -> None:
    leave(core, _entry(core, event.caller), LeaveReason.ABANDON, now)


def dropped(core: Core, event: CallerDropped, now: float) -> None:
    leave(core, _entry(core, event.caller), LeaveReason.DROPPED, now)


def answered(core: Core, event: OfferAnswered, now: float) -> None:
    agent = core.agents.get(event.agent)
    if agent is None:
        raise AcdError(f"unknown agent {event.agent}")
    entry = core.callers.get(event.caller)
    if entry is None or (started := entry.ringing.pop(event.agent, None)) is None:
        # The offer was withdrawn before the answer arrived: hang up that agent leg.
        core.out.append(new_cancel_offer(event.caller, (event.agent,)))
        return
    queue = entry.queue
    caller, agent_id = entry.caller, agent.agent_id
    ringing = entry.ringing
    if ringing:  # ring-all and hunt-by-threes offers: the others stop ringing
        core.stop_ringing(entry, list(ringing), now)
    queue.line.remove(entry)
    del core.callers[caller]
    wait = now - entry.join_time
    agent.activity = _ON_CALL
    agent.ringing_for = None
    agent.call_caller = caller
    agent.call_queue = queue
    agent.call_start = now
    agent.call_wait = wait
    agent.answered += 1
    agent.consecutive_misses = 0
    # core.refresh(agent, now), inline: from RINGING (it was ringing for this caller) to
    # ON_CALL, two states outside the available indexes.
    agent.state = _STATE_ON_CALL
    agent.state_since = now
    queue.last_answered = agent_id
    if entry.number is not None and queue.config.sticky_days is not None:
        core.sticky[entry.number] = (agent_id, now)
    counters = queue.counters
    counters.answered += 1
    counters.answered_within_sla += wait <= queue.config.sla_seconds
    counters.wait_answered += wait
    if entry.first_offer is not None:
        queue.ring_delays.append(now - entry.first_offer)
    if entry.estimate is not None:
        error = wait - entry.estimate
        counters.estimate_count += 1
        counters.estimate_error += error
        counters.estimate_abs_error += abs(error)
    queue_id = queue.queue_id
    core.out.append(new_connect(caller, queue_id, agent_id, wait))
    if core.keep_records:  # core.record(), inline; fields of Record by position
        core.records.append(
            _new_tuple(Record, (
                now, _CONNECT, caller, queue_id, agent_id, None, entry.original_position, wait,
                None, now - started, None, (), None,
            ))
        )  # fmt: skip


def rejected(core: Core, event: OfferRejected, now: float) -> None:
    agent = core.agents.get(event.agent)
    if agent is None:
        raise AcdError(f"unknown agent {event.agent}")
    entry = core.callers.get(event.caller)
    if entry is None or event.agent not in entry.ringing:
        return  # the offer had already been withdrawn: nothing left to decline
    core.miss(entry, agent, now, "rejected", cancel=False)


def not_answered(core: Core, event: OfferNotAnswered, now: float) -> None:
    """Call control saw the agent's phone fail to answer (timeout, unreachable, busy)."""
    agent = core.agents.get(event.agent)
    if agent is None:
        raise AcdError(f"unknown agent {event.agent}")
    entry = core.callers.get(event.caller)
    if entry is None or event.agent not in entry.ringing:
        return
    core.miss(entry, agent, now, "no_answer", cancel=False)


def callback_requested(core: Core, event: CallbackRequested, now: float) -> None:
    entry = _entry(core, event.caller)
    if entry.callback_number is not None:
        raise AcdError(f"caller {event.caller} already waits for a callback")
    core.release_ringing(entry, list(entry.ringing), now)
    # The place is kept: same key, same line; only the way of reaching the caller changes.
    entry.callback_number = event.number
    entry.queue.counters.callbacks_requested += 1
    core.record(
        now, Verb.CALLBACKREQUEST, caller=entry.caller, queue=entry.queue.queue_id,
        position=entry.queue.line.position(entry), detail=event.number,
    )  # fmt: skip
    core.mark_dirty(entry.queue)


def callback_failed(core: Core, event: CallbackFailed, now: float) -> None:
    entry = _entry(core, event.caller)
    if entry.callback_number is None or event.agent not in entry.ringing:
        raise AcdError(f"no callback to {event.caller} is being dialled for {event.agent}")
    # Call control ended that dial itself: free the agent without a CancelOffer.
    del entry.ringing[event.agent]
    agent = core.agents[event.agent]
    agent.activity = Activity.IDLE
    agent.ringing_for = None
    core.refresh(agent, now)
    leave(core, entry, LeaveReason.CALLBACK_FAILED, now)


def ring_timed_out(core: Core, timer: Timer, now: float) -> None:
    assert timer.entry is not None and timer.agent is not None
    core.miss(timer.entry, timer.agent, now, "no_answer", cancel=True)


def progressive_step(core: Core, timer: Timer, now: float) -> None:
    """Add the next candidate to a caller still ringing (ring_progressively)."""
    entry = timer.entry
    assert entry is not None
    candidates, _ = core.candidates(entry, now)
    if candidates:
        queue = entry.queue
        chosen = queue.strategy.choose(candidates, queue=queue, caller=entry, rng=core.rng)[:1]
        rank = len(entry.ringing)
        reasons = (core.reason(entry, chosen[0], rank, False, now),)
        core.ring(entry, chosen, (chosen[0].agent_id,), reasons, now)
    step = entry.queue.config.progressive_step_seconds
    core.add_timer(now + step, TimerKind.PROGRESSIVE, entry, None, entry.attempt)


def max_wait_reached(core: Core, timer: Timer, now: float) -> None:
    assert timer.entry is not None
    leave(core, timer.entry, LeaveReason.TIMEOUT, now)


def announce(core: Core, timer: Timer, now: float) -> None:
    entry = timer.entry
    assert entry is not None
    queue = entry.queue
    settings = queue.config.announcements
    assert settings is not None
    position = queue.line.position(entry)
    estimate = core.estimate(queue, position) if settings.estimated_wait else None
    core.out.append(
        PlayAnnouncement(
            caller=entry.caller,
            position=position if settings.position else None,
            estimated_wait_seconds=estimate,
        )
    )
    core.add_timer(now + settings.every_seconds, TimerKind.ANNOUNCE, entry)


def offer_callback(core: Core, timer: Timer, now: float) -> None:
    entry = timer.entry
    assert entry is not None
    settings = entry.queue.config.callback
    assert settings is not None
    core.out.append(OfferCallback(caller=entry.caller, key=settings.key))


def relax(core: Core, timer: Timer, now: float) -> None:
    """A caller's skill needs just dropped a level: its queue may have a match now."""
    assert timer.entry is not None
    core.mark_dirty(timer.entry.queue)
