"""Reading messages off the wire: start line, header lines, body framing (RFC 3261 §7, §18.3).

It builds the classes of ``hotline.sip.message``, which does not import it back.
"""

from __future__ import annotations

import re

from hotline.sip._validate import MANDATORY, MAX_MESSAGE_SIZE, check_headers, in_header
from hotline.sip.errors import SipParseError
from hotline.sip.headers import KNOWN_SPELLINGS, Headers, header_key, is_token
from hotline.sip.message import Request, Response
from hotline.sip.uri import SipUri

_FOLD = re.compile(r"[ \t]*\r\n[ \t]+")
_FOLD_BYTES = re.compile(rb"[ \t]*\r\n[ \t]+")
_REQUEST_LINE = re.compile(r"([A-Za-z0-9\-.!%*_+`'~]+) ([^ ]+) (SIP/[0-9]+\.[0-9]+)")
_STATUS_LINE = re.compile(r"SIP/2\.0 ([1-6][0-9][0-9]) (.*)", re.S)
_VERSION = re.compile(r"SIP/[0-9]+\.[0-9]+")
_CONTENT_LENGTH = re.compile(r"[ \t]*[0-9]{1,10}[ \t]*")
# The methods of RFC 3261 and of the extensions phones use (all tokens).
_METHODS = frozenset({
    "ACK", "BYE", "CANCEL", "INFO", "INVITE", "MESSAGE", "NOTIFY", "OPTIONS", "PRACK", "PUBLISH",
    "REFER", "REGISTER", "SUBSCRIBE", "UPDATE",
})  # fmt: skip
# Where a partial request has no readable Request-URI (only ever used to answer it).
_UNKNOWN_URI = SipUri(scheme="sip", host="invalid")


def parse_message(data: bytes, *, max_size: int = MAX_MESSAGE_SIZE) -> Request | Response:
    """Parse and validate one message: a whole UDP datagram or one framed stream message.

    Octets past Content-Length are discarded (§18.3); without Content-Length the body runs to
    the end of ``data`` (RFC 2543 style, RFC 4475 §3.4.1). Raises SipParseError.
    """
    if len(data) > max_size:
        raise SipParseError(f"Message larger than {max_size} bytes", 513)
    start = 0
    while data.startswith(b"\r\n", start):
        start += 2
    end = data.find(b"\r\n\r\n", start)
    if end < 0:
        raise SipParseError("No empty line after the header fields", None)
    head = data[start:end].decode("utf-8", "surrogateescape")
    start_line, _, header_text = head.partition("\r\n")
    read = _read_headers(header_text)
    if read is None:  # folded lines: unfold, then read again (§7.3.1)
        start_line, _, header_text = _FOLD.sub(" ", head).partition("\r\n")
        read = _read_headers(header_text)
        assert read is not None
    headers, header_error = read
    body = data[end + 4 :]
    if start_line.startswith("SIP/"):
        return _response(start_line, headers, header_error, body)
    return _request(start_line, headers, header_error, body)


def _read_headers(text: str) -> tuple[Headers, str | None] | None:
    """The header lines, and the first problem met (kept to report after the start line).

    None when a line continues the one before it (starts with a space or a tab): the caller
    unfolds the lines and reads them again. Looking for such lines here, among the lines that
    are not ``Name: value``, spares two scans of every message.
    """
    fields: list[tuple[str, str, str]] = []
    index: dict[str, list[str]] = {}
    error = None
    known_spellings = KNOWN_SPELLINGS
    append = fields.append
    for line in text.split("\r\n") if text else ():
        # The usual line: a name as phones spell it, colon, space. A spelling holds no colon,
        # so the name found is the text before the first colon, as in the general case.
        name, separator, value = line.partition(": ")
        known = known_spellings.get(name) if separator else None
        if known is None:
            if line.startswith((" ", "\t")):
                return None
            name, colon, value = line.partition(":")
            known = header_key(name.rstrip(" \t")) if colon else None
            if known is None:
                error = error or f"Bad header line {line[:30]!r}"
                continue
        key, canonical = known
        value = value.strip(" \t")
        append((key, canonical, value))
        lines = index.get(key)
        if lines is None:
            index[key] = [value]
        else:
            lines.append(value)
    return Headers.from_lines(fields, index), error


