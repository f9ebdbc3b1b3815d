"""REGISTER exchanges against the registrar, from wire bytes to wire bytes, with a fake time.

Every request is parsed from literal bytes and every response is serialized and parsed again,
so the tests see what a phone would see.
"""

from __future__ import annotations

import email.utils
import logging
from dataclasses import dataclass, field

import pytest

from hotline.sip.address import Peer
from hotline.sip.auth import (
    DigestAlgorithm,
    DigestAuthenticator,
    answer_challenge,
    parse_auth_params,
)
from hotline.sip.guard import AuthGuard
from hotline.sip.location import InMemoryLocationService
from hotline.sip.message import Request, Response
from hotline.sip.parser import parse_message
from hotline.sip.registrar import Registrar
from hotline.sip.uri import SipUri

DOMAIN = "hotline.local"
PASSWORDS = {"101": "s3cret-101", "102": "s3cret-102"}
T0 = 1_700_000_000.0  # seconds since the epoch: the Date header is derived from it


@dataclass
class Phone:
    """A user agent that registers the way desk phones do: it keeps the last challenge and
    answers the next request with it, incrementing the nonce-count."""

    user: str = "101"
    password: str = "s3cret-101"
    host: str = "192.0.2.10"
    call_id: str = "reg-101@192.0.2.10"
    cseq: int = 0
    challenge: str | None = None
    nc: int = 0
    peer: Peer = field(init=False)

    def __post_init__(self) -> None:
        self.peer = Peer(transport="UDP", host=self.host, port=5060)

    def request(self, *headers: str, to_user: str | None = None, auth: bool = True) -> Request:
        self.cseq += 1
        branch = f"z9hG4bK-{self.call_id.replace('@', '-')}-{self.cseq}"
        lines = [
            f"REGISTER sip:{DOMAIN} SIP/2.0",
            f"Via: SIP/2.0/UDP {self.host}:5060;branch={branch}",
            "Max-Forwards: 70",
            f"From: <sip:{self.user}@{DOMAIN}>;tag=from-{self.user}",
            f"To: <sip:{to_user or self.user}@{DOMAIN}>",
            f"Call-ID: {self.call_id}",
            f"CSeq: {self.cseq} REGISTER",
            *headers,
        ]
        if auth and self.challenge is not None:
            self.nc += 1
            value = answer_challenge(
                self.challenge, method="REGISTER", uri=f"sip:{DOMAIN}", username=self.user,
                password=self.password, cnonce=f"cn-{self.cseq}", nc=self.nc,
            )  # fmt: skip
            lines.append(f"Authorization: {value}")
        data = ("\r\n".join(lines) + "\r\nContent-Length: 0\r\n\r\n").encode()
        message = parse_message(data)
        assert isinstance(message, Request)
        return message

    def learn(self, response: Response) -> None:
        """Keep the SHA-256 challenge of a 401, as a phone caches it for the next request."""
        challenges = response.headers.get_all("WWW-Authenticate")
        if challenges:
            self.challenge, self.nc = challenges[0], 0


@dataclass
class Server:
    registrar: Registrar
    location: InMemoryLocationService
    guard: AuthGuard

    def send(self, phone: Phone, request: Request, now: float) -> Response:
        response = self.registrar.handle_register(request, phone.peer, now)
        reparsed = parse_message(response.to_bytes())
        assert isinstance(reparsed, Response)
        phone.learn(reparsed)
        return reparsed

    def register(
        self, phone: Phone, *headers: str, now: float = T0, to_user: str | None = None
    ) -> Response:
        """One REGISTER, retried once with credentials when challenged (401 then 200)."""
        response = self.send(phone, phone.request(*headers, to_user=to_user), now)
        if response.status == 401:
            response = self.send(phone, phone.request(*headers, to_user=to_user), now)
        return response


