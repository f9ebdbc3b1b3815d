"""Caller and agent life cycles: leaving the line, wrap-up, pauses, callbacks, timers, errors.

Default queue: q1 with members a1, a2, a3 in order, ring time 15 s.
"""

from __future__ import annotations

import pytest

from hotline.acd import (
    AcdError,
    AgentId,
    AgentState,
    Announcements,
    CallbackOffer,
    CallerDropped,
    CallerId,
    Engine,
    EngineOptions,
    Leave,
    LeaveReason,
    QueueId,
    Verb,
    WakeAt,
)

from .script import (
    abandon,
    answer,
    busy,
    callback,
    callback_failed,
    end,
    engine,
    free,
    join,
    login,
    login_all,
    logout,
    not_answered,
    pause,
    play,
    queue,
    reject,
    tick,
    unpause,
    wrapped,
)

Q1 = QueueId("q1")


def test_max_wait_sends_the_caller_to_the_failover_with_reason_timeout() -> None:
    e = engine(queue(members=("a1",), max_wait_seconds=60, failover="voicemail"))
    login_all(e, "a1")
    play(e, [
        (0, join("c0"), ["offer c0 a1"]),
        (0, answer("c0", "a1"), ["connect c0 a1"]),
        (10, join("c1"), []),
        (70, tick(), ["leave c1 timeout"]),
    ])  # fmt: skip
    stats = e.queue_stats(Q1, 70)
    assert (stats.timed_out, stats.waiting, stats.offered) == (1, 0, 2)


def test_max_wait_while_ringing_cancels_the_offer_first() -> None:
    e = engine(queue(members=("a1",), max_wait_seconds=10))
    login_all(e, "a1")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (10, tick(), ["cancel c1 a1", "leave c1 timeout"]),
    ])  # fmt: skip
    # The ring timer (15 s) and max wait (10 s): max wait wins, a1 stops ringing.
    assert e.agent_stats(AgentId("a1"), 10).state is AgentState.AVAILABLE


def test_abandon_while_ringing_cancels_and_counts_short_abandons_apart() -> None:
    e = engine(queue(strategy="ring_all", members=("a1", "a2"), short_abandon_seconds=5))
    login_all(e, "a1", "a2")
    play(e, [
        (0, join("c1"), ["offer c1 a1,a2"]),
        (3, abandon("c1"), ["cancel c1 a1,a2", "leave c1 abandon"]),
        (4, join("c2"), ["offer c2 a1,a2"]),
        (12, abandon("c2"), ["cancel c2 a1,a2", "leave c2 abandon"]),
    ])  # fmt: skip
    stats = e.queue_stats(Q1, 40)
    assert (stats.abandoned, stats.short_abandoned, stats.available) == (2, 1, 2)
    assert stats.abandon_rate == 1.0
    leave = [r for r in e.take_records() if r.verb is Verb.ABANDON]
    assert [(r.caller, r.position, r.original_position, r.wait) for r in leave] == [
        ("c1", 1, 1, 3), ("c2", 1, 1, 8),
    ]  # fmt: skip


def test_a_dropped_caller_leaves_without_counting_as_an_abandon() -> None:
    # Hotline stopped or its media failed while c1 rang a1 and c2 waited: not their choice.
    e = engine(queue(members=("a1",), failover="operator"))
    login_all(e, "a1")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (1, join("c2"), []),
        (2, CallerDropped(caller=CallerId("c1"), cause="shutdown"), [
            "cancel c1 a1", "leave c1 dropped", "offer c2 a1",
        ]),
    ])  # fmt: skip
    leave = [c for c in e.handle(CallerDropped(caller=CallerId("c2"), cause="media_lost"), 3)
             if isinstance(c, Leave)]  # fmt: skip
    assert [(c.reason, c.destination, c.wait_seconds) for c in leave] == [
        (LeaveReason.DROPPED, None, 2.0)  # gone: no failover
    ]
    stats = e.queue_stats(Q1, 4)
    assert (stats.offered, stats.dropped, stats.abandoned, stats.abandon_rate) == (2, 2, 0, 0.0)
    verbs = [r.verb for r in e.take_records() if r.caller == "c1"]
    assert verbs == [Verb.ENTERQUEUE, Verb.OFFER, Verb.RINGCANCELED, Verb.DROPPED]


