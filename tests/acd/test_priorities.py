"""Who is served first when callers wait: queue priority, VIP callers, fairness across queues,
and the SLA-proximity option. Agents shared between queues are the interesting case."""

from __future__ import annotations

from hotline.acd import EngineOptions

from .script import answer, end, engine, join, login_all, play, queue


def test_callers_of_the_higher_priority_queue_are_served_first() -> None:
    e = engine(
        queue("sales", members=("a1",), priority=0),
        queue("vip", members=("a1",), priority=5),
    )
    login_all(e, "a1")
    play(e, [
        (0, join("c1", "sales"), ["offer c1 a1"]),
        (1, answer("c1", "a1"), ["connect c1 a1"]),
        (2, join("s2", "sales"), []),
        (3, join("v1", "vip"), []),
        (4, end("a1"), ["offer v1 a1"]),  # v1 joined later, its queue has priority
    ])  # fmt: skip


def test_equal_priority_queues_serve_the_caller_who_waited_longest_overall() -> None:
    e = engine(queue("q1", members=("a1",)), queue("q2", members=("a1",)))
    login_all(e, "a1")
    play(e, [
        (0, join("c0", "q1"), ["offer c0 a1"]),
        (0, answer("c0", "a1"), ["connect c0 a1"]),
        (1, join("x", "q2"), []),
        (2, join("y", "q1"), []),
        (3, join("z", "q2"), []),
        (10, end("a1"), ["offer x a1"]),
        (11, answer("x", "a1"), ["connect x a1"]),
        (12, end("a1"), ["offer y a1"]),  # not z, though z's queue just had a turn... and y
        (13, answer("y", "a1"), ["connect y a1"]),  # is older than z
        (14, end("a1"), ["offer z a1"]),
    ])  # fmt: skip


def test_vip_caller_goes_ahead_of_earlier_callers_of_its_queue() -> None:
    e = engine(queue(members=("a1",)))
    login_all(e, "a1")
    play(e, [
        (0, join("c0"), ["offer c0 a1"]),
        (0, answer("c0", "a1"), ["connect c0 a1"]),
        (1, join("c1"), []),
        (2, join("c2", priority=1), []),
        (3, join("c3"), []),
        (4, end("a1"), ["offer c2 a1"]),
    ])  # fmt: skip
    assert [e.position(c) for c in ("c2", "c1", "c3")] == [1, 2, 3]  # type: ignore[arg-type]


def test_queue_priority_outranks_caller_priority() -> None:
    e = engine(queue("low", members=("a1",)), queue("high", members=("a1",), priority=1))
    login_all(e, "a1")
    play(e, [
        (0, join("c0", "low"), ["offer c0 a1"]),
        (0, answer("c0", "a1"), ["connect c0 a1"]),
        (1, join("vip", "low", priority=9), []),
        (2, join("h1", "high"), []),
        (3, end("a1"), ["offer h1 a1"]),
    ])  # fmt: skip


def test_sla_option_serves_the_caller_closest_to_breaching_its_queue_sla() -> None:
    queues = (
        queue("relaxed", members=("a1",), sla_seconds=120),
        queue("urgent", members=("a1",), sla_seconds=10),
    )
    rows = [
        (0, join("c0", "relaxed"), ["offer c0 a1"]),
        (0, answer("c0", "a1"), ["connect c0 a1"]),
        (1, join("r1", "relaxed"), []),  # breaches at 121
        (5, join("u1", "urgent"), []),  # breaches at 15
    ]
    by_sla = engine(*queues, options=EngineOptions(order_by_sla=True))
    login_all(by_sla, "a1")
    play(by_sla, [*rows, (6, end("a1"), ["offer u1 a1"])])
    by_arrival = engine(*queues)
    login_all(by_arrival, "a1")
    play(by_arrival, [*rows, (6, end("a1"), ["offer r1 a1"])])


def test_shared_agent_is_never_double_booked_by_two_ring_all_queues() -> None:
    e = engine(
        queue("q1", strategy="ring_all", members=("a1", "a2")),
        queue("q2", strategy="ring_all", members=("a2", "a3")),
    )
    login_all(e, "a1", "a2", "a3")
    play(e, [
        (0, join("c1", "q1"), ["offer c1 a1,a2"]),
        (1, join("c2", "q2"), ["offer c2 a3"]),
        # a2 is free again, but c2 is already ringing a3: a ringing offer is not extended.
        (2, answer("c1", "a1"), ["cancel c1 a2", "connect c1 a1"]),
        (3, join("c3", "q2"), ["offer c3 a2"]),
        (4, answer("c2", "a3"), ["connect c2 a3"]),
    ])  # fmt: skip


def test_agent_freed_in_two_queues_takes_the_older_caller_whatever_the_queue() -> None:
    e = engine(
        queue("q1", strategy="longest_waiting", members=("a1", "a2")),
        queue("q2", strategy="prioritized_hunt", members=("a2",)),
    )
    login_all(e, "a1", "a2")
    play(e, [
        (0, join("c1", "q1"), ["offer c1 a1"]),
        (0, answer("c1", "a1"), ["connect c1 a1"]),
        (0, join("c2", "q1"), ["offer c2 a2"]),
        (0, answer("c2", "a2"), ["connect c2 a2"]),
        (1, join("d1", "q2"), []),
        (2, join("c3", "q1"), []),
        (3, end("a2"), ["offer d1 a2"]),
        (4, end("a1"), ["offer c3 a1"]),
    ])  # fmt: skip


def test_first_come_first_served_within_a_priority() -> None:
    e = engine(queue(members=("a1",)))
    login_all(e, "a1")
    e.handle(join("c0"), 0)
    e.handle(answer("c0", "a1"), 0)
    for i in range(1, 6):
        e.handle(join(f"c{i}"), i)
    served = []
    for i in range(1, 6):
        offer = e.handle(end("a1"), 10 * i)[0]
        served.append(offer.caller)  # type: ignore[union-attr]
        e.handle(answer(offer.caller, "a1"), 10 * i)  # type: ignore[union-attr]
    assert served == ["c1", "c2", "c3", "c4", "c5"]