def make_guard() -> AuthGuard:
    """3 failures block a user from an address for 30 s, then 60 s...; 3 users ban it."""
    return AuthGuard(
        max_failures=3, window=60, backoff=30, max_backoff=600, scan_users=3,
        max_address_failures=20, ban=600,
    )  # fmt: skip


@pytest.fixture
def server() -> Server:
    location = InMemoryLocationService(domain=DOMAIN)
    guard = make_guard()
    both = [DigestAlgorithm.SHA256, DigestAlgorithm.MD5]
    authenticator = DigestAuthenticator(
        DOMAIN, PASSWORDS.get, secret=b"k", nonce_lifetime=300, algorithms=both
    )
    registrar = Registrar(DOMAIN, authenticator, location, guard, min_expires=60)
    return Server(registrar, location, guard)


def contact_expires(response: Response) -> dict[str, int]:
    """Contact URI -> the expires the registrar reported for it."""
    return {str(c.uri): int(c.param("expires") or -1) for c in response.contacts}


def test_challenge_then_register(server: Server) -> None:
    phone = Phone()
    request = phone.request("Contact: <sip:101@192.0.2.10:5060>")
    challenge = server.send(phone, request, T0)
    assert challenge.status == 401
    assert challenge.to_address.tag
    assert challenge.call_id == request.call_id and challenge.cseq == request.cseq
    assert [
        parse_auth_params(v)[1]["algorithm"] for v in challenge.headers.get_all("WWW-Authenticate")
    ] == ["SHA-256", "MD5"]
    assert server.location.bindings("sip:101@hotline.local", T0) == []

    ok = server.send(phone, phone.request("Contact: <sip:101@192.0.2.10:5060>"), T0 + 1)
    assert ok.status == 200
    assert ok.to_address.tag
    assert contact_expires(ok) == {"sip:101@192.0.2.10:5060": 3600}
    date = ok.headers.get("Date")
    assert date is not None and email.utils.parsedate_to_datetime(date).timestamp() == T0 + 1
    [binding] = server.location.contacts_for("101", T0 + 1)
    assert binding.source == phone.peer and binding.call_id == phone.call_id


def test_md5_challenge_is_answered_too(server: Server) -> None:
    phone = Phone()
    first = server.send(phone, phone.request("Contact: <sip:101@192.0.2.10>"), T0)
    phone.challenge = first.headers.get_all("WWW-Authenticate")[1]
    assert server.send(phone, phone.request("Contact: <sip:101@192.0.2.10>"), T0).status == 200


def test_wrong_password_never_registers(server: Server) -> None:
    phone = Phone(password="guess")
    response = server.register(phone, "Contact: <sip:101@192.0.2.10>")
    assert response.status == 401
    assert server.location.contacts_for("101", T0) == []
    assert server.guard.failure_count(phone.host, phone.user, T0) == 1


def shape(response: Response) -> tuple[object, ...]:
    """What may be compared between two responses: all but tags, nonces and Date."""
    challenges = [
        {k: v for k, v in parse_auth_params(value)[1].items() if k not in ("nonce", "opaque")}
        for value in response.headers.get_all("WWW-Authenticate")
    ]
    names = [name for name, _ in response.headers]
    return response.status, response.reason, names, challenges, len(response.to_bytes())


def test_unknown_user_looks_exactly_like_a_wrong_password(server: Server) -> None:
    known = Phone(password="guess", call_id="same-length-call-id")
    unknown = Phone(user="999", password="guess", call_id="same-length-call-id")
    responses = {}
    for phone in (known, unknown):
        server.send(phone, phone.request("Contact: <sip:x@192.0.2.10>"), T0)
        responses[phone.user] = server.send(phone, phone.request("Contact: <sip:x@192.0.2.10>"), T0)
    assert responses["101"].status == 401
    assert shape(responses["101"]) == shape(responses["999"])


