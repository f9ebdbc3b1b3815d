"""The queue feature's rules on fakes (``hotline.testing``): SIP, media and the clock are
fakes, time moves only with ``clock.advance``, nothing sleeps. The same calls run end to end
against SIPp in tests/e2e/test_queue_calls.py."""

from __future__ import annotations

from pathlib import Path

from hotline.config import Config, parse_config
from hotline.events import CallEnded, QueueCallConnected
from hotline.media import PlaybackFinished, StopReason
from hotline.sip.address import Peer
from hotline.sip.message import Request
from hotline.sip.parser import parse_message
from hotline.testing.pbx import FakeNode, fake_node

DID = "4951234567"


def _config(**queue: object) -> Config:
    keys = {"strategy": '"prioritized_hunt"', "ring_timeout": 10, "wrap_up": 5,
            "retry_after_miss": 5, "max_wait": 300,
            "announce_position_every": 20} | queue  # fmt: skip
    lines = "\n".join(f"{key} = {value}" for key, value in keys.items())
    return parse_config(
        f"""
[[extensions]]
number = "101"
password = "s3cret-101"
agent = true
always_logged_in = true

[[extensions]]
number = "102"
password = "s3cret-102"
agent = true
always_logged_in = true

[[extensions]]
number = "200"
password = "s3cret-200"

[[queues]]
number = "800"
agents = ["101", "102"]
{lines}

[[trunks]]
name = "carrier"
from = ["10.0.0.0/24"]
did = {{ "{DID}" = "800" }}
"""
    )


async def _caller(node: FakeNode) -> Request:
    request = node.trunk_call(DID)
    await node.settle()
    assert [r.status for r in node.responses_to(request)] == [200]
    return request


def _statuses(node: FakeNode, request: Request) -> list[int]:
    return [r.status for r in node.responses_to(request)]


async def test_an_offer_rings_the_agent_and_its_answer_is_bridged() -> None:
    node = fake_node(_config())
    node.register("101")
    await _caller(node)
    call = next(iter(node.control.calls.values()))
    caller_leg = call.caller_media
    assert node.media.played[0] == (caller_leg, ["welcome"])
    (invite,) = node.invites_to("101")
    node.sip.reply(invite, 180)
    node.sip.reply(invite, 200)
    await node.settle()
    assert node.sip.methods()[-1] == "ACK"
    (bridged,) = node.media.bridges.values()
    assert bridged[0] == caller_leg
    connected = [e for e in node.events if isinstance(e, QueueCallConnected)]
    assert [(e.queue, e.agent) for e in connected] == [("800", "101")]
    assert node.control.queues.agent_of(call) == "101"


async def test_ring_timeout_cancels_the_offer_and_the_next_agent_is_rung() -> None:
    node = fake_node(_config())
    node.register("101")
    node.register("102", port=5062)
    await _caller(node)
    (first,) = node.invites_to("101")
    node.sip.reply(first, 180)
    node.clock.advance(9.9)
    assert "CANCEL" not in node.sip.methods()
    node.clock.advance(0.1)  # the queue's ring_timeout
    await node.settle()
    assert [r.uri.user for r in node.sip.requests("CANCEL")] == ["101"]
    assert len(node.invites_to("102")) == 1


async def test_a_missed_offer_is_retried_after_retry_after_miss() -> None:
    node = fake_node(_config())
    node.register("101")
    await _caller(node)
    (first,) = node.invites_to("101")
    node.sip.reply(first, 486)  # busy: the agent missed the offer
    await node.settle()
    node.clock.advance(4.9)
    await node.settle()
    assert len(node.invites_to("101")) == 1
    node.clock.advance(0.1)  # retry_after_miss
    await node.settle()
    assert len(node.invites_to("101")) == 2


async def test_an_agent_in_wrap_up_is_offered_no_caller_until_it_ends() -> None:
    node = fake_node(_config())
    node.register("101")
    first = await _caller(node)
    (invite,) = node.invites_to("101")
    node.sip.reply(invite, 200)
    await node.settle()
    node.bye(first)  # the caller hangs up: the agent wraps up for 5 s
    await node.settle()
    await _caller(node)
    node.clock.advance(4.9)
    await node.settle()
    assert len(node.invites_to("101")) == 1
    node.clock.advance(0.1)
    await node.settle()
    assert len(node.invites_to("101")) == 2


