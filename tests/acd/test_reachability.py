"""An agent whose phone cannot be reached is UNAVAILABLE: offered no caller, not counted as
available nor as serving the line (estimated wait), until its phone is reachable again.

Default queue: q1 with members a1, a2, a3 in order (prioritized_hunt), ring time 15 s.
"""

from __future__ import annotations

import pytest

from hotline.acd import AcdError, AgentId, AgentState, Engine, QueueId, Verb

from .script import (
    answer,
    end,
    engine,
    join,
    login,
    login_all,
    pause,
    play,
    queue,
    reachable,
    tick,
    unreachable,
)

Q1 = QueueId("q1")


def _state(e: Engine, agent: str, now: float = 0.0) -> AgentState:
    return e.agent_stats(AgentId(agent), now).state


def _in_order(**settings: object) -> Engine:
    return engine(queue(members=("a1", "a2"), strategy="prioritized_hunt", **settings))


def test_an_unreachable_agent_is_passed_over_and_takes_the_next_caller_once_reachable() -> None:
    e = _in_order()
    login_all(e, "a1", "a2")
    play(e, [
        (1, unreachable("a1"), []),
        (2, join("c1"), ["offer c1 a2"]),
        (3, answer("c1", "a2"), ["connect c1 a2"]),
        (4, join("c2"), []),  # a1 is the only one not busy, and cannot be reached
        (9, reachable("a1"), ["offer c2 a1"]),
    ])  # fmt: skip
    assert _state(e, "a1", 9) is AgentState.RINGING


def test_the_queue_counts_the_agent_unavailable_not_available() -> None:
    e = _in_order()
    login_all(e, "a1", "a2")
    e.handle(unreachable("a1"), 1)
    stats = e.queue_stats(Q1, 1)
    assert (stats.logged_in, stats.available, stats.unavailable) == (2, 1, 1)
    assert _state(e, "a1", 1) is AgentState.UNAVAILABLE
    assert e.agent_stats(AgentId("a1"), 5).seconds_in_state == 4
    e.handle(reachable("a1"), 6)
    stats = e.queue_stats(Q1, 6)
    assert (stats.available, stats.unavailable) == (2, 0)


def test_an_agent_logging_in_without_a_reachable_phone_is_logged_in_but_unavailable() -> None:
    e = _in_order()
    play(e, [
        (0, unreachable("a1", "not registered"), []),
        (1, login("a1"), []),
        (2, join("c1"), []),
    ])  # fmt: skip
    assert _state(e, "a1", 2) is AgentState.UNAVAILABLE
    assert e.agent_stats(AgentId("a1"), 2).queues == (Q1,)
    play(e, [(3, reachable("a1"), ["offer c1 a1"])])


def test_a_logged_out_agent_shows_logged_out_whatever_its_phone() -> None:
    e = _in_order()
    e.handle(unreachable("a1"), 0)
    assert _state(e, "a1") is AgentState.LOGGED_OUT


def test_a_ringing_offer_is_withdrawn_and_the_caller_goes_to_the_next_agent() -> None:
    e = _in_order()
    login_all(e, "a1", "a2")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (2, unreachable("a1"), ["cancel c1 a1", "offer c1 a2"]),
    ])  # fmt: skip
    assert _state(e, "a1", 2) is AgentState.UNAVAILABLE


def test_a_call_in_progress_goes_on_and_no_new_offer_follows_it() -> None:
    e = _in_order(wrap_up_seconds=10)
    login_all(e, "a1")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (1, answer("c1", "a1"), ["connect c1 a1"]),
        (5, unreachable("a1"), []),  # no cancel, no hang-up: the call is not cut
    ])  # fmt: skip
    assert _state(e, "a1", 5) is AgentState.ON_CALL
    play(e, [
        (6, join("c2"), []),
        (30, end("a1"), []),
    ])  # fmt: skip
    assert _state(e, "a1", 30) is AgentState.WRAP_UP
    play(e, [(40, tick(), [])])  # wrap-up over: still nobody reachable for c2
    assert _state(e, "a1", 40) is AgentState.UNAVAILABLE


def test_the_estimated_wait_counts_only_agents_who_can_be_reached() -> None:
    e = _in_order(expected_handle_seconds=100)
    login_all(e, "a1", "a2")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (0, answer("c1", "a1"), ["connect c1 a1"]),
        (0, unreachable("a2"), []),
    ])  # fmt: skip
    # The next caller waits for a1 alone: one whole handle time.
    assert e.queue_stats(Q1, 0).estimated_wait_seconds == 100
    e.handle(unreachable("a1"), 1)
    assert e.queue_stats(Q1, 1).estimated_wait_seconds is None  # nobody to wait for
    e.handle(reachable("a2"), 2)
    assert e.queue_stats(Q1, 2).estimated_wait_seconds == 0


def test_unavailable_comes_before_paused_and_the_pause_is_kept() -> None:
    e = _in_order()
    login_all(e, "a1")
    e.handle(pause("a1", "lunch"), 0)
    e.handle(unreachable("a1"), 1)
    stats = e.agent_stats(AgentId("a1"), 1)
    assert (stats.state, stats.pause_reason) == (AgentState.UNAVAILABLE, "lunch")
    assert e.queue_stats(Q1, 1).paused == 0
    e.handle(reachable("a1"), 2)
    assert _state(e, "a1", 2) is AgentState.PAUSED


def test_the_records_say_when_and_why() -> None:
    e = _in_order()
    login_all(e, "a1")
    e.take_records()
    e.handle(unreachable("a1", "expired"), 3)
    e.handle(reachable("a1"), 8)
    records = [(r.time, r.verb, r.agent, r.reason) for r in e.take_records()]
    assert records == [
        (3, Verb.UNREACHABLE, "a1", "expired"),
        (8, Verb.REACHABLE, "a1", None),
    ]


def test_the_same_news_twice_is_refused_and_changes_nothing() -> None:
    e = _in_order()
    login_all(e, "a1")
    with pytest.raises(AcdError, match="already reachable"):
        e.handle(reachable("a1"), 1)
    e.handle(unreachable("a1"), 2)
    with pytest.raises(AcdError, match="already unreachable"):
        e.handle(unreachable("a1"), 3)
    assert _state(e, "a1", 3) is AgentState.UNAVAILABLE
    assert e.agent_stats(AgentId("a1"), 3).seconds_in_state == 1


def test_the_agent_shows_why_its_phone_cannot_be_reached_until_it_can() -> None:
    e = _in_order()
    login_all(e, "a1", "a2")
    assert e.agent_stats(AgentId("a1"), 0).unavailable_reason is None
    e.handle(unreachable("a1", reason="expired"), 1)
    assert e.agent_stats(AgentId("a1"), 1).unavailable_reason == "expired"
    e.handle(reachable("a1"), 2)
    assert e.agent_stats(AgentId("a1"), 2).unavailable_reason is None
