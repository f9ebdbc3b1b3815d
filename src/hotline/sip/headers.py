"""Header fields: the ordered header list of a message, and the Via and CSeq values.

RFC 3261 §7.3: names are case-insensitive and have compact forms; a header whose grammar is a
comma-separated list may be written as one line or several, and both mean the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from hotline.sip._grammar import (
    TOKEN,
    TOKEN_CHARS,
    Parameters,
    builder,
    find_param,
    format_params,
    parse_generic_params,
    set_params,
    split_simple_params,
    split_top_level,
)
from hotline.sip.errors import SipParseError

__all__ = ["CSeq", "Headers", "Via", "canonical_name"]

T = TypeVar("T")

_KNOWN = (
    "Accept", "Accept-Contact", "Accept-Encoding", "Accept-Language", "Alert-Info", "Allow",
    "Allow-Events", "Authentication-Info", "Authorization", "Call-ID", "Call-Info", "Contact",
    "Content-Disposition", "Content-Encoding", "Content-Language", "Content-Length",
    "Content-Type", "CSeq", "Date", "Error-Info", "Event", "Expires", "From", "Identity",
    "Identity-Info", "In-Reply-To", "Max-Forwards", "Min-Expires", "MIME-Version",
    "Organization", "Path", "Priority", "Proxy-Authenticate", "Proxy-Authorization",
    "Proxy-Require", "RAck", "Reason", "Record-Route", "Refer-To", "Referred-By",
    "Reject-Contact", "Reply-To", "Request-Disposition", "Require", "Retry-After", "Route",
    "RSeq", "Server", "Service-Route", "Session-Expires", "Subject", "Subscription-State",
    "Supported", "Timestamp", "To", "Unsupported", "User-Agent", "Via", "Warning",
    "WWW-Authenticate",
)  # fmt: skip
# Compact forms (RFC 3261 §7.3.3 and the extensions that defined them).
_COMPACT = {
    "a": "Accept-Contact", "b": "Referred-By", "c": "Content-Type", "d": "Request-Disposition",
    "e": "Content-Encoding", "f": "From", "i": "Call-ID", "j": "Reject-Contact", "k": "Supported",
    "l": "Content-Length", "m": "Contact", "n": "Identity-Info", "o": "Event", "r": "Refer-To",
    "s": "Subject", "t": "To", "u": "Allow-Events", "v": "Via", "x": "Session-Expires",
    "y": "Identity",
}  # fmt: skip
_CANONICAL: dict[str, str] = {name.lower(): name for name in _KNOWN} | _COMPACT
# Headers whose grammar is a comma-separated list (§7.3.1); the others (Authorization,
# WWW-Authenticate, Date...) hold commas that do not separate values.
_LIST_NAMES = (
    "accept", "accept-contact", "accept-encoding", "accept-language", "alert-info", "allow",
    "allow-events", "call-info", "contact", "content-encoding", "content-language", "error-info",
    "in-reply-to", "path", "proxy-require", "record-route", "reject-contact", "require", "route",
    "service-route", "supported", "unsupported", "via", "warning",
)  # fmt: skip
_LIST_HEADERS = frozenset(_LIST_NAMES)


def canonical_name(name: str) -> str:
    """The usual spelling of a header name; compact forms expanded (§7.3.3)."""
    return _CANONICAL.get(name.lower(), name)


class Headers:
    """Ordered, case-insensitive header fields of one message (RFC 3261 §7.3).

    Values are kept as received (after unfolding) and parsed on demand; a parsed value is
    cached under its header's name until a line of that header changes.
    """

    __slots__ = ("_cache", "_fields", "_index")

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._fields: list[tuple[str, str, str]] = []
        self._index: dict[str, list[str]] | None = None
        self._cache: dict[str, object] = {}
        for name, value in items:
            canonical = _CANONICAL.get(name.lower(), name)
            self._fields.append((canonical.lower(), canonical, value))

    @classmethod
    def from_lines(
        cls, fields: list[tuple[str, str, str]], index: dict[str, list[str]] | None = None
    ) -> Headers:
        """Headers from (key, name, value) triples the parser already normalized, and the
        values by key when the parser built them on the way."""
        headers: Headers = object.__new__(cls)
        headers._fields = fields
        headers._index = index
        headers._cache = {}
        return headers

    def by_key(self) -> dict[str, list[str]]:
        """Every line's value by lower-case canonical name (read only)."""
        index = self._index
        if index is None:
            index = self._index = {}
            for key, _, value in self._fields:
                if key in index:
                    index[key].append(value)
                else:
                    index[key] = [value]
        return index

    def _lines(self, name: str) -> list[str]:
        index = self._index
        if index is None:
            index = self.by_key()
        key = _KEYS.get(name)
        return index.get(_key(name) if key is None else key, _NONE)

    def get(self, name: str) -> str | None:
        """The first line of header ``name``, None when absent."""
        lines = self._lines(name)
        return lines[0] if lines else None

    def get_all(self, name: str) -> list[str]:
        """Every value of ``name``; list headers are split on top-level commas (§7.3.1)."""
        lines = self._lines(name)
        if _key(name) not in _LIST_HEADERS:
            return list(lines)
        split: list[str] = []
        for value in lines:
            if "," in value:
                split.extend(part.strip(" \t") for part in split_top_level(value, ","))
            else:
                split.append(value)
        return split

    def count(self, name: str) -> int:
        """How many lines of ``name`` the message has (a list header may hold several values)."""
        return len(self._lines(name))

    def add(self, name: str, value: str) -> None:
        """Append a line (a list header's values may also be added one line each, §7.3.1)."""
        known = KNOWN_SPELLINGS.get(name)
        if known is None:
            canonical = canonical_name(name)
            key = canonical.lower()
        else:
            key, canonical = known
        value = str(value)
        self._fields.append((key, canonical, value))
        index = self._index
        if index is not None:  # keep the index: responses are built by adding lines
            if key in index:
                index[key].append(value)
            else:
                index[key] = [value]
        self._changed(key, keep_index=True)

    def set(self, name: str, value: str) -> None:
        """Replace every line of ``name`` by one, in place of the first (or at the end)."""
        canonical = canonical_name(name)
        key = canonical.lower()
        line = (key, canonical, str(value))
        index = next((i for i, f in enumerate(self._fields) if f[0] == key), None)
        self._fields = [f for f in self._fields if f[0] != key]
        self._fields.insert(len(self._fields) if index is None else index, line)
        self._changed(key)

    def remove(self, name: str) -> None:
        """Remove every line of ``name``."""
        key = _key(name)
        self._fields = [f for f in self._fields if f[0] != key]
        self._changed(key)

    def _changed(self, key: str, *, keep_index: bool = False) -> None:
        if not keep_index:
            self._index = None
        # Only the values parsed from this header are stale. Dropping them alone (rather than
        # every cached value) spares the From, To, CSeq and Via of a message being parsed
        # again after a Server or Contact line is set: that once doubled the cost of a
        # REGISTER.
        cache = self._cache
        if cache and key in _PARSED_KEYS:
            keys = _KEYS
            for name in [name for name in cache if (keys.get(name) or _key(name)) == key]:
                del cache[name]

    def compact(self) -> None:
        """Drop the lookup index; the next lookup builds it again.

        A transaction keeps its request for up to 64*T1 after the final response (Timer J),
        and the index is a list per header name: thousands of such requests made the
        garbage collector a large share of a busy registrar's time.
        """
        self._index = None

    def copy(self) -> Headers:
        """An independent copy: changing one leaves the other as it was."""
        return Headers.from_lines(list(self._fields))

    def with_first_line(self, name: str, value: str) -> Headers:
        """A copy in which the first line of ``name`` (which must be present) reads ``value``.

        The values parsed from the other headers are shared with the copy, so rewriting the
        top Via of a received request (received, rport) leaves nothing else to parse again.
        """
        key = _key(name)
        fields = list(self._fields)
        position = next(i for i, f in enumerate(fields) if f[0] == key)
        fields[position] = (key, fields[position][1], value)
        copy = Headers.from_lines(fields)
        keys = _KEYS
        copy._cache = {n: v for n, v in self._cache.items() if (keys.get(n) or _key(n)) != key}
        return copy

    def share_parsed(self, source: Headers, names: Iterable[str]) -> None:
        """Reuse the values ``source`` parsed from ``names``, whose lines were copied here
        unchanged (a response takes them from its request, RFC 3261 §8.2.6.2)."""
        cache = source._cache
        for name in names:
            if name in cache:
                self._cache[name] = cache[name]

    def parsed(self, name: str, parse: Callable[[Headers], T]) -> T:
        """``parse(self)``, cached under ``name`` until a line of header ``name`` changes
        (``parse`` must read that header only)."""
        try:
            return self._cache[name]  # type: ignore[return-value]
        except KeyError:
            _PARSED_KEYS.add(_key(name))
            value = self._cache[name] = parse(self)
            return value

    def remember(self, name: str, value: object) -> None:
        """Cache a value parsed from header ``name`` (what ``parsed`` would have computed)."""
        _PARSED_KEYS.add(_key(name))
        self._cache[name] = value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and bool(self._lines(name))

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((name, value) for _, name, value in self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Headers) and self._fields == other._fields

    def __repr__(self) -> str:
        return f"Headers({[(n, v) for _, n, v in self._fields]!r})"


