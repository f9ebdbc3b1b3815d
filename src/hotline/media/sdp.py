"""SDP (RFC 4566) parsing and building, and the offer/answer model (RFC 3264) for G.711 audio.

Only what a G.711 leg needs is interpreted: connection addresses (session or media level, IPv4
or IPv6), the audio formats PCMU (0) and PCMA (8), telephone-event/8000 (RFC 4733 §7), ptime
and the direction attributes. Other lines are kept verbatim so nothing is silently lost.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

__all__ = [
    "Direction",
    "MediaDescription",
    "SdpError",
    "SessionDescription",
    "parse_sdp",
]

_DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


class SdpError(ValueError):
    """A session description that cannot be parsed (RFC 4566 §5 grammar)."""


class Direction(enum.Enum):
    """Media direction attributes (RFC 4566 §6, RFC 3264 §6.1)."""

    SENDRECV = "sendrecv"
    SENDONLY = "sendonly"
    RECVONLY = "recvonly"
    INACTIVE = "inactive"

    def reversed(self) -> Direction:
        """The direction an answer takes for an offer with this direction (RFC 3264 §6.1)."""
        swap = {Direction.SENDONLY: Direction.RECVONLY, Direction.RECVONLY: Direction.SENDONLY}
        return swap.get(self, self)

    @property
    def sends(self) -> bool:
        return self in (Direction.SENDRECV, Direction.SENDONLY)

    @property
    def receives(self) -> bool:
        return self in (Direction.SENDRECV, Direction.RECVONLY)


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaDescription:
    """One ``m=`` section with its ``c=`` and attributes (RFC 4566 §5.14)."""

    media: str
    port: int
    protocol: str
    formats: tuple[str, ...]
    connection: str | None = None
    attributes: tuple[tuple[str, str | None], ...] = ()

    def attribute(self, name: str) -> list[str | None]:
        """Values of every ``a=name`` line, in order (None for a flag attribute)."""
        return [value for key, value in self.attributes if key == name]

    def rtpmap(self) -> dict[int, str]:
        """Payload type to lowercase ``encoding/rate`` from ``a=rtpmap`` (RFC 4566 §6)."""
        result = {}
        for value in self.attribute("rtpmap"):
            number, _, encoding = (value or "").partition(" ")
            if number.isdigit():
                result[int(number)] = encoding.strip().lower()
        return result

    def direction(self, session: Direction | None) -> Direction:
        for key, _ in self.attributes:
            if key in _DIRECTIONS:
                return Direction(key)
        return session or Direction.SENDRECV


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionDescription:
    """A whole session description (RFC 4566 §5)."""

    origin_username: str = "-"
    session_id: int = 0
    session_version: int = 0
    origin_address: str = "127.0.0.1"
    name: str = "-"
    connection: str | None = None
    direction: Direction | None = None
    media: tuple[MediaDescription, ...] = field(default_factory=tuple)

    def with_media(self, media: tuple[MediaDescription, ...]) -> SessionDescription:
        return replace(self, media=media)

    def to_text(self) -> str:
        """Serialize with CRLF line ends, fields in the order RFC 4566 §5 requires."""
        lines = [
            "v=0",
            f"o={self.origin_username} {self.session_id} {self.session_version} "
            f"IN {_address_type(self.origin_address)} {self.origin_address}",
            f"s={self.name}",
        ]
        if self.connection is not None:
            lines.append(_connection_line(self.connection))
        lines.append("t=0 0")
        if self.direction is not None:
            lines.append(f"a={self.direction.value}")
        for media in self.media:
            formats = " ".join(media.formats)
            lines.append(f"m={media.media} {media.port} {media.protocol} {formats}")
            if media.connection is not None:
                lines.append(_connection_line(media.connection))
            for key, value in media.attributes:
                lines.append(f"a={key}" if value is None else f"a={key}:{value}")
        return "\r\n".join(lines) + "\r\n"


def _address_type(address: str) -> str:
    return "IP6" if ":" in address else "IP4"


def _connection_line(address: str) -> str:
    return f"c=IN {_address_type(address)} {address}"


def _parse_connection(value: str) -> str:
    parts = value.split()
    if len(parts) != 3 or parts[0] != "IN" or parts[1] not in ("IP4", "IP6"):
        raise SdpError(f"unsupported connection line: c={value}")
    # Multicast TTL and count suffixes (RFC 4566 §5.7) do not apply to unicast calls.
    return parts[2].split("/")[0]


def _parse_attribute(value: str) -> tuple[str, str | None]:
    name, colon, rest = value.partition(":")
    return (name, rest) if colon else (name, None)


@dataclass(slots=True)
class _Builder:
    """Mutable fields collected while parsing one level (session or media)."""

    connection: str | None = None
    attributes: list[tuple[str, str | None]] = field(default_factory=list)
    media: MediaDescription | None = None


def parse_sdp(text: str | bytes) -> SessionDescription:
    """Parse a session description; raises :class:`SdpError` when it is malformed."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    session = SessionDescription(session_id=-1)
    top = _Builder()
    sections: list[_Builder] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if len(line) < 2 or line[1] != "=":
            raise SdpError(f"line {number} is not type=value: {line[:40]!r}")
        kind, value = line[0], line[2:]
        target = sections[-1] if sections else top
        if kind == "m":
            sections.append(_Builder(media=_parse_media_line(value)))
        elif kind == "o":
            session = _parse_origin(value, session)
        elif kind == "s":
            session = replace(session, name=value)
        elif kind == "c":
            target.connection = _parse_connection(value)
        elif kind == "a":
            target.attributes.append(_parse_attribute(value))
    if session.session_id < 0:
        raise SdpError("missing origin line (o=)")
    return replace(
        session,
        connection=top.connection,
        direction=next((Direction(k) for k, _ in top.attributes if k in _DIRECTIONS), None),
        media=tuple(_finish(section) for section in sections),
    )


def _finish(section: _Builder) -> MediaDescription:
    assert section.media is not None
    return replace(
        section.media, connection=section.connection, attributes=tuple(section.attributes)
    )


def _parse_origin(value: str, session: SessionDescription) -> SessionDescription:
    parts = value.split()
    if len(parts) != 6 or not parts[1].isdigit() or not parts[2].isdigit():
        raise SdpError(f"malformed origin line: o={value}")
    return replace(
        session,
        origin_username=parts[0],
        session_id=int(parts[1]),
        session_version=int(parts[2]),
        origin_address=parts[5],
    )


def _parse_media_line(value: str) -> MediaDescription:
    parts = value.split()
    if len(parts) < 4:
        raise SdpError(f"malformed media line: m={value}")
    port = parts[1].split("/")[0]
    if not port.isdigit() or int(port) > 65535:
        raise SdpError(f"bad port in media line: m={value}")
    return MediaDescription(
        media=parts[0], port=int(port), protocol=parts[2], formats=tuple(parts[3:])
    )
