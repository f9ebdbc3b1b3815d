"""Digest authentication for SIP (RFC 3261 §22, RFC 7616, RFC 8760), sans-IO.

Theory of operation (server side): a nonce carries its own issue time and an HMAC of that time
under a process secret, so any nonce we issued can be checked without remembering it, and one we
did not issue (or issued under another secret, before a restart) is recognized as such. Memory
is only spent on nonces that were answered with the right password: for those we remember the
highest nonce-count seen, so a captured request cannot be replayed while its nonce lives. The
digest is always computed, against a random dummy password when the user is unknown, and compared
in constant time, so an unknown user and a wrong password look and cost the same from outside.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
import math
import re
import secrets
import struct
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from hotline.sip.errors import LocalProtocolError, SipParseError
from hotline.sip.message import Request, random_bytes
from hotline.sip.uri import SipUri, uri_equal

__all__ = [
    "AuthOutcome",
    "AuthStatus",
    "DigestAlgorithm",
    "DigestAuthenticator",
    "answer_challenge",
    "digest_response",
    "format_auth_params",
    "parse_auth_params",
]

logger = logging.getLogger(__name__)


class DigestAlgorithm(Enum):
    """The algorithm parameter values we know (RFC 7616 §3.3, RFC 8760 §2)."""

    MD5 = "MD5"
    MD5_SESS = "MD5-sess"
    SHA256 = "SHA-256"
    SHA256_SESS = "SHA-256-sess"
    SHA512_256 = "SHA-512-256"
    SHA512_256_SESS = "SHA-512-256-sess"

    @classmethod
    def parse(cls, text: str | None) -> DigestAlgorithm:
        """Case-insensitive lookup; an absent parameter means MD5 (RFC 7616 §3.3)."""
        if text is None:
            return cls.MD5
        algorithm = _ALGORITHMS.get(text.lower())
        if algorithm is None:
            raise ValueError(f"unsupported digest algorithm {text!r}")
        return algorithm

    @property
    def session(self) -> bool:
        return self.value.endswith("-sess")

    def hash(self, data: str | bytes) -> str:
        """H(data) as lower-case hex (RFC 7616 §3.4.1)."""
        raw = data.encode() if isinstance(data, str) else data
        digest: str = _HASHES[self](raw).hexdigest()
        return digest


_ALGORITHMS = {algorithm.value.lower(): algorithm for algorithm in DigestAlgorithm}

try:
    # Python's own MD5: OpenSSL 3 looks the digest up on every call, which costs more than
    # hashing a line of text.
    from _md5 import md5 as _md5  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover - a Python built without it
    _md5 = hashlib.md5

_HASHES = {
    DigestAlgorithm.MD5: _md5,
    DigestAlgorithm.MD5_SESS: _md5,
    DigestAlgorithm.SHA256: hashlib.sha256,
    DigestAlgorithm.SHA256_SESS: hashlib.sha256,
    DigestAlgorithm.SHA512_256: functools.partial(hashlib.new, "sha512_256"),
    DigestAlgorithm.SHA512_256_SESS: functools.partial(hashlib.new, "sha512_256"),
}


def digest_response(
    *,
    algorithm: DigestAlgorithm,
    username: str,
    realm: str,
    password: str,
    method: str,
    uri: str,
    nonce: str,
    qop: str | None,
    nc: str | None = None,
    cnonce: str | None = None,
    body: bytes = b"",
) -> str:
    """The ``response`` value, KD(H(A1), nonce:nc:cnonce:qop:H(A2)) (RFC 7616 §3.4.1-3.4.3).

    ``qop`` None is the RFC 2069 form kept by RFC 3261 §22.4 for old peers: H(A1):nonce:H(A2).
    """
    ha1 = algorithm.hash(f"{username}:{realm}:{password}")
    if algorithm.session:
        ha1 = algorithm.hash(f"{ha1}:{nonce}:{cnonce}")
    a2 = f"{method}:{uri}"
    if qop == "auth-int":
        a2 = f"{a2}:{algorithm.hash(body)}"
    ha2 = algorithm.hash(a2)
    if qop is None:
        return algorithm.hash(f"{ha1}:{nonce}:{ha2}")
    return algorithm.hash(f"{ha1}:{nonce}:{nc}:{cnonce}:{qop}:{ha2}")


# auth-param = token "=" ( token / quoted-string ), separated by commas (RFC 7235 §2.1).
_PARAM = re.compile(r'\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,"]*)\s*')
_ESCAPE = re.compile(r"\\(.)")
_SCHEME = re.compile(r"\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)(?:\s+|$)")


def parse_auth_params(value: str) -> tuple[str, dict[str, str]]:
    """Split a challenge or credentials header value into its scheme and parameters.

    Parameter names are lower-cased; quoted values are unquoted. A repeated parameter or a
    syntax error raises ValueError: RFC 7616 §3.3 allows each parameter once.
    """
    scheme_match = _SCHEME.match(value)
    if scheme_match is None:
        raise ValueError("no authentication scheme")
    if _SIMPLE_PARAMS.fullmatch(value, scheme_match.end()):
        # What phones send: no LWS, no quoted-pairs. One scan in C instead of one per value.
        pairs = [
            (n.lower(), v[1:-1] if v[:1] == '"' else v)
            for n, v in _SIMPLE_PAIR.findall(value, scheme_match.end())
        ]
        params = dict(pairs)
        if len(params) < len(pairs):
            raise ValueError(f"repeated auth-param {_repeated(pairs)}")
        return scheme_match.group(1), params
    params = {}
    position = scheme_match.end()
    while position < len(value):
        if value[position] in ", \t":  # empty list elements are allowed (RFC 7230 §7)
            position += 1
            continue
        match = _PARAM.match(value, position)
        if match is None:
            raise ValueError(f"bad auth-param at offset {position}")
        name, raw = match.group(1).lower(), match.group(2)
        if name in params:
            raise ValueError(f"repeated auth-param {name}")
        # The pattern only lets a quoted-string start with '"' when it is whole.
        params[name] = _ESCAPE.sub(r"\1", raw[1:-1]) if raw.startswith('"') else raw
        position = match.end()
        if position < len(value) and value[position] != ",":
            raise ValueError(f"expected ',' at offset {position}")
    return scheme_match.group(1), params


# The usual credentials: ``name=value`` pairs split by commas (a space allowed after each),
# values tokens or quoted strings without quoted-pairs.
_SIMPLE_VALUE = r'(?:"[^"\\]*"|[^\s,"]*)'
_NAME = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_SIMPLE_PARAMS = re.compile(rf"{_NAME}={_SIMPLE_VALUE}(?:, ?{_NAME}={_SIMPLE_VALUE})*")
_SIMPLE_PAIR = re.compile(rf"({_NAME})=({_SIMPLE_VALUE})")


def _repeated(pairs: list[tuple[str, str]]) -> str:
    seen: set[str] = set()
    for name, _ in pairs:
        if name in seen:
            return name
        seen.add(name)
    return ""


def format_auth_params(scheme: str, params: Iterable[tuple[str, str, bool]]) -> str:
    """``scheme name="value", name=token``; each item is (name, value, quoted)."""
    parts = [f"{name}={_quote(value) if quoted else value}" for name, value, quoted in params]
    return f"{scheme} {', '.join(parts)}"


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def answer_challenge(
    challenge_header_value: str,
    *,
    method: str,
    uri: str,
    username: str,
    password: str,
    cnonce: str,
    nc: int = 1,
    body: bytes = b"",
) -> str:
    """An Authorization (or Proxy-Authorization) value answering one challenge (RFC 3261 §22.2).

    Prefers qop=auth, then auth-int, then the RFC 2069 form when the challenge offers no qop.
    Raises LocalProtocolError for a challenge we cannot answer.
    """
    try:
        scheme, challenge = parse_auth_params(challenge_header_value)
        algorithm = DigestAlgorithm.parse(challenge.get("algorithm"))
    except ValueError as error:
        raise LocalProtocolError(f"cannot answer challenge: {error}", None) from error
    if scheme.lower() != "digest" or "realm" not in challenge or "nonce" not in challenge:
        raise LocalProtocolError("cannot answer challenge: not a Digest challenge", None)
    offered = {item.strip() for item in challenge.get("qop", "").split(",") if item.strip()}
    qop = next((choice for choice in ("auth", "auth-int") if choice in offered), None)
    if offered and qop is None:
        raise LocalProtocolError(f"cannot answer challenge: qop {sorted(offered)}", None)
    realm, nonce = challenge["realm"], challenge["nonce"]
    nc_text = f"{nc:08x}"
    response = digest_response(
        algorithm=algorithm, username=username, realm=realm, password=password,
        method=method, uri=uri, nonce=nonce, qop=qop, nc=nc_text, cnonce=cnonce, body=body,
    )  # fmt: skip
    params = [
        ("username", username, True), ("realm", realm, True), ("nonce", nonce, True),
        ("uri", uri, True), ("response", response, True), ("algorithm", algorithm.value, False),
    ]  # fmt: skip
    if "opaque" in challenge:
        params.append(("opaque", challenge["opaque"], True))
    if qop is not None:
        params += [("qop", qop, False), ("nc", nc_text, False), ("cnonce", cnonce, True)]
    return format_auth_params("Digest", params)


class AuthStatus(Enum):
    """What verify() concluded; the registrar maps it to a response."""

    OK = "ok"
    MISSING = "missing"  # no Digest credentials for our realm: challenge, not a failure
    STALE = "stale"  # right password, but the nonce expired, is unknown or was replayed
    FAILED = "failed"  # wrong password, unknown user or malformed credentials


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthOutcome:
    """Result of verify(). ``reason`` is for logs only: never send it to the peer."""

    status: AuthStatus
    username: str | None = None
    reason: str = ""
    # Names the credentials that failed (username, realm, response): the same ones sent
    # again are no new guess at the password.
    guess: str = ""


class _NonceState(Enum):
    FRESH = "fresh"
    EXPIRED = "expired"
    FOREIGN = "foreign"  # not issued by us under this secret (or before a restart)
    REPLAYED = "replayed"  # a nonce-count not above the last one accepted


@dataclass(slots=True)
class _Answered:
    issued_at: float
    last_nc: int


# What every common phone answers: baresip 1.0's library refuses a whole challenge set that
# holds an algorithm it does not know, so anything stronger is offered only where configured.
_DEFAULT = (DigestAlgorithm.MD5,)
_NONCE_RANDOM = 12
_NONCE_MAC = 16
_NONCE_TEXT = re.compile(r"[A-Za-z0-9_-]{48}")
_NC = re.compile(r"[0-9A-Fa-f]{8}")
_REQUIRED = ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce")


class DigestAuthenticator:
    """Server side of digest authentication for one realm (RFC 3261 §22.1, §22.4; RFC 7616).

    ``passwords`` maps a username to its password, or None when the user does not exist.
    ``secret`` keys the nonce MAC; nonces older than ``nonce_lifetime`` seconds are stale.
    Only qop=auth is accepted, so every accepted request carries a nonce-count. ``algorithms``
    are offered in that order (the preferred first), ``user_algorithms`` instead to the users
    it names; peers that only read the first challenge need MD5 first.
    """

    def __init__(
        self,
        realm: str,
        passwords: Callable[[str], str | None],
        *,
        secret: bytes,
        nonce_lifetime: float = 300.0,
        max_answered_nonces: int = 100_000,
        algorithms: Sequence[DigestAlgorithm] = _DEFAULT,
        user_algorithms: Mapping[str, Sequence[DigestAlgorithm]] | None = None,
    ) -> None:
        if not secret:
            raise LocalProtocolError("the nonce secret must not be empty", None)
        self.algorithms = _offer(algorithms)
        self._user_algorithms = {
            user: _offer(offered) for user, offered in (user_algorithms or {}).items()
        }
        self.realm = realm
        self._passwords = passwords
        self._secret = secret
        self._lifetime = nonce_lifetime
        self._max_answered = max_answered_nonces
        self._answered: OrderedDict[str, _Answered] = OrderedDict()
        # Nonces issued up to this time and not in _answered were forgotten under memory
        # pressure; their nonce-counts are unknown, so they are treated as stale.
        self._forgotten_until = -math.inf
        self._dummy_password = secrets.token_hex(16)
        self._mac_prefix = realm.encode() + b"\0"
        # BLAKE2b takes keys up to 64 bytes.
        self._mac_key = secret if len(secret) <= 64 else hashlib.blake2b(secret).digest()
        # Each challenge as the text before and after its nonce, by offer and stale flag.
        offers = {self.algorithms, *self._user_algorithms.values()}
        self._challenges = {
            (offer, stale): [_around_nonce(realm, a, stale) for a in offer]
            for offer in offers
            for stale in (False, True)
        }

    def offered_to(self, username: str | None) -> tuple[DigestAlgorithm, ...]:
        """The algorithms offered to ``username``, the preferred first."""
        if username is None:
            return self.algorithms
        return self._user_algorithms.get(username, self.algorithms)

    def challenge(
        self, now: float, *, stale: bool = False, username: str | None = None
    ) -> list[str]:
        """WWW-Authenticate / Proxy-Authenticate values, one per algorithm offered to
        ``username`` (the user the request names), the preferred first (RFC 8760 §2.4).

        All share one fresh nonce. ``stale`` tells the client its password was right but the
        nonce was not, so it retries without asking the user (RFC 7616 §3.3).
        """
        nonce = self._new_nonce(now)
        offer = self.offered_to(username)
        return [f"{head}{nonce}{tail}" for head, tail in self._challenges[offer, stale]]

    def verify(self, request: Request, now: float, *, header: str = "Authorization") -> AuthOutcome:
        """Check the request's credentials for our realm (RFC 3261 §22.4, RFC 7616 §3.4).

        ``header`` is "Proxy-Authorization" when answering as a proxy (407).
        """
        self._purge(now)
        try:
            credentials = self._select(request.headers.get_all(header))
        except ValueError as error:
            return AuthOutcome(status=AuthStatus.FAILED, reason=f"malformed credentials: {error}")
        if credentials is None:
            return AuthOutcome(status=AuthStatus.MISSING, reason=f"no credentials for {self.realm}")
        return self._check(*credentials, request, now)

    def _select(self, values: list[str]) -> tuple[DigestAlgorithm, dict[str, str]] | None:
        """The first Digest credentials for our realm; others are for someone else (§22.3)."""
        for value in values:
            scheme, params = parse_auth_params(value)
            if scheme.lower() != "digest" or params.get("realm") != self.realm:
                continue
            missing = [name for name in _REQUIRED if name not in params]
            if missing:
                raise ValueError(f"missing {', '.join(missing)}")
            if params["qop"] != "auth":
                raise ValueError(f"qop {params['qop']!r} was not offered")
            if not _NC.fullmatch(params["nc"]):
                raise ValueError(f"bad nc {params['nc']!r}")
            algorithm = DigestAlgorithm.parse(params.get("algorithm"))
            if algorithm not in self.offered_to(params["username"]):
                raise ValueError(f"algorithm {algorithm.value} was not offered")
            return algorithm, params
        return None

    def _check(
        self, algorithm: DigestAlgorithm, params: dict[str, str], request: Request, now: float
    ) -> AuthOutcome:
        username = params["username"]
        password = self._passwords(username)
        expected = digest_response(
            algorithm=algorithm, username=username, realm=self.realm,
            password=password if password is not None else self._dummy_password,
            method=request.method, uri=params["uri"], nonce=params["nonce"], qop="auth",
            nc=params["nc"], cnonce=params["cnonce"],
        )  # fmt: skip
        digest_ok = hmac.compare_digest(expected.encode(), params["response"].lower().encode())
        uri_ok = _same_uri(params["uri"], request.uri)
        if password is None or not digest_ok or not uri_ok:
            why = "unknown user" if password is None else "bad digest" if not digest_ok else ""
            why = why or "digest uri differs from the Request-URI"
            guess = f"{username}\0{self.realm}\0{params['response'].lower()}"
            return AuthOutcome(status=AuthStatus.FAILED, username=username, reason=why, guess=guess)
        state = self._consume(params["nonce"], int(params["nc"], 16), now)
        if state is not _NonceState.FRESH:
            reason = f"nonce {state.value}"
            return AuthOutcome(status=AuthStatus.STALE, username=username, reason=reason)
        return AuthOutcome(status=AuthStatus.OK, username=username)

    def _new_nonce(self, now: float) -> str:
        payload = struct.pack(">d", now) + random_bytes(_NONCE_RANDOM)
        return base64.urlsafe_b64encode(payload + self._mac(payload)).decode()

    def _mac(self, payload: bytes) -> bytes:
        # Keyed BLAKE2b is a MAC by design (RFC 7693 §2.5) and, built into Python, costs a
        # third of an HMAC through OpenSSL 3, whose every call looks the digest up anew.
        message = self._mac_prefix + payload
        return hashlib.blake2b(message, key=self._mac_key, digest_size=_NONCE_MAC).digest()

    def _issued_at(self, nonce: str) -> float | None:
        """The issue time of a nonce we made, or None for anything else."""
        if not _NONCE_TEXT.fullmatch(nonce):
            return None
        raw = base64.urlsafe_b64decode(nonce)
        payload, mac = raw[:-_NONCE_MAC], raw[-_NONCE_MAC:]
        if not hmac.compare_digest(mac, self._mac(payload)):
            return None
        (issued_at,) = struct.unpack(">d", payload[:8])
        return float(issued_at)

    def _consume(self, nonce: str, nc: int, now: float) -> _NonceState:
        """Accept (nonce, nc) once, with nc increasing (RFC 7616 §3.4.5: replay protection)."""
        issued_at = self._issued_at(nonce)
        if issued_at is None or issued_at > now:
            return _NonceState.FOREIGN
        if now - issued_at > self._lifetime:
            return _NonceState.EXPIRED
        answered = self._answered.get(nonce)
        if answered is None:
            if issued_at <= self._forgotten_until:
                return _NonceState.EXPIRED
            self._remember(nonce, issued_at, nc)
            return _NonceState.FRESH
        if nc <= answered.last_nc:
            logger.info("Replayed digest nonce-count %d (last %d)", nc, answered.last_nc)
            return _NonceState.REPLAYED
        answered.last_nc = nc
        return _NonceState.FRESH

    def _remember(self, nonce: str, issued_at: float, nc: int) -> None:
        self._answered[nonce] = _Answered(issued_at, nc)
        while len(self._answered) > self._max_answered:
            _, evicted = self._answered.popitem(last=False)
            self._forgotten_until = max(self._forgotten_until, evicted.issued_at)

    def _purge(self, now: float) -> None:
        """Forget nonces past their lifetime: they are refused as expired without memory.

        The table is in order of first answer, not of issue, so an entry may outlive its nonce
        by up to one lifetime before it reaches the front: memory stays bounded all the same.
        """
        while self._answered:
            nonce, answered = next(iter(self._answered.items()))
            if now - answered.issued_at <= self._lifetime:
                break
            del self._answered[nonce]


def _offer(algorithms: Sequence[DigestAlgorithm]) -> tuple[DigestAlgorithm, ...]:
    """``algorithms`` without repeats, checked: at least one, and no -sess (its H(A1) binds
    the first cnonce, which we would have to keep per client)."""
    offer = tuple(dict.fromkeys(algorithms))
    if not offer or any(algorithm.session for algorithm in offer):
        raise LocalProtocolError("offer at least one digest algorithm, none of them -sess", None)
    return offer


def _around_nonce(realm: str, algorithm: DigestAlgorithm, stale: bool) -> tuple[str, str]:
    """A challenge (§22.1, RFC 7616 §3.3) split where its nonce goes."""
    params = [
        ("realm", realm, True),
        ("nonce", "\0", True),
        ("algorithm", algorithm.value, False),
        ("qop", "auth", True),
        *([("stale", "true", False)] if stale else []),
    ]
    head, _, tail = format_auth_params("Digest", params).partition("\0")
    return head, tail


def _same_uri(digest_uri: str, request_uri: SipUri) -> bool:
    """RFC 3261 §22.4 / RFC 7616 §3.4.6: the digest-uri names the Request-URI."""
    try:
        return uri_equal(SipUri.parse(digest_uri), request_uri)
    except SipParseError:
        return False
