"""The built-in strategies (3CX names; Asterisk / FreeSWITCH equivalents in each docstring).

"Member order" is the order of the queue's member list (first = highest priority); ties in
every strategy fall back to it, so a decision is always fully determined for a given seed.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from random import Random
from typing import Any

from hotline.acd.strategies.base import (
    A,
    CallerView,
    QueueView,
    Strategy,
    register_strategy,
)

__all__ = [
    "FewestAnswered",
    "HuntByThreesPrioritized",
    "HuntByThreesRandom",
    "HuntRandomStart",
    "LeastTalkTime",
    "LongestWaiting",
    "PrioritizedHunt",
    "RingAll",
    "RingProgressively",
    "RoundRobin",
    "SkillsBased",
    "WeightedRandom",
]


def _by_member_order(candidates: Sequence[A], queue: QueueView) -> list[A]:
    position = queue.position_of
    return sorted(candidates, key=lambda agent: position[agent.agent_id])


def _best(candidates: Sequence[A], key: Callable[[A], Any]) -> list[A]:
    """The one candidate a strategy that rings one agent at a time would put first: what
    ``sorted(candidates, key=key)[:1]`` gives (the first of equals), without sorting a
    large queue's free agents for every caller."""
    return [min(candidates, key=key)]


def _rotated(candidates: Sequence[A], queue: QueueView, start: int) -> list[A]:
    """The first candidate in member order counted from member index ``start``, wrapping
    around."""
    position = queue.position_of
    size = len(position)
    return _best(candidates, lambda agent: (position[agent.agent_id] - start) % size)


@register_strategy
class RingAll(Strategy):
    """Ring every candidate at once; the first to answer wins (Asterisk ringall,
    FreeSWITCH ring-all). The offer lists the agents in member order."""

    name = "ring_all"
    tie_break = "all ring together; listed in member order"
    deterministic = True
    ring_at_once = None

    def choose(
        self, candidates: Sequence[A], *, queue: QueueView, caller: CallerView, rng: Random
    ) -> list[A]:
        return _by_member_order(candidates, queue)


@register_strategy
class PrioritizedHunt(Strategy):
    """The first candidate in member order; on no answer the next one (Asterisk linear,
    FreeSWITCH top-down). Every caller starts again from the top of the list."""

    name = "prioritized_hunt"
    tie_break = "member order"
    deterministic = True

    def choose(
        self, candidates: Sequence[A], *, queue: QueueView, caller: CallerView, rng: Random
    ) -> list[A]:
        position = queue.position_of
        return _best(candidates, lambda agent: position[agent.agent_id])


@register_strategy
class HuntRandomStart(Strategy):
    """Member order rotated to start at a random member drawn once per caller (the member at
    index floor(random_start * members)), then hunting down the list and wrapping around
    (3CX hunt random start; Asterisk/FreeSWITCH random picks anew each time instead)."""

    name = "hunt_random_start"
    tie_break = "member order from the caller's random start"
    deterministic = True

    def choose(
        self, candidates: Sequence[A], *, queue: QueueView, caller: CallerView, rng: Random
    ) -> list[A]:
        start = int(caller.random_start * len(queue.position_of))
        return _rotated(candidates, queue, start)


@register_strategy
class RoundRobin(Strategy):
    """Member order rotated to start just after the member who answered the queue's previous
    call (from the top if none has), remembered per queue (Asterisk rrmemory, FreeSWITCH
    round-robin)."""

    name = "round_robin"
    tie_break = "member order after the last agent who answered"
    deterministic = True

    def choose(
        self, candidates: Sequence[A], *, queue: QueueView, caller: CallerView, rng: Random
    ) -> list[A]:
        last = queue.last_answered
        start = 0 if last is None else queue.position_of[last] + 1
        return _rotated(candidates, queue, start)


@register_strategy
class LongestWaiting(Strategy):
    """The candidate idle longest since the end of its last queue call (or since logging in
    if it has had none); ties by member order (Asterisk leastrecent, FreeSWITCH
    longest-idle-agent)."""

    name = "longest_waiting"
    tie_break = "earliest end of last call, then member order"
    deterministic = True

    def choose(
        self, candidates: Sequence[A], *, queue: QueueView, caller: CallerView, rng: Random
    ) -> list[A]:
        position = queue.position_of
        return _best(candidates, lambda a: (a.idle_since, position[a.agent_id]))


