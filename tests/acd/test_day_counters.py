"""Today's counters leave an engine as plain numbers and come back into a new one (a restart):
the same queue and agent figures, and the fairness strategies go on from them."""

from __future__ import annotations

import json

from hotline.acd import AgentId, QueueId

from .script import abandon, answer, end, engine, join, login_all, play, queue

Q1 = QueueId("q1")
HUNT = {"strategy": "prioritized_hunt", "sla_seconds": 20, "ring_seconds": 60}


def _a_morning():
    e = engine(queue(members=("a1", "a2"), **HUNT))
    login_all(e, "a1", "a2")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (5, answer("c1", "a1"), ["connect c1 a1"]),
        (6, join("c2"), ["offer c2 a2"]),
        (40, answer("c2", "a2"), ["connect c2 a2"]),
        (65, end("a1"), []),
        (70, join("c3"), ["offer c3 a1"]),
        (72, abandon("c3"), ["cancel c3 a1", "leave c3 abandon"]),
        (130, end("a2"), []),
    ])  # fmt: skip
    return e


def test_counters_survive_a_restart_through_json() -> None:
    before = _a_morning()
    saved = json.loads(json.dumps(before.statistics_snapshot()))
    after = engine(queue(members=("a1", "a2"), **HUNT))
    login_all(after, "a1", "a2")
    after.restore_statistics(saved)
    old, new = before.queue_stats(Q1, 130), after.queue_stats(Q1, 130)
    figures = ("offered", "answered", "abandoned", "answered_within_sla", "service_level",
               "abandon_rate", "asa_seconds", "average_talk_seconds")  # fmt: skip
    assert [getattr(new, f) for f in figures] == [getattr(old, f) for f in figures]
    assert (new.offered, new.answered, new.abandoned, new.answered_within_sla) == (3, 2, 1, 1)
    for agent in ("a1", "a2"):
        was, now = before.agent_stats(AgentId(agent), 130), after.agent_stats(AgentId(agent), 130)
        assert (now.answered, now.talk_seconds) == (was.answered, was.talk_seconds)
    assert after.agent_stats(AgentId("a2"), 130).talk_seconds == 90


def test_restored_talk_time_steers_least_talk_time() -> None:
    """a2 talked longest this morning: after the restart the next caller goes to a1."""
    saved = _a_morning().statistics_snapshot()
    after = engine(queue(strategy="least_talk_time", members=("a2", "a1")))
    login_all(after, "a2", "a1")
    after.restore_statistics(saved)
    play(after, [(200, join("c9"), ["offer c9 a1"])])


def test_what_no_longer_fits_is_ignored() -> None:
    e = engine(queue(members=("a1",)))
    login_all(e, "a1")
    e.restore_statistics({
        "queues": {"q1": {"offered": "many", "answered": True, "abandoned": -4, "timed_out": 2},
                   "gone": {"offered": 9}},
        "agents": {"a1": {"answered": 3.0, "unknown": 1}, "zz": {"answered": 5}},
        "extra": 1,
    })  # fmt: skip
    stats = e.queue_stats(Q1, 0)
    assert (stats.offered, stats.answered, stats.abandoned, stats.timed_out) == (0, 0, 0, 2)
    assert e.agent_stats(AgentId("a1"), 0).answered == 3
    e.restore_statistics({"queues": [1, 2], "agents": None})  # nothing to take: no error
