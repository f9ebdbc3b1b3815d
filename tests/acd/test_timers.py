"""Timers across the heap and the ring lanes: one order (time, then the order they were set)
and one wake time, whatever holds them.

Ring timers wait in a lane per ring time, the other timers in a heap; these tables fail if
the lanes were served one after the other, or a stale ring timer woke the engine.
"""

from __future__ import annotations

import gc

from hotline.acd import AgentId, QueueId, WakeAt
from hotline.acd.state import CallerEntry

from .script import abandon, answer, engine, join, login_all, play, queue, tick

Q1 = QueueId("q1")


def test_ring_timers_of_two_ring_times_run_in_time_order() -> None:
    e = engine(
        queue("q1", members=("a1",), ring_seconds=20, retry_after_miss=0),
        queue("q2", members=("a2",), ring_seconds=10, retry_after_miss=0),
    )
    login_all(e, "a1", "a2")
    play(e, [
        (0, join("c1", "q1"), ["offer c1 a1"]),  # rings out at 20, 40...
        (5, join("c2", "q2"), ["offer c2 a2"]),  # rings out at 15, 25, 35...
        (30, tick(), [
            "cancel c2 a2", "offer c2 a2",  # 15
            "cancel c1 a1", "offer c1 a1",  # 20
            "cancel c2 a2", "offer c2 a2",  # 25
        ]),
    ])  # fmt: skip


def test_a_ring_timer_and_a_heap_timer_due_together_run_in_the_order_they_were_set() -> None:
    # Max wait (set on joining) and the ring time (set on the offer) both end at 15.
    e = engine(queue(members=("a1",), ring_seconds=15, max_wait_seconds=15))
    login_all(e, "a1")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (15, tick(), ["cancel c1 a1", "leave c1 timeout"]),
    ])  # fmt: skip
    assert e.agent_stats(AgentId("a1"), 15).missed == 0  # the ring timer found it gone


def test_the_wake_time_is_the_earliest_live_ring_timer_of_any_lane() -> None:
    e = engine(
        queue("q1", members=("a1",), ring_seconds=20),
        queue("q2", members=("a2",), ring_seconds=10),
    )
    login_all(e, "a1", "a2")
    assert WakeAt(at=10) in e.handle(join("c2", "q2"), 0)
    # c1's ring timer (at 21) is in another lane, behind c2's: the wake stays at 10.
    assert not [c for c in e.handle(join("c1", "q1"), 1) if isinstance(c, WakeAt)]
    # c2 answered: its ring timer is stale, the wake moves to c1's.
    assert WakeAt(at=21) in e.handle(answer("c2", "a2"), 2)
    e.handle(answer("c1", "a1"), 3)
    assert e.next_wakeup() is None


def test_callers_who_left_are_not_kept_until_their_maximum_wait() -> None:
    """Each caller's maximum-wait timer holds its entry; stale timers leave the heap from
    its top, so behind one caller who waits long, the callers who come and go meanwhile
    must not stay with the engine until their own maximum wait."""
    e = engine(queue(members=("a1",), max_wait_seconds=3600))
    e.handle(join("c-waits"), 0.0)  # nobody logged in: this one waits at the top
    for n in range(6000):
        e.handle(join(f"c{n}"), 1.0 + n / 10)
        e.handle(abandon(f"c{n}"), 1.05 + n / 10)
    kept = sum(isinstance(o, CallerEntry) for o in gc.get_objects())
    assert kept < 2500, f"{kept} callers kept of 6000 gone"
    assert e.waiting(Q1, 601.0)[0].caller == "c-waits"