def test_full_queue_and_empty_queue_refuse_callers() -> None:
    e = engine(queue(members=("a1",), max_callers=1, join_empty=False, failover="operator"))
    play(e, [
        (0, join("c1"), ["leave c1 join_empty"]),
        (1, login("a1"), []),
        (1, pause("a1"), []),
        (2, join("c2"), []),
        (3, join("c3"), ["leave c3 full"]),
    ])  # fmt: skip
    assert e.queue_stats(Q1, 3).refused == 2


def test_callers_leave_when_the_last_agent_logs_out_if_configured() -> None:
    e = engine(queue(members=("a1", "a2"), leave_when_empty=True))
    login_all(e, "a1", "a2")
    play(e, [
        (0, pause("a1"), []),
        (0, pause("a2"), []),
        (1, join("c1"), []),
        (2, logout("a1"), []),
        (3, logout("a2"), ["leave c1 leave_empty"]),
    ])  # fmt: skip


def test_wrap_up_keeps_the_agent_out_until_its_time_or_its_own_end() -> None:
    e = engine(queue(members=("a1",), wrap_up_seconds=30))
    login_all(e, "a1")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (1, answer("c1", "a1"), ["connect c1 a1"]),
        (61, end("a1"), []),
        (62, join("c2"), []),
        (91, tick(), ["offer c2 a1"]),
        (92, answer("c2", "a1"), ["connect c2 a1"]),
        (100, end("a1"), []),
        (101, join("c3"), []),
        (105, wrapped("a1"), ["offer c3 a1"]),
    ])  # fmt: skip
    stats = e.queue_stats(Q1, 105)
    assert stats.average_talk_seconds == (60 + 8) / 2
    assert stats.average_handle_seconds == (90 + 13) / 2


def test_pause_during_a_call_takes_effect_after_it() -> None:
    e = engine(queue(members=("a1", "a2"), strategy="prioritized_hunt", retry_after_miss=0))
    login_all(e, "a1", "a2")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (1, answer("c1", "a1"), ["connect c1 a1"]),
        (2, pause("a1", "lunch"), []),
        (3, end("a1"), []),
        (4, join("c2"), ["offer c2 a2"]),
        (5, reject("c2", "a2"), ["offer c2 a2"]),  # a1 is paused: never offered
    ])  # fmt: skip
    a1 = e.agent_stats(AgentId("a1"), 10)
    assert (a1.state, a1.pause_reason, a1.seconds_in_state) == (AgentState.PAUSED, "lunch", 7)


def test_pausing_or_going_busy_or_logging_out_while_ringing_withdraws_the_offer() -> None:
    e = engine(queue(strategy="ring_all"))
    login_all(e, "a1", "a2", "a3")
    play(e, [
        (0, join("c1"), ["offer c1 a1,a2,a3"]),
        (1, pause("a1"), ["cancel c1 a1"]),
        (2, busy("a2"), ["cancel c1 a2"]),
        (3, logout("a3"), ["cancel c1 a3"]),
        (4, free("a2"), ["offer c1 a2"]),
    ])  # fmt: skip


def test_agent_is_paused_automatically_after_n_consecutive_misses() -> None:
    e = engine(
        queue(
            strategy="prioritized_hunt",
            members=("a1", "a2"),
            auto_pause_after=2,
            retry_after_miss=0,
        )
    )
    login_all(e, "a1", "a2")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (15, tick(), ["cancel c1 a1", "offer c1 a2"]),
        (16, answer("c1", "a2"), ["connect c1 a2"]),
        (17, join("c2"), ["offer c2 a1"]),
        (18, reject("c2", "a1"), ["pause a1 auto"]),  # second miss in a row
        (19, end("a2"), ["offer c2 a2"]),
        (20, unpause("a1"), []),
    ])  # fmt: skip
    a1 = e.agent_stats(AgentId("a1"), 20)
    assert (a1.missed, a1.consecutive_misses, a1.state) == (2, 0, AgentState.AVAILABLE)