def test_request_without_credentials_is_challenged_and_not_counted(server: Server) -> None:
    phone = Phone()
    for _ in range(10):
        response = server.send(
            phone, phone.request("Contact: <sip:101@192.0.2.10>", auth=False), T0
        )
        assert response.status == 401
    assert server.guard.failure_count(phone.host, phone.user, T0) == 0
    assert server.register(phone, "Contact: <sip:101@192.0.2.10>").status == 200


def test_expired_nonce_gets_stale_true_and_no_failure(server: Server) -> None:
    phone = Phone()
    assert server.register(phone, "Contact: <sip:101@192.0.2.10>", now=T0).status == 200
    stale = server.send(phone, phone.request("Contact: <sip:101@192.0.2.10>"), T0 + 301)
    assert stale.status == 401
    params = [parse_auth_params(v)[1] for v in stale.headers.get_all("WWW-Authenticate")]
    assert [p.get("stale") for p in params] == ["true", "true"]
    assert server.guard.failure_count(phone.host, phone.user, T0 + 301) == 0
    retry = server.send(phone, phone.request("Contact: <sip:101@192.0.2.10>"), T0 + 301)
    assert retry.status == 200


def test_replayed_request_cannot_move_a_registration(server: Server) -> None:
    phone = Phone()
    server.send(phone, phone.request("Contact: <sip:101@192.0.2.10>"), T0)
    captured = phone.request("Contact: <sip:101@192.0.2.10>")
    assert server.send(phone, captured, T0 + 1).status == 200
    # An attacker replays the captured request with its own Contact and a higher CSeq:
    # qop=auth does not cover headers, so only the nonce-count stops it.
    captured.headers.set("Contact", "<sip:101@203.0.113.66>")
    captured.headers.set("CSeq", "99 REGISTER")
    attacker = Phone(host="203.0.113.66")
    replay = server.send(attacker, captured, T0 + 2)
    assert replay.status == 401
    assert [str(b.contact.uri) for b in server.location.contacts_for("101", T0 + 2)] == [
        "sip:101@192.0.2.10"
    ]


