"""The user agent over loopback: two user agents calling each other directly (no server),
then against a real ``hotline serve`` (REGISTER 401 then 200, unregister, OPTIONS)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from hotline.sip.address import Peer
from hotline.sip.aio.ua_call import hold_direction, with_direction
from hotline.sip.aio.user_agent import CallFailed, CallState, IncomingCall, UserAgent
from hotline.sip.dialog import DialogState
from hotline.sip.message import Response
from hotline.sip.parser import parse_message
from hotline.testing.harness import HotlineProcess, start_hotline

SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"


class FakeMedia:
    """SDP in and out, remembered, so tests can see what the user agent did with it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.applied: list[str] = []
        self.answered: list[str] = []
        self.closed = False

    def _sdp(self) -> str:
        return SDP + f"m=audio {self.port} RTP/AVP 0\r\na=sendrecv\r\n"

    async def offer(self) -> str:
        return self._sdp()

    async def answer(self, offer: str) -> str:
        self.answered.append(offer)
        direction = {"sendonly": "recvonly", "inactive": "inactive"}.get(hold_direction(offer))
        return with_direction(self._sdp(), direction or "sendrecv")

    async def apply_answer(self, answer: str) -> None:
        self.applied.append(answer)

    async def close(self) -> None:
        self.closed = True


class Phone:
    def __init__(self, name: str, port: int) -> None:
        self.media: list[FakeMedia] = []
        self.ua = UserAgent(
            "127.0.0.1", username=name, password="secret-" + name, domain="example.test",
            media=self.make_media,
        )  # fmt: skip
        self._port = port

    def make_media(self) -> FakeMedia:
        media = FakeMedia(self._port + len(self.media))
        self.media.append(media)
        return media


@pytest.fixture
async def pair() -> AsyncIterator[tuple[Phone, Phone]]:
    alice, bob = Phone("alice", 40000), Phone("bob", 41000)
    await alice.ua.start()
    await bob.ua.start()
    yield alice, bob
    await alice.ua.close()
    await bob.ua.close()


async def _ring(caller: Phone, callee: Phone) -> tuple[asyncio.Task[object], IncomingCall]:
    placing = asyncio.create_task(caller.ua.invite("bob", destination=callee.ua.address))
    incoming = await asyncio.wait_for(callee.ua.next_incoming(), 2)
    await incoming.ring()
    return placing, incoming  # type: ignore[return-value]


async def test_call_answered_then_hung_up_by_the_callee(pair: tuple[Phone, Phone]) -> None:
    alice, bob = pair
    placing, incoming = await _ring(alice, bob)
    call = await asyncio.wait_for(placing, 2)
    assert incoming.caller == "alice"
    await incoming.answer()
    await asyncio.wait_for(call.wait_answered(), 2)  # type: ignore[attr-defined]
    assert call.state is CallState.ANSWERED  # type: ignore[attr-defined]
    assert alice.media[0].applied == [bob.media[0].answered and incoming.local_sdp]
    assert "m=audio 40000" in bob.media[0].answered[0]
    await asyncio.sleep(0.05)
    assert incoming._retransmitters == []  # the ACK came
    await incoming.hangup()
    await asyncio.wait_for(call.wait_ended(), 2)  # type: ignore[attr-defined]
    assert call.end_reason == "hung up by the peer"  # type: ignore[attr-defined]
    assert alice.media[0].closed and bob.media[0].closed
    assert alice.ua.calls == [] and bob.ua.calls == []


async def test_busy_callee_fails_the_call_with_486(pair: tuple[Phone, Phone]) -> None:
    alice, bob = pair
    placing, incoming = await _ring(alice, bob)
    call = await asyncio.wait_for(placing, 2)
    await incoming.reject(486)
    with pytest.raises(CallFailed) as failure:
        await asyncio.wait_for(call.wait_answered(), 2)  # type: ignore[attr-defined]
    assert failure.value.status == 486
    await asyncio.wait_for(call.wait_ended(), 2)  # type: ignore[attr-defined]
    assert alice.media[0].closed


async def test_caller_cancels_while_ringing(pair: tuple[Phone, Phone]) -> None:
    alice, bob = pair
    placing, incoming = await _ring(alice, bob)
    call = await asyncio.wait_for(placing, 2)
    await asyncio.wait_for(call.hangup(), 2)  # type: ignore[attr-defined]
    await asyncio.wait_for(incoming.wait_ended(), 2)
    assert incoming.end_reason == "cancelled by the caller"
    assert call.end_reason == "cancelled"  # type: ignore[attr-defined]
    with pytest.raises(CallFailed):
        await incoming.answer()


