"""SIP requests and responses: the data model and the serializer (sans-IO).

RFC 3261 §7 (messages), §8.2.6 (building responses), §18.3 (framing) and §20 (headers).
``hotline.sip.parser.parse_message`` takes one datagram or one framed stream message and
returns a validated ``Request`` or ``Response``, or raises ``SipParseError`` with the status to
answer with and, when a response can be formed, the partly read request (``partial``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from hotline.sip._validate import (
    MAX_MESSAGE_SIZE,
    parse_contacts,
    parse_cseq,
    parse_expires,
    parse_max_forwards,
    parse_name_address,
    parse_routes,
    parse_vias,
    required,
)
from hotline.sip.errors import SipParseError
from hotline.sip.headers import CSeq, Headers, Via
from hotline.sip.uri import NameAddress, SipUri

__all__ = [
    "MAX_MESSAGE_SIZE",
    "REASON_PHRASES",
    "Message",
    "Request",
    "Response",
    "make_response",
    "new_branch",
    "new_call_id",
    "new_tag",
]

REASON_PHRASES: dict[int, str] = {
    100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued",
    183: "Session Progress", 200: "OK", 202: "Accepted", 300: "Multiple Choices",
    301: "Moved Permanently", 302: "Moved Temporarily", 305: "Use Proxy",
    380: "Alternative Service", 400: "Bad Request", 401: "Unauthorized",
    402: "Payment Required", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    406: "Not Acceptable", 407: "Proxy Authentication Required", 408: "Request Timeout",
    410: "Gone", 413: "Request Entity Too Large", 414: "Request-URI Too Long",
    415: "Unsupported Media Type", 416: "Unsupported URI Scheme", 420: "Bad Extension",
    421: "Extension Required", 423: "Interval Too Brief", 480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist", 482: "Loop Detected", 483: "Too Many Hops",
    484: "Address Incomplete", 485: "Ambiguous", 486: "Busy Here", 487: "Request Terminated",
    488: "Not Acceptable Here", 489: "Bad Event", 491: "Request Pending", 493: "Undecipherable",
    500: "Server Internal Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Server Time-out", 505: "Version Not Supported",
    513: "Message Too Large", 600: "Busy Everywhere", 603: "Decline",
    604: "Does Not Exist Anywhere", 606: "Not Acceptable",
}  # fmt: skip


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_COPIED_PARSED = ("Via", "From", "To", "CSeq")
_COPIED = (("from", "From"), ("to", "To"), ("call-id", "Call-ID"), ("cseq", "CSeq"))
_NO_LINES: list[str] = []
# Requests whose 101-299 responses may establish a dialog (RFC 3261 §12.1, RFC 6665, RFC 3515).
_DIALOG_CREATING = frozenset({"INVITE", "SUBSCRIBE", "REFER"})
_LENGTH = "content-length"


class Message:
    """What requests and responses share: the headers every SIP message carries (§8.1.1).

    The typed properties parse on first use and raise SipParseError (400) when the header is
    missing or malformed; a message from ``parse_message`` has already passed those checks.
    """

    __slots__ = ()
    headers: Headers
    body: bytes

    @property
    def call_id(self) -> str:
        """The Call-ID (§20.8)."""
        return required(self.headers, "Call-ID")

    @property
    def cseq(self) -> CSeq:
        """The CSeq (§20.16)."""
        return self.headers.parsed("CSeq", parse_cseq)

    @property
    def vias(self) -> list[Via]:
        """Every Via value, top first (§20.42)."""
        return self.headers.parsed("Via", parse_vias)

    @property
    def top_via(self) -> Via:
        """The first Via: the transaction's branch and where responses go (§18.2.2)."""
        vias = self.vias
        if not vias:
            raise SipParseError("Missing Via header")
        return vias[0]

    @property
    def from_address(self) -> NameAddress:
        """The From value (§20.20)."""
        return self.headers.parsed("From", lambda h: parse_name_address(h, "From"))

    @property
    def to_address(self) -> NameAddress:
        """The To value (§20.39)."""
        return self.headers.parsed("To", lambda h: parse_name_address(h, "To"))

    @property
    def contacts(self) -> list[NameAddress]:
        """The Contact values; empty for ``Contact: *`` (see ``is_wildcard_contact``)."""
        return self.headers.parsed("Contact", parse_contacts)

    @property
    def is_wildcard_contact(self) -> bool:
        """``Contact: *``, which in a REGISTER removes every binding (§10.2.2)."""
        values = self.headers.get_all("Contact")
        return len(values) == 1 and values[0] == "*"

    @property
    def route(self) -> list[NameAddress]:
        """The Route values in order (§20.34); empty when there are none."""
        return self.headers.parsed("Route", lambda h: parse_routes(h, "Route"))

    @property
    def record_route(self) -> list[NameAddress]:
        """The Record-Route values in order (§20.30), from which dialogs take their route set."""
        return self.headers.parsed("Record-Route", lambda h: parse_routes(h, "Record-Route"))

    @property
    def expires(self) -> int | None:
        """The Expires header in seconds (§20.19), None when absent."""
        return self.headers.parsed("Expires", parse_expires)

    @property
    def max_forwards(self) -> int | None:
        """Max-Forwards, 0 to 255 (§20.22); None when absent (RFC 2543 peers)."""
        return self.headers.parsed("Max-Forwards", parse_max_forwards)

    @property
    def content_type(self) -> str | None:
        """The media type, lower-cased, without parameters (``application/sdp``)."""
        value = self.headers.get("Content-Type")
        return None if value is None else value.partition(";")[0].strip(" \t").lower()

    def to_bytes(self) -> bytes:
        """The message on the wire, with a Content-Length that matches the body (§20.14)."""
        if isinstance(self, Request):
            lines = [f"{self.method} {self.uri} {self.version}"]
        else:
            assert isinstance(self, Response)
            lines = [f"{self.version} {self.status} {self.reason}"]
        # The header list itself rather than ``iter(headers)``: one comprehension instead of
        # two generators per line, on every message sent.
        lines += [f"{name}: {value}" for key, name, value in self.headers._fields if key != _LENGTH]
        lines.append(f"Content-Length: {len(self.body)}\r\n\r\n")
        return "\r\n".join(lines).encode("utf-8", "surrogateescape") + self.body

    def __bytes__(self) -> bytes:
        """The same as ``to_bytes()``."""
        return self.to_bytes()