@register_strategy
class LeastTalkTime(Strategy):
    """The candidate with the least talk time today; ties by longest idle, then member order
    (FreeSWITCH agent-with-least-talk-time)."""

    name = "least_talk_time"
    tie_break = "least talk time, then longest idle, then member order"
    deterministic = True

    def choose(
        self, candidates: Sequence[A], *, queue: QueueView, caller: CallerView, rng: Random
    ) -> list[A]:
        position = queue.position_of
        return _best(candidates, lambda a: (a.talk_seconds, a.idle_since, position[a.agent_id]))


@register_strategy
class FewestAnswered(Strategy):
    """The candidate who answered the fewest calls today; ties by longest idle, then member
    order (Asterisk fewestcalls, FreeSWITCH agent-with-fewest-calls)."""

    name = "fewest_answered"
    tie_break = "fewest answered, then longest idle, then member order"
    deterministic = True

    def choose(
        self, candidates: Sequence[A], *, queue: QueueView, caller: CallerView, rng: Random
    ) -> list[A]:
        position = queue.position_of
        return _best(candidates, lambda a: (a.answered, a.idle_since, position[a.agent_id]))


@register_strategy
class HuntByThreesRandom(Strategy):
    """Three candidates drawn at random (uniformly, without replacement, from the candidates
    in member order) ring together; on no answer three others among those not yet tried."""

    name = "hunt_by_threes_random"
    tie_break = "random draw of three"
    ring_at_once = 3

    def choose(
        self, candidates: Sequence[A], *, queue: QueueView, caller: CallerView, rng: Random
    ) -> list[A]:
        ordered = _by_member_order(candidates, queue)
        return rng.sample(ordered, min(3, len(ordered)))


@register_strategy
class HuntByThreesPrioritized(Strategy):
    """The first three candidates in member order ring together; on no answer the next three
    (3CX First3Available)."""

    name = "hunt_by_threes_prioritized"
    tie_break = "member order, three at a time"
    deterministic = True
    ring_at_once = 3

    def choose(
        self, candidates: Sequence[A], *, queue: QueueView, caller: CallerView, rng: Random
    ) -> list[A]:
        position = queue.position_of
        return heapq.nsmallest(3, candidates, key=lambda a: position[a.agent_id])


@register_strategy
class RingProgressively(Strategy):
    """Like prioritized hunt, but each ringing agent keeps ringing while the next candidate in
    member order is added every ``progressive_step_seconds`` (FreeSWITCH ring-progressively);
    each agent rings at most the queue's ring time."""

    name = "ring_progressively"
    tie_break = "member order, one more every step"
    deterministic = True
    progressive = True

    def choose(
        self, candidates: Sequence[A], *, queue: QueueView, caller: CallerView, rng: Random
    ) -> list[A]:
        return _by_member_order(candidates, queue)


@register_strategy
class WeightedRandom(Strategy):
    """One candidate drawn with probability proportional to its member weight (Asterisk
    wrandom uses the penalty as the weight); the draw walks the candidates in member order."""

    name = "weighted_random"
    tie_break = "random draw weighted by member weight"

    def choose(
        self, candidates: Sequence[A], *, queue: QueueView, caller: CallerView, rng: Random
    ) -> list[A]:
        ordered = _by_member_order(candidates, queue)
        weights = [max(queue.weight_of[a.agent_id], 0.0) for a in ordered]
        total = sum(weights)
        if total <= 0.0:
            return ordered[:1]
        point = rng.random() * total
        for agent, weight in zip(ordered, weights, strict=True):
            point -= weight
            if point < 0.0:
                return [agent]
        return ordered[-1:]


@register_strategy
class SkillsBased(Strategy):
    """Among candidates holding every skill the caller needs (the engine filters, relaxing the
    requirements as the wait grows), the highest total level in those skills first, then the
    longest idle, then member order."""

    name = "skills_based"
    tie_break = "best skill level, then longest idle, then member order"
    deterministic = True

    def choose(
        self, candidates: Sequence[A], *, queue: QueueView, caller: CallerView, rng: Random
    ) -> list[A]:
        position = queue.position_of
        needed = tuple(caller.skills)

        def key(agent: A) -> tuple[int, float, int]:
            level = sum(agent.skills.get(skill, 0) for skill in needed)
            return (-level, agent.idle_since, position[agent.agent_id])

        return sorted(candidates, key=key)
