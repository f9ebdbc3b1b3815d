"""Each strategy's exact order of offers, as event tables (time, event, commands out).

Unless a test says otherwise: one queue q1 with members a1, a2, a3 in that order, ring time
15 s, every agent logged in at t=0.
"""

from __future__ import annotations

import pytest

from hotline.acd import AcdError, strategy_names

from .script import (
    answer,
    busy,
    end,
    engine,
    join,
    login,
    login_all,
    offers,
    pause,
    play,
    queue,
    reject,
    tick,
    unpause,
)


def test_every_documented_strategy_is_registered() -> None:
    assert set(strategy_names()) >= {
        "ring_all", "hunt_random_start", "prioritized_hunt", "round_robin",
        "longest_waiting", "least_talk_time", "fewest_answered", "hunt_by_threes_random",
        "hunt_by_threes_prioritized", "ring_progressively", "weighted_random", "skills_based",
    }  # fmt: skip


def test_unknown_strategy_is_refused_with_the_known_names() -> None:
    with pytest.raises(AcdError, match=r"known: .*ring_all"):
        engine(queue(strategy="ring_some"))


def test_ring_all_rings_every_available_member_and_the_first_answer_wins() -> None:
    e = engine(queue(strategy="ring_all"))
    login_all(e, "a1", "a2", "a3")
    play(e, [
        (1, join("c1"), ["offer c1 a1,a2,a3"]),
        (3, answer("c1", "a2"), ["cancel c1 a1,a3", "connect c1 a2"]),
        (4, join("c2"), ["offer c2 a1,a3"]),
    ])  # fmt: skip


def test_ring_all_skips_paused_busy_wrap_up_and_ringing_elsewhere() -> None:
    e = engine(
        queue(strategy="ring_all", members=("a1", "a2", "a3", "a4", "a5"), wrap_up_seconds=30)
    )
    login_all(e, "a1", "a2", "a3", "a4", "a5")
    play(e, [
        (0, pause("a1"), []),
        (0, busy("a2"), []),
        (1, join("c1"), ["offer c1 a3,a4,a5"]),
        (2, answer("c1", "a3"), ["cancel c1 a4,a5", "connect c1 a3"]),
        (3, end("a3"), []),  # a3 now in wrap-up until t=33
        (4, join("c2"), ["offer c2 a4,a5"]),
        (5, join("c3"), []),  # a4 and a5 ring for c2: nobody is free for c3
    ])  # fmt: skip


def test_prioritized_hunt_goes_down_the_list_on_no_answer_and_restarts_per_caller() -> None:
    e = engine(queue(strategy="prioritized_hunt", retry_after_miss=0))
    login_all(e, "a1", "a2", "a3")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (15, tick(), ["cancel c1 a1", "offer c1 a2"]),
        (16, reject("c1", "a2"), ["offer c1 a3"]),
        (17, answer("c1", "a3"), ["connect c1 a3"]),
        (18, join("c2"), ["offer c2 a1"]),
    ])  # fmt: skip


def test_prioritized_hunt_starts_a_new_round_after_the_last_member_missed() -> None:
    e = engine(queue(strategy="prioritized_hunt", retry_after_miss=0))
    login_all(e, "a1", "a2", "a3")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (1, reject("c1", "a1"), ["offer c1 a2"]),
        (2, reject("c1", "a2"), ["offer c1 a3"]),
        # Everyone had a turn: a new round from the top, skipping only a3 who just missed.
        (3, reject("c1", "a3"), ["offer c1 a1"]),
    ])  # fmt: skip


def test_missed_agent_is_offered_the_same_caller_again_only_when_nobody_else_is_free() -> None:
    e = engine(queue(strategy="prioritized_hunt", members=("a1", "a2"), retry_after_miss=0))
    login_all(e, "a1", "a2")
    play(e, [
        (0, join("c0"), ["offer c0 a1"]),
        (1, answer("c0", "a1"), ["connect c0 a1"]),
        (2, join("c1"), ["offer c1 a2"]),
        (3, reject("c1", "a2"), ["offer c1 a2"]),  # a1 is on a call: a2 is all there is
        (4, end("a1"), []),
        (5, reject("c1", "a2"), ["offer c1 a1"]),
    ])  # fmt: skip


