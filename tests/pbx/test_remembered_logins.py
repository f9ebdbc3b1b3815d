"""Agents logged back in at start to exactly the queues they were in when Hotline stopped, as
far as the configuration still has them, with their pause; on the real ACD engine."""

from __future__ import annotations

import logging

import pytest

from hotline.acd import AgentId, AgentState
from hotline.config import parse_config
from hotline.events import AgentStateChanged
from hotline.pbx import RememberedLogin, restore_logins
from hotline.testing.pbx import FakeNode, fake_node

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

[[extensions]]
number = "103"
password = "s3cret-103"
agent = true
always_logged_in = true

[[extensions]]
number = "200"
password = "s3cret-200"

[[queues]]
number = "800"
agents = ["101", "102", "103"]

[[queues]]
number = "801"
agents = ["101", "103"]
"""
)


def _restored(*logins: RememberedLogin) -> FakeNode:
    node = fake_node(CONFIG)
    node.events.clear()  # the always-logged-in agent's login at start
    restore_logins(node.control.queues, logins)
    return node


def _queues(node: FakeNode, agent: str) -> tuple[str, ...]:
    return node.control.queues.engine.agent_stats(AgentId(agent), node.clock.now()).queues


def _published(node: FakeNode) -> list[tuple[str, str, str | None, tuple[str, ...] | None]]:
    return [(e.agent, e.change, e.reason, e.queues) for e in node.events
            if isinstance(e, AgentStateChanged)]  # fmt: skip


def test_an_agent_comes_back_in_its_queues_only() -> None:
    node = _restored(
        RememberedLogin(agent="101", queues=("801",), pause_reason="lunch"),
        RememberedLogin(agent="102", queues=("800",)),
    )
    assert _queues(node, "101") == ("801",)
    assert _queues(node, "102") == ("800",)
    stats = node.control.queues.engine.agent_stats(AgentId("101"), node.clock.now())
    assert stats.pause_reason == "lunch"
    assert _published(node) == []  # their sessions in the store go on


def test_a_login_that_kept_no_queues_comes_back_in_all() -> None:
    """A row written before the store kept the queues: all the agent's queues, as before."""
    node = _restored(RememberedLogin(agent="101", queues=None))
    assert _queues(node, "101") == ("800", "801")


def test_a_queue_gone_from_the_configuration_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="hotline"):
        node = _restored(RememberedLogin(agent="101", queues=("899", "801")))
    assert _queues(node, "101") == ("801",)
    assert "agent 101 not logged back in to queue 899: the queue is no longer configured" in (
        caplog.text
    )
    assert "agent 101 logged in again after restart (queues 801)" in caplog.text
    assert _published(node) == [("101", "queue_left", "899", ("801",))]  # the store forgets it


def test_an_agent_whose_queues_are_all_gone_stays_logged_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """102 is no longer a member of 801, and 899 is configured no more."""
    with caplog.at_level(logging.INFO, logger="hotline"):
        node = _restored(RememberedLogin(agent="102", queues=("801", "899"), pause_reason="lunch"))
    stats = node.control.queues.engine.agent_stats(AgentId("102"), node.clock.now())
    assert stats.state is AgentState.LOGGED_OUT and stats.queues == ()
    assert "agent 102 not logged back in to queue 801: it is no longer a member" in caplog.text
    assert "agent 102 stays logged out after restart: none of its queues (801, 899) is left" in (
        caplog.text
    )
    assert _published(node) == [("102", "logged_out", None, ())]  # its sessions end


def test_always_logged_in_agents_and_other_extensions_are_left_alone() -> None:
    node = _restored(
        RememberedLogin(agent="103", queues=("800",)),
        RememberedLogin(agent="200", queues=("800",)),
        RememberedLogin(agent="999", queues=None),
    )
    assert _queues(node, "103") == ("800", "801")  # logged in to all at start
    assert _published(node) == []