_NONE: list[str] = []
_KEYS: dict[str, str] = {}
# The keys of the headers whose parsed values are ever cached (check_headers fills the cache
# directly with the first ones): adding a Server or Date line has no cached value to drop.
_PARSED_KEYS = {
    "via", "from", "to", "cseq", "call-id", "max-forwards", "contact", "expires", "route",
    "record-route",
}  # fmt: skip


def _key(name: str) -> str:
    """The lookup key of a header name: lower-cased, compact form expanded."""
    key = _KEYS.get(name)
    if key is None:
        key = _CANONICAL.get(name.lower(), name).lower()
        if len(_KEYS) < 1024:  # names come from our own code; a peer cannot grow this much
            _KEYS[name] = key
    return key


def header_key(name: str) -> tuple[str, str] | None:
    """(key, canonical name) of a received header name, None when it is not a token."""
    known = KNOWN_SPELLINGS.get(name)
    if known is not None:
        return known
    if TOKEN.fullmatch(name) is None:
        return None
    canonical = _CANONICAL.get(name.lower(), name)
    return canonical.lower(), canonical


# The spellings phones use, resolved without a regex on the hot path.
KNOWN_SPELLINGS: dict[str, tuple[str, str]] = {
    spelling: (canonical.lower(), canonical)
    for lowered, canonical in _CANONICAL.items()
    for spelling in {lowered, canonical, canonical.upper(), lowered.upper()}
}


