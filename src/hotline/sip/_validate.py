"""Typed readers for the headers every message carries, and the checks of RFC 3261 §8.2.

Each reader takes the Headers and returns the parsed value or raises SipParseError whose
reason names the header, so a 400 says what was wrong.
"""

from __future__ import annotations

import re

from hotline.sip._grammar import WORD
from hotline.sip.errors import SipParseError
from hotline.sip.headers import CSeq, Headers, Via
from hotline.sip.uri import NameAddress

MAX_MESSAGE_SIZE = 65535
MANDATORY = ("Via", "From", "To", "Call-ID", "CSeq")
# Headers that may appear once (§20: their grammar is not a list).
SINGLE = (
    "From",
    "To",
    "Call-ID",
    "CSeq",
    "Max-Forwards",
    "Content-Length",
    "Content-Type",
    "Expires",
)
_MANDATORY_KEYS = tuple((name, name.lower()) for name in MANDATORY)
_SINGLE_KEYS = tuple((name, name.lower()) for name in SINGLE)
_MANDATORY_SET = frozenset(key for _, key in _MANDATORY_KEYS)
MAX_EXPIRES = 2**32 - 1
# callid = word [ "@" word ] (§25.1)
_CALL_ID = re.compile(f"{WORD.pattern}(?:@{WORD.pattern})?")
_DATE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT"
)
_MEDIA_TYPE = re.compile(
    r"[A-Za-z0-9\-.!%*_+`'~]+[ \t]*/[ \t]*[A-Za-z0-9\-.!%*_+`'~]+[ \t]*(;.*)?", re.S
)


def in_header(name: str, error: SipParseError, own: str | None = None) -> SipParseError:
    """The error of a value, told as the error of header ``name`` (one reason, no repeats).

    ``own`` is how the value's parser names it ("Bad Via ..."), when not ``name`` itself.
    """
    reason = error.reason
    prefix = f"Bad {own or name}"
    if reason.startswith(prefix):
        reason = reason[len(prefix) :].lstrip(":").strip()
    else:
        reason = reason[:1].lower() + reason[1:]
    return SipParseError(f"Bad {name} header: {reason}")


def required(headers: Headers, name: str) -> str:
    value = headers.get(name)
    if value is None:
        raise SipParseError(f"Missing {name} header")
    return value


def parse_vias(headers: Headers) -> list[Via]:
    return _vias(headers.get_all("Via"))


def _vias(values: list[str]) -> list[Via]:
    try:
        return [Via.parse(value) for value in values]
    except SipParseError as error:
        raise in_header("Via", error) from None


def parse_cseq(headers: Headers) -> CSeq:
    return _cseq(required(headers, "CSeq"))


def _cseq(value: str) -> CSeq:
    try:
        return CSeq.parse(value)
    except SipParseError as error:
        raise in_header("CSeq", error) from None


def parse_name_address(headers: Headers, name: str) -> NameAddress:
    return _name_address(required(headers, name), name)


def _name_address(value: str, name: str) -> NameAddress:
    try:
        return NameAddress.parse(value)
    except SipParseError as error:
        raise in_header(name, error) from None


def parse_contacts(headers: Headers) -> list[NameAddress]:
    return _contacts(headers.get_all("Contact"))


def _contacts(values: list[str]) -> list[NameAddress]:
    if values == ["*"]:
        return []
    try:
        return [NameAddress.parse(value) for value in values]
    except SipParseError as error:
        raise in_header("Contact", error) from None


def parse_routes(headers: Headers, name: str) -> list[NameAddress]:
    """Route and Record-Route: name-addrs whose URIs are SIP URIs (§20.30, §20.34), as they
    are the hops requests go through."""
    try:
        routes = [NameAddress.parse(value) for value in headers.get_all(name)]
    except SipParseError as error:
        raise in_header(name, error) from None
    for route in routes:
        if not route.uri.is_sip:
            raise SipParseError(f"Bad {name} header: {route.uri.scheme} is not a SIP URI")
    return routes


def parse_expires(headers: Headers) -> int | None:
    """delta-seconds (§20.19); a value past 2**32 - 1 reads as 2**32 - 1 (§25.1 note)."""
    value = headers.get("Expires")
    return None if value is None else _expires(value)


def _expires(value: str) -> int:
    value = value.strip(" \t")
    if not value.isdigit() or not value.isascii():
        raise SipParseError(f"Bad Expires header {value[:20]!r}")
    return min(int(value[:11]), MAX_EXPIRES)


