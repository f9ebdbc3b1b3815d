"""Feature codes against the real ACD engine: login, pause with a reason, unpause, logout."""

from __future__ import annotations

from hotline import acd
from hotline.acd import AgentId, AgentState
from hotline.config import parse_config
from hotline.events import AgentStateChanged
from hotline.pbx.features.agent_codes import FeatureCodes
from hotline.pbx.features.agent_control import AgentControl
from hotline.pbx.features.queue_engine import build_engine
from hotline.testing.pbx import fake_node

CONFIG = parse_config(
    """
[[extensions]]
number = "101"
password = "s3cret-101"
agent = true

[[extensions]]
number = "102"
password = "s3cret-102"
agent = true
always_logged_in = true

[[queues]]
number = "800"
agents = ["101", "102"]
"""
)
PLAN = fake_node(CONFIG).control.pbx.dialplan


def _features() -> tuple[FeatureCodes, acd.Engine, list[acd.Event]]:
    engine = build_engine(CONFIG)
    fed: list[acd.Event] = []

    def feed(event: acd.Event) -> None:
        fed.append(event)
        engine.handle(event, 1.0)

    feed(acd.AgentLoggedIn(agent=AgentId("102")))
    published: list[AgentStateChanged] = []
    control = AgentControl(
        CONFIG, engine, feed, published.append, now=lambda: 1.0, wall=lambda: 0.0
    )
    return FeatureCodes(control), engine, fed


def _state(engine: acd.Engine, agent: str) -> AgentState:
    return engine.agent_stats(AgentId(agent), 1.0).state


def test_login_pause_with_reason_unpause_logout() -> None:
    features, engine, _ = _features()
    assert features.apply("101", PLAN.route("*62"))[0] == "agent_logged_in"
    assert _state(engine, "101") is AgentState.AVAILABLE
    prompt, event = features.apply("101", PLAN.route("*642"))
    assert prompt == "agent_paused" and event is not None and event.reason == "lunch"
    assert engine.agent_stats(AgentId("101"), 1.0).pause_reason == "lunch"
    assert features.apply("101", PLAN.route("*64"))[0] == "agent_unpaused"
    assert _state(engine, "101") is AgentState.AVAILABLE
    assert features.apply("101", PLAN.route("*63"))[0] == "agent_logged_out"
    assert _state(engine, "101") is AgentState.LOGGED_OUT


def test_refusals_change_nothing() -> None:
    features, engine, fed = _features()
    before = list(fed)
    assert features.apply("101", PLAN.route("*64")) == ("invalid_entry", None)
    assert features.apply("101", PLAN.route("*63")) == ("invalid_entry", None)
    assert features.apply("102", PLAN.route("*63")) == ("invalid_entry", None)
    assert fed == before
    assert _state(engine, "102") is AgentState.AVAILABLE


def test_only_agents_use_feature_codes() -> None:
    features, _, _ = _features()
    assert features.is_agent("101")
    assert not features.is_agent("200") and not features.is_agent(None)