def test_answering_resets_the_consecutive_misses() -> None:
    e = engine(
        queue(strategy="prioritized_hunt", members=("a1",), auto_pause_after=2, retry_after_miss=0)
    )
    login_all(e, "a1")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (1, reject("c1", "a1"), ["offer c1 a1"]),
        (2, answer("c1", "a1"), ["connect c1 a1"]),
        (3, end("a1"), []),
        (4, join("c2"), ["offer c2 a1"]),
        (5, reject("c2", "a1"), ["offer c2 a1"]),
    ])  # fmt: skip


def test_announcements_give_position_and_estimated_wait() -> None:
    settings = Announcements(every_seconds=30, first_after_seconds=10)
    e = engine(
        queue(
            members=("a1", "a2"), strategy="prioritized_hunt", announcements=settings,
            expected_handle_seconds=120,
        )
    )  # fmt: skip
    login_all(e, "a1", "a2")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (0, answer("c1", "a1"), ["connect c1 a1"]),
        (0, join("c2"), ["offer c2 a2"]),
        (0, answer("c2", "a2"), ["connect c2 a2"]),
        (1, join("c3"), []),
        (2, join("c4"), []),
        # Position 2, two agents serving, 120 s each: 2 * 120 / 2.
        (11, tick(), ["announce c3 1 60"]),
        (12, tick(), ["announce c4 2 120"]),
        (41, tick(), ["announce c3 1 60"]),
    ])  # fmt: skip


def test_callback_is_proposed_then_keeps_the_callers_place() -> None:
    e = engine(queue(members=("a1",), callback=CallbackOffer(after_seconds=60, key="5")))
    login_all(e, "a1")
    play(e, [
        (0, join("c0"), ["offer c0 a1"]),
        (0, answer("c0", "a1"), ["connect c0 a1"]),
        (1, join("c1"), []),
        (2, join("c2"), []),
        (3, join("c3"), []),
        (62, tick(), ["propose-callback c1 5", "propose-callback c2 5"]),
        (63, callback("c2"), ["propose-callback c3 5"]),  # timers due first, then the event
        (100, end("a1"), ["offer c1 a1"]),  # c2 did not jump ahead
        (101, answer("c1", "a1"), ["connect c1 a1"]),
        (102, end("a1"), ["dial c2 a1"]),  # nor fell behind c3
        (110, answer("c2", "a1"), ["connect c2 a1"]),
    ])  # fmt: skip
    assert e.queue_stats(Q1, 110).answered == 3


def test_callbacks_in_flight_never_exceed_free_agents() -> None:
    e = engine(queue(members=("a1", "a2")))
    login_all(e, "a1", "a2")
    play(e, [
        (0, pause("a1"), []),
        (0, pause("a2"), []),
        (1, join("c1"), []),
        (2, join("c2"), []),
        (3, join("c3"), []),
        (4, callback("c1"), []),
        (4, callback("c2"), []),
        (4, callback("c3"), []),
        (5, unpause("a1"), ["dial c1 a1"]),  # one free agent: one callback dialled
        (6, callback_failed("c1", "a1"), ["leave c1 callback_failed", "dial c2 a1"]),
        (7, unpause("a2"), ["dial c3 a2"]),
    ])  # fmt: skip
    stats = e.queue_stats(Q1, 7)
    assert (stats.callbacks_pending, stats.ringing, stats.callback_failed) == (2, 2, 1)


def test_agent_reserved_for_a_callback_cannot_be_paused_away_from_it() -> None:
    e = engine(queue(members=("a1",)))
    login_all(e, "a1")
    e.handle(pause("a1"), 0)
    e.handle(join("c1"), 1)
    e.handle(callback("c1"), 2)
    assert [type(c).__name__ for c in e.handle(unpause("a1"), 3)][:1] == ["DialCallback"]
    with pytest.raises(AcdError, match="reserved for a callback"):
        e.handle(pause("a1"), 4)