def _response(line: str, headers: Headers, header_error: str | None, body: bytes) -> Response:
    match = _STATUS_LINE.fullmatch(line)
    if match is None:
        raise SipParseError(f"Bad Status-Line {line[:40]!r}", None)
    try:
        if header_error:
            raise SipParseError(header_error)
        body = _frame_body(headers, body)
        check_headers(headers, None)
    except SipParseError as error:
        raise SipParseError(error.reason, None) from None
    return Response(status=int(match[1]), reason=match[2], headers=headers, body=body)


def _request(line: str, headers: Headers, header_error: str | None, body: bytes) -> Request:
    method, _, rest = line.partition(" ")
    uri_text, _, version = rest.partition(" ")
    # A usual method, one URI and SIP/2.0 match the expression: it is only run for the rest.
    if method not in _METHODS or version != "SIP/2.0" or not uri_text:
        match = _REQUEST_LINE.fullmatch(line)
        if match is None:
            raise _bad_request_line(line, headers)
        method, uri_text, version = match.groups()
        if version != "SIP/2.0":
            raise _error(f"SIP version {version[4:]} not supported", 505, method, headers)
    try:
        uri = SipUri.parse(uri_text)
    except SipParseError as error:
        reason = in_header("URI", error).reason.replace("URI header", "Request-URI", 1)
        raise _error(reason, error.status_hint, method, headers) from None
    if uri.headers:
        raise _error("Bad Request-URI: it must not carry headers", 400, method, headers, uri)
    try:
        if header_error:
            raise SipParseError(header_error)
        body = _frame_body(headers, body)
        check_headers(headers, method)
    except SipParseError as error:
        raise _error(error.reason, error.status_hint, method, headers, uri) from None
    return Request(method, uri, headers, body)


def _bad_request_line(line: str, headers: Headers) -> SipParseError:
    """A request line with stray spaces or a bad URI is answered when it is still clearly a
    request (RFC 4475 §3.1.2.8 to 3.1.2.10); anything else is dropped."""
    words = line.split()
    if len(words) >= 3 and is_token(words[0]) and _VERSION.fullmatch(words[-1]):
        reason = "Bad Request-Line: " + (
            "extra spaces" if len(words) == 3 else "spaces in the Request-URI"
        )
        return _error(reason, 400, words[0], headers)
    return SipParseError(f"Bad start line {line[:40]!r}", None)


def _error(
    reason: str, status: int | None, method: str, headers: Headers, uri: SipUri = _UNKNOWN_URI
) -> SipParseError:
    """The error for a request; ``partial`` is set when a response can be formed (§8.2.6)."""
    return SipParseError(reason, status, _answerable(method, headers, uri))


def _answerable(method: str, headers: Headers, uri: SipUri = _UNKNOWN_URI) -> Request | None:
    """The request as read, when it has what a response copies (§8.2.6.2)."""
    if all(name in headers for name in MANDATORY):
        return Request(method=method, uri=uri, headers=headers)
    return None


def _frame_body(headers: Headers, body: bytes) -> bytes:
    values = headers.by_key().get("content-length")
    if values is None:
        return body
    if len(values) > 1:
        raise SipParseError("More than one Content-Length header")
    text = values[0]
    # Plain ASCII digits (the value is stripped already) spare the expression.
    if not (text.isdigit() and text.isascii() and len(text) <= 10) and not (
        _CONTENT_LENGTH.fullmatch(text)
    ):
        raise SipParseError(f"Bad Content-Length {text[:20]!r}")
    length = int(text)
    if length > len(body):
        raise SipParseError(f"Content-Length {length} is larger than the body ({len(body)} bytes)")
    return body[:length]