_VIA = re.compile(
    r"([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*/[ \t]*([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*/[ \t]*"
    r"([A-Za-z0-9\-.!%*_+`'~]+)[ \t]+(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9\-.]+))"
    r"(?:[ \t]*:[ \t]*([0-9]{1,5}))?"
)
# What phones send: no LWS, token parameters. Anything else takes the general expression.
_PLAIN_VIA = re.compile(
    r"SIP/2\.0/([A-Za-z]+) (?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9\-.]+))(?::([0-9]{1,5}))?"
    r"((?:;received=[0-9A-Fa-f:.]+|;[A-Za-z0-9\-.!%*_+`'~]+(?:=[A-Za-z0-9\-.!%*_+`'~]+)?)*)"
)
# A via-param with LWS; a value may also be an IPv6 address without brackets, as ``received``
# is written (§20.42, §25.1 via-received); the checks below allow that in ``received`` only.
_VIA_PARAM = re.compile(
    rf"[ \t]*;[ \t]*([{TOKEN_CHARS}]+)[ \t]*"
    rf"(?:=[ \t]*([0-9A-Fa-f.]*:[0-9A-Fa-f:.]*|[{TOKEN_CHARS}]+|\[[0-9A-Fa-f:.]+\]"
    r'|"(?:[^"\\]|\\.)*")[ \t]*)?',
    re.S,
)
# received (§20.42): an IPv4 or IPv6 address, the latter written without brackets.
_IP_ADDRESS = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*")


