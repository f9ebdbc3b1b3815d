"""Digest authentication: RFC 7616 vectors, nonces, replay, and the client helper."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.sip.auth import (
    AuthStatus,
    DigestAlgorithm,
    DigestAuthenticator,
    answer_challenge,
    digest_response,
    format_auth_params,
    parse_auth_params,
)
from hotline.sip.errors import LocalProtocolError
from hotline.sip.headers import Headers
from hotline.sip.message import Request
from hotline.sip.parser import parse_message
from hotline.sip.uri import SipUri

REALM = "hotline.local"
PASSWORDS = {"101": "s3cret-101", "102": "s3cret-102"}
URI = "sip:hotline.local"

# RFC 7616 §3.9.1: the request and challenge the examples answer.
RFC_NONCE = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
RFC_OPAQUE = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
RFC_CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
RFC_MD5 = "8ca523f5e9506fed4657c9700eebdbec"
RFC_SHA256 = "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"


def make_authenticator(*, nonce_lifetime: float = 300.0) -> DigestAuthenticator:
    """Configured for SHA-256 and MD5, SHA-256 preferred (the default offers MD5 alone)."""
    return DigestAuthenticator(
        REALM, PASSWORDS.get, secret=b"test secret", nonce_lifetime=nonce_lifetime,
        algorithms=[DigestAlgorithm.SHA256, DigestAlgorithm.MD5],
    )  # fmt: skip


def register(*authorizations: str, uri: str = URI, header: str = "Authorization") -> Request:
    lines = [
        f"REGISTER {uri} SIP/2.0",
        "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-auth-1",
        "Max-Forwards: 70",
        "From: <sip:101@hotline.local>;tag=a1",
        "To: <sip:101@hotline.local>",
        "Call-ID: auth-test-1",
        "CSeq: 2 REGISTER",
        "Contact: <sip:101@192.0.2.10:5060>",
        *(f"{header}: {value}" for value in authorizations),
        "Content-Length: 0",
    ]
    message = parse_message(("\r\n".join(lines) + "\r\n\r\n").encode())
    assert isinstance(message, Request)
    return message


def answer(
    challenge: str, *, username: str = "101", password: str = "s3cret-101", nc: int = 1,
    uri: str = URI,
) -> str:  # fmt: skip
    return answer_challenge(
        challenge, method="REGISTER", uri=uri, username=username, password=password,
        cnonce="c-nonce-1", nc=nc,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [(DigestAlgorithm.MD5, RFC_MD5), (DigestAlgorithm.SHA256, RFC_SHA256)],
)
def test_rfc7616_example_responses(algorithm: DigestAlgorithm, expected: str) -> None:
    response = digest_response(
        algorithm=algorithm, username="Mufasa", realm="http-auth@example.org",
        password="Circle of Life", method="GET", uri="/dir/index.html", nonce=RFC_NONCE,
        qop="auth", nc="00000001", cnonce=RFC_CNONCE,
    )  # fmt: skip
    assert response == expected


@pytest.mark.parametrize(("algorithm", "expected"), [("MD5", RFC_MD5), ("SHA-256", RFC_SHA256)])
def test_client_answers_the_rfc7616_example_challenge(algorithm: str, expected: str) -> None:
    challenge = (
        f'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={algorithm}, '
        f'nonce="{RFC_NONCE}", opaque="{RFC_OPAQUE}"'
    )
    value = answer_challenge(
        challenge, method="GET", uri="/dir/index.html", username="Mufasa",
        password="Circle of Life", cnonce=RFC_CNONCE,
    )  # fmt: skip
    scheme, params = parse_auth_params(value)
    assert scheme == "Digest"
    assert params["response"] == expected
    assert params["opaque"] == RFC_OPAQUE
    assert (params["qop"], params["nc"], params["algorithm"]) == ("auth", "00000001", algorithm)


def test_parse_auth_params_handles_quotes_escapes_and_commas() -> None:
    scheme, params = parse_auth_params(
        'Digest realm="a, \\"b\\"",NONCE=xyz ,, qop="auth,auth-int", stale=TRUE,'
    )
    assert scheme == "Digest"
    assert params == {"realm": 'a, "b"', "nonce": "xyz", "qop": "auth,auth-int", "stale": "TRUE"}


def test_parse_auth_params_reads_compact_and_spaced_credentials_alike() -> None:
    pairs = [("username", '"101"'), ("realm", '"r"'), ("nonce", '"n,1=2"'), ("uri", '"sip:r"'),
             ("algorithm", "MD5"), ("nc", "00000001"), ("opaque", '""')]  # fmt: skip
    compact = "Digest " + ",".join(f"{n}={v}" for n, v in pairs)
    spaced = "Digest  " + " ,\t".join(f"{n} = {v}" for n, v in pairs) + " "
    expected = {n: v.strip('"') for n, v in pairs}
    assert parse_auth_params(compact) == parse_auth_params(spaced) == ("Digest", expected)


@pytest.mark.parametrize(
    "value",
    [
        'Digest realm="a", realm="b"',
        'Digest realm="a",REALM="b"',
        'Digest realm="a",,b',
        'Digest realm="a" nonce="b"',
        'Digest realm="open',
    ],
)
def test_parse_auth_params_rejects_malformed_values(value: str) -> None:
    with pytest.raises(ValueError):
        parse_auth_params(value)


def test_challenge_offers_sha256_then_md5_with_one_nonce() -> None:
    values = make_authenticator().challenge(0.0)
    parsed = [parse_auth_params(value)[1] for value in values]
    assert [p["algorithm"] for p in parsed] == ["SHA-256", "MD5"]
    assert all(p["realm"] == REALM and p["qop"] == "auth" for p in parsed)
    assert parsed[0]["nonce"] == parsed[1]["nonce"]
    assert all("stale" not in p for p in parsed)
    assert all(
        parse_auth_params(v)[1]["stale"] == "true"
        for v in make_authenticator().challenge(0.0, stale=True)
    )


def test_the_default_offers_md5_alone() -> None:
    """Issue 15: baresip 1.0 answers no challenge set that holds an algorithm it lacks."""
    [challenge] = DigestAuthenticator(REALM, PASSWORDS.get, secret=b"s").challenge(0.0)
    assert parse_auth_params(challenge)[1]["algorithm"] == "MD5"


def test_a_user_may_be_offered_its_own_algorithms_each_checked_as_answered() -> None:
    authenticator = DigestAuthenticator(
        REALM, PASSWORDS.get, secret=b"s",
        user_algorithms={"102": [DigestAlgorithm.SHA512_256, DigestAlgorithm.SHA256]},
    )  # fmt: skip
    to_102 = authenticator.challenge(0.0, username="102")
    assert [parse_auth_params(v)[1]["algorithm"] for v in to_102] == ["SHA-512-256", "SHA-256"]
    assert [parse_auth_params(v)[1]["algorithm"] for v in authenticator.challenge(0.0)] == ["MD5"]
    for nc, value in enumerate(to_102, start=1):  # both share one nonce
        credentials = answer(value, username="102", password="s3cret-102", nc=nc)
        assert authenticator.verify(register(credentials), 1.0).status is AuthStatus.OK
    # An algorithm offered to someone else is not one offered to this user, and the other
    # way round.
    md5 = answer(authenticator.challenge(0.0)[0], username="102", password="s3cret-102")
    assert authenticator.verify(register(md5), 1.0).status is AuthStatus.FAILED
    sha = answer(to_102[1])
    assert authenticator.verify(register(sha), 1.0).status is AuthStatus.FAILED


def test_sha512_256_is_the_truncated_sha512_of_fips_180_4() -> None:
    empty = "c672b8d1ef56ed28ab87c3622c5114069bdd3ad7b8f9737498d0c01ecef0967a"
    assert DigestAlgorithm.parse("sha-512-256").hash("") == empty


def test_each_challenge_has_a_fresh_nonce() -> None:
    authenticator = make_authenticator()
    nonces = {parse_auth_params(authenticator.challenge(0.0)[0])[1]["nonce"] for _ in range(50)}
    assert len(nonces) == 50


@pytest.mark.parametrize("index", [0, 1], ids=["SHA-256", "MD5"])
def test_right_password_is_accepted(index: int) -> None:
    authenticator = make_authenticator()
    challenge = authenticator.challenge(10.0)[index]
    outcome = authenticator.verify(register(answer(challenge)), 11.0)
    assert outcome.status is AuthStatus.OK
    assert outcome.username == "101"


def test_no_credentials_or_another_realm_is_missing() -> None:
    authenticator = make_authenticator()
    assert authenticator.verify(register(), 0.0).status is AuthStatus.MISSING
    foreign = answer('Digest realm="elsewhere", nonce="abc", qop="auth"')
    assert authenticator.verify(register(foreign), 0.0).status is AuthStatus.MISSING
    basic = register("Basic MTAxOnMzY3JldA==")
    assert authenticator.verify(basic, 0.0).status is AuthStatus.MISSING


def test_wrong_password_and_unknown_user_both_fail() -> None:
    authenticator = make_authenticator()
    challenge = authenticator.challenge(0.0)[0]
    wrong = authenticator.verify(register(answer(challenge, password="guess")), 1.0)
    unknown = authenticator.verify(register(answer(challenge, username="999")), 1.0)
    assert wrong.status is unknown.status is AuthStatus.FAILED


def test_expired_nonce_is_stale_only_with_the_right_password() -> None:
    authenticator = make_authenticator(nonce_lifetime=300.0)
    challenge = authenticator.challenge(0.0)[0]
    assert authenticator.verify(register(answer(challenge)), 300.5).status is AuthStatus.STALE
    wrong = register(answer(challenge, password="guess"))
    assert authenticator.verify(wrong, 300.5).status is AuthStatus.FAILED


def test_nonce_from_another_secret_or_tampered_is_stale() -> None:
    other = DigestAuthenticator(REALM, PASSWORDS.get, secret=b"before the restart")
    authenticator = make_authenticator()
    challenge = other.challenge(0.0)[0]
    assert authenticator.verify(register(answer(challenge)), 1.0).status is AuthStatus.STALE
    nonce = parse_auth_params(authenticator.challenge(0.0)[0])[1]["nonce"]
    tampered = nonce[:-2] + ("AA" if nonce[-2:] != "AA" else "BB")
    forged = f'Digest realm="{REALM}", nonce="{tampered}", qop="auth"'
    assert authenticator.verify(register(answer(forged)), 1.0).status is AuthStatus.STALE


def test_a_long_secret_keys_nonces_like_any_other() -> None:
    authenticator = DigestAuthenticator(REALM, PASSWORDS.get, secret=b"k" * 100)
    challenge = authenticator.challenge(0.0)[0]
    assert authenticator.verify(register(answer(challenge)), 1.0).status is AuthStatus.OK
    other = DigestAuthenticator(REALM, PASSWORDS.get, secret=b"k" * 99)
    assert other.verify(register(answer(challenge)), 1.0).status is AuthStatus.STALE


def test_nonce_count_cannot_be_replayed_and_must_increase() -> None:
    authenticator = make_authenticator()
    challenge = authenticator.challenge(0.0)[0]
    first = register(answer(challenge, nc=1))
    assert authenticator.verify(first, 1.0).status is AuthStatus.OK
    assert authenticator.verify(first, 2.0).status is AuthStatus.STALE
    assert authenticator.verify(register(answer(challenge, nc=3)), 3.0).status is AuthStatus.OK
    assert authenticator.verify(register(answer(challenge, nc=2)), 4.0).status is AuthStatus.STALE
    assert authenticator.verify(register(answer(challenge, nc=4)), 5.0).status is AuthStatus.OK


def test_digest_uri_must_match_the_request_uri() -> None:
    authenticator = make_authenticator()
    challenge = authenticator.challenge(0.0)[0]
    elsewhere = register(answer(challenge, uri="sip:other.example"))
    assert authenticator.verify(elsewhere, 1.0).status is AuthStatus.FAILED
    equivalent = register(answer(challenge, uri="sip:HOTLINE.local"))
    assert authenticator.verify(equivalent, 1.0).status is AuthStatus.OK


@pytest.mark.parametrize(
    "mangle",
    [
        lambda v: v.replace(", qop=auth", "").replace(", nc=00000001", ""),  # RFC 2069 form
        lambda v: v.replace("nc=00000001", "nc=1"),
        lambda v: v.replace("algorithm=SHA-256", "algorithm=SHA-256-sess"),
        lambda v: v.replace('username="101", ', ""),
        lambda v: v + ', realm="again"',
    ],
    ids=["no-qop", "short-nc", "sess", "no-username", "repeated"],
)
def test_malformed_or_unoffered_credentials_fail(mangle: Callable[[str], str]) -> None:
    authenticator = make_authenticator()
    value = answer(authenticator.challenge(0.0)[0])
    outcome = authenticator.verify(register(mangle(value)), 1.0)
    assert outcome.status is AuthStatus.FAILED


def test_proxy_authorization_is_read_when_asked() -> None:
    authenticator = make_authenticator()
    value = answer(authenticator.challenge(0.0)[0])
    request = register(value, header="Proxy-Authorization")
    assert authenticator.verify(request, 1.0).status is AuthStatus.MISSING
    assert authenticator.verify(request, 1.0, header="Proxy-Authorization").status is AuthStatus.OK


def test_answered_nonces_are_forgotten_after_their_lifetime() -> None:
    authenticator = make_authenticator(nonce_lifetime=300.0)
    for at in range(20):
        challenge = authenticator.challenge(float(at))[0]
        assert authenticator.verify(register(answer(challenge)), at + 0.5).status is AuthStatus.OK
    assert len(authenticator._answered) == 20
    authenticator.verify(register(), 400.0)
    assert len(authenticator._answered) == 0


def test_memory_cap_never_reopens_a_replay() -> None:
    authenticator = DigestAuthenticator(REALM, PASSWORDS.get, secret=b"s", max_answered_nonces=3)
    first = register(answer(authenticator.challenge(0.0)[0]))
    assert authenticator.verify(first, 0.5).status is AuthStatus.OK
    for at in range(1, 5):
        later = register(answer(authenticator.challenge(float(at))[0]))
        assert authenticator.verify(later, at + 0.5).status is AuthStatus.OK
    assert len(authenticator._answered) == 3
    assert authenticator.verify(first, 6.0).status is AuthStatus.STALE


def test_client_falls_back_to_rfc2069_and_auth_int() -> None:
    old = answer_challenge(
        'Digest realm="r", nonce="n"', method="REGISTER", uri=URI, username="u",
        password="p", cnonce="c",
    )  # fmt: skip
    params = parse_auth_params(old)[1]
    assert "qop" not in params and "nc" not in params
    assert params["response"] == digest_response(
        algorithm=DigestAlgorithm.MD5, username="u", realm="r", password="p",
        method="REGISTER", uri=URI, nonce="n", qop=None,
    )  # fmt: skip
    integrity = answer_challenge(
        'Digest realm="r", nonce="n", qop="auth-int"', method="MESSAGE", uri=URI,
        username="u", password="p", cnonce="c", nc=2, body=b"hello",
    )  # fmt: skip
    params = parse_auth_params(integrity)[1]
    assert (params["qop"], params["nc"]) == ("auth-int", "00000002")


@pytest.mark.parametrize(
    "challenge",
    ['Basic realm="r"', 'Digest realm="r", nonce="n", algorithm=SHA-512', 'Digest nonce="n"'],
)
def test_client_refuses_challenges_it_cannot_answer(challenge: str) -> None:
    with pytest.raises(LocalProtocolError):
        answer_challenge(
            challenge, method="REGISTER", uri=URI, username="u", password="p", cnonce="c"
        )


_FIELDS = ["username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce", "algorithm"]
_LIKELY = ["101", f'"{REALM}"', "auth", "00000001", f'"{URI}"', "MD5", "SHA-256", '"x"']
_TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\n\0"))


@given(
    st.lists(
        st.tuples(st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), _TEXT, st.booleans()),
        unique_by=lambda item: item[0],
    )
)
def test_format_then_parse_round_trips(params: list[tuple[str, str, bool]]) -> None:
    quoted = [(name, value, True) for name, value, _ in params]
    assert parse_auth_params(format_auth_params("Digest", quoted)) == (
        "Digest",
        {name: value for name, value, _ in params},
    )


@settings(max_examples=200)
@given(
    st.one_of(
        _TEXT,
        st.builds(
            lambda params: "Digest " + ", ".join(f"{k}={v}" for k, v in params),
            st.lists(
                st.tuples(st.sampled_from(_FIELDS), st.one_of(st.sampled_from(_LIKELY), _TEXT)),
                max_size=10,
            ),
        ),
    )
)
def test_verify_never_raises_on_arbitrary_credentials(value: str) -> None:
    request = Request(method="REGISTER", uri=SipUri.parse(URI), headers=Headers())
    request.headers.add("Authorization", value)
    outcome = make_authenticator().verify(request, 1.0)
    assert outcome.status in (AuthStatus.MISSING, AuthStatus.FAILED, AuthStatus.STALE)


def test_offered_algorithms_are_configurable_for_md5_only_peers() -> None:
    """SIPp 3.6 answers only the first challenge and only with MD5: it needs MD5 first."""
    md5_first = DigestAuthenticator(
        REALM, PASSWORDS.get, secret=b"s", algorithms=[DigestAlgorithm.MD5]
    )
    [challenge] = md5_first.challenge(0.0)
    assert parse_auth_params(challenge)[1]["algorithm"] == "MD5"
    assert md5_first.verify(register(answer(challenge)), 1.0).status is AuthStatus.OK
    sha = answer(challenge).replace("algorithm=MD5", "algorithm=SHA-256")
    assert md5_first.verify(register(sha), 1.0).status is AuthStatus.FAILED
    with pytest.raises(LocalProtocolError):
        DigestAuthenticator(REALM, PASSWORDS.get, secret=b"s", algorithms=[])
    with pytest.raises(LocalProtocolError):
        DigestAuthenticator(REALM, PASSWORDS.get, secret=b"")


def test_unknown_user_costs_the_same_hashing_as_a_wrong_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Timing must not tell extensions apart: an unknown user is hashed against a dummy."""
    hashed: list[DigestAlgorithm] = []
    original = DigestAlgorithm.hash

    def counting(self: DigestAlgorithm, data: str | bytes) -> str:
        hashed.append(self)
        return original(self, data)

    authenticator = make_authenticator()
    challenge = authenticator.challenge(0.0)[0]
    wrong, unknown = (
        register(answer(challenge, username=user, password="guess!")) for user in ("101", "999")
    )
    monkeypatch.setattr(DigestAlgorithm, "hash", counting)
    authenticator.verify(wrong, 1.0)
    wrong_work, hashed[:] = list(hashed), []
    authenticator.verify(unknown, 1.0)
    assert wrong_work and hashed == wrong_work
