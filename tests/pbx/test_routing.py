"""The dialplan: numbers to destinations, DIDs of trunks."""

from __future__ import annotations

from hotline.config import demo_config
from hotline.pbx.routing import Destination, Dialplan, Feature, Kind

PLAN = Dialplan(demo_config())


def test_extensions_queues_and_echo() -> None:
    assert PLAN.route("101") == Destination(kind=Kind.EXTENSION, number="101")
    assert PLAN.route("800").kind is Kind.QUEUE
    assert PLAN.route("*43").kind is Kind.ECHO_TEST


def test_feature_codes_and_pause_reasons() -> None:
    assert PLAN.route("*62").feature is Feature.AGENT_LOGIN
    assert PLAN.route("*63").feature is Feature.AGENT_LOGOUT
    plain = PLAN.route("*64")
    assert (plain.feature, plain.argument) == (Feature.AGENT_PAUSE, None)
    lunch = PLAN.route("*642")
    assert (lunch.kind, lunch.feature, lunch.argument) == (Kind.FEATURE, Feature.AGENT_PAUSE, "2")


def test_unknown_numbers() -> None:
    for number in ("555", "*649", "*6411", "10", "", "8000"):
        assert PLAN.route(number).kind is Kind.UNKNOWN, number


def test_trunk_reaches_only_its_dids_and_never_features() -> None:
    dids = {"4951234567": "800", "111": "*62", "222": "*43"}
    assert PLAN.route_did(dids, "4951234567") == Destination(kind=Kind.QUEUE, number="800")
    assert PLAN.route_did(dids, "800").kind is Kind.UNKNOWN  # internal numbers are not DIDs
    assert PLAN.route_did(dids, "111").kind is Kind.UNKNOWN
    assert PLAN.route_did(dids, "222").kind is Kind.UNKNOWN
