"""The offer/answer model (RFC 3264) for one G.711 audio stream with telephone-events.

``answer_offer`` accepts the first audio stream offering PCMU or PCMA over RTP/AVP and refuses
every other stream with port 0 (RFC 3264 §6). When no stream is acceptable it raises
:class:`OfferRefused`, and call control answers 488 Not Acceptable Here (RFC 3261 §21.4.26).
"""

from __future__ import annotations

from dataclasses import dataclass

from .g711 import Law
from .sdp import Direction, MediaDescription, SdpError, SessionDescription

__all__ = [
    "NegotiatedAudio",
    "OfferRefused",
    "answer_offer",
    "apply_answer",
    "build_offer",
]

_AVP = "RTP/AVP"
_TELEPHONE_EVENT = "telephone-event/8000"
_STATIC = {"pcmu/8000": Law.PCMU, "pcma/8000": Law.PCMA}
_DEFAULT_EVENT_PT = 101


class OfferRefused(Exception):
    """No stream of the offer can be accepted; answer the INVITE with 488."""

    status_hint = 488

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True, kw_only=True)
class NegotiatedAudio:
    """What the leg needs from a completed offer/answer exchange."""

    law: Law
    payload_type: int
    telephone_event: int | None
    remote_host: str | None
    remote_port: int
    ptime: int
    direction: Direction  # our direction: whether we send and receive

    @property
    def remote(self) -> tuple[str, int] | None:
        """Where to send RTP, or None when the peer is on hold (0.0.0.0, RFC 3264 §8.4)."""
        if self.remote_host in (None, "0.0.0.0", "::") or self.remote_port == 0:
            return None
        return (self.remote_host, self.remote_port) if self.remote_host else None


def _law_of(media: MediaDescription, number: str) -> Law | None:
    if not number.isdigit():
        return None
    encoding = media.rtpmap().get(int(number))
    if encoding is not None:
        return _STATIC.get(encoding)
    return {0: Law.PCMU, 8: Law.PCMA}.get(int(number))


def _event_type(media: MediaDescription) -> int | None:
    for number, encoding in media.rtpmap().items():
        if encoding == _TELEPHONE_EVENT and str(number) in media.formats:
            return number
    return None


def _ptime(media: MediaDescription) -> int:
    for value in media.attribute("ptime"):
        if value and value.strip().isdigit() and 10 <= int(value) <= 60:
            return int(value)
    return 20


def _choose(media: MediaDescription, laws: tuple[Law, ...]) -> tuple[str, Law] | None:
    if media.media != "audio" or media.protocol != _AVP or media.port == 0:
        return None
    for number in media.formats:
        law = _law_of(media, number)
        if law in laws:
            return number, law
    return None


def _audio_lines(law_pt: str, law: Law, event: int | None) -> tuple[tuple[str, str | None], ...]:
    lines: list[tuple[str, str | None]] = [("rtpmap", f"{law_pt} {law.name}/8000")]
    if event is not None:
        lines += [("rtpmap", f"{event} {_TELEPHONE_EVENT}"), ("fmtp", f"{event} 0-16")]
    return (*lines, ("ptime", "20"))


def _refused(media: MediaDescription) -> MediaDescription:
    """A stream we decline: same media and protocol, port 0 (RFC 3264 §6)."""
    return MediaDescription(
        media=media.media, port=0, protocol=media.protocol, formats=media.formats[:1]
    )


def _accepted(
    offer: SessionDescription, media: MediaDescription, number: str, law: Law
) -> NegotiatedAudio:
    return NegotiatedAudio(
        law=law,
        payload_type=int(number),
        telephone_event=_event_type(media),
        remote_host=media.connection or offer.connection,
        remote_port=media.port,
        ptime=_ptime(media),
        direction=media.direction(offer.direction).reversed(),
    )


def _accepting_media(audio: NegotiatedAudio, port: int) -> MediaDescription:
    """Our m= line for the accepted stream: its format, telephone-event, direction."""
    event = audio.telephone_event
    number = str(audio.payload_type)
    formats = (number,) if event is None else (number, str(event))
    return MediaDescription(
        media="audio",
        port=port,
        protocol=_AVP,
        formats=formats,
        attributes=(*_audio_lines(number, audio.law, event), (audio.direction.value, None)),
    )


def answer_offer(
    offer: SessionDescription,
    *,
    address: str,
    port: int,
    session_id: int,
    session_version: int = 0,
    laws: tuple[Law, ...] = (Law.PCMU, Law.PCMA),
) -> tuple[SessionDescription, NegotiatedAudio]:
    """Answer an offer (RFC 3264 §6): accept one G.711 audio stream, refuse the others.

    Each new description of a session needs a higher ``session_version`` (RFC 3264 §8).
    """
    answered: list[MediaDescription] = []
    negotiated: NegotiatedAudio | None = None
    for media in offer.media:
        choice = None if negotiated else _choose(media, laws)
        if choice is None:
            answered.append(_refused(media))
        else:
            negotiated = _accepted(offer, media, *choice)
            answered.append(_accepting_media(negotiated, port))
    if negotiated is None:
        raise OfferRefused("no audio stream with PCMU or PCMA over RTP/AVP")
    answer = SessionDescription(
        session_id=session_id,
        session_version=session_version,
        origin_address=address,
        name="hotline",
        connection=address,
        media=tuple(answered),
    )
    return answer, negotiated


def build_offer(
    *,
    address: str,
    port: int,
    session_id: int,
    session_version: int = 0,
    laws: tuple[Law, ...] = (Law.PCMU, Law.PCMA),
    direction: Direction = Direction.SENDRECV,
) -> SessionDescription:
    """An offer of one audio stream with the given laws and telephone-event (RFC 3264 §5)."""
    attributes: list[tuple[str, str | None]] = [
        ("rtpmap", f"{law.value} {law.name}/8000") for law in laws
    ]
    attributes += [
        ("rtpmap", f"{_DEFAULT_EVENT_PT} {_TELEPHONE_EVENT}"),
        ("fmtp", f"{_DEFAULT_EVENT_PT} 0-16"),
        ("ptime", "20"),
        (direction.value, None),
    ]
    media = MediaDescription(
        media="audio",
        port=port,
        protocol=_AVP,
        formats=(*(str(law.value) for law in laws), str(_DEFAULT_EVENT_PT)),
        attributes=tuple(attributes),
    )
    return SessionDescription(
        session_id=session_id,
        session_version=session_version,
        origin_address=address,
        name="hotline",
        connection=address,
        media=(media,),
    )


def apply_answer(offer: SessionDescription, answer: SessionDescription) -> NegotiatedAudio:
    """Read the peer's answer to our offer (RFC 3264 §7); raises OfferRefused if it refused."""
    if not answer.media or not offer.media:
        raise SdpError("answer has no media section")
    media = answer.media[0]
    if media.port == 0:
        raise OfferRefused("the answer refused the audio stream")
    ours = tuple(_law_of(offer.media[0], n) for n in offer.media[0].formats)
    chosen = next((n for n in media.formats if _law_of(media, n) in ours), None)
    law = None if chosen is None else _law_of(media, chosen)
    if chosen is None or law is None:
        raise OfferRefused("the answer chose no offered G.711 format")
    return NegotiatedAudio(
        law=law,
        payload_type=int(chosen),
        telephone_event=_event_type(media),
        remote_host=media.connection or answer.connection,
        remote_port=media.port,
        ptime=_ptime(media),
        direction=media.direction(answer.direction).reversed(),
    )
