"""SIP, SIPS and tel URIs (RFC 3261 §19.1, RFC 3966) and name-addr values (RFC 3261 §20.10).

From, To and Contact may hold any absolute URI (§20.10, RFC 4475 §3.3.4): ``mailto:``,
``urn:service:sos``, ``http:``. Those are kept whole, as their scheme and opaque text, so a
message carrying one parses; whoever needs a SIP URI there refuses it with a clear answer.

URIs are immutable values. Components are stored unescaped (``sip:%75ser@h`` has the user
``user``) and escaped again when serialized, so equal URIs compare equal whatever escaping the
peer chose (§19.1.4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from hotline.sip._grammar import (
    HEADER_SAFE,
    PARAM_SAFE,
    PASSWORD_SAFE,
    QUOTED_STRING,
    TOKEN,
    USER_SAFE,
    Parameters,
    builder,
    escape,
    find_param,
    format_params,
    parse_generic_params,
    quote_string,
    set_params,
    unescape,
    unquote_string,
)
from hotline.sip.errors import SipParseError

__all__ = ["NameAddress", "SipUri", "uri_equal"]

# One pass over ``[userinfo@]host[:port][;params][?headers]`` (§25.1). Escapes are checked
# apart (a "%" must start %HH), which keeps this expression free of alternations.
_SIP_REST = re.compile(
    r"(?:([A-Za-z0-9\-_.!~*'()&=+$,;?/%]+)(?::([A-Za-z0-9\-_.!~*'()&=+$,%]*))?@)?"
    r"(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9\-.]+))(?::([0-9]{1,5}))?"
    r"((?:;[A-Za-z0-9\-_.!~*'()\[\]/:&+$%]+(?:=[A-Za-z0-9\-_.!~*'()\[\]/:&+$%]+)?)*)"
    r"(?:\?([A-Za-z0-9\-_.!~*'()\[\]/?:+$%=&]*))?"
)
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_BAD_HOSTNAME = re.compile(r"^[.\-]|\.\.|-\.|\.-|-$")
_HEADER_PAIR = re.compile(r"[^=&]+=[^=&]*")
_TEL_NUMBER = re.compile(r"\+?[0-9A-Fa-f*#().\-]*[0-9A-Fa-f*#][0-9A-Fa-f*#().\-]*")
_TEL_PARAMS = re.compile(
    r"(?:;[A-Za-z0-9\-_.!~*'()\[\]/:&+$%]+(?:=[A-Za-z0-9\-_.!~*'()\[\]/:&+$%]+)?)+"
)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+\-.]*")
# What follows "scheme:" in an absoluteURI: hier-part or opaque-part, all uric (§25.1).
_OPAQUE = re.compile(r"[A-Za-z0-9\-_.!~*'();/?:@&=+$,%]+")
_VISUAL_SEPARATORS = str.maketrans("", "", "-.()")
# §19.1.4: these parameters must match when present in either URI.
_STRICT_PARAMS = ("user", "ttl", "method", "maddr", "transport")


@dataclass(frozen=True, slots=True)
class SipUri:
    """A ``sip:``, ``sips:`` or ``tel:`` URI. A tel URI keeps its number in ``user``.

    ``host`` holds an IPv6 address without brackets; ``parameters`` keeps the order of the
    URI, with lower-cased names and ``None`` for a parameter without a value. Any other
    scheme (read by ``parse_any`` only) keeps the text after its colon in ``opaque``, and
    no host.
    """

    scheme: str
    user: str | None = None
    password: str | None = None
    host: str = ""
    port: int | None = None
    parameters: Parameters = ()
    headers: tuple[tuple[str, str], ...] = ()
    opaque: str | None = None
    # The URI as text, once written: URIs are shared (see ``parse``) and written again and
    # again (a Request-Line, a Contact).
    _text: str | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def parse(cls, text: str) -> SipUri:
        """Parse a URI (RFC 3261 §25.1 SIP-URI/SIPS-URI, RFC 3966 telephone-uri).

        Raises SipParseError: 400 for a malformed URI, 416 for a scheme we do not serve.
        URIs are values, so the few a server sees over and over (its own, its phones') are
        parsed once and shared.
        """
        uri = _PARSED.get(text)
        if uri is not None:
            return uri
        scheme, colon, rest = text.partition(":")
        lowered = scheme.lower()
        if lowered in ("sip", "sips"):
            uri = _parse_sip(lowered, rest)
        elif lowered == "tel":
            uri = _parse_tel(rest)
        if uri is not None:
            if len(_PARSED) >= _PARSED_LIMIT:
                _PARSED.clear()
            _PARSED[text] = uri
            return uri
        if colon and _SCHEME.fullmatch(scheme):
            raise SipParseError(f"Unsupported URI scheme {scheme[:40]}", 416)
        raise SipParseError(f"Bad URI {text[:40]!r}")

    @classmethod
    def parse_any(cls, text: str) -> SipUri:
        """Parse a SIP, SIPS or tel URI as ``parse`` does, or any other absoluteURI (§25.1),
        kept as scheme and opaque text: what From, To and Contact may carry (§20.10)."""
        try:
            return cls.parse(text)
        except SipParseError as error:
            if error.status_hint != 416:
                raise
        scheme, _, rest = text.partition(":")
        if not _OPAQUE.fullmatch(rest) or _BAD_ESCAPE.search(rest):
            raise SipParseError(f"Bad URI {text[:40]!r}")
        return _new_uri(scheme.lower(), None, None, "", None, (), (), rest, None)

    @property
    def is_sip(self) -> bool:
        """A ``sip:`` or ``sips:`` URI: one that can be the target of a SIP request."""
        return self.scheme in ("sip", "sips")

    def __str__(self) -> str:
        text = self._text
        if text is None:
            text = self._format()
            object.__setattr__(self, "_text", text)
        return text

    def _format(self) -> str:
        if self.opaque is not None:
            return f"{self.scheme}:{self.opaque}"
        if self.scheme == "tel":
            return f"tel:{self.user or ''}{_format_uri_params(self.parameters)}"
        userinfo = ""
        if self.user is not None:
            userinfo = escape(self.user, USER_SAFE)
            if self.password is not None:
                userinfo += ":" + escape(self.password, PASSWORD_SAFE)
            userinfo += "@"
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if self.port is None else f":{self.port}"
        text = f"{self.scheme}:{userinfo}{host}{port}{_format_uri_params(self.parameters)}"
        if self.headers:
            text += "?" + "&".join(
                f"{escape(n, HEADER_SAFE)}={escape(v, HEADER_SAFE)}" for n, v in self.headers
            )
        return text

    def param(self, name: str) -> str | None:
        """The value of URI parameter ``name``: "" when it has no value, None when absent."""
        return find_param(self.parameters, name)

    def has_param(self, name: str) -> bool:
        """Whether URI parameter ``name`` is present, with or without a value."""
        return find_param(self.parameters, name) is not None

    def with_params(
        self, changes: dict[str, str | None] | None = None, /, **more: str | None
    ) -> SipUri:
        """A copy with parameters set (None: present without a value)."""
        parameters = set_params(self.parameters, {**(changes or {}), **more})
        u = self
        return _new_uri(
            u.scheme, u.user, u.password, u.host, u.port, parameters, u.headers, u.opaque, None
        )

    def without_params(self, *names: str) -> SipUri:
        """A copy without the named parameters."""
        drop = {name.lower() for name in names}
        return replace(self, parameters=tuple(p for p in self.parameters if p[0] not in drop))


_new_uri = builder(SipUri)
_PARSED: dict[str, SipUri] = {}
_PARSED_LIMIT = 4096


def _format_uri_params(parameters: Parameters) -> str:
    text = ""
    for name, value in parameters:
        text += ";" + escape(name, PARAM_SAFE)
        if value is not None:
            text += "=" + escape(value, PARAM_SAFE)
    return text


def _parse_sip(scheme: str, rest: str) -> SipUri:
    match = _SIP_REST.fullmatch(rest)
    if match is None:
        raise SipParseError(f"Bad URI {scheme}:{rest[:40]}")
    user, password, ipv6, host, port_text, params, headers = match.groups()
    if "%" in rest and _BAD_ESCAPE.search(rest):
        raise SipParseError(f"Bad URI escape in {rest[:40]!r}")
    if host is not None and _BAD_HOSTNAME.search(host):
        raise SipParseError(f"Bad URI host {host[:40]!r}")
    port = int(port_text) if port_text else None
    if port is not None and port > 65535:
        raise SipParseError(f"Bad URI port {port}")
    if user is not None and "%" in user:
        user = unescape(user)
    if password is not None and "%" in password:
        password = unescape(password)
    return _new_uri(
        scheme,
        user,
        password,
        ipv6 or host,
        port,
        _parse_uri_params(params[1:]) if params else (),
        _parse_uri_headers(headers) if headers is not None else (),
        None,
        None,
    )


def _parse_uri_params(text: str) -> Parameters:
    pairs: list[tuple[str, str | None]] = []
    for piece in text.split(";"):
        name, equals, value = piece.partition("=")
        pairs.append((unescape(name).lower(), unescape(value) if equals else None))
    return tuple(pairs)


def _parse_uri_headers(text: str) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    for piece in text.split("&"):
        if not _HEADER_PAIR.fullmatch(piece):
            raise SipParseError(f"Bad URI header {piece[:30]!r}")
        name, _, value = piece.partition("=")
        pairs.append((unescape(name), unescape(value)))
    return tuple(pairs)


def _parse_tel(rest: str) -> SipUri:
    number, semicolon, params = rest.partition(";")
    if not _TEL_NUMBER.fullmatch(number):
        raise SipParseError(f"Bad tel URI number {number[:30]!r}")
    if semicolon and not _TEL_PARAMS.fullmatch(semicolon + params):
        raise SipParseError(f"Bad tel URI parameters {params[:30]!r}")
    return SipUri(scheme="tel", user=number, parameters=_parse_uri_params(params) if params else ())


def uri_equal(a: SipUri, b: SipUri) -> bool:
    """URI equality of RFC 3261 §19.1.4 (and RFC 3966 §4 for tel URIs)."""
    if a is b or a == b:
        # Same components, same order: equal under every rule below. Parsed URIs are shared
        # (SipUri.parse), so a phone's Contact against its binding usually ends here.
        return True
    if a.scheme != b.scheme:
        return False
    if a.opaque is not None or b.opaque is not None:
        return a.opaque == b.opaque  # nothing known of the scheme: the text itself
    if a.scheme == "tel":
        same_number = (a.user or "").translate(_VISUAL_SEPARATORS).lower() == (
            b.user or ""
        ).translate(_VISUAL_SEPARATORS).lower()
        return same_number and _lower_params(a) == _lower_params(b)
    if (a.user, a.password, a.port) != (b.user, b.password, b.port):
        return False
    if a.host.lower() != b.host.lower():
        return False
    params_a, params_b = dict(_lower_params(a)), dict(_lower_params(b))
    for name in set(params_a) | set(params_b):
        in_both = name in params_a and name in params_b
        if (in_both or name in _STRICT_PARAMS) and params_a.get(name) != params_b.get(name):
            return False
    headers_a = sorted((n.lower(), v) for n, v in a.headers)
    return headers_a == sorted((n.lower(), v) for n, v in b.headers)


def _lower_params(uri: SipUri) -> list[tuple[str, str | None]]:
    return sorted((n, None if v is None else v.lower()) for n, v in uri.parameters)


@dataclass(frozen=True, slots=True)
class NameAddress:
    """A name-addr or addr-spec with header parameters: From, To, Contact, Route (§20.10).

    ``parameters`` are the header's (``tag``, ``expires``, ``q``...), names lower-cased and
    values as written (a quoted value keeps its quotes).
    """

    uri: SipUri
    display_name: str | None = None
    parameters: Parameters = ()

    @classmethod
    def parse(cls, text: str) -> NameAddress:
        """Parse ``( name-addr / addr-spec ) *( SEMI generic-param )`` (§20.10, §25.1).

        In the addr-spec form the parameters belong to the header, and a URI holding ``?``,
        ``,`` or ``;`` must have been enclosed in ``<>`` (§20). Like URIs, values seen again
        (a phone's Contact at each refresh, the To of each call to it) are shared.
        """
        address = _PARSED_ADDRESSES.get(text)
        if address is not None:
            return address
        tagged = _with_new_tag(text)
        if tagged is not None:
            return tagged
        match = _NAME_ADDR.fullmatch(text)
        if match is None:
            address = cls._parse_slowly(text.strip(" \t"))
        else:
            quoted, tokens, uri_text, rest = match.groups()
            display_name: str | None
            if quoted is not None:
                display_name = unquote_string(f'"{quoted}"')
            else:
                display_name = " ".join(tokens.split()) or None
            parameters = parse_generic_params(rest or "", "parameters")
            address = _new_name_address(SipUri.parse_any(uri_text), display_name, parameters)
        if len(_PARSED_ADDRESSES) >= _PARSED_LIMIT:
            _PARSED_ADDRESSES.clear()
        _PARSED_ADDRESSES[text] = address
        return address

    @classmethod
    def _parse_slowly(cls, text: str) -> NameAddress:
        """Every form the fast expression leaves out, and the precise errors."""
        display_name: str | None = None
        if text.startswith('"'):
            match = QUOTED_STRING.match(text)
            if match is None:
                raise SipParseError("Bad display name: unterminated quoted string")
            display_name = unquote_string(match.group())
            text = text[match.end() :].lstrip(" \t")
            if not text.startswith("<"):
                raise SipParseError("Bad name-addr: a quoted display name must precede <URI>")
        opening = text.find("<")
        if opening < 0:
            uri_text, semicolon, params = text.partition(";")
            uri_text = uri_text.rstrip(" \t")
            if "?" in uri_text or "," in uri_text or " " in uri_text:
                raise SipParseError("Bad addr-spec: a URI with '?', ',' or spaces needs <>")
            header_params = parse_generic_params(semicolon + params, "parameters")
            return cls(SipUri.parse_any(uri_text), None, header_params)
        if display_name is None and opening > 0:
            display_name = _token_display_name(text[:opening])
        closing = text.find(">", opening)
        if closing < 0:
            raise SipParseError("Bad name-addr: '<' without '>'")
        uri_text = text[opening + 1 : closing]
        if uri_text != uri_text.strip(" \t"):
            raise SipParseError("Bad name-addr: spaces inside <>")
        parameters = parse_generic_params(text[closing + 1 :], "parameters")
        return cls(SipUri.parse_any(uri_text), display_name, parameters)

    def __str__(self) -> str:
        name = "" if self.display_name is None else quote_string(self.display_name) + " "
        return f"{name}<{self.uri}>{format_params(self.parameters)}"

    @property
    def tag(self) -> str | None:
        """The dialog tag of a From or To value (§19.3), None when absent."""
        return find_param(self.parameters, "tag") or None

    def param(self, name: str) -> str | None:
        """The value of header parameter ``name``: "" when it has none, None when absent."""
        return find_param(self.parameters, name)

    def with_tag(self, tag: str) -> NameAddress:
        """A copy with ``tag`` set, as a UAS adds it to To (§8.2.6.2)."""
        if find_param(self.parameters, "tag") is None:
            return _new_name_address(self.uri, self.display_name, (*self.parameters, ("tag", tag)))
        parameters = set_params(self.parameters, {"tag": tag})
        return _new_name_address(self.uri, self.display_name, parameters)

    def with_params(
        self, changes: dict[str, str | None] | None = None, /, **more: str | None
    ) -> NameAddress:
        """A copy with header parameters set (None: present without a value)."""
        parameters = set_params(self.parameters, {**(changes or {}), **more})
        return _new_name_address(self.uri, self.display_name, parameters)


_new_name_address = builder(NameAddress)
_PARSED_ADDRESSES: dict[str, NameAddress] = {}
# The usual name-addr: optional display name (quoted, or tokens), then <URI>, then parameters.
_NAME_ADDR = re.compile(
    r'[ \t]*(?:"((?:[^"\\]|\\.)*)"|([A-Za-z0-9\-.!%*_+`\'~ \t]*))[ \t]*<([^<> \t]+)>[ \t]*(;.*)?',
    re.S,
)


def _with_new_tag(text: str) -> NameAddress | None:
    """``<value>;tag=<token>`` when ``<value>`` was seen before: a From or To with a fresh tag.

    Every dialog has its own tag, so the whole text is new each time while what precedes the
    tag repeats; the part before the tag is parsed (and shared) on its own, so it is read once
    per phone. None when the text does not end with a plain tag, or the part before it is bad
    or already has a tag.
    """
    head, separator, tag = text.rpartition(";tag=")
    if not separator:
        return None
    # Letters and digits (what phones use) are a token; anything else takes the expression.
    if not (tag.isalnum() and tag.isascii()) and TOKEN.fullmatch(tag) is None:
        return None
    base = _PARSED_ADDRESSES.get(head)
    if base is None:
        try:
            base = NameAddress.parse(head)
        except SipParseError:
            return None  # the whole text is read again, to say what is wrong with it
    parameters = base.parameters
    if parameters and find_param(parameters, "tag") is not None:
        return None
    return _new_name_address(base.uri, base.display_name, (*parameters, ("tag", tag)))


def _token_display_name(text: str) -> str | None:
    """``*(token LWS)`` before ``<`` (§25.1); None when empty."""
    words = text.split()
    if not words:
        return None
    if not all(TOKEN.fullmatch(word) for word in words):
        raise SipParseError(f"Bad display name {text.strip()[:30]!r}: quote it")
    return " ".join(words)