def test_statistics_follow_both_service_level_definitions() -> None:
    e = engine(queue(members=("a1",), sla_seconds=20))
    login_all(e, "a1")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (5, answer("c1", "a1"), ["connect c1 a1"]),  # answered within 20 s
        (6, join("c2"), []),
        (7, join("c3"), []),
        (10, abandon("c2"), ["leave c2 abandon"]),  # abandoned within 20 s
        (100, end("a1"), ["offer c3 a1"]),
        (101, answer("c3", "a1"), ["connect c3 a1"]),  # answered after 94 s
    ])  # fmt: skip
    stats = e.queue_stats(Q1, 101)
    assert (stats.offered, stats.answered, stats.abandoned) == (3, 2, 1)
    assert stats.service_level == 1 / 2
    assert stats.service_level_with_abandons == 2 / 3
    assert stats.service_level_offered == 1 / 3
    assert stats.asa_seconds == (5 + 94) / 2
    assert stats.p_wait == 2 / 3


def test_estimated_wait_error_is_measured_against_real_waits() -> None:
    e = engine(queue(members=("a1",), expected_handle_seconds=100))
    login_all(e, "a1")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (0, answer("c1", "a1"), ["connect c1 a1"]),
        (0, join("c2"), []),  # estimate: position 1, one agent, 100 s
        (80, end("a1"), ["offer c2 a1"]),
        (80, answer("c2", "a1"), ["connect c2 a1"]),
    ])  # fmt: skip
    stats = e.queue_stats(Q1, 80)
    assert stats.estimate_mean_abs_error == (0 + 20) / 2
    assert stats.estimate_bias == (0 - 20) / 2
    assert stats.estimated_wait_seconds == 80.0  # now from the measured handle time


def test_a_call_leaves_a_complete_record_trail() -> None:
    e = engine(queue(members=("a1", "a2"), strategy="prioritized_hunt"))
    login_all(e, "a1", "a2")
    e.take_records()
    play(e, [
        (0, join("c1", number="5551234"), ["offer c1 a1"]),
        (15, tick(), ["cancel c1 a1", "offer c1 a2"]),
        (20, answer("c1", "a2"), ["connect c1 a2"]),
        (80, end("a2"), []),
    ])  # fmt: skip
    records = e.take_records()
    trail = [(r.time, r.verb.value, r.agent) for r in records]
    assert trail == [
        (0, "ENTERQUEUE", None),
        (0, "OFFER", "a1"),
        (15, "RINGNOANSWER", "a1"),
        (15, "OFFER", "a2"),
        (20, "CONNECT", "a2"),
        (80, "COMPLETECALLER", "a2"),
    ]
    complete = records[-1]
    assert (complete.caller, complete.wait, complete.talk) == ("c1", 20, 60)
    assert "5551234" in (records[0].detail or "")


def test_invalid_events_raise_and_change_nothing() -> None:
    e = engine(queue(members=("a1",)))
    with pytest.raises(AcdError, match="logged out"):
        e.handle(pause("a1"), 0)
    with pytest.raises(AcdError, match="not waiting"):
        e.handle(abandon("ghost"), 0)
    with pytest.raises(AcdError, match="no transition for CallEnded from LOGGED_OUT"):
        e.handle(end("a1"), 0)
    with pytest.raises(AcdError, match="unknown queue"):
        e.handle(join("c1", "nowhere"), 0)
    e.handle(login("a1"), 1)
    with pytest.raises(AcdError, match="backwards"):
        e.handle(tick(), 0)
    assert e.agent_stats(AgentId("a1"), 1).state is AgentState.AVAILABLE


def test_no_answer_reported_by_call_control_moves_on_like_the_ring_timer() -> None:
    e = engine(queue(members=("a1", "a2"), strategy="prioritized_hunt"))
    login_all(e, "a1", "a2")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (9, not_answered("c1", "a1"), ["offer c1 a2"]),
        (24, tick(), ["cancel c1 a2", "offer c1 a1"]),
    ])  # fmt: skip
    assert e.agent_stats(AgentId("a1"), 24).missed == 1


def test_stale_answer_after_the_offer_was_withdrawn_is_cancelled() -> None:
    e = engine(queue(members=("a1", "a2"), strategy="prioritized_hunt"))
    login_all(e, "a1", "a2")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (15, tick(), ["cancel c1 a1", "offer c1 a2"]),
        (15.2, answer("c1", "a1"), ["cancel c1 a1"]),
        (16, answer("c1", "a2"), ["connect c1 a2"]),
    ])  # fmt: skip


