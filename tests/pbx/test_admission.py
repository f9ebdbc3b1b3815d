"""Who may call: 407 challenges, digest answers, blocks and bans, trunks by source network."""

from __future__ import annotations

from hotline.config import parse_config
from hotline.pbx.admission import Admission, Admitted, Refused
from hotline.pbx.features.queue_calls import QUEUE
from hotline.sip.auth import DigestAuthenticator, answer_challenge
from hotline.sip.guard import AuthGuard
from hotline.sip.headers import Headers
from hotline.sip.message import Request
from hotline.sip.uri import SipUri
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

[[queues]]
number = "800"
agents = ["101"]

[[trunks]]
name = "carrier"
from = ["10.0.0.0/24"]
did = { "4951234567" = "800" }
"""
)


def _admission(max_failures: int = 3) -> Admission:
    passwords = {e.number: e.password for e in CONFIG.extensions}
    authenticator = DigestAuthenticator("hotline.local", passwords.get, secret=b"k" * 32)
    guard = AuthGuard(
        max_failures=max_failures, window=60.0, backoff=30.0, max_backoff=600.0,
        scan_users=3, max_address_failures=20, ban=600.0,
    )  # fmt: skip
    return Admission(CONFIG, fake_node(CONFIG).control.pbx.dialplan, authenticator, guard)


def _invite(number: str, user: str = "101") -> Request:
    headers = Headers(
        [
            ("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc"),
            ("From", f"<sip:{user}@hotline.local>;tag=1"),
            ("To", f"<sip:{number}@hotline.local>"),
            ("Call-ID", "call-1"),
            ("CSeq", "1 INVITE"),
            ("Max-Forwards", "70"),
        ]
    )
    return Request(
        method="INVITE", uri=SipUri.parse(f"sip:{number}@hotline.local"), headers=headers
    )


def _answer(request: Request, challenge: str, password: str, username: str = "101") -> Request:
    value = answer_challenge(
        challenge,
        method="INVITE",
        uri=str(request.uri),
        username=username,
        password=password,
        cnonce="c0ffee",
    )
    request.headers.set("Proxy-Authorization", value)
    return request


def test_no_credentials_gets_a_407_challenge() -> None:
    decision = _admission().admit(_invite("800"), "127.0.0.1", 100.0)
    assert isinstance(decision, Refused)
    assert decision.status == 407 and decision.challenge


def test_right_password_admits_the_extension() -> None:
    admission = _admission()
    challenge = admission.admit(_invite("800"), "127.0.0.1", 100.0)
    assert isinstance(challenge, Refused)
    request = _answer(_invite("800"), challenge.challenge[0], "s3cret-101")
    decision = admission.admit(request, "127.0.0.1", 101.0)
    assert isinstance(decision, Admitted)
    assert decision.extension == "101" and decision.destination.kind is QUEUE


def test_wrong_passwords_are_403_then_block_that_user_only() -> None:
    admission = _admission(max_failures=2)
    for attempt in range(2):
        challenge = admission.admit(_invite("800"), "192.0.2.7", 100.0 + attempt)
        assert isinstance(challenge, Refused) and challenge.status == 407
        wrong = _answer(_invite("800"), challenge.challenge[0], "guess")
        refused = admission.admit(wrong, "192.0.2.7", 100.5 + attempt)
        assert isinstance(refused, Refused) and refused.status == 403
    challenge = admission.admit(_invite("800"), "192.0.2.7", 110.0)
    assert isinstance(challenge, Refused) and challenge.status == 407
    right = _answer(_invite("800"), challenge.challenge[0], "s3cret-101")
    blocked = admission.admit(right, "192.0.2.7", 110.5)
    assert isinstance(blocked, Refused) and blocked.status == 403 and "blocked" in blocked.reason
    challenge = admission.admit(_invite("800", user="102"), "192.0.2.7", 111.0)
    assert isinstance(challenge, Refused)
    colleague = _answer(_invite("800", user="102"), challenge.challenge[0], "s3cret-102", "102")
    assert isinstance(admission.admit(colleague, "192.0.2.7", 111.0), Admitted)


def test_failures_for_many_users_ban_the_address() -> None:
    admission = _admission()
    for n, user in enumerate(("101", "555", "777")):
        challenge = admission.admit(_invite("800", user=user), "192.0.2.7", 100.0 + n)
        assert isinstance(challenge, Refused)
        wrong = _answer(_invite("800", user=user), challenge.challenge[0], "guess", user)
        admission.admit(wrong, "192.0.2.7", 100.5 + n)
    banned = admission.admit(_invite("800", user="102"), "192.0.2.7", 110.0)
    assert isinstance(banned, Refused) and banned.status == 403 and "banned" in banned.reason


def test_authenticated_caller_to_unknown_number_is_404() -> None:
    admission = _admission()
    challenge = admission.admit(_invite("999"), "127.0.0.1", 100.0)
    assert isinstance(challenge, Refused)
    request = _answer(_invite("999"), challenge.challenge[0], "s3cret-101")
    decision = admission.admit(request, "127.0.0.1", 101.0)
    assert isinstance(decision, Refused) and decision.status == 404


def test_trunk_calls_route_by_did_without_auth() -> None:
    admission = _admission()
    decision = admission.admit(_invite("4951234567", user="74951112233"), "10.0.0.9", 100.0)
    assert isinstance(decision, Admitted)
    assert decision.trunk == "carrier" and decision.extension is None
    assert decision.destination.number == "800" and decision.caller == "74951112233"


def test_trunk_cannot_dial_internal_numbers_and_strangers_are_challenged() -> None:
    admission = _admission()
    internal = admission.admit(_invite("101"), "10.0.0.9", 100.0)
    assert isinstance(internal, Refused) and internal.status == 404
    stranger = admission.admit(_invite("4951234567"), "10.0.1.9", 100.0)
    assert isinstance(stranger, Refused) and stranger.status == 407
