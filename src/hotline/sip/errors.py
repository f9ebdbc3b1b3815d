"""Errors of the SIP stack, after h11: each carries the status to answer with, when one fits."""

from __future__ import annotations

__all__ = ["LocalProtocolError", "RemoteProtocolError", "SipError", "SipParseError"]


class SipError(Exception):
    """Base of every SIP stack error. ``status_hint`` is the response code to send, if any."""

    def __init__(self, reason: str, status_hint: int | None = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_hint = status_hint


class RemoteProtocolError(SipError):
    """The peer sent something that breaks RFC 3261 (its fault)."""


class LocalProtocolError(SipError):
    """We asked the stack to do something that breaks RFC 3261 (our fault)."""


class SipParseError(RemoteProtocolError):
    """A message that cannot be parsed or fails validation.

    ``partial`` is set when enough of a request was read to answer it (start line, Via, From,
    To, Call-ID and CSeq): the transport answers ``status_hint`` with ``reason`` as the reason
    phrase. Otherwise the message is dropped.
    """

    def __init__(
        self, reason: str, status_hint: int | None = 400, partial: object | None = None
    ) -> None:
        super().__init__(reason, status_hint)
        self.partial = partial