async def test_hold_resume_info_and_bye_from_the_caller(pair: tuple[Phone, Phone]) -> None:
    alice, bob = pair
    placing, incoming = await _ring(alice, bob)
    call = await asyncio.wait_for(placing, 2)
    await incoming.answer()
    await asyncio.wait_for(call.wait_answered(), 2)  # type: ignore[attr-defined]
    assert await call.hold() == 200  # type: ignore[attr-defined]
    assert incoming.remote_hold and call.local_hold  # type: ignore[attr-defined]
    assert "a=sendonly" in bob.media[0].answered[-1]
    assert await call.resume() == 200  # type: ignore[attr-defined]
    assert not incoming.remote_hold
    assert await incoming.send_info(b"Signal=5\r\nDuration=160\r\n") == 200
    info = await asyncio.wait_for(call.next_info(), 2)  # type: ignore[attr-defined]
    assert info.body.startswith(b"Signal=5") and info.content_type == "application/dtmf-relay"
    await call.hangup()  # type: ignore[attr-defined]
    await asyncio.wait_for(incoming.wait_ended(), 2)
    assert incoming.end_reason == "hung up by the peer"


async def test_request_in_a_forgotten_dialog_gets_481(pair: tuple[Phone, Phone]) -> None:
    alice, bob = pair
    placing, incoming = await _ring(alice, bob)
    call = await asyncio.wait_for(placing, 2)
    await incoming.answer()
    await asyncio.wait_for(call.wait_answered(), 2)  # type: ignore[attr-defined]
    await incoming.end("forgotten without a BYE")
    assert await call.send_info(b"late") == 481  # type: ignore[attr-defined]
    assert call.dialog.state is DialogState.TERMINATED  # type: ignore[attr-defined]
    await asyncio.wait_for(call.hangup(), 2)  # type: ignore[attr-defined]
    assert call.ended  # type: ignore[attr-defined]


def test_direction_helpers() -> None:
    sdp = SDP + "m=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n"
    held = with_direction(sdp, "sendonly")
    assert hold_direction(held) == "sendonly" and "o=- 1 2 IN IP4" in held
    assert hold_direction(SDP + "m=audio 4000 RTP/AVP 0\r\n") == "sendrecv"
    assert hold_direction(sdp.replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0")) == "inactive"


# -- against a real hotline serve -----------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HotlineProcess]:
    hotline = start_hotline(tmp_path_factory.mktemp("hotline"))
    yield hotline
    assert hotline.stop() == 0, hotline.log_text()


def _agent(server: HotlineProcess, user: str, password: str) -> UserAgent:
    registrar = Peer(transport="UDP", host=server.host, port=server.sip_port)
    return UserAgent(
        "127.0.0.1", username=user, password=password, domain="hotline.local",
        registrar=registrar, media=lambda: FakeMedia(42000),
    )  # fmt: skip


async def test_register_answers_401_then_unregisters(server: HotlineProcess) -> None:
    async with _agent(server, "101", "s3cret-101") as ua:
        granted = await ua.register(expires=120)
        assert granted == 120
        await ua.unregister()
        options = await ua.options()
        assert options.status == 200 and "INVITE" in (options.headers.get("Allow") or "")


async def test_wrong_password_is_refused(server: HotlineProcess) -> None:
    from hotline.sip.aio.user_agent import RegistrationFailed

    async with _agent(server, "101", "not-the-password") as ua:
        with pytest.raises(RegistrationFailed) as failure:
            await ua.register(expires=120)
        assert failure.value.status in (401, 403)


async def test_registration_is_refreshed_and_calls_pass_digest_407(tmp_path: Path) -> None:
    server = start_hotline(tmp_path, extra="[security]\nmin_register_expires = 1\n")
    try:
        async with (
            _agent(server, "101", "s3cret-101") as alice,
            _agent(server, "102", "s3cret-102") as bob,
        ):
            assert await bob.register(expires=2) == 2
            await asyncio.sleep(3.0)  # past the expiry: only a refresh keeps Bob reachable
            call = await alice.invite("102")  # 407 answered with Proxy-Authorization
            incoming = await asyncio.wait_for(bob.next_incoming(), 5)
            assert incoming.caller == "101"
            await incoming.answer()
            await asyncio.wait_for(call.wait_answered(), 5)
            await call.hangup()
            await asyncio.wait_for(incoming.wait_ended(), 5)
    finally:
        assert server.stop() == 0, server.log_text()
    assert "refused 407" in server.log_text()


async def test_too_brief_expiry_is_raised_to_min_expires(server: HotlineProcess) -> None:
    async with _agent(server, "102", "s3cret-102") as ua:
        assert await ua.register(expires=10) == 60  # 423 Interval Too Brief, Min-Expires: 60
        await ua.unregister()


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("Retry-After: 5\r\n", 5),
        ("Retry-After: 18000;duration=3600\r\n", 18000),
        ("Retry-After: 120 (I'm in a meeting)\r\n", 120),
        ("Retry-After: soon\r\n", None),  # not a number: as if not said
        ("", None),
    ],
)
def test_a_failure_carries_the_servers_retry_after(header: str, seconds: int | None) -> None:
    response = parse_message(
        b"SIP/2.0 503 Service Unavailable\r\n"
        b"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\r\n"
        b"From: <sip:101@hotline.local>;tag=a\r\nTo: <sip:102@hotline.local>;tag=b\r\n"
        b"Call-ID: c1\r\nCSeq: 1 INVITE\r\n" + header.encode() + b"Content-Length: 0\r\n\r\n"
    )
    assert isinstance(response, Response)
    failure = CallFailed.of(response)
    assert (failure.status, failure.retry_after) == (503, seconds)
