"""The dialplan: numbers to destinations, DIDs of trunks."""

from __future__ import annotations

from hotline.demo import demo_config
from hotline.pbx.features.agent_codes import AGENT_CODE
from hotline.pbx.features.echo_test import ECHO_TEST
from hotline.pbx.features.extensions import EXTENSION
from hotline.pbx.features.queue_calls import QUEUE
from hotline.pbx.routing import UNKNOWN, Destination
from hotline.testing.pbx import fake_node

# The dialplan as the features registered it.
PLAN = fake_node(demo_config()).control.pbx.dialplan


def test_extensions_queues_and_echo() -> None:
    assert PLAN.route("101") == Destination(kind=EXTENSION, number="101")
    assert PLAN.route("800").kind is QUEUE
    assert PLAN.route("*43").kind is ECHO_TEST


def test_feature_codes_and_pause_reasons() -> None:
    assert PLAN.route("*62").code == "agent_login"
    assert PLAN.route("*63").code == "agent_logout"
    plain = PLAN.route("*64")
    assert (plain.code, plain.argument) == ("agent_pause", None)
    lunch = PLAN.route("*642")
    assert (lunch.kind, lunch.code, lunch.argument) == (AGENT_CODE, "agent_pause", "2")


def test_unknown_numbers() -> None:
    for number in ("555", "*649", "*6411", "10", "", "8000"):
        assert PLAN.route(number).kind is UNKNOWN, number


def test_trunk_reaches_only_its_dids_and_never_features() -> None:
    dids = {"4951234567": "800", "111": "*62", "222": "*43"}
    assert PLAN.route_did(dids, "4951234567") == Destination(kind=QUEUE, number="800")
    assert PLAN.route_did(dids, "800").kind is UNKNOWN  # internal numbers are not DIDs
    assert PLAN.route_did(dids, "111").kind is UNKNOWN
    assert PLAN.route_did(dids, "222").kind is UNKNOWN
