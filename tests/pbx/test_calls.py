"""The call core on fakes: the order of a call's moments, a call Hotline places itself, the
media legs a feature attached closed with the call, and the echo test as a feature."""

from __future__ import annotations

import logging

import pytest

from hotline.config import parse_config
from hotline.events import CallAnswered, CallEnded, CallHoldChanged, CallStarted
from hotline.media import DtmfReceived, DtmfSource
from hotline.pbx import Call, Reoffered
from hotline.pbx.legs import is_hold
from hotline.pbx.moments import (
    BranchAnswered,
    BranchFailed,
    Bridged,
    Ended,
    KeyPressed,
    PromptFinished,
    Released,
    Routed,
)
from hotline.pbx.routing import Destination, DestinationKind
from hotline.store.journeys import CallJourney
from hotline.testing.pbx import FakeNode, fake_node

CONFIG = parse_config(
    """
[[extensions]]
number = "101"
password = "s3cret-101"

[[extensions]]
number = "102"
password = "s3cret-102"
"""
)
SENDRECV = "v=0\r\nc=IN IP4 192.0.2.50\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n"
SENDONLY = SENDRECV.replace("a=sendrecv", "a=sendonly")
MOMENTS = (Routed, BranchAnswered, BranchFailed, Bridged, KeyPressed, PromptFinished, Ended,
           Released)  # fmt: skip


def _follow(node: FakeNode) -> list[str]:
    seen: list[str] = []
    for moment in MOMENTS:
        node.control.pbx.moments.subscribe(moment, lambda m: seen.append(type(m).__name__))
    return seen


async def test_an_extension_call_announces_its_moments_in_order() -> None:
    node = fake_node(CONFIG)
    node.register("102")
    seen = _follow(node)
    call = node.call_from("101", "102")
    await node.settle()
    (invite,) = node.invites_to("102")
    node.sip.reply(invite, 180)
    node.sip.reply(invite, 200)
    await node.settle()
    assert call.peer is not None and len(node.media.bridges) == 1
    call.end("caller_hangup")
    await node.settle()
    assert seen == ["Routed", "BranchAnswered", "Bridged", "Ended", "Released"]
    assert node.media.legs == set()
    assert node.control.calls == {} and node.control.pbx.by_media == {}


async def test_a_call_hotline_places_bridges_its_first_answer_with_the_next() -> None:
    node = fake_node(CONFIG)
    node.register("101")
    node.register("102", port=5062)
    pbx = node.control.pbx
    call = Call(pbx, None, Destination(kind=DestinationKind("callback"), number="102"),
                caller="800")  # fmt: skip
    pbx.calls[call.id] = call
    await call.ring([("101", b) for b in pbx.contacts("101")])
    await node.settle()
    node.sip.reply(node.invites_to("101")[0], 200)
    await node.settle()
    assert call.origin is not None and call.caller_media == call.origin.media
    assert [e.answered_by for e in node.events if isinstance(e, CallAnswered)] == ["101"]
    await call.ring([("102", b) for b in pbx.contacts("102")])
    await node.settle()
    node.sip.reply(node.invites_to("102")[0], 200)
    await node.settle()
    assert call.peer is not None
    assert list(node.media.bridges.values()) == [(call.origin.media, call.peer.media)]
    call.end("normal")
    await node.settle()
    invites = {invite.call_id for invite in node.sip.requests("INVITE")}
    assert {bye.call_id for bye in node.sip.requests("BYE")} == invites
    assert node.media.legs == set()


async def test_the_echo_test_sends_digits_back_and_its_loop_leg_closes_with_the_call() -> None:
    node = fake_node(CONFIG)
    call = node.call_from("101", "*43")
    await node.settle()
    caller = call.caller_media
    assert caller is not None and len(node.media.legs) == 2  # the caller's, and the loop
    node.media.emit(
        DtmfReceived(leg_id=caller, digit="5", duration_ms=100, source=DtmfSource.RFC4733)
    )
    await node.settle()
    assert node.media.dtmf_sent == [(caller, "5")]
    call.end("caller_hangup")
    await node.settle()
    assert node.media.legs == set()
    assert [e.cause for e in node.events if isinstance(e, CallEnded)] == ["caller_hangup"]


async def test_an_echo_test_call_is_recorded_as_answered() -> None:
    node = fake_node(CONFIG)
    call = node.call_from("101", "*43")
    await node.settle()
    call.end("caller_hangup")
    await node.settle()
    journey = CallJourney(call_id="c")
    for event in node.events:
        if isinstance(event, CallStarted | CallAnswered | CallEnded):
            journey.apply(event)
    assert journey.disposition == "answered" and journey.answered_at is not None
    assert journey.agent == "*43"  # the party that answered: the number dialled


async def test_only_a_change_of_hold_is_logged_and_recorded_not_a_refresh(
    caplog: pytest.LogCaptureFixture,
) -> None:
    node = fake_node(CONFIG)
    node.register("102")
    call = node.call_from("101", "102")
    await node.settle()
    node.sip.reply(node.invites_to("102")[0], 200)
    await node.settle()
    caller = call.inbound
    assert caller is not None and call.bridge is not None
    caplog.set_level(logging.INFO, logger="hotline.pbx")
    # Session-timer refreshes (RFC 4028) re-offer the same SDP: no hold, no resume.
    for sdp in (SENDRECV, SENDRECV, SENDONLY, SENDONLY, SENDRECV, SENDRECV):
        call.on_signal(Reoffered(leg=caller, sdp=sdp, on_hold=is_hold(sdp)))
        await node.settle()
    holds = [m for m in caplog.messages if m.endswith(("holds", "resumes"))]
    assert holds == [f"call {call.id}: 101 holds", f"call {call.id}: 101 resumes"]
    changes = [e.on_hold for e in node.events if isinstance(e, CallHoldChanged)]
    assert changes == [True, False]