def test_round_robin_continues_after_the_agent_who_took_the_previous_call() -> None:
    e = engine(queue(strategy="round_robin"))
    login_all(e, "a1", "a2", "a3")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (1, answer("c1", "a1"), ["connect c1 a1"]),
        (2, end("a1"), []),
        (3, join("c2"), ["offer c2 a2"]),
        (4, answer("c2", "a2"), ["connect c2 a2"]),
        (5, join("c3"), ["offer c3 a3"]),
        (6, answer("c3", "a3"), ["connect c3 a3"]),
        (7, end("a2"), []),
        (8, end("a3"), []),
        (9, join("c4"), ["offer c4 a1"]),  # wraps around after a3
        (10, reject("c4", "a1"), ["offer c4 a2"]),
    ])  # fmt: skip


def test_round_robin_skips_unavailable_members_in_its_rotation() -> None:
    e = engine(queue(strategy="round_robin"))
    login_all(e, "a1", "a2", "a3")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (1, answer("c1", "a1"), ["connect c1 a1"]),
        (2, end("a1"), []),
        (2, pause("a2"), []),
        (3, join("c2"), ["offer c2 a3"]),
    ])  # fmt: skip


def test_hunt_random_start_hunts_in_order_from_a_seeded_random_member() -> None:
    starts = set()
    for seed in range(12):
        e = engine(queue(strategy="hunt_random_start"), seed=seed)
        login_all(e, "a1", "a2", "a3")
        first = e.handle(join("c1"), 1)[0]
        order = [first.agents[0]]  # type: ignore[union-attr]
        for t in (16, 31):
            order.append(e.handle(tick(), t)[1].agents[0])  # type: ignore[union-attr]
        starts.add(order[0])
        rotations = (["a1", "a2", "a3"], ["a2", "a3", "a1"], ["a3", "a1", "a2"])
        assert order in rotations
        again = engine(queue(strategy="hunt_random_start"), seed=seed)
        login_all(again, "a1", "a2", "a3")
        assert again.handle(join("c1"), 1)[0] == first  # same seed, same decision
    assert starts == {"a1", "a2", "a3"}


def test_longest_waiting_offers_the_agent_idle_longest_since_its_last_call() -> None:
    e = engine(queue(strategy="longest_waiting", retry_after_miss=0))
    play(e, [
        (0, login("a3"), []),
        (1, login("a1"), []),
        (2, login("a2"), []),
        (3, join("c1"), ["offer c1 a3"]),  # idle since 0 (login)
        (4, answer("c1", "a3"), ["connect c1 a3"]),
        (5, end("a3"), []),  # a3 idle since 5 now
        (6, join("c2"), ["offer c2 a1"]),
        (7, reject("c2", "a1"), ["offer c2 a2"]),
        (8, answer("c2", "a2"), ["connect c2 a2"]),
        (9, join("c3"), ["offer c3 a1"]),  # a1 (since 1) before a3 (since 5)
    ])  # fmt: skip


def test_longest_waiting_ties_go_to_member_order() -> None:
    e = engine(queue(strategy="longest_waiting", members=("a2", "a1", "a3")))
    login_all(e, "a3", "a1", "a2")
    play(e, [(1, join("c1"), ["offer c1 a2"])])


def test_least_talk_time_offers_the_agent_with_least_talk_today() -> None:
    e = engine(queue(strategy="least_talk_time"))
    login_all(e, "a1", "a2", "a3")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),  # all at zero: longest idle ties, member order
        (0, answer("c1", "a1"), ["connect c1 a1"]),
        (0, join("c2"), ["offer c2 a2"]),
        (0, answer("c2", "a2"), ["connect c2 a2"]),
        (50, end("a1"), []),  # a1 talked 50 s
        (60, end("a2"), []),  # a2 talked 60 s
        (61, join("c3"), ["offer c3 a3"]),  # a3 talked 0
        (62, answer("c3", "a3"), ["connect c3 a3"]),
        (63, join("c4"), ["offer c4 a1"]),  # 50 < 60
    ])  # fmt: skip