@dataclass(frozen=True, slots=True)
class Via:
    """One Via value: ``SIP/2.0/<transport> host[:port];params`` (RFC 3261 §20.42, RFC 3581)."""

    transport: str
    host: str
    port: int | None = None
    parameters: Parameters = ()

    @classmethod
    def parse(cls, text: str) -> Via:
        """Parse one via-parm, LWS allowed around ``/``, ``:`` and ``;``. Raises SipParseError.

        A phone's Via differs from one request to the next only in its branch (§8.1.1.7):
        what surrounds the branch is read once per phone and kept, so a new Via costs the
        check of its branch.
        """
        before, found, after = text.partition(";branch=")
        if found:
            branch, semicolon, rest = after.partition(";")
            seen = _SEEN_VIAS.get(before)
            if (
                seen is not None
                and seen[0] == rest
                and seen[1] == semicolon
                and TOKEN.fullmatch(branch) is not None
            ):
                _, _, transport, host, port, params_before, params_after = seen
                return _new_via(
                    transport, host, port, (*params_before, ("branch", branch), *params_after)
                )
            via = cls._parse(text)
            if TOKEN.fullmatch(branch) is not None and _PLAIN_VIA.fullmatch(text) is not None:
                _remember_via(via, before, semicolon, rest)
            return via
        return cls._parse(text)

    @classmethod
    def _parse(cls, text: str) -> Via:
        plain = _PLAIN_VIA.fullmatch(text)
        if plain is not None:
            transport, ipv6, host, port_text, param_text = plain.groups()
        else:
            text = text.strip(" \t")
            match = _VIA.match(text)
            if match is None:
                raise SipParseError(f"Bad Via {text[:40]!r}")
            protocol, _version, transport, ipv6, host, port_text = match.groups()
            if protocol.upper() != "SIP":
                raise SipParseError(f"Bad Via: protocol {protocol[:10]} is not SIP")
            param_text = text[match.end() :]
        port = int(port_text) if port_text else None
        if port is not None and port > 65535:
            raise SipParseError(f"Bad Via port {port}")
        if plain is not None:
            params = split_simple_params(param_text) if param_text else ()
        else:
            params = parse_generic_params(param_text, "Via", _VIA_PARAM)
        for name, value in params:
            if name == "branch" and not value:
                raise SipParseError("Bad Via: empty branch")
            if name == "received" and not (value and _IP_ADDRESS.fullmatch(value)):
                raise SipParseError("Bad Via: received must be an IP address")
            if name != "received" and value and ":" in value and value[0] not in '["':
                raise SipParseError(f"Bad Via: bad parameter {name[:20]}")
            if name == "rport" and value is not None and not value.isdigit():
                raise SipParseError("Bad Via: rport must be a port number")
        return _new_via(transport.upper(), ipv6 or host, port, params)

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if self.port is None else f":{self.port}"
        return f"SIP/2.0/{self.transport} {host}{port}{format_params(self.parameters)}"

    @property
    def branch(self) -> str | None:
        """The transaction identifier (§17.2.3); RFC 3261 ones start with z9hG4bK."""
        return find_param(self.parameters, "branch") or None

    @property
    def received(self) -> str | None:
        """The source address a server saw, added when it differs from sent-by (§18.2.1)."""
        return find_param(self.parameters, "received") or None

    @property
    def rport(self) -> str | None:
        """None when absent, "" when asked for (RFC 3581 §3), else the port filled in."""
        return find_param(self.parameters, "rport")

    def param(self, name: str) -> str | None:
        """The value of parameter ``name``: "" when it has none, None when absent."""
        return find_param(self.parameters, name)

    def with_params(
        self, changes: dict[str, str | None] | None = None, /, **more: str | None
    ) -> Via:
        """A copy with parameters set (None: present without a value), e.g. received/rport."""
        parameters = set_params(self.parameters, {**(changes or {}), **more})
        return _new_via(self.transport, self.host, self.port, parameters)


_CSEQ = re.compile(r"[ \t]*([0-9]+)[ \t]+([A-Za-z0-9\-.!%*_+`'~]+)[ \t]*")
MAX_CSEQ = 2**31 - 1


@dataclass(frozen=True, slots=True)
class CSeq:
    """``CSeq: <number> <method>`` (RFC 3261 §20.16); the number is below 2**31."""

    number: int
    method: str

    @classmethod
    def parse(cls, text: str) -> CSeq:
        """Parse ``1*DIGIT LWS Method``; leading zeros are allowed. Raises SipParseError."""
        digits, _, method = text.partition(" ")
        # The usual value (2 REGISTER) is checked without the expression: fewer than ten
        # digits is below 2**31, and letters are a token.
        if (
            len(digits) < 10
            and digits.isdigit()
            and method.isalpha()
            and digits.isascii()
            and method.isascii()
        ):
            return _new_cseq(int(digits), method)
        match = _CSEQ.fullmatch(text)
        if match is None:
            raise SipParseError(f"Bad CSeq {text.strip()[:40]!r}")
        digits, method = match.groups()
        if len(digits) > 10 or int(digits) > MAX_CSEQ:
            raise SipParseError(f"Bad CSeq: number {digits[:24]} is larger than 2**31 - 1")
        return _new_cseq(int(digits), method)

    def __str__(self) -> str:
        return f"{self.number} {self.method}"


_new_via = builder(Via)
# What surrounds the branch of the Vias seen, by the text before ``;branch=``: the text after
# the branch and the Via's parts (one entry a phone; a new one replaces the old).
_SEEN_VIAS: dict[str, tuple[str, str, str, str, int | None, Parameters, Parameters]] = {}
_SEEN_LIMIT = 4096


def _remember_via(via: Via, before: str, semicolon: str, rest: str) -> None:
    """Keep what surrounds the branch of ``via``, read from ``before;branch=<token>`` then
    ``semicolon`` and ``rest`` by the plain expression: there each ";" starts a parameter, so
    the branch is parameter number ``before.count(";")``, and any other token in its place
    gives the same Via but for the branch."""
    position = before.count(";")
    if len(_SEEN_VIAS) >= _SEEN_LIMIT:
        _SEEN_VIAS.clear()
    _SEEN_VIAS[before] = (
        rest,
        semicolon,
        via.transport,
        via.host,
        via.port,
        via.parameters[:position],
        via.parameters[position + 1 :],
    )


_new_cseq = builder(CSeq)


def is_token(text: str) -> bool:
    """Whether ``text`` is a token (§25.1)."""
    return TOKEN.fullmatch(text) is not None
