"""The engine's machinery: timers, agent presence, the dispatch loop, offers and exits.

Theory of operation. Every waiting caller is in its queue's ``line``; the ones nobody rings for
are idle (``WaitingLine.first_idle``). Every available agent is in the ``available`` index of
each queue it is logged in to. After the engine has finished an event,
no idle caller has a candidate agent: an event can only create a match in the queues it
touched, so those are marked dirty, and ``_dispatch`` serves them, the best caller across the
dirty queues first (queue priority, caller priority, then join time or SLA deadline), until
no dirty queue has both an idle caller and a candidate.
"""

from __future__ import annotations

import enum
import logging
from bisect import bisect_left
from collections import deque
from heapq import heapify, heappop, heappush
from random import Random
from typing import NamedTuple

from hotline.acd.commands import (
    Command,
    DialCallback,
    OfferReason,
    PauseAgent,
    new_cancel_offer,
    new_offer,
)
from hotline.acd.model import AcdError, AgentId, AgentState, CallerId, EngineOptions, QueueId
from hotline.acd.records import Record, Verb
from hotline.acd.state import _ACTIVITY_STATE, Activity, AgentRuntime, CallerEntry, QueueRuntime

__all__ = ["Core", "TimerKind"]

log = logging.getLogger(__name__)

_new_tuple = tuple.__new__
_IDLE, _RINGING = Activity.IDLE, Activity.RINGING
_AVAILABLE, _STATE_RINGING = AgentState.AVAILABLE, AgentState.RINGING
_OFFER = Verb.OFFER
# The timer heap is first searched for callers who left once it holds this many timers.
_COMPACT_TIMERS_SLACK = 1024

Candidates = list[AgentRuntime]


class TimerKind(enum.Enum):
    # Hashed by identity (members are singletons): Enum's own __hash__ is Python code.
    __hash__ = object.__hash__

    RING = "ring"
    PROGRESSIVE = "progressive"
    MAX_WAIT = "max_wait"
    ANNOUNCE = "announce"
    CALLBACK_OFFER = "callback_offer"
    RELAX = "relax"
    WRAP_UP = "wrap_up"
    RETRY = "retry"


_RING_TIMER, _WRAP_UP_TIMER = TimerKind.RING, TimerKind.WRAP_UP


class Timer(NamedTuple):
    """A timer that came due (``Core.pop_due``); stale ones are skipped (lazy deletion).

    The heap holds plain tuples with these fields (``TimerItem``), ordered by time then
    sequence number (unique): one is made for every offer, and a plain tuple is cheaper to
    build, and for the garbage collector to scan, than an object or a NamedTuple.
    """

    at: float
    seq: int
    kind: TimerKind
    entry: CallerEntry | None
    agent: AgentRuntime | None
    token: float


TimerItem = tuple[float, int, TimerKind, CallerEntry | None, AgentRuntime | None, float]