def test_fewest_answered_offers_the_agent_with_fewest_answered_calls() -> None:
    e = engine(queue(strategy="fewest_answered"))
    login_all(e, "a1", "a2", "a3")
    play(e, [
        (1, join("c1"), ["offer c1 a1"]),
        (2, answer("c1", "a1"), ["connect c1 a1"]),
        (3, end("a1"), []),
        (4, join("c2"), ["offer c2 a2"]),
        (5, answer("c2", "a2"), ["connect c2 a2"]),
        (6, end("a2"), []),
        (7, join("c3"), ["offer c3 a3"]),
        (8, reject("c3", "a3"), ["offer c3 a1"]),  # a1 and a2 answered one each: a1 idle longer
    ])  # fmt: skip


def test_hunt_by_threes_prioritized_rings_three_then_the_next_three() -> None:
    members = ("a1", "a2", "a3", "a4", "a5", "a6", "a7")
    e = engine(queue(strategy="hunt_by_threes_prioritized", members=members))
    login_all(e, *members)
    play(e, [
        (0, pause("a2"), []),
        (1, join("c1"), ["offer c1 a1,a3,a4"]),
        (16, tick(), ["cancel c1 a1", "cancel c1 a3", "cancel c1 a4", "offer c1 a5,a6,a7"]),
        (17, answer("c1", "a6"), ["cancel c1 a5,a7", "connect c1 a6"]),
    ])  # fmt: skip


def test_hunt_by_threes_random_rings_three_distinct_random_agents_then_three_others() -> None:
    members = tuple(f"a{i}" for i in range(1, 7))
    seen_first = set()
    for seed in range(8):
        e = engine(queue(strategy="hunt_by_threes_random", members=members), seed=seed)
        login_all(e, *members)
        first = set(e.handle(join("c1"), 1)[0].agents)  # type: ignore[union-attr]
        second = set(offers(e.handle(tick(), 16))[0].agents)
        assert len(first) == 3 and len(second) == 3
        assert first | second == set(members)
        seen_first.add(frozenset(first))
    assert len(seen_first) > 1


def test_ring_progressively_adds_an_agent_every_step_while_the_others_keep_ringing() -> None:
    e = engine(queue(strategy="ring_progressively", progressive_step_seconds=5, ring_seconds=12))
    login_all(e, "a1", "a2", "a3")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (5, tick(), ["offer c1 a2"]),
        (10, tick(), ["offer c1 a3"]),
        (11, answer("c1", "a2"), ["cancel c1 a1,a3", "connect c1 a2"]),
    ])  # fmt: skip


def test_ring_progressively_drops_each_agent_after_its_own_ring_time() -> None:
    e = engine(queue(strategy="ring_progressively", progressive_step_seconds=5, ring_seconds=8))
    login_all(e, "a1", "a2", "a3")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (5, tick(), ["offer c1 a2"]),
        (8, tick(), ["cancel c1 a1"]),
        (10, tick(), ["offer c1 a3"]),
        (13, tick(), ["cancel c1 a2"]),
    ])  # fmt: skip


def test_weighted_random_follows_the_member_weights() -> None:
    e = engine(queue(strategy="weighted_random", weights={"a1": 1.0, "a2": 3.0, "a3": 0.0}), seed=7)
    login_all(e, "a1", "a2", "a3")
    picks = {"a1": 0, "a2": 0, "a3": 0}
    for i in range(2000):
        offer = e.handle(join(f"c{i}"), i)[0]
        agent = offer.agents[0]  # type: ignore[union-attr]
        picks[agent] += 1
        e.handle(answer(f"c{i}", agent), i)
        e.handle(end(agent), i)
    assert picks["a3"] == 0
    # 2000 draws at p = 0.75: standard deviation 19.4; 4 sigma is 78.
    assert abs(picks["a2"] - 1500) < 78


def test_skills_based_prefers_the_best_level_then_the_longest_idle() -> None:
    skills = {"a1": {"fr": 1}, "a2": {"fr": 3}, "a3": {"fr": 3, "de": 2}}
    e = engine(queue(strategy="skills_based", retry_after_miss=0), skills=skills)
    play(e, [
        (0, login("a3"), []),
        (1, login("a2"), []),
        (2, login("a1"), []),
        (3, join("c1", skills={"fr": 2}), ["offer c1 a3"]),  # level 3 tie: a3 idle longer
        (4, answer("c1", "a3"), ["connect c1 a3"]),
        (5, join("c2", skills={"fr": 2}), ["offer c2 a2"]),
        (6, reject("c2", "a2"), ["offer c2 a2"]),  # a1 lacks the level: a2 again
        (7, join("c3", skills={"de": 1}), []),  # only a3 speaks German, and a3 is busy
        (8, end("a3"), ["offer c3 a3"]),
    ])  # fmt: skip