def test_wake_at_announces_the_next_timer() -> None:
    e = engine(queue(members=("a1",), ring_seconds=20))
    login_all(e, "a1")
    commands = e.handle(join("c1"), 3)
    assert WakeAt(at=23) in commands
    assert e.next_wakeup() == 23
    e.handle(answer(CallerId("c1"), AgentId("a1")), 4)  # type: ignore[arg-type]
    assert e.next_wakeup() is None


def test_same_seed_same_decisions() -> None:
    def run(seed: int) -> list[str]:
        e = engine(queue(strategy="hunt_by_threes_random", members=[f"a{i}" for i in range(9)]),
                   seed=seed)  # fmt: skip
        login_all(e, *[f"a{i}" for i in range(9)])
        out = []
        for i in range(5):
            out += [str(c) for c in e.handle(join(f"c{i}"), i)]
        return out

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_supervisor_views_show_the_line_and_the_agents() -> None:
    e = engine(queue(members=("a1", "a2", "a3"), strategy="prioritized_hunt", wrap_up_seconds=9))
    login_all(e, "a1", "a2", "a3")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),
        (1, answer("c1", "a1"), ["connect c1 a1"]),
        (2, pause("a3"), []),
        (3, join("c2"), ["offer c2 a2"]),
        (4, join("c3", priority=1), []),
        (5, join("c4"), []),
        (6, end("a1"), []),
    ])  # fmt: skip
    line = [(w.caller, w.position, w.wait_seconds, w.ringing) for w in e.waiting(Q1, 10)]
    assert line == [("c3", 1, 6, ()), ("c2", 2, 7, ("a2",)), ("c4", 3, 5, ())]
    stats = e.queue_stats(Q1, 10)
    assert (stats.waiting, stats.longest_wait_seconds) == (3, 7)
    assert (stats.logged_in, stats.available, stats.ringing, stats.wrap_up, stats.paused) == (
        3, 0, 1, 1, 1,
    )  # fmt: skip
    a1 = e.agent_stats(AgentId("a1"), 10)
    assert (a1.state, a1.seconds_in_state, a1.answered, a1.talk_seconds) == (
        AgentState.WRAP_UP, 4, 1, 5,
    )  # fmt: skip


def test_undrained_records_are_bounded_and_the_loss_is_counted() -> None:
    def run(options: EngineOptions) -> Engine:
        e = engine(queue(members=("a1",)), options=options)
        e.handle(login("a1"), 0)
        for i in range(30):
            e.handle(join(f"c{i}"), i)
        return e

    everything = run(EngineOptions()).take_records()
    bounded = run(EngineOptions(max_records=10))
    kept = bounded.take_records()
    assert len(kept) <= 10
    assert bounded.records_dropped + len(kept) == len(everything)
    assert kept == everything[-len(kept) :]  # the newest are kept


def test_the_estimated_wait_counts_the_time_free_agents_let_callers_ring() -> None:
    e = engine(queue(members=("a1",), expected_handle_seconds=100))
    login_all(e, "a1")
    play(e, [
        (0, join("c1"), ["offer c1 a1"]),  # a free agent: no wait expected
        (15, not_answered("c1", "a1"), ["cancel c1 a1"]),
        (20, tick(), ["offer c1 a1"]),
        (30, abandon("c1"), ["cancel c1 a1", "leave c1 abandon"]),
    ])  # fmt: skip
    # a1 is free again, but the last caller it was free for waited 30 s for nothing.
    assert e.queue_stats(Q1, 30).estimated_wait_seconds == 30.0
    play(e, [
        (40, join("c2"), ["offer c2 a1"]),
        (50, answer("c2", "a1"), ["connect c2 a1"]),
        (60, join("c3"), []),
    ])  # fmt: skip
    stats = e.queue_stats(Q1, 60)
    assert stats.estimate_bias == 10.0 - 30.0  # c2 was told 30 s and waited 10
    # Next in line behind c3, a1 on call: the mean ring delay plus two handle times.
    assert stats.estimated_wait_seconds == (30 + 10) / 2 + 2 * 100