def test_a_wrong_password_blocks_its_user_from_its_address_only_and_backs_off(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 15: one phone's wrong password must not lock out the office behind its address."""
    office = "198.51.100.9"
    wrong = Phone(password="guess", host=office)
    server.send(wrong, wrong.request(f"Contact: <sip:101@{office}>"), T0)
    with caplog.at_level(logging.WARNING):
        statuses = [
            server.send(wrong, wrong.request(f"Contact: <sip:101@{office}>"), T0 + i).status
            for i in range(1, 5)
        ]
    assert statuses == [401, 401, 403, 403]
    assert any("'101'" in r.getMessage() and office in r.getMessage() for r in caplog.records)
    # Another phone behind the same address registers at once.
    colleague = Phone(user="102", password="s3cret-102", host=office, call_id="reg-102")
    assert server.register(colleague, f"Contact: <sip:102@{office}>", now=T0 + 5).status == 200
    # The blocked user is refused even with the right password (a guesser learns nothing)...
    wrong.password = "s3cret-101"
    blocked = server.register(wrong, f"Contact: <sip:101@{office}>", now=T0 + 20)
    assert blocked.status == 403 and "WWW-Authenticate" not in blocked.headers
    assert server.location.contacts_for("101", T0 + 20) == []
    # ... but only from that address, and only for the backoff.
    elsewhere = Phone(host="192.0.2.20")
    assert server.register(elsewhere, "Contact: <sip:101@192.0.2.20>", now=T0 + 20).status == 200
    later = server.register(wrong, f"Contact: <sip:101@{office}>", now=T0 + 34)
    assert later.status == 200


def test_each_new_block_of_a_user_lasts_twice_as_long(server: Server) -> None:
    phone = Phone(password="guess")
    now, lengths = T0, []
    for _ in range(3):
        while server.send(phone, phone.request("Contact: <sip:101@192.0.2.10>"), now).status != 403:
            now += 1
        start = now
        while server.guard.user_blocked(phone.host, "101", now):
            now += 1
        lengths.append(now - start)
    assert lengths == [30, 60, 120]


def test_the_same_credentials_again_are_not_a_new_guess(server: Server) -> None:
    """A phone that resends the credentials it already failed with (a 401 retry storm) is
    not guessing: it is answered 401 each time and never blocked."""
    phone = Phone(password="guess")
    server.send(phone, phone.request("Contact: <sip:101@192.0.2.10>"), T0)
    failed = phone.request("Contact: <sip:101@192.0.2.10>")
    for n in range(20):
        again = parse_message(failed.to_bytes())
        assert isinstance(again, Request)
        again.headers.set("CSeq", f"{100 + n} REGISTER")
        assert server.registrar.handle_register(again, phone.peer, T0 + n).status == 401
    assert server.guard.failure_count(phone.host, "101", T0 + 20) == 1
    assert not server.guard.user_blocked(phone.host, "101", T0 + 20)


def test_failures_for_many_users_ban_the_whole_address(server: Server) -> None:
    scanner = "203.0.113.5"
    statuses = []
    for n, user in enumerate(("101", "555", "777")):
        guess = Phone(user=user, password="guess", host=scanner, call_id=f"scan-{user}")
        server.send(guess, guess.request(f"Contact: <sip:{user}@{scanner}>"), T0 + n)
        statuses.append(
            server.send(guess, guess.request(f"Contact: <sip:{user}@{scanner}>"), T0 + n).status
        )
    assert statuses == [401, 401, 403]
    right = Phone(user="102", password="s3cret-102", host=scanner, call_id="reg-102")
    assert server.register(right, f"Contact: <sip:102@{scanner}>", now=T0 + 5).status == 403
    [ban] = server.guard.bans(T0 + 5)
    assert (ban.source, ban.user, ban.reason.value, ban.until) == (scanner, None, "scan", T0 + 602)
    assert server.register(right, f"Contact: <sip:102@{scanner}>", now=T0 + 603).status == 200


def test_a_blocked_unknown_user_looks_exactly_like_a_blocked_known_one(server: Server) -> None:
    responses = {}
    for user, host in (("101", "192.0.2.31"), ("999", "192.0.2.32")):
        phone = Phone(user=user, password="guess", host=host, call_id="same-length-call-id")
        for _ in range(4):
            response = server.send(phone, phone.request("Contact: <sip:x@192.0.2.10>"), T0)
        responses[user] = response
    assert responses["101"].status == 403
    assert shape(responses["101"]) == shape(responses["999"])


def test_the_default_offers_md5_alone_and_a_user_may_get_more() -> None:
    """Issue 15: baresip 1.0 refuses a challenge set holding an algorithm it does not know,
    so SHA-256 is offered only where configured, each algorithm in its own header."""
    sha = [DigestAlgorithm.SHA256, DigestAlgorithm.MD5]
    authenticator = DigestAuthenticator(
        DOMAIN, PASSWORDS.get, secret=b"k", user_algorithms={"102": sha}
    )
    location = InMemoryLocationService(domain=DOMAIN)
    server = Server(
        Registrar(DOMAIN, authenticator, location, make_guard()), location, make_guard()
    )
    offered = {}
    for user in ("101", "102"):
        phone = Phone(user=user, password=PASSWORDS[user], call_id=f"reg-{user}")
        challenge = server.send(phone, phone.request(f"Contact: <sip:{user}@192.0.2.10>"), T0)
        values = challenge.headers.get_all("WWW-Authenticate")
        offered[user] = [parse_auth_params(value)[1]["algorithm"] for value in values]
        phone.challenge = values[0]  # the preferred one
        ok = server.send(phone, phone.request(f"Contact: <sip:{user}@192.0.2.10>"), T0)
        assert ok.status == 200
    assert offered == {"101": ["MD5"], "102": ["SHA-256", "MD5"]}


def test_interval_too_brief_gets_423_with_min_expires(server: Server) -> None:
    phone = Phone()
    response = server.register(phone, "Contact: <sip:101@192.0.2.10>", "Expires: 30")
    assert response.status == 423
    assert response.headers.get("Min-Expires") == "60"
    brief = server.register(phone, "Contact: <sip:101@192.0.2.10>;expires=59")
    assert brief.status == 423
    assert server.location.contacts_for("101", T0) == []
    assert server.register(phone, "Contact: <sip:101@192.0.2.10>", "Expires: 60").status == 200


def test_expiry_sources_and_cap(server: Server) -> None:
    phone = Phone()
    response = server.register(
        phone,
        "Contact: <sip:101@192.0.2.10:5060>;expires=120, <sip:101@192.0.2.10:5070>",
        "Contact: <sip:101@192.0.2.10:5080>;expires=999999",
        "Expires: 300",
    )
    assert response.status == 200
    assert contact_expires(response) == {
        "sip:101@192.0.2.10:5060": 120,
        "sip:101@192.0.2.10:5070": 300,
        "sip:101@192.0.2.10:5080": 3600,
    }


def test_bindings_expire(server: Server) -> None:
    phone = Phone()
    server.register(phone, "Contact: <sip:101@192.0.2.10>;expires=120", now=T0)
    assert len(server.location.contacts_for("101", T0 + 119)) == 1
    assert server.location.contacts_for("101", T0 + 120) == []
    query = server.register(phone, now=T0 + 121)
    assert query.status == 200 and query.contacts == []
    assert len(server.location) == 0  # the registrar swept the expired binding


def test_query_without_contact_lists_bindings_with_remaining_time(server: Server) -> None:
    desk = Phone()
    soft = Phone(host="192.0.2.11", call_id="reg-101@192.0.2.11")
    server.register(desk, "Contact: <sip:101@192.0.2.10>;q=0.5", now=T0)
    server.register(soft, "Contact: <sip:101@192.0.2.11>;q=1.0", "Expires: 600", now=T0 + 50)
    query = server.register(Phone(host="192.0.2.12", call_id="query"), now=T0 + 100)
    assert query.status == 200
    assert [(str(c.uri), c.param("expires"), c.param("q")) for c in query.contacts] == [
        ("sip:101@192.0.2.11", "550", "1.0"),
        ("sip:101@192.0.2.10", "3500", "0.5"),
    ]


def test_wildcard_unregisters_everything(server: Server) -> None:
    phone = Phone()
    server.register(phone, "Contact: <sip:101@192.0.2.10:5060>, <sip:101@192.0.2.10:5070>")
    assert len(server.location.contacts_for("101", T0)) == 2
    bad = server.register(phone, "Contact: *", "Expires: 3600")
    assert bad.status == 400
    # The parser already refuses this mix; a request built in code must be refused too.
    mixed = phone.request("Contact: *", "Expires: 0")
    mixed.headers.add("Contact", "<sip:101@192.0.2.10>")
    assert server.send(phone, mixed, T0).status == 400
    assert len(server.location.contacts_for("101", T0)) == 2
    done = server.register(phone, "Contact: *", "Expires: 0")
    assert done.status == 200 and done.contacts == []
    assert server.location.contacts_for("101", T0) == []


def test_expires_zero_removes_one_contact(server: Server) -> None:
    phone = Phone()
    server.register(phone, "Contact: <sip:101@192.0.2.10:5060>, <sip:101@192.0.2.10:5070>")
    response = server.register(phone, "Contact: <sip:101@192.0.2.10:5070>;expires=0")
    assert response.status == 200
    assert list(contact_expires(response)) == ["sip:101@192.0.2.10:5060"]


def test_several_phones_share_an_address_of_record(server: Server) -> None:
    for n in range(3):
        phone = Phone(host=f"192.0.2.{30 + n}", call_id=f"phone-{n}")
        response = server.register(phone, f"Contact: <sip:101@192.0.2.{30 + n}>", now=T0 + n)
        assert response.status == 200
        assert len(response.contacts) == n + 1
    hosts = [b.contact.uri.host for b in server.location.contacts_for("101", T0 + 5)]
    assert hosts == ["192.0.2.32", "192.0.2.31", "192.0.2.30"]  # most recent first


def test_refresh_replaces_rather_than_adds(server: Server) -> None:
    phone = Phone()
    server.register(phone, "Contact: <sip:101@192.0.2.10>", now=T0)
    response = server.register(phone, "Contact: <sip:101@192.0.2.10>", now=T0 + 1000)
    assert contact_expires(response) == {"sip:101@192.0.2.10": 3600}
    assert len(server.location) == 1


def test_same_call_id_with_an_older_cseq_is_refused(server: Server) -> None:
    phone = Phone()
    assert server.register(phone, "Contact: <sip:101@192.0.2.10>").status == 200
    stored = phone.cseq
    for cseq in (stored - 1, stored):  # a delayed REGISTER of the same registration, or a copy
        phone.cseq = cseq - 1
        response = server.register(phone, "Contact: <sip:101@192.0.2.10>;expires=0")
        assert response.status == 500
    assert len(server.location.contacts_for("101", T0)) == 1
    other_call = Phone(call_id="fresh-call-id")
    assert server.register(other_call, "Contact: <sip:101@192.0.2.10>;expires=0").status == 200
    assert server.location.contacts_for("101", T0) == []


def test_user_cannot_register_someone_elses_extension(server: Server) -> None:
    phone = Phone()
    response = server.register(phone, "Contact: <sip:102@192.0.2.10>", to_user="102")
    assert response.status == 403
    assert server.location.contacts_for("102", T0) == []


def test_other_domains_and_unknown_extensions_are_refused(server: Server) -> None:
    phone = Phone()
    request = phone.request("Contact: <sip:101@192.0.2.10>")
    request.uri = SipUri.parse("sip:elsewhere.example")
    response = server.send(phone, request, T0)
    assert response.status == 404
    assert "WWW-Authenticate" not in response.headers


@pytest.mark.parametrize(
    ("uri", "to_host", "aliases", "accept_ip_hosts", "expected"),
    [
        ("sip:127.0.0.1:5060", "127.0.0.1", [], True, 200),
        ("sip:[::1]", "[::1]", [], True, 200),
        ("sip:pbx.example", "pbx.example", ["PBX.example"], True, 200),
        ("sip:127.0.0.1", "127.0.0.1", [], False, 404),
    ],
)
def test_phones_may_name_the_server_by_address_or_alias(
    uri: str, to_host: str, aliases: list[str], accept_ip_hosts: bool, expected: int
) -> None:
    location = InMemoryLocationService(domain=DOMAIN)
    authenticator = DigestAuthenticator(DOMAIN, PASSWORDS.get, secret=b"k")
    registrar = Registrar(
        DOMAIN,
        authenticator,
        location,
        make_guard(),
        aliases=aliases,
        accept_ip_hosts=accept_ip_hosts,
    )
    request = Phone().request("Contact: <sip:101@192.0.2.10>")
    request.uri = SipUri.parse(uri)
    request.headers.set("To", f"<sip:101@{to_host}>")
    response = registrar.handle_register(request, Phone().peer, T0)
    if response.status == 401:
        value = answer_challenge(
            response.headers.get_all("WWW-Authenticate")[0], method="REGISTER", uri=uri,
            username="101", password="s3cret-101", cnonce="c",
        )  # fmt: skip
        request.headers.set("Authorization", value)
        request.headers.set("CSeq", "2 REGISTER")
        response = registrar.handle_register(request, Phone().peer, T0)
    assert response.status == expected
    registered = [b.aor for b in location.contacts_for("101", T0)]
    assert registered == (["sip:101@hotline.local"] if expected == 200 else [])


def test_require_gets_420_unsupported(server: Server) -> None:
    phone = Phone()
    response = server.register(phone, "Contact: <sip:101@192.0.2.10>", "Require: gruu, path")
    assert response.status == 420
    assert response.headers.get_all("Unsupported") == ["gruu", "path"]


def test_an_address_of_record_or_contact_that_is_not_a_sip_uri_gets_400(server: Server) -> None:
    """They parse (RFC 4475 §3.3.4) but name nothing a call can go to (§10.2)."""
    phone = Phone()
    request = phone.request("Contact: <sip:101@192.0.2.10>")
    request.headers.set("To", "<mailto:101@hotline.local>")
    response = server.send(phone, request, T0)
    assert (response.status, response.reason) == (400, "To Must Be A SIP Or SIPS URI")
    response = server.register(phone, "Contact: <mailto:alice@example.com>")
    assert (response.status, response.reason) == (400, "Contact Must Be A SIP Or SIPS URI")
    assert server.location.contacts_for("101", T0) == []


def test_an_outbound_flow_is_acknowledged_and_replaces_the_flow_it_follows(
    server: Server,
) -> None:
    """RFC 5626 §6: ``Require: outbound`` in the 200, and the binding of the same instance
    and reg-id replaced, though the phone came back from another port (a new Contact)."""
    phone = Phone()
    instance = ';+sip.instance="<urn:uuid:00000000-0000-1000-8000-000a95a0e128>";reg-id=1'
    first = server.register(
        phone, f"Contact: <sip:101@192.0.2.10:40001;transport=tcp;ob>{instance}",
        "Supported: path, outbound",
    )  # fmt: skip
    assert first.status == 200 and first.headers.get_all("Require") == ["outbound"]
    again = server.register(
        phone, f"Contact: <sip:101@192.0.2.10:40002;transport=tcp;ob>{instance}",
        "Supported: outbound",
    )  # fmt: skip
    assert again.status == 200
    assert list(contact_expires(again)) == ["sip:101@192.0.2.10:40002;transport=tcp;ob"]
    plain = server.register(Phone(call_id="other@192.0.2.10"), "Contact: <sip:101@192.0.2.10>")
    assert plain.headers.get_all("Require") == []  # no flow asked for: nothing to say
    assert len(server.location.contacts_for("101", T0)) == 2


def test_bad_contact_parameters_get_400(server: Server) -> None:
    phone = Phone()
    for header in ("Contact: <sip:101@192.0.2.10>;expires=soon", "Contact: <sip:1@h>;q=1.5"):
        assert server.register(phone, header).status == 400
    assert server.location.contacts_for("101", T0) == []


def test_contacts_per_address_of_record_are_capped(server: Server) -> None:
    phone = Phone()
    many = ", ".join(f"<sip:101@192.0.2.10:{5000 + n}>" for n in range(11))
    assert server.register(phone, f"Contact: {many}").status == 403
    assert server.location.contacts_for("101", T0) == []


def test_an_hour_is_never_too_brief() -> None:
    """§10.3 step 7: 423 only for intervals under one hour, whatever the configured minimum."""
    location = InMemoryLocationService(domain=DOMAIN)
    authenticator = DigestAuthenticator(DOMAIN, PASSWORDS.get, secret=b"k")
    guard = make_guard()
    registrar = Registrar(
        DOMAIN, authenticator, location, guard,
        min_expires=7200, default_expires=7200, max_expires=7200,
    )  # fmt: skip
    server = Server(registrar, location, guard)
    phone = Phone()
    assert server.register(phone, "Contact: <sip:101@192.0.2.10>;expires=3599").status == 423
    response = server.register(phone, "Contact: <sip:101@192.0.2.10>;expires=3600")
    assert response.status == 200
    assert contact_expires(response) == {"sip:101@192.0.2.10": 3600}