@dataclass(slots=True, eq=False)
class Request(Message):
    """A SIP request (RFC 3261 §7.1)."""

    method: str
    uri: SipUri
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    version: str = "SIP/2.0"


@dataclass(slots=True, eq=False)
class Response(Message):
    """A SIP response (RFC 3261 §7.2)."""

    status: int
    reason: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    version: str = "SIP/2.0"


def make_response(
    request: Request, status: int, reason: str | None = None, *, to_tag: str | None = None
) -> Response:
    """A response to ``request`` as RFC 3261 §8.2.6 builds it: every Via, From, Call-ID, CSeq
    and To copied, with ``to_tag`` added to To when given and To has none; Timestamp copied
    (§8.2.6.1, §20.38); Record-Route copied into a response that may establish a dialog
    (101 to 299 to INVITE, SUBSCRIBE or REFER, §12.1.1).

    Works on the ``partial`` request of a SipParseError too: values are copied as received,
    so a response can be formed even when some of them could not be parsed.
    """
    source = request.headers
    index = source.by_key()
    vias = index.get("via", _NO_LINES)
    if (len(vias) != 1 or "," in vias[0]) and any("," in value for value in vias):
        vias = source.get_all("Via")
    fields = [("via", "Via", value) for value in vias]
    tagged = None
    for key, name in _COPIED:
        lines = index.get(key)
        if not lines:
            continue
        value = lines[0]
        if key == "to" and to_tag is not None and (read := _tagged(request, value, to_tag)):
            tagged, value = read
        fields.append((key, name, value))
    if "timestamp" in index:
        fields += [("timestamp", "Timestamp", value) for value in index["timestamp"]]
    if "record-route" in index and 100 < status < 300 and request.method in _DIALOG_CREATING:
        fields += [("record-route", "Record-Route", value) for value in index["record-route"]]
    headers = Headers.from_lines(fields)
    # What the request parsed is what the response would parse from the same lines.
    headers.share_parsed(source, _COPIED_PARSED)
    if tagged is not None:
        headers.remember("To", tagged)
    reason = reason or REASON_PHRASES.get(status, "Unknown")
    # A reason may quote what the peer sent: keep it one printable line (§25.1 Reason-Phrase).
    if len(reason) > 200 or _CONTROL.search(reason):
        reason = _CONTROL.sub("?", reason[:200])
    return Response(status=status, reason=reason, headers=headers)


def _tagged(request: Request, value: str, to_tag: str) -> tuple[NameAddress, str] | None:
    """The request's To with ``to_tag`` (§8.2.6.2), parsed and as text: the value as received
    with the tag added. None when it has a tag already or cannot be read."""
    try:
        to_address = request.to_address
    except SipParseError:
        return None
    if to_address.tag is not None:
        return None
    tagged = to_address.with_tag(to_tag)
    if to_address.param("tag") is not None:  # an empty tag: the value is written anew
        return tagged, str(tagged)
    return tagged, f"{value};tag={to_tag}"


def new_branch() -> str:
    """A branch with the RFC 3261 magic cookie, unique in space and time (§8.1.1.7)."""
    return "z9hG4bK" + random_bytes(10).hex()


def new_tag() -> str:
    """A From or To tag with enough randomness to be globally unique (§19.3)."""
    return random_bytes(8).hex()


def new_call_id() -> str:
    """A Call-ID from random bits, not from a clock or an address (§8.1.1.4)."""
    return random_bytes(16).hex()


class _RandomPool:
    """Bytes from the operating system's CSPRNG (what ``secrets`` uses), read a block at a
    time: a registrar makes a tag for every response and a nonce for every challenge, and one
    system call each cost more than the rest of making them."""

    __slots__ = ("_data", "_position")

    def __init__(self) -> None:
        self._data = b""
        self._position = 0

    def take(self, size: int) -> bytes:
        position = self._position
        if position + size > len(self._data):
            self._data = os.urandom(max(4096, size))
            position = 0
        self._position = position + size
        return self._data[position : position + size]

    def forget(self) -> None:
        """Drop what was read: a forked child must not repeat its parent's bytes."""
        self._data = b""
        self._position = 0


_POOL = _RandomPool()
os.register_at_fork(after_in_child=_POOL.forget)
random_bytes = _POOL.take