class Core:
    """State and shared operations; ``Engine`` adds the event handlers and the views."""

    def __init__(self, options: EngineOptions, seed: int) -> None:
        self.options = options
        self.keep_records = options.keep_records
        self.order_by_sla = options.order_by_sla
        self.max_records = options.max_records
        self.rng = Random(seed)
        self.queues: dict[QueueId, QueueRuntime] = {}
        self.agents: dict[AgentId, AgentRuntime] = {}
        self.callers: dict[CallerId, CallerEntry] = {}
        self.sticky: dict[str, tuple[AgentId, float]] = {}
        self.out: list[Command] = []
        self.records: list[Record] = []
        self.records_dropped = 0
        # A heap of (at, seq, timer); stale timers are skipped when they reach the top.
        self.timers: list[TimerItem] = []
        # Ring timers apart, one lane per ring time (see ``ring_lane``).
        self.ring_lanes: dict[float, deque[TimerItem]] = {}
        self.lanes: list[deque[TimerItem]] = []  # the values of ring_lanes, quicker to walk
        self._timer_seq = 0
        self._compact_timers_at = _COMPACT_TIMERS_SLACK  # see drop_timers_of_gone_callers
        # Queues the current event touched that may hold a match (theory of operation).
        self.dirty: dict[QueueId, QueueRuntime] = {}
        self.caller_seq = 0

    # -- records and timers -------------------------------------------------------------

    def record(
        self,
        now: float,
        verb: Verb,
        caller: CallerId | None = None,
        queue: QueueId | None = None,
        agent: AgentId | None = None,
        position: int | None = None,
        original_position: int | None = None,
        wait: float | None = None,
        talk: float | None = None,
        ring: float | None = None,
        reason: str | None = None,
        reasons: tuple[OfferReason, ...] = (),
        detail: str | None = None,
    ) -> None:
        """Keep a record of ``verb``.

        The parameters are the fields of ``Record`` in their order. Speed trade-off: the
        record is built with ``tuple.__new__`` rather than the NamedTuple's ``__new__``,
        which is Python code; either way the record is the same. The most frequent records
        (a caller joins, is offered, connected, its call completes) are made inline where
        they happen, the same way. ``Engine.handle`` keeps the records within
        ``max_records`` once per event (``drop_oldest_records``).
        """
        if not self.keep_records:
            return
        self.records.append(
            _new_tuple(Record, (
                now, verb, caller, queue, agent, position, original_position, wait, talk,
                ring, reason, reasons, detail,
            ))
        )  # fmt: skip

    def drop_oldest_records(self) -> None:
        """Nobody drained the records past ``max_records``: keep the newest half of that
        rather than all memory."""
        drop = len(self.records) - self.max_records // 2
        if not self.records_dropped:
            log.warning("ACD event records are not being drained; dropping the oldest")
        self.records_dropped += drop
        del self.records[:drop]

    def add_timer(
        self,
        at: float,
        kind: TimerKind,
        entry: CallerEntry | None = None,
        agent: AgentRuntime | None = None,
        token: float = 0.0,
    ) -> None:
        seq = self._timer_seq = self._timer_seq + 1
        heappush(self.timers, (at, seq, kind, entry, agent, token))
        if len(self.timers) > self._compact_timers_at:
            self.drop_timers_of_gone_callers()

    def drop_timers_of_gone_callers(self) -> None:
        """Forget the timers of callers who left the line.

        A caller answered in a second still has its maximum-wait and announcement timers in
        the heap, each holding its entry, until they reach the top: at 30 calls a second and
        a 10-minute maximum wait that is 18,000 callers kept after their calls. Once the heap
        has doubled since the last pass they are dropped in one pass (a caller who left never
        comes back as the same entry), so each timer costs that pass once at most.
        """
        callers = self.callers
        self.timers = [
            item
            for item in self.timers
            if item[3] is None or callers.get(item[3].caller) is item[3]
        ]
        heapify(self.timers)
        self._compact_timers_at = 2 * len(self.timers) + _COMPACT_TIMERS_SLACK

    def ring_lane(self, ring_seconds: float) -> deque[TimerItem]:
        """The lane of the ring timers that run ``ring_seconds``.

        Speed trade-off: every offer starts a ring timer, and nearly all of them go stale
        (the agent answers); in the heap they were most of its items, each pushed and later
        popped through a dozen comparisons of items scattered in memory. Timers of one
        length started in time order fall due in that order, so a lane is a FIFO: a timer
        joins at the end and leaves from the front, no comparison needed. ``ring`` checks
        the order and puts a timer that would break it in the heap instead.
        """
        lane = self.ring_lanes.get(ring_seconds)
        if lane is None:
            lane = self.ring_lanes[ring_seconds] = deque()
            self.lanes.append(lane)
        return lane

    def next_timer(self) -> float | None:
        """Time of the earliest live timer, dropping stale ones from the heads of the heap
        and of the ring lanes."""
        wake = None
        timers = self.timers
        while timers:
            top = timers[0]
            # timer_live(), inline for the usual top: a wrap-up still running.
            if top[2] is _WRAP_UP_TIMER:
                agent = top[4]
                if agent is not None and agent.wrap_token == top[5]:
                    wake = top[0]
                    break
            elif self.timer_live(top):
                wake = top[0]
                break
            heappop(timers)
        for lane in self.lanes:
            while lane:
                # timer_live(), inline for a ring timer: the agent still rings for the caller
                # since that time, and the caller is still in line.
                at, _, _, entry, agent, token = lane[0]
                assert entry is not None and agent is not None
                ringing = entry.ringing.get(agent.agent_id)
                if ringing == token and self.callers.get(entry.caller) is entry:
                    if wake is None or at < wake:
                        wake = at
                    break
                lane.popleft()
        return wake

    def pop_due(self, now: float) -> Timer | None:
        """The earliest live timer due by ``now`` (by time, then sequence number, across
        the heap and the ring lanes), dropping stale ones on the way."""
        timers = self.timers
        while True:
            item = timers[0] if timers and timers[0][0] <= now else None
            source: deque[TimerItem] | None = None
            for lane in self.lanes:
                if lane and lane[0][0] <= now and (item is None or lane[0][:2] < item[:2]):
                    item, source = lane[0], lane
            if item is None:
                return None
            if source is None:
                heappop(timers)
            else:
                source.popleft()
            if self.timer_live(item):
                timer: Timer = _new_tuple(Timer, item)
                return timer

    def timer_live(self, item: TimerItem) -> bool:
        _, _, kind, entry, agent, token = item
        if kind is _WRAP_UP_TIMER:
            assert agent is not None
            return agent.wrap_token == token  # freeing the agent moves the number on
        if kind is TimerKind.RETRY:
            assert agent is not None
            return agent.retry_at == token
        if entry is None or self.callers.get(entry.caller) is not entry:
            return False  # the caller has left the line (answered or gone)
        if kind is _RING_TIMER:
            assert agent is not None
            return entry.ringing.get(agent.agent_id) == token
        if kind is TimerKind.PROGRESSIVE:
            return entry.attempt == token and bool(entry.ringing)
        if kind is TimerKind.RELAX:
            return True
        return entry.callback_number is None

    # -- agent presence -----------------------------------------------------------------

    def refresh(self, agent: AgentRuntime, now: float) -> None:
        """Recompute the agent's state and keep the per-queue available indexes in step."""
        activity = agent.activity
        if activity is not _IDLE:
            state = _ACTIVITY_STATE[activity]
        elif not agent.logged_in:
            state = AgentState.LOGGED_OUT
        elif not agent.reachable:
            state = AgentState.UNAVAILABLE
        else:
            state = _AVAILABLE if agent.pause_reason is None else AgentState.PAUSED
        previous = agent.state
        if state is previous:
            return
        agent.state = state
        agent.state_since = now
        # Between two busy states (ringing, on call, wrap-up...) the agent stays out of every
        # available index; logins and logouts sync the indexes themselves.
        if state is _AVAILABLE:
            # Only an AVAILABLE agent is in an index: coming from another state it is in
            # none, so sync_availability() comes down to joining the indexes of the queues
            # it is logged in to (not while it waits out a retry delay).
            if agent.retry_at is None:
                agent_id, dirty = agent.agent_id, self.dirty
                for queue_id, queue in agent.logged_in.items():
                    queue.available[agent_id] = agent
                    dirty[queue_id] = queue
        elif previous is _AVAILABLE:
            self.sync_availability(agent)

    def serve_freed(self, agent: AgentRuntime, now: float) -> bool:
        """Offer an agent whose call (and wrap-up) just ended the caller dispatch would give
        it, when that is plain; True if it did (the agent is ringing), False to leave the
        agent to ``refresh`` and ``dispatch`` as usual.

        Plain: nothing else is dirty, the agent becomes available (logged in, reachable, not
        paused, no retry delay), and in each of its queues with callers nobody else is free and the
        first caller is idle, needs no skill and has tried nobody. Then its queues hold no
        other match (after each event no idle caller has a candidate), and dispatch would
        offer the best of those first callers (queue priority, then key) to this agent
        alone. Speed trade-off: most calls that end in a busy call center go this way, and
        joining the available indexes of its queues, marking them dirty and dispatching
        cost as much again as the offer itself.
        """
        if self.dirty or not agent.logged_in or agent.pause_reason is not None:
            return False
        if not agent.reachable:
            return False
        if agent.retry_at is not None:
            return False
        best: CallerEntry | None = None
        for queue in agent.logged_in.values():
            line = queue.line
            keys = line.keys
            if not keys:
                continue
            entry = line.entries[keys[0][2]]
            if queue.available or entry.ringing or entry.skills or entry.tried:
                return False
            if best is None or entry.rank < best.rank:
                best = entry
        if best is None:
            return False
        # refresh() would make it AVAILABLE at ``now``; ring() makes it RINGING at ``now``.
        self.offer(best, [agent], False, now)
        return True

    def sync_availability(self, agent: AgentRuntime) -> None:
        agent_id = agent.agent_id
        # An agent waiting out its retry delay after a miss shows AVAILABLE but is offered
        # nothing: it stays out of the indexes until its RETRY timer (retry_over).
        if agent.state is not _AVAILABLE or agent.retry_at is not None:
            for queue in agent.member_of.values():
                queue.available.pop(agent_id, None)
            return
        logged_in, dirty = agent.logged_in, self.dirty
        for queue_id, queue in agent.member_of.items():
            if queue_id not in logged_in:
                queue.available.pop(agent_id, None)
            elif agent_id not in queue.available:
                queue.available[agent_id] = agent
                dirty[queue_id] = queue

    def retry_over(self, agent: AgentRuntime) -> None:
        """The agent's retry delay after a miss is over: it may be offered again."""
        agent.retry_at = None
        self.sync_availability(agent)

    def set_pause(self, agent: AgentRuntime, reason: str | None, now: float) -> None:
        """Pause the agent with ``reason`` (None: unpause), keeping the count of serving
        members of its queues in step (a count, not a recount of the members), and the
        agent's time paused today."""
        was_paused = agent.pause_reason is not None
        if was_paused != (reason is not None):
            if reason is None:
                agent.paused_seconds += now - agent.pause_start
            else:
                agent.pause_start = now
        was_serving = _serves(agent)
        agent.pause_reason = reason
        self._count_serving(agent, was_serving)

    def set_reachable(self, agent: AgentRuntime, reachable: bool) -> None:
        """Mark the agent's phone reachable or not, keeping the serving counts in step."""
        was_serving = _serves(agent)
        agent.reachable = reachable
        self._count_serving(agent, was_serving)

    def _count_serving(self, agent: AgentRuntime, was_serving: bool) -> None:
        serving = _serves(agent)
        if was_serving != serving:
            step = 1 if serving else -1
            for queue in agent.logged_in.values():
                queue.serving += step

    def join_queue(self, agent: AgentRuntime, queue: QueueRuntime) -> None:
        agent.logged_in[queue.queue_id] = queue
        queue.logged_in[agent.agent_id] = agent
        if _serves(agent):
            queue.serving += 1

    def leave_queue(self, agent: AgentRuntime, queue: QueueRuntime) -> None:
        del agent.logged_in[queue.queue_id]
        del queue.logged_in[agent.agent_id]
        if _serves(agent):
            queue.serving -= 1

    def mark_dirty(self, queue: QueueRuntime) -> None:
        # Without a free agent the queue has no match to make, and the agent who frees up
        # later marks it dirty then (sync_availability): most joins and abandons stop here.
        if queue.available:
            self.dirty[queue.queue_id] = queue

    # -- ringing ------------------------------------------------------------------------

    def stop_ringing(self, entry: CallerEntry, agent_ids: list[AgentId], now: float) -> None:
        """Free ``agent_ids`` ringing for ``entry`` (not a miss) and tell call control."""
        if not agent_ids:
            return
        for agent_id in agent_ids:
            del entry.ringing[agent_id]
            agent = self.agents[agent_id]
            agent.activity = Activity.IDLE
            agent.ringing_for = None
            self.refresh(agent, now)
        self.out.append(new_cancel_offer(entry.caller, tuple(agent_ids)))

    def release_ringing(self, entry: CallerEntry, agent_ids: list[AgentId], now: float) -> None:
        """Stop ringing ``agent_ids``; a caller nobody rings for any more waits idle again."""
        if not agent_ids:
            return
        self.stop_ringing(entry, agent_ids, now)
        if not entry.ringing:  # idle again
            self.mark_dirty(entry.queue)

    def withdraw_agent(self, agent: AgentRuntime, now: float) -> None:
        """The agent can no longer take the caller ringing it (paused, busy, logged out,
        unreachable)."""
        entry = agent.ringing_for
        if entry is not None:
            if entry.callback_number is not None:
                raise AcdError(f"agent {agent.agent_id} is reserved for a callback")
            self.record(now, Verb.RINGCANCELED, caller=entry.caller, agent=agent.agent_id)
            self.release_ringing(entry, [agent.agent_id], now)

    def miss(
        self, entry: CallerEntry, agent: AgentRuntime, now: float, reason: str, *, cancel: bool
    ) -> None:
        """The agent let the offer ring out or rejected it: count it, maybe auto-pause, and
        keep it from any offer for the queue's ``retry_after_miss``.

        ``cancel``: tell call control to stop the ringing (the engine's own ring timer ran
        out); a rejection or a no-answer reported by call control needs no CancelOffer.
        Without the delay, an agent whose phone refuses every call at once (or cannot be
        reached) would be offered the next waiting caller at once, and so on without end.
        """
        agent_id = agent.agent_id
        started = entry.ringing.pop(agent_id)
        agent.activity = Activity.IDLE
        agent.ringing_for = None
        agent.missed += 1
        agent.consecutive_misses += 1
        entry.tried |= {agent_id}
        queue = entry.queue
        if cancel:
            self.out.append(new_cancel_offer(entry.caller, (agent_id,)))
        self.record(
            now, Verb.RINGNOANSWER, caller=entry.caller, queue=queue.queue_id, agent=agent_id,
            ring=now - started, reason=reason,
        )  # fmt: skip
        limit = queue.config.auto_pause_after
        if limit is not None and agent.consecutive_misses >= limit and agent.pause_reason is None:
            self.set_pause(agent, queue.config.auto_pause_reason, now)
            self.out.append(PauseAgent(agent=agent_id, reason=queue.config.auto_pause_reason))
            self.record(now, Verb.PAUSE, agent=agent_id, reason=agent.pause_reason)
        delay = queue.config.retry_after_miss
        if delay > 0:
            retry_at = agent.retry_at = now + delay
            self.add_timer(retry_at, TimerKind.RETRY, None, agent, retry_at)
        self.refresh(agent, now)
        if not entry.ringing:  # idle again
            self.mark_dirty(queue)

    # -- dispatch -----------------------------------------------------------------------

    def dispatch(self, now: float) -> None:
        """Serve dirty queues until no idle caller in them has a candidate agent.

        The best caller across the dirty queues goes first (``CallerEntry.rank``: the
        queue's priority, then the caller's, then the order key; never equal for two).
        An offer only takes agents and callers out of play, so a queue without a match keeps
        none until the end: one without a free agent or a caller is skipped (a test cheaper
        than taking it out of the dirty queues each time), one whose idle callers none of
        its free agents may take is taken out (finding that out is the costly part).
        """
        dirty = self.dirty
        while True:
            best: CallerEntry | None = None
            unservable: list[QueueId] | None = None
            for queue in dirty.values():
                if not queue.available:
                    continue
                # queue.line.first_idle(), inline for the common case: the head is idle.
                line = queue.line
                keys = line.keys
                if not keys:
                    continue
                entry = line.entries[keys[0][2]]
                if entry.ringing or entry.skills:
                    servable = self._first_servable(queue, now)
                    if servable is None:
                        if unservable is None:
                            unservable = [queue.queue_id]
                        else:
                            unservable.append(queue.queue_id)
                        continue
                    entry = servable
                if best is None or entry.rank < best.rank:
                    best = entry
            if best is None:
                dirty.clear()
                return
            if unservable is not None:
                for queue_id in unservable:
                    del dirty[queue_id]
            if best.skills or best.tried:
                candidates, new_round = self.candidates(best, now)
            else:  # self.candidates(best, now), inline: the common case
                candidates, new_round = list(best.queue.available.values()), False
            self.offer(best, candidates, new_round, now)

    def _first_servable(self, queue: QueueRuntime, now: float) -> CallerEntry | None:
        """The first idle caller of a queue with free agents that one of them may take."""
        head = queue.line.first_idle()
        if head is None or not head.skills:
            # Without skill needs a caller can take any free member (tried agents are only
            # skipped while others are free), so the head is servable.
            return head
        for entry in queue.line.idle():
            if not entry.skills or self.candidates(entry, now)[0]:
                return entry
        return None

    def candidates(self, entry: CallerEntry, now: float) -> tuple[Candidates, bool]:
        """Agents that may be offered ``entry`` now, and whether a new hunting round starts.

        An agent who missed or rejected this caller is skipped while any other candidate is
        free; once all free candidates have had their turn a new round starts, still skipping
        the agents of the very last attempt if someone else is free.
        """
        available = list(entry.queue.available.values())
        if not entry.skills and not entry.tried:
            return available, False  # the common case
        if entry.skills and available:
            needs = self.needs(entry, now)
            available = [a for a in available if _meets(a, needs)]
        if not available or not entry.tried:
            return available, False
        tried = entry.tried
        fresh = [a for a in available if a.agent_id not in tried]
        if fresh:
            return fresh, False
        recent = entry.last_attempt
        others = [a for a in available if a.agent_id not in recent]
        return others or available, True

    def needs(self, entry: CallerEntry, now: float) -> dict[str, int]:
        """The caller's skill requirements, each lowered one level per relaxation interval."""
        step = entry.queue.config.skill_relax_seconds
        drop = int((now - entry.join_time) // step) if step else 0
        return {skill: level - drop for skill, level in entry.skills.items() if level > drop}

    def offer(
        self, entry: CallerEntry, candidates: Candidates, new_round: bool, now: float
    ) -> None:
        """Ring the agents the strategy chooses (or reserve one for a callback)."""
        queue = entry.queue
        if new_round:
            entry.tried = frozenset()
        chosen, sticky = candidates, False
        if queue.config.sticky_days is not None:
            chosen, sticky = self._sticky_choice(entry, candidates, now)
        # A lone candidate needs no ordering, unless the strategy draws at random (the draw
        # moves the random sequence on, and a replay must draw alike).
        if not sticky and (len(candidates) != 1 or not queue.deterministic):
            strategy = queue.strategy
            chosen = strategy.choose(candidates, queue=queue, caller=entry, rng=self.rng)
            limit = 1 if entry.callback_number is not None else queue.ring_limit
            if limit is not None:
                chosen = chosen[:limit]
            if not chosen:  # it would stay idle and be chosen again without end
                raise AcdError(f"strategy {strategy.name} chose no agent")
        entry.attempt += 1
        if entry.first_offer is None:
            entry.first_offer = now
            if now > entry.join_time:
                queue.counters.waited += 1
        if len(chosen) == 1:
            agent = chosen[0]
            ids: tuple[AgentId, ...] = (agent.agent_id,)
            reasons: tuple[OfferReason, ...] = (self.reason(entry, agent, 0, sticky, now),)
        else:
            ids = tuple([agent.agent_id for agent in chosen])
            reasons = tuple([
                self.reason(entry, agent, rank, sticky, now) for rank, agent in enumerate(chosen)
            ])  # fmt: skip
        entry.last_attempt = ids
        self.ring(entry, chosen, ids, reasons, now)
        if queue.progressive and entry.callback_number is None:
            step = queue.config.progressive_step_seconds
            self.add_timer(now + step, TimerKind.PROGRESSIVE, entry, None, entry.attempt)

    def _sticky_choice(
        self, entry: CallerEntry, candidates: Candidates, now: float
    ) -> tuple[Candidates, bool]:
        days = entry.queue.config.sticky_days
        if days is None or entry.number is None or entry.first_offer is not None:
            return candidates, False
        last = self.sticky.get(entry.number)
        if last is None or now - last[1] > days * 86400.0:
            return candidates, False
        for agent in candidates:
            if agent.agent_id == last[0]:
                return [agent], True
        return candidates, False

    def ring(
        self,
        entry: CallerEntry,
        chosen: Candidates,
        ids: tuple[AgentId, ...],
        reasons: tuple[OfferReason, ...],
        now: float,
    ) -> None:
        """Put the chosen agents in RINGING for ``entry`` and emit the offer (or the dial).

        One pass over the agents: its state, its ring timer and its OFFER record.
        """
        if entry.callback_number is not None:
            self._dial_callback(entry, chosen, reasons[0], now)
            return
        queue = entry.queue
        caller, queue_id = entry.caller, queue.queue_id
        ring_seconds = queue.config.ring_seconds
        at = now + ring_seconds
        lane = self.ring_lanes.get(ring_seconds)  # self.ring_lane(), inline but the first
        if lane is None:
            lane = self.ring_lane(ring_seconds)
        elif lane and at < lane[-1][0]:  # out of order (time went back for a timer): the heap
            lane = None
        self.out.append(new_offer(caller, queue_id, ids, ring_seconds, reasons))
        keep_records = self.keep_records
        if keep_records:
            # queue.line.position(entry), inline: the caller offered is mostly the first.
            keys, key = queue.line.keys, entry.key
            position = 1 if keys[0] is key else bisect_left(keys, key) + 1
            append_record = self.records.append
            alone = len(ids) == 1
        ringing = entry.ringing
        for agent, reason in zip(chosen, reasons, strict=True):
            agent_id = agent.agent_id
            agent.activity = _RINGING
            agent.ringing_for = entry
            ringing[agent_id] = now
            # self.refresh(agent, now), inline: candidates come from the available
            # indexes, so the agent goes from AVAILABLE to RINGING and leaves them all;
            # one offered by serve_freed() is still in its busy state, in none.
            if agent.state is _AVAILABLE:
                for member_queue in agent.logged_in.values():
                    member_queue.available.pop(agent_id, None)
            agent.state = _STATE_RINGING
            agent.state_since = now
            # self.add_timer(), inline, to the ring lane.
            seq = self._timer_seq = self._timer_seq + 1
            if lane is not None:
                lane.append((at, seq, _RING_TIMER, entry, agent, now))
            else:
                heappush(self.timers, (at, seq, _RING_TIMER, entry, agent, now))
            if keep_records:
                # self.record(), inline. Fields of Record by position: caller, queue, agent,
                # position, ... reasons (one agent: the offer's own tuple, equal to
                # (reason,), one object fewer).
                append_record(
                    _new_tuple(Record, (
                        now, _OFFER, caller, queue_id, agent_id, position, None, None, None,
                        None, None, reasons if alone else (reason,), None,
                    ))
                )  # fmt: skip

    def _dial_callback(
        self, entry: CallerEntry, chosen: Candidates, reason: OfferReason, now: float
    ) -> None:
        """Reserve the chosen agent (one) for a callback: call control dials the caller."""
        number = entry.callback_number
        assert number is not None
        for agent in chosen:
            agent.activity = _RINGING
            agent.ringing_for = entry
            entry.ringing[agent.agent_id] = now
            self.refresh(agent, now)
        caller, queue_id, agent_id = entry.caller, entry.queue.queue_id, chosen[0].agent_id
        self.out.append(
            DialCallback(
                caller=caller, queue=queue_id, agent=agent_id, number=number, reason=reason
            )
        )  # fmt: skip
        self.record(
            now, Verb.CALLBACKDIAL, caller=caller, queue=queue_id, agent=agent_id,
            reasons=(reason,),
        )  # fmt: skip

    def reason(
        self, entry: CallerEntry, agent: AgentRuntime, rank: int, sticky: bool, now: float
    ) -> OfferReason:
        queue = entry.queue
        skills = entry.skills
        # tuple.__new__: the same OfferReason without the NamedTuple's Python __new__.
        return _new_tuple(OfferReason, (
            queue.strategy_name,
            rank,
            queue.position_of[agent.agent_id],
            entry.priority,
            now - agent.idle_since,
            agent.talk_seconds,
            agent.answered,
            tuple([(skill, agent.skills.get(skill, 0)) for skill in skills]) if skills else (),
            "sticky agent" if sticky else queue.tie_break,
            sticky,
        ))  # fmt: skip

    def estimate(self, queue: QueueRuntime, position: int) -> float | None:
        """Expected wait at ``position``: the recent ring delay (first offer to answer, or to
        giving up; 0 before any), plus, for callers beyond the free agents, their turn at the
        rate of the queue's serving agents (logged in, reachable, unpaused) at the recent
        mean handle time:

            ring_delay + max(0, position - free) * handle_time / serving

        A free agent who lets callers ring is no promise of an answer at once."""
        delay = queue.ring_delays.mean or 0.0
        beyond = position - len(queue.available)
        if beyond <= 0:
            return delay
        serving = queue.serving
        if serving == 0:
            return None
        mean = queue.handle_times.mean
        if mean is None:
            mean = queue.config.expected_handle_seconds
        return delay + beyond * mean / serving


def _serves(agent: AgentRuntime) -> bool:
    """Whether the agent counts among its queues' serving members (when logged in)."""
    return agent.pause_reason is None and agent.reachable


def _meets(agent: AgentRuntime, needs: dict[str, int]) -> bool:
    skills = agent.skills
    return all(skills.get(skill, 0) >= level for skill, level in needs.items())
