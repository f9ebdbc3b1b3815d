"""An agent's own figures for its panel: time paused today (the pause in progress included,
a new day starting from its midnight) and the wrap-up time left."""

from __future__ import annotations

from hotline.acd import AgentId

from .script import answer, end, engine, join, login_all, pause, play, queue, unpause, wrapped

A1 = AgentId("a1")


def test_time_paused_adds_every_pause_of_the_day() -> None:
    e = engine(queue(members=("a1",)))
    login_all(e, "a1")
    play(e, [
        (10, pause("a1", "lunch"), []),
        (40, pause("a1", "training"), []),  # a new reason, the same pause
        (70, unpause("a1"), []),
    ])  # fmt: skip
    assert e.agent_stats(A1, 80).paused_seconds == 60
    play(e, [(100, pause("a1"), [])])
    assert e.agent_stats(A1, 110).paused_seconds == 60 + 10


def test_a_new_day_counts_a_pause_in_progress_from_its_start() -> None:
    e = engine(queue(members=("a1",)))
    login_all(e, "a1")
    play(e, [(10, pause("a1"), []), (20, unpause("a1"), []), (30, pause("a1"), [])])
    e.reset_statistics(now=50)
    assert e.agent_stats(A1, 65).paused_seconds == 15


def test_time_paused_survives_a_restart() -> None:
    e = engine(queue(members=("a1",)))
    login_all(e, "a1")
    play(e, [(10, pause("a1"), []), (25, unpause("a1"), [])])
    after = engine(queue(members=("a1",)))
    login_all(after, "a1")
    after.restore_statistics(e.statistics_snapshot())
    assert after.agent_stats(A1, 30).paused_seconds == 15


def test_wrap_up_left_counts_down_and_ends_with_the_agent() -> None:
    e = engine(queue(members=("a1",), wrap_up_seconds=30))
    login_all(e, "a1")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (1, answer("c1", "a1"), ["connect c1 a1"]),
    ])  # fmt: skip
    assert e.agent_stats(A1, 5).wrap_up_seconds_left is None  # on the call
    play(e, [(10, end("a1"), [])])
    assert e.agent_stats(A1, 18).wrap_up_seconds_left == 22
    play(e, [(20, wrapped("a1"), [])])
    assert e.agent_stats(A1, 21).wrap_up_seconds_left is None