def parse_max_forwards(headers: Headers) -> int | None:
    value = headers.get("Max-Forwards")
    return None if value is None else _max_forwards(value)


def _max_forwards(value: str) -> int:
    value = value.strip(" \t")
    if not value.isdigit() or not value.isascii() or len(value) > 5 or int(value) > 255:
        raise SipParseError(f"Bad Max-Forwards header {value[:20]!r}: 0 to 255")
    return int(value)


def check_headers(headers: Headers, method: str | None) -> None:
    """The checks of a request (``method`` given) or a response (§8.2, §8.1.3.3).

    Parsed values are left in the headers' cache, so the typed properties cost nothing later.
    This runs for every message received, so the values are read from the index directly and
    the readers above are written out here (each call costs as much as a short check).
    """
    index = headers.by_key()
    if not index.keys() >= _MANDATORY_SET:
        missing = [name for name, key in _MANDATORY_KEYS if key not in index]
        plural = "s" if len(missing) > 1 else ""
        raise SipParseError(f"Missing {', '.join(missing)} header{plural}")
    if len(index) < len(headers._fields):  # some header has several lines: none of these may
        for name, key in _SINGLE_KEYS:
            lines = index.get(key)
            if lines is not None and len(lines) > 1:
                raise SipParseError(f"More than one {name} header")
    cache = headers._cache
    lines = index["via"]
    try:
        if len(lines) == 1 and "," not in lines[0]:
            vias = cache["Via"] = [Via.parse(lines[0])]
        else:
            vias = cache["Via"] = [Via.parse(value) for value in headers.get_all("Via")]
    except SipParseError as error:
        raise in_header("Via", error) from None
    if method is not None and vias[0].branch == "z9hG4bK":
        raise SipParseError("Bad Via header: branch z9hG4bK has no transaction identifier")
    try:
        cache["From"] = NameAddress.parse(index["from"][0])
    except SipParseError as error:
        raise in_header("From", error) from None
    try:
        cache["To"] = NameAddress.parse(index["to"][0])
    except SipParseError as error:
        raise in_header("To", error) from None
    call_id = index["call-id"][0]
    # Letters and digits are words; anything else takes the expression.
    if not (call_id.isalnum() and call_id.isascii()) and _CALL_ID.fullmatch(call_id) is None:
        raise SipParseError(f"Bad Call-ID header {call_id[:30]!r}")
    try:
        cseq = cache["CSeq"] = CSeq.parse(index["cseq"][0])
    except SipParseError as error:
        raise in_header("CSeq", error) from None
    if method is not None:
        if cseq.method != method:
            raise SipParseError(f"CSeq method {cseq.method} does not match request method {method}")
        _check_request_headers(headers, index, cache)


# Max-Forwards as phones write it (70), read without a call.
_MAX_FORWARDS = {str(hops): hops for hops in range(256)}


def _check_request_headers(
    headers: Headers, index: dict[str, list[str]], cache: dict[str, object]
) -> None:
    lines = index.get("max-forwards")
    if lines is None:
        cache["Max-Forwards"] = None
    else:
        hops = _MAX_FORWARDS.get(lines[0])
        cache["Max-Forwards"] = _max_forwards(lines[0]) if hops is None else hops
    lines = index.get("contact")
    if lines is not None:
        # The line itself when it is the only one and holds no comma: one value (§7.3.1).
        if len(lines) == 1 and "," not in lines[0] and lines[0] != "*":
            try:
                cache["Contact"] = [NameAddress.parse(lines[0])]
            except SipParseError as error:
                raise in_header("Contact", error) from None
        else:
            cache["Contact"] = _contacts(headers.get_all("Contact"))
    lines = index.get("expires")
    if lines is not None:
        value = lines[0]
        # Fewer than ten digits are below 2**32 - 1: read without a call.
        if len(value) < 10 and value.isdigit() and value.isascii():
            cache["Expires"] = int(value)
        else:
            cache["Expires"] = _expires(value)
    if "route" in index:
        cache["Route"] = parse_routes(headers, "Route")
    if "record-route" in index:
        cache["Record-Route"] = parse_routes(headers, "Record-Route")
    if "date" in index and not _DATE.fullmatch(index["date"][0]):
        raise SipParseError("Bad Date header: RFC 1123 date in GMT expected")
    lines = index.get("content-type")
    # application/sdp, what nearly every body is, needs no expression.
    if lines is not None and lines[0] != "application/sdp" and not _MEDIA_TYPE.fullmatch(lines[0]):
        raise SipParseError(f"Bad Content-Type header {lines[0][:30]!r}")