async def test_failover_after_max_wait_rings_the_failover_extension() -> None:
    node = fake_node(_config(max_wait=30, failover='"200"'))
    node.register("200", port=5070)
    await _caller(node)
    node.clock.advance(29.9)
    await node.settle()
    assert node.invites_to("200") == []
    node.clock.advance(0.1)
    await node.settle()
    (invite,) = node.invites_to("200")
    node.sip.reply(invite, 200)
    await node.settle()
    assert len(node.media.bridges) == 1


async def test_failover_to_hangup_says_goodbye_then_hangs_up() -> None:
    node = fake_node(_config(max_wait=30))
    caller = await _caller(node)
    (caller_leg,) = node.media.legs
    node.clock.advance(30)
    await node.settle()
    assert node.media.played[-1] == (caller_leg, ["all_busy"])
    goodbye = node.media.playing[caller_leg]
    node.media.emit(PlaybackFinished(leg_id=caller_leg, playback_id=goodbye,
                                     reason=StopReason.FINISHED))  # fmt: skip
    await node.settle()
    assert node.sip.requests("BYE")[-1].call_id == caller.call_id
    assert [e.cause for e in node.events if isinstance(e, CallEnded)] == ["normal"]
    assert node.media.legs == set()


async def test_position_is_announced_then_music_resumes() -> None:
    node = fake_node(_config())
    await _caller(node)
    (caller_leg,) = node.media.legs
    welcome = node.media.playing[caller_leg]
    node.media.emit(PlaybackFinished(leg_id=caller_leg, playback_id=welcome,
                                     reason=StopReason.FINISHED))  # fmt: skip
    await node.settle()
    assert node.media.played[-1] == (caller_leg, ["moh"])
    node.clock.advance(20)  # announce_position_every
    await node.settle()
    items = node.media.played[-1][1]
    assert items[0] == "caller_number" and "estimated_wait" in items
    node.media.emit(PlaybackFinished(leg_id=caller_leg, playback_id=node.media.playing[caller_leg],
                                     reason=StopReason.FINISHED))  # fmt: skip
    await node.settle()
    assert node.media.played[-1] == (caller_leg, ["moh"])


async def test_two_agents_answering_in_the_same_instant_one_wins() -> None:
    node = fake_node(_config(strategy='"ring_all"'))
    node.register("101")
    node.register("102", port=5062)
    await _caller(node)
    (to_101,) = node.invites_to("101")
    (to_102,) = node.invites_to("102")
    node.sip.reply(to_101, 200)
    node.sip.reply(to_102, 200)  # before call control ran anything else
    await node.settle()
    byes = node.sip.requests("BYE")
    assert [bye.call_id for bye in byes] == [to_102.call_id]  # ACKed, then hung up
    assert [r.call_id for r in node.sip.requests("ACK")] == [to_101.call_id, to_102.call_id]
    (bridged,) = node.media.bridges.values()
    connected = [e.agent for e in node.events if isinstance(e, QueueCallConnected)]
    assert connected == ["101"]
    assert bridged[1] != bridged[0]


async def test_an_rfc_2543_caller_without_contact_is_answered_and_its_bye_ends_the_call() -> None:
    """RFC 4475 §3.4.1 (inv2543): no Contact, Max-Forwards, Via branch nor From tag. The call
    goes ahead; our requests would go to its From address, and its BYE finds the dialog."""
    vector = Path(__file__).parents[1] / "sip" / "vectors" / "rfc4475" / "inv2543.dat"
    data = vector.read_bytes().replace(b"sip:UserB@example.com", f"sip:{DID}@x".encode(), 1)
    invite = parse_message(data)
    assert isinstance(invite, Request) and not invite.contacts
    node = fake_node(_config())
    trunk = Peer(transport="UDP", host="10.0.0.9", port=5060)
    assert node.sip.handlers["INVITE"](invite, trunk) is None
    await node.settle()
    assert _statuses(node, invite) == [200]
    ok = node.responses_to(invite)[0]
    bye = parse_message(
        Request(method="BYE", uri=invite.uri, headers=ok.headers).to_bytes()
        .replace(b"CSeq: 56 INVITE", b"CSeq: 57 BYE")
    )  # fmt: skip
    assert isinstance(bye, Request) and bye.from_address.tag is None
    response = node.sip.handlers["BYE"](bye, trunk)
    assert response is not None and response.status == 200
    await node.settle()
    assert [e.cause for e in node.events if isinstance(e, CallEnded)] == ["caller_hangup"]
