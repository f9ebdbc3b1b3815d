"""Pieces of the RFC 3261 §25.1 grammar shared by the URI, header and message parsers.

Private: the public names live in ``uri``, ``headers`` and ``message``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote, unquote

from hotline.sip.errors import SipParseError

Parameters = tuple[tuple[str, str | None], ...]
T = TypeVar("T")

TOKEN_CHARS = r"A-Za-z0-9\-.!%*_+`'~"
TOKEN = re.compile(f"[{TOKEN_CHARS}]+")
# word (§25.1): token characters plus the separators Call-ID values may carry.
WORD = re.compile(r"[A-Za-z0-9\-.!%*_+`'~()<>:\\\"/\[\]?{}]+")
QUOTED_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)

# Characters left unescaped when serializing URI components (§19.1.2 and §25.1).
USER_SAFE = "-_.!~*'()&=+$,;?/"
PASSWORD_SAFE = "-_.!~*'()&=+$,"
PARAM_SAFE = "-_.!~*'()[]/:&+$"
HEADER_SAFE = "-_.!~*'()[]/?:+$"


def unescape(text: str) -> str:
    """Undo %HH escapes (§19.1.2). Octets are read as UTF-8; others survive as surrogates."""
    if "%" not in text:
        return text
    return unquote(text, encoding="utf-8", errors="surrogateescape")


def escape(text: str, safe: str) -> str:
    """Escape every character of ``text`` that is neither alphanumeric nor in ``safe``."""
    plain = _PLAIN.get(safe)
    if plain is None:
        plain = _PLAIN[safe] = re.compile(f"[A-Za-z0-9{re.escape(safe)}]*")
    if plain.fullmatch(text):
        return text  # nothing to escape: the usual case, and much cheaper than quote()
    return quote(text, safe=safe, encoding="utf-8", errors="surrogateescape")


_PLAIN: dict[str, re.Pattern[str]] = {}


_NEEDS_QUOTED_PAIR = re.compile(r'["\\\x00-\x08\x0b\x0c\x0e-\x1f\x7f]')


def unquote_string(text: str) -> str:
    """The content of a quoted-string, its quoted-pairs resolved (§25.1)."""
    inner = text[1:-1]
    if "\\" not in inner:
        return inner
    return re.sub(r"\\(.)", r"\1", inner, flags=re.S)


def quote_string(text: str) -> str:
    """``text`` as a quoted-string (§25.1): backslash, double quote and control characters
    written as quoted-pairs; CR and LF, which cannot be, become spaces."""
    text = text.replace("\r", " ").replace("\n", " ")
    return '"' + _NEEDS_QUOTED_PAIR.sub(r"\\\g<0>", text) + '"'


def split_top_level(text: str, separator: str) -> list[str]:
    """Split on ``separator`` outside quoted strings and angle brackets (§7.3.1)."""
    if '"' not in text and "<" not in text:
        return text.split(separator)
    parts: list[str] = []
    start = 0
    depth = 0
    quoted = False
    index = 0
    length = len(text)
    while index < length:
        char = text[index]
        if quoted:
            if char == "\\":
                index += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == "<":
            depth += 1
        elif char == ">":
            depth = max(depth - 1, 0)
        elif char == separator and depth == 0:
            parts.append(text[start:index])
            start = index + 1
        index += 1
    parts.append(text[start:])
    return parts


# ``;name=value`` pairs without LWS or quotes: what nearly every phone sends.
_SIMPLE_PARAMS = re.compile(
    f"(?:;[{TOKEN_CHARS}]+(?:=(?:[{TOKEN_CHARS}]+|\\[[0-9A-Fa-f:.]+\\]))?)+"
)


def split_simple_params(text: str) -> Parameters:
    """``;name=value`` pairs already checked to hold no LWS and no quotes."""
    pairs: list[tuple[str, str | None]] = []
    for piece in text[1:].split(";"):
        name, equals, value = piece.partition("=")
        pairs.append((name.lower(), value if equals else None))
    return tuple(pairs)


def parse_generic_params(
    text: str, what: str, pattern: re.Pattern[str] | None = None
) -> Parameters:
    """``*( SEMI generic-param )`` with LWS around ``;`` and ``=`` (§25.1).

    ``text`` starts at the first ``;`` (or is empty). Names are lower-cased; values are kept as
    written, quotes included, so they serialize unchanged. ``pattern`` reads one parameter
    where a header's grammar allows more than generic-param does (Via's received).
    """
    if not text:
        return ()
    if _SIMPLE_PARAMS.fullmatch(text):
        return split_simple_params(text)
    pairs: list[tuple[str, str | None]] = []
    position, end = 0, len(text.rstrip(" \t"))
    while position < end:
        match = (pattern or _GENERIC_PARAM).match(text, position)
        if match is None:
            raise SipParseError(
                f"Bad {what}: bad parameter near {text[position : position + 20]!r}"
            )
        name, value = match.groups()
        pairs.append((name.lower(), value))
        position = match.end()
    return tuple(pairs)


# One generic-param with the LWS SEMI and EQUAL allow around it (§25.1).
_GENERIC_PARAM = re.compile(
    rf"[ \t]*;[ \t]*([{TOKEN_CHARS}]+)[ \t]*"
    rf'(?:=[ \t]*([{TOKEN_CHARS}]+|\[[0-9A-Fa-f:.]+\]|"(?:[^"\\]|\\.)*")[ \t]*)?',
    re.S,
)


def format_params(parameters: Parameters) -> str:
    """``;name=value`` pairs as written (generic-param values are already in wire form)."""
    return "".join([f";{n}" if v is None else f";{n}={v}" for n, v in parameters])


def find_param(parameters: Parameters, name: str) -> str | None:
    """The value of parameter ``name`` ("" when it has none), None when absent."""
    name = name.lower()
    for key, value in parameters:
        if key == name:
            return "" if value is None else value
    return None


def set_params(parameters: Parameters, changes: dict[str, str | None]) -> Parameters:
    """Replace or append parameters; a None value writes the parameter without a value."""
    lowered = {name.lower(): value for name, value in changes.items()}
    kept = [(n, lowered.pop(n) if n in lowered else v) for n, v in parameters]
    return (*kept, *lowered.items())


def builder(cls: type[T]) -> Callable[..., T]:
    """A fast constructor for a frozen, slotted dataclass, taking every field positionally.

    Frozen dataclasses set each field through ``object.__setattr__`` with keyword handling,
    and even the slots' own setters cost a call each. The fields are written instead into an
    instance of a plain class with the same slots (plain attribute stores, the fastest there
    are), which then becomes an instance of ``cls``: the same slots make the same layout, so
    Python allows the change of class. That counts for the values made for every message.
    The function is generated, as dataclasses generate ``__init__``.
    """
    slots: tuple[str, ...] = cls.__slots__  # type: ignore[attr-defined]
    twin = type(f"{cls.__name__}Fields", (), {"__slots__": slots})
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls, "twin": twin}
    arguments = ", ".join(f"v{number}" for number in range(len(slots)))
    body = "".join(f"    o.{name} = v{number}\n" for number, name in enumerate(slots))
    exec(
        f"def build({arguments}):\n    o = new(twin)\n{body}    o.__class__ = cls\n    return o\n",
        namespace,
    )
    build: Callable[..., T] = namespace["build"]
    return build