def test_skill_requirements_relax_as_the_wait_grows() -> None:
    skills = {"a1": {"fr": 1}, "a2": {}}
    e = engine(
        queue(strategy="skills_based", skill_relax_seconds=30, retry_after_miss=0), skills=skills
    )
    login_all(e, "a1", "a2")
    play(e, [
        (0, join("c1", skills={"fr": 2}), []),
        (30, tick(), ["offer c1 a1"]),  # fr >= 1 now
        (31, reject("c1", "a1"), ["offer c1 a1"]),
        (32, reject("c1", "a1"), ["offer c1 a1"]),
        (33, pause("a1"), ["cancel c1 a1"]),
        (60, tick(), ["offer c1 a2"]),  # no requirement left
    ])  # fmt: skip


def test_sticky_agent_gets_the_returning_caller_first_when_available() -> None:
    e = engine(queue(strategy="prioritized_hunt", sticky_days=1.0))
    login_all(e, "a1", "a2", "a3")
    play(e, [
        (0, pause("a1"), []),
        (1, join("c1", number="555"), ["offer c1 a2"]),
        (2, reject("c1", "a2"), ["offer c1 a3"]),
        (3, answer("c1", "a3"), ["connect c1 a3"]),
        (4, end("a3"), []),
        (5, unpause("a1"), []),
        (6, join("c2", number="555"), ["offer c2 a3"]),  # a3 served 555 last
        (7, reject("c2", "a3"), ["offer c2 a1"]),  # then the strategy
        (8, answer("c2", "a1"), ["connect c2 a1"]),
        (9, end("a1"), []),
        (90_000, join("c3", number="555"), ["offer c3 a1"]),  # a1 last, but over a day ago
        (90_001, reject("c3", "a1"), ["offer c3 a2"]),
    ])  # fmt: skip


def test_offers_explain_the_decision() -> None:
    e = engine(queue(strategy="longest_waiting"), skills={"a2": {"fr": 2}})
    play(e, [(0, login("a1"), []), (10, login("a2"), [])])
    offer = e.handle(join("c1", priority=2, skills={"fr": 1}), 30)[0]
    (reason,) = offer.reasons  # type: ignore[union-attr]
    assert reason.strategy == "longest_waiting"
    assert (reason.member_priority, reason.caller_priority) == (1, 2)
    assert reason.idle_seconds == 20.0
    assert reason.skills == (("fr", 2),)
    assert reason.tie_break == "earliest end of last call, then member order"
    record = next(r for r in e.take_records() if r.verb.value == "OFFER")
    assert record.reasons == (reason,)
    assert record.explain() == (
        "30.0 OFFER caller=c1 queue=q1 agent=a2 [longest_waiting rank 0: member #1,"
        " idle 20 s, talk 0 s, answered 0, skills {'fr': 2};"
        " order: earliest end of last call, then member order]"
    )


@pytest.mark.parametrize("strategy", strategy_names())
def test_every_strategy_skips_paused_busy_wrap_up_and_ringing_elsewhere(strategy: str) -> None:
    """Members a1..a6; a1 paused, a2 on another call, a3 in wrap-up, a4 ringing for a caller
    of another queue: whatever the strategy, only a5 and a6 may ring for c1."""
    members = ("a1", "a2", "a3", "a4", "a5", "a6")
    e = engine(
        queue("q1", strategy=strategy, members=members),
        queue("q0", members=("a4",), wrap_up_seconds=60),
        queue("q2", members=("a3",), wrap_up_seconds=60),
    )
    login_all(e, *members)
    e.handle(pause("a1"), 0)
    e.handle(busy("a2"), 0)
    e.handle(join("x", "q2"), 0)
    e.handle(answer("x", "a3"), 0)
    e.handle(end("a3"), 1)  # a3 wraps up until 61
    e.handle(join("y", "q0"), 1)  # a4 rings for y in q0
    offered = {a for o in offers(e.handle(join("c1", "q1"), 2)) for a in o.agents}
    assert offered and offered <= {"a5", "a6"}
