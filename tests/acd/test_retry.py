"""The retry delay after a missed offer (Asterisk's queue ``retry``, FreeSWITCH's
``reject-delay-time``): an agent who rejected, let ring out or could not be reached is
offered nobody until the delay is over, then at once; its state stays AVAILABLE."""

from __future__ import annotations

from hotline.acd import AgentId, AgentState, Engine, QueueId, WakeAt

from .script import (
    answer,
    engine,
    join,
    login_all,
    logout,
    not_answered,
    pause,
    play,
    queue,
    reject,
    summarize,
    tick,
    unpause,
)

A1 = AgentId("a1")


def test_a_rejecting_agent_is_not_offered_again_before_the_delay_then_is_at_once() -> None:
    e = engine(queue(members=("a1",), strategy="ring_all", retry_after_miss=5))
    login_all(e, "a1")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (0, join("c2"), []),
        (1, reject("c1", "a1"), []),  # not c2 at once, nor c1 again
        (3, join("c3"), []),
        (5.9, tick(), []),
        (6, tick(), ["offer c1 a1"]),  # the first caller in line, right at the end
    ])  # fmt: skip


def test_the_engine_asks_to_be_woken_when_the_delay_ends() -> None:
    e = engine(queue(members=("a1",), strategy="ring_all", retry_after_miss=5, ring_seconds=15))
    login_all(e, "a1")
    e.handle(join("c1"), 0)
    commands = e.handle(not_answered("c1", "a1"), 2)
    assert [c for c in commands if isinstance(c, WakeAt)] == [WakeAt(at=7)]
    assert e.next_wakeup() == 7


def test_the_resting_agent_shows_available_and_its_miss_counts_once() -> None:
    e = engine(queue(members=("a1",), strategy="ring_all", retry_after_miss=5))
    login_all(e, "a1")
    e.handle(join("c1"), 0)
    e.handle(reject("c1", "a1"), 1)
    a1 = e.agent_stats(A1, 2)
    assert (a1.state, a1.missed, a1.consecutive_misses) == (AgentState.AVAILABLE, 1, 1)
    assert e.queue_stats(QueueId("q1"), 2).available == 1
    e.handle(tick(), 6)  # offered again
    e.handle(answer("c1", "a1"), 7)
    a1 = e.agent_stats(A1, 7)
    assert (a1.missed, a1.answered, a1.state) == (1, 1, AgentState.ON_CALL)


def test_other_free_agents_take_the_caller_meanwhile() -> None:
    e = engine(queue(members=("a1", "a2"), strategy="prioritized_hunt", retry_after_miss=5))
    login_all(e, "a1", "a2")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (1, reject("c1", "a1"), ["offer c1 a2"]),
        (1, join("c2"), []),  # a1 rests, a2 rings
        (2, reject("c1", "a2"), []),
        (6, tick(), ["offer c1 a1"]),
        (7, tick(), ["offer c2 a2"]),
    ])  # fmt: skip


def test_with_zero_the_agent_is_offered_again_at_once() -> None:
    e = engine(queue(members=("a1",), strategy="ring_all", retry_after_miss=0))
    login_all(e, "a1")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (0, join("c2"), []),
        (1, reject("c1", "a1"), ["offer c1 a1"]),
        (1, reject("c1", "a1"), ["offer c1 a1"]),
    ])  # fmt: skip


def _two_queues() -> Engine:
    e = engine(
        queue("q1", members=("a1",), retry_after_miss=10, priority=1),
        queue("q2", members=("a1",), retry_after_miss=2),
    )
    login_all(e, "a1")
    return e


def test_the_delay_keeps_the_agent_from_every_queue_and_the_missed_queue_sets_it() -> None:
    e = _two_queues()
    play(e, [
        (0, join("c1", "q1"), ["offer c1 a1"]),
        (0, join("c2", "q2"), []),
        (1, reject("c1", "a1"), []),  # q1's delay: q2's caller waits too
        (5, tick(), []),
        (11, tick(), ["offer c1 a1"]),
        (12, reject("c1", "a1"), []),
        (22, tick(), ["offer c1 a1"]),
    ])  # fmt: skip
    e = _two_queues()
    play(e, [
        (0, join("c2", "q2"), ["offer c2 a1"]),
        (1, reject("c2", "a1"), []),
        (2, join("c1", "q1"), []),
        (3, tick(), ["offer c1 a1"]),  # q2's own 2 s were enough
    ])  # fmt: skip


def test_ring_all_others_keep_ringing_and_each_rejecting_agent_rests() -> None:
    e = engine(queue(strategy="ring_all", retry_after_miss=5))
    login_all(e, "a1", "a2", "a3")
    play(e, [
        (0, join("c1"), ["offer c1 a1,a2,a3"]),
        (0, join("c2"), []),
        (1, reject("c1", "a1"), []),  # c1 still rings a2 and a3; c2 is not offered a1
        (2, reject("c1", "a2"), []),
        (3, answer("c1", "a3"), ["connect c1 a3"]),
        (6, tick(), ["offer c2 a1"]),
        (7, tick(), []),  # c2 rings a1 alone: ring-all rings the free agents once
        (8, reject("c2", "a1"), ["offer c2 a2"]),
    ])  # fmt: skip


def test_a_ring_timeout_is_a_miss_with_the_delay_too() -> None:
    e = engine(queue(members=("a1",), strategy="ring_all", ring_seconds=15, retry_after_miss=5))
    login_all(e, "a1")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (15, tick(), ["cancel c1 a1"]),
        (19, tick(), []),
        (20, tick(), ["offer c1 a1"]),
    ])  # fmt: skip


def test_logging_out_and_in_or_unpausing_does_not_end_the_delay() -> None:
    e = engine(queue(members=("a1",), strategy="ring_all", retry_after_miss=5))
    login_all(e, "a1")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (1, reject("c1", "a1"), []),
        (2, logout("a1"), []),
    ])  # fmt: skip
    login_all(e, "a1", now=3)
    play(e, [
        (3, pause("a1"), []),
        (4, unpause("a1"), []),
        (6, tick(), ["offer c1 a1"]),
    ])  # fmt: skip
    assert summarize(e.handle(tick(), 6)) == []
