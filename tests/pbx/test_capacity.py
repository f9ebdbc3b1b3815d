"""Admission by load: calls at once, and new calls a second as a token bucket."""

from __future__ import annotations

from hotline.pbx.capacity import CallCapacity


def test_no_limit_admits_everything() -> None:
    capacity = CallCapacity()
    assert all(capacity.admit(calls, 0.0) is None for calls in range(10_000))
    assert capacity.refused == 0


def test_calls_at_once_are_capped_and_counted() -> None:
    capacity = CallCapacity(max_calls=3)
    assert capacity.admit(2, 0.0) is None
    assert capacity.admit(3, 0.0) == "3 calls in progress (max_calls 3)"
    assert capacity.admit(4, 0.0) is not None
    assert capacity.admit(2, 0.0) is None  # a call ended: room again
    assert capacity.refused == 2


def test_new_calls_come_in_bursts_of_a_second_then_at_the_rate() -> None:
    capacity = CallCapacity(max_calls_per_second=10)
    admitted = [capacity.admit(0, 100.0) is None for _ in range(15)]
    assert admitted == [True] * 10 + [False] * 5  # a second's worth at once
    assert capacity.admit(0, 100.125) is None and capacity.admit(0, 100.125) is not None
    # Over 2 s the bucket refills to a second's worth, not more.
    assert sum(capacity.admit(0, 102.125) is None for _ in range(15)) == 10
    assert capacity.refused == 11


def test_a_rate_under_one_a_second_still_lets_one_call_in() -> None:
    capacity = CallCapacity(max_calls_per_second=0.5)
    assert capacity.admit(0, 0.0) is None
    assert capacity.admit(0, 1.0) is not None  # half a token
    assert capacity.admit(0, 2.0) is None
