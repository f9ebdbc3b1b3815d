"""The watcher, as event tables on explicit times: what is noticed, what is not, and how an
ongoing condition is raised, updated and cleared."""

from __future__ import annotations

from hotline.events import AgentStateChanged, Event, QueueEventLogged
from hotline.notify import Notice, QueueWatch, Watcher

T0 = 1_800_000_000.0


def watcher(staffed: bool = True, problems: dict[str, str | None] | None = None) -> Watcher:
    state = {"staffed": staffed}
    checks = {name: (lambda name=name: (problems or {}).get(name)) for name in problems or {}}
    made = Watcher(
        {"800": QueueWatch(number="800", name="Support", sla_seconds=20, short_abandon_seconds=5)},
        staffed=lambda _queue: state["staffed"],
        queues_of=lambda agent: frozenset({"800"}) if agent == "101" else frozenset(),
        checks=checks,
        service_level_target=80,
        service_level_window=600,
    )
    made.state = state  # type: ignore[attr-defined]  # the test flips it
    return made


def log(at: float, verb: str, call: str, **fields: object) -> QueueEventLogged:
    return QueueEventLogged(at=T0 + at, verb=verb, call_id=call, queue="800", **fields)  # type: ignore[arg-type]


def feed(w: Watcher, *events: Event) -> list[Notice]:
    return [notice for event in events for notice in w.observe(event)]


def test_a_caller_hanging_up_after_the_short_abandon_time_is_a_lost_call() -> None:
    w = watcher()
    notices = feed(w, log(0, "ENTERQUEUE", "c1", position=2, detail="+79990001122"),
                   log(42, "ABANDON", "c1", position=1, wait=42.0))  # fmt: skip
    assert [(n.kind, n.call_id, dict(n.facts)) for n in notices] == [
        ("lost_call", "c1",
         {"number": "+79990001122", "wait": 42.0, "position": 1, "reason": "abandoned"}),
    ]  # fmt: skip


def test_a_short_abandon_and_an_answered_call_are_not_noticed() -> None:
    w = watcher()
    assert feed(w, log(0, "ENTERQUEUE", "c1", detail="201"), log(3, "ABANDON", "c1", wait=3.0),
                log(5, "ENTERQUEUE", "c2"), log(9, "CONNECT", "c2", wait=4.0)) == []  # fmt: skip


def test_timeout_failover_and_failed_callback() -> None:
    w = watcher()
    notices = feed(w, log(0, "ENTERQUEUE", "c1", detail="201"),
                   log(300, "EXITWITHTIMEOUT", "c1", wait=300.0),
                   log(301, "JOINEMPTY", "c2", detail="202"),
                   log(302, "CALLBACKFAILED", "c3", detail="203"))  # fmt: skip
    assert [(n.kind, n.facts.get("reason"), n.facts["number"]) for n in notices] == [
        ("lost_call", "timeout", "201"),
        ("lost_call", "failover", "202"),
        ("callback_failed", None, "203"),
    ]


def test_an_sla_breach_is_raised_once_updated_and_cleared() -> None:
    w = watcher()
    feed(w, log(0, "ENTERQUEUE", "c1", detail="201"), log(5, "ENTERQUEUE", "c2", detail="202"))
    assert w.tick(T0 + 19) == []
    raised = w.tick(T0 + 20)
    assert [(n.kind, n.phase, n.facts["waiting"], n.facts["number"]) for n in raised] == [
        ("sla_breach", "raised", 1, "201")
    ]
    assert w.tick(T0 + 21) == []  # nothing changed
    updated = w.tick(T0 + 25)
    assert [(n.phase, n.key, n.facts["waiting"]) for n in updated] == [
        ("updated", raised[0].key, 2)
    ]
    feed(w, log(26, "CONNECT", "c1", wait=26.0), log(27, "CONNECT", "c2", wait=22.0))
    cleared = w.tick(T0 + 28)
    assert [(n.kind, n.phase) for n in cleared] == [("sla_breach", "cleared")]
    assert cleared[0].goes_out and not updated[0].goes_out
    assert w.tick(T0 + 29) == []


def test_callers_with_no_agent_raise_no_agents_until_one_comes() -> None:
    w = watcher(staffed=False)
    assert w.tick(T0) == []  # nobody waits: nothing to say
    feed(w, log(1, "ENTERQUEUE", "c1"))
    assert [(n.kind, n.phase) for n in w.tick(T0 + 2)] == [("no_agents", "raised")]
    assert w.tick(T0 + 3) == []
    w.state["staffed"] = True  # type: ignore[attr-defined]
    assert [(n.kind, n.phase) for n in w.tick(T0 + 4)] == [("no_agents", "cleared")]


def test_service_level_low_over_the_window() -> None:
    w = watcher()
    events: list[Event] = []
    for index, wait in enumerate([5, 5, 30, 40, 50]):  # 2 of 5 within 20 s
        events += [log(index, "ENTERQUEUE", f"c{index}"),
                   log(index + wait, "CONNECT", f"c{index}", wait=float(wait))]  # fmt: skip
    feed(w, *events)
    notices = [n for n in w.tick(T0 + 60) if n.kind == "service_level_low"]
    assert [(n.phase, n.facts["service_level"]) for n in notices] == [("raised", 40.0)]
    # Ten minutes on, the window has emptied: no verdict, nothing new.
    assert [n for n in w.tick(T0 + 700) if n.kind == "service_level_low"] == []


def test_an_auto_pause_is_noticed_in_the_agents_queues_and_a_break_is_not() -> None:
    w = watcher()
    notices = feed(
        w,
        AgentStateChanged(agent="101", change="paused", reason="auto", at=T0),
        AgentStateChanged(agent="101", change="paused", reason="lunch", at=T0 + 1),
    )
    assert [(n.kind, n.queue, n.facts["agent"]) for n in notices] == [
        ("agent_auto_paused", "800", "101")
    ]


def test_a_system_problem_is_raised_when_it_appears_or_changes_and_cleared_once() -> None:
    problems: dict[str, str | None] = {"database": None}
    w = watcher(problems=problems)
    assert w.tick(T0) == []
    problems["database"] = "the database refuses writes"
    first = w.tick(T0 + 1)
    assert [(n.kind, n.queue, n.facts["problem"]) for n in first] == [
        ("system", None, "the database refuses writes")
    ]
    assert w.tick(T0 + 2) == []
    problems["database"] = None  # the database takes writes again: one notice says so
    cleared = w.tick(T0 + 3)
    assert [(n.phase, n.facts["problem"]) for n in cleared] == [
        ("cleared", "the database refuses writes")
    ]
    assert cleared[0].goes_out
    assert w.tick(T0 + 4) == []
