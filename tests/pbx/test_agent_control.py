"""Agent control against the real ACD engine: each change fed to the engine and published
once; a refusal says why and changes nothing."""

from __future__ import annotations

import pytest

from hotline import acd
from hotline.acd import AgentId, AgentState
from hotline.config import parse_config
from hotline.events import AgentStateChanged
from hotline.pbx import AgentChangeRefused, AgentControl, UnknownAgent
from hotline.pbx.features.queue_engine import build_engine

CONFIG = parse_config(
    """
[agents]
pause_reasons = { "2" = "lunch" }

[[extensions]]
number = "101"
password = "s3cret-101"
agent = true

[[extensions]]
number = "102"
password = "s3cret-102"
agent = true
always_logged_in = true

[[extensions]]
number = "103"
password = "s3cret-103"
agent = true

[[extensions]]
number = "200"
password = "s3cret-200"

[[queues]]
number = "800"
agents = ["101", "102"]

[[queues]]
number = "801"
agents = ["101"]
wrap_up = 30
"""
)


def _control() -> tuple[AgentControl, acd.Engine, list[AgentStateChanged]]:
    engine = build_engine(CONFIG)
    engine.handle(acd.AgentLoggedIn(agent=AgentId("102")), 1.0)
    published: list[AgentStateChanged] = []

    def feed(event: acd.Event) -> None:
        engine.handle(event, 2.0)

    control = AgentControl(
        CONFIG,
        engine,
        feed,
        published.append,
        now=lambda: 2.0,
        wall=lambda: 1000.0,
    )
    return control, engine, published


def test_changes_reach_the_engine_and_the_bus() -> None:
    control, engine, published = _control()
    control.login("101")
    control.pause("101", "lunch")
    assert engine.agent_stats(AgentId("101"), 2.0).pause_reason == "lunch"
    control.pause("101")  # a paused agent may change its reason
    control.unpause("101")
    control.logout("101")
    assert engine.agent_stats(AgentId("101"), 2.0).state is AgentState.LOGGED_OUT
    assert [(e.agent, e.change, e.reason, e.at) for e in published] == [
        ("101", "logged_in", None, 1000.0),
        ("101", "paused", "lunch", 1000.0),
        ("101", "paused", "pause", 1000.0),
        ("101", "unpaused", None, 1000.0),
        ("101", "logged_out", None, 1000.0),
    ]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda c: c.logout("102"), "always logged in"),
        (lambda c: c.login("102"), "already logged in"),
        (lambda c: c.pause("101"), "logged out"),
        (lambda c: c.unpause("102"), "not paused"),
        (lambda c: c.logout("101"), "not logged in"),
        (lambda c: c.login("103"), "member of no queue"),
        (lambda c: c.login("102", "801"), "not a member of queue 801"),
        (lambda c: c.logout("101", "800"), "not logged in"),
        (lambda c: c.end_wrap_up("101"), "not in wrap-up"),
    ],
)
def test_refusals_say_why_and_change_nothing(change: object, why: str) -> None:
    control, engine, published = _control()
    before = [engine.agent_stats(AgentId(a), 2.0) for a in ("101", "102", "103")]
    with pytest.raises(AgentChangeRefused, match=why):
        change(control)  # type: ignore[operator]
    assert [engine.agent_stats(AgentId(a), 2.0) for a in ("101", "102", "103")] == before
    assert published == []


def test_unknown_agents() -> None:
    control, _, _ = _control()
    for number in ("200", "999"):
        with pytest.raises(UnknownAgent):
            control.login(number)
    assert not control.is_agent("200") and control.is_agent("101")


def test_one_queue_at_a_time() -> None:
    """Joining a second queue and leaving one of two keep the agent's session going; each
    change says the queues the agent is in after it, for the store to restore: None once it
    is in all of them (a queue it becomes a member of by a restart is one of them then)."""
    control, engine, published = _control()
    control.login("101", "801")
    control.login("101", "800")
    assert engine.agent_stats(AgentId("101"), 2.0).queues == ("801", "800")
    control.logout("101", "801")
    assert engine.agent_stats(AgentId("101"), 2.0).queues == ("800",)
    control.logout("101", "800")
    control.login("101")
    assert [(e.change, e.reason, e.queues) for e in published] == [
        ("logged_in", None, ("801",)),
        ("queue_joined", "800", None),
        ("queue_left", "801", ("800",)),
        ("logged_out", None, ()),
        ("logged_in", None, None),
    ]


def test_end_wrap_up_now() -> None:
    control, engine, published = _control()
    control.login("101", "801")
    caller, agent = acd.CallerId("c1"), AgentId("101")
    for event in (
        acd.CallerJoined(caller=caller, queue=acd.QueueId("801")),
        acd.OfferAnswered(caller=caller, agent=agent),
        acd.CallEnded(agent=agent),
    ):
        engine.handle(event, 2.0)
    assert engine.agent_stats(agent, 2.0).wrap_up_seconds_left == 30
    control.end_wrap_up("101")
    assert engine.agent_stats(agent, 2.0).state is AgentState.AVAILABLE
    assert published[-1].change == "wrap_up_ended"