class StreamFramer:
    """Cuts a byte stream (TCP) into messages by Content-Length (RFC 3261 §18.3).

    ``feed`` returns every complete message; CRLF keep-alives between messages are skipped,
    and each CRLFCRLF ping is counted in ``pings`` for the caller to answer with a CRLF pong
    (RFC 5626 §3.5.1). A stream whose framing is lost (no or bad Content-Length, or a message
    over the size limit) raises SipParseError: the caller closes the connection, after
    answering the error's ``partial`` request when there is one (RFC 4475 §3.1.2.3). When the
    same data held complete messages before the break, ``feed`` returns them first and keeps
    the error in ``failure`` for the caller to act on once they are handed over.
    """

    def __init__(self, max_size: int = MAX_MESSAGE_SIZE) -> None:
        self.max_size = max_size
        self._buffer = bytearray()
        # Where the search for the end of the headers resumes, so a peer sending one byte at
        # a time does not make us scan the same bytes again and again.
        self._scanned = 0
        self._total: int | None = None  # length of the message at the head, once known
        self.failure: SipParseError | None = None  # framing lost after messages returned
        self.pings = 0  # CRLFCRLF pings seen and not yet answered (the caller resets it)
        self._crlfs = 0  # CRLFs skipped since the last message or ping (a ping may be split)

    def feed(self, data: bytes) -> list[bytes]:
        if self.failure is not None:
            raise self.failure  # nothing after lost framing can be read
        self._buffer += data
        messages: list[bytes] = []
        try:
            while (message := self._next()) is not None:
                messages.append(message)
        except SipParseError as error:
            if not messages:
                raise
            self.failure = error
        return messages

    def _next(self) -> bytes | None:
        buffer = self._buffer
        if self._total is None:
            self._skip_keep_alives()
            end = buffer.find(b"\r\n\r\n", max(self._scanned - 3, 0))
            if end < 0:
                self._scanned = len(buffer)
                if len(buffer) > self.max_size:
                    raise SipParseError(f"Header section longer than {self.max_size} bytes", 513)
                return None
            head = bytes(buffer[:end])
            try:
                total = end + 4 + _stream_content_length(head)
            except SipParseError as error:
                raise SipParseError(error.reason, 400, _partial_request(head)) from None
            if total > self.max_size:
                raise SipParseError(f"Message larger than {self.max_size} bytes", 513)
            self._total = total
        if len(buffer) < self._total:
            return None
        message = bytes(buffer[: self._total])
        del buffer[: self._total]
        self._total = None
        self._scanned = 0
        return message

    def _skip_keep_alives(self) -> None:
        buffer = self._buffer
        start = 0
        while buffer.startswith(b"\r\n", start):
            start += 2
            self._crlfs += 1
            if self._crlfs == 2:
                self.pings += 1
                self._crlfs = 0
        if start < len(buffer):
            self._crlfs = 0  # a message follows: a lone CRLF before it is no half ping
        if start:
            del buffer[:start]
            self._scanned = max(self._scanned - start, 0)


def _partial_request(head: bytes) -> Request | None:
    """The request a broken stream carried, when it can still be answered before closing."""
    text = _FOLD.sub(" ", head.decode("utf-8", "surrogateescape"))
    start_line, _, header_text = text.partition("\r\n")
    match = _REQUEST_LINE.fullmatch(start_line)
    if match is None:
        return None
    read = _read_headers(header_text)
    assert read is not None  # unfolded above
    return _answerable(match[1], read[0])


def _stream_content_length(head: bytes) -> int:
    """Content-Length is mandatory on a stream (§18.3, §20.14)."""
    if b"\r\n " in head or b"\r\n\t" in head:
        head = _FOLD_BYTES.sub(b" ", head)
    values = [
        value
        for line in head.split(b"\r\n")[1:]
        for name, _, value in [line.partition(b":")]
        if name.rstrip(b" \t").lower() in (b"content-length", b"l")
    ]
    if not values:
        raise SipParseError("Missing Content-Length header (required on TCP)")
    if len(values) > 1:
        raise SipParseError("More than one Content-Length header")
    text = values[0].strip(b" \t")
    if not text.isdigit() or len(text) > 10:
        raise SipParseError(f"Bad Content-Length {text[:20]!r}")
    return int(text)
