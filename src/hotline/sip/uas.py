"""What a UAS checks in a request before acting on it (RFC 3261 §8.2.1 to §8.2.3).

In the order §8.2 gives: the method (``method_refusal``), then the extensions the request
requires, then (for an INVITE, the only request whose body Hotline reads) the body's type and
the types the answer may use (``refusal``).
"""

from __future__ import annotations

from hotline.sip.message import Request, Response, make_response, new_tag

__all__ = [
    "KNOWN_METHODS",
    "SESSION_BODY",
    "SUPPORTED_OPTIONS",
    "method_refusal",
    "refusal",
    "unsupported_options",
]

# The methods of RFC 3261 and its extensions (the IANA registry): one of these that we do not
# serve is not allowed here (405); any other is not implemented at all (501).
KNOWN_METHODS = frozenset(
    [
        "ACK",
        "BYE",
        "CANCEL",
        "INFO",
        "INVITE",
        "MESSAGE",
        "NOTIFY",
        "OPTIONS",
        "PRACK",
        "PUBLISH",
        "REFER",
        "REGISTER",
        "SUBSCRIBE",
        "UPDATE",
    ]
)

# Option-tags Hotline implements: none (session timers and 100rel stay off).
SUPPORTED_OPTIONS: frozenset[str] = frozenset()
SESSION_BODY = "application/sdp"
# Accept values that let an answer carry SDP (§20.1).
_ACCEPTS_SDP = frozenset({SESSION_BODY, "application/*", "*/*"})


def method_refusal(request: Request, allowed: list[str]) -> Response:
    """The answer to a method no handler serves (§8.2.1): 405 with Allow for a SIP method,
    501 for one we do not know at all (§21.5.2, RFC 4475 §3.1.1.2)."""
    if request.method not in KNOWN_METHODS:
        return make_response(request, 501, to_tag=new_tag())
    response = make_response(request, 405, to_tag=new_tag())
    response.headers.set("Allow", ", ".join(allowed))
    return response


def refusal(request: Request) -> Response | None:
    """The response that refuses ``request`` before any handler sees it, or None."""
    if request.method in ("ACK", "CANCEL"):
        return None  # never answered on their own account (§8.2.2.3, §9.2)
    unsupported = unsupported_options(request)
    if unsupported:
        response = make_response(request, 420, to_tag=new_tag())
        response.headers.set("Unsupported", ", ".join(unsupported))
        return response
    if request.method != "INVITE":
        return None
    if request.body and request.content_type != SESSION_BODY:
        # §8.2.3: say which body type we understand, so the caller can offer it.
        response = make_response(request, 415, to_tag=new_tag())
        response.headers.set("Accept", SESSION_BODY)
        return response
    if not _accepts_sdp(request):
        # RFC 4475 §3.3.15: our answer is SDP, which the caller says it cannot take.
        return make_response(request, 406, to_tag=new_tag())
    return None


def unsupported_options(request: Request) -> list[str]:
    """The option-tags ``request`` requires that we do not support (§8.2.2.3), for a 420.
    Headers.get_all has split Require on its top-level commas already (§7.3.1)."""
    return [
        option
        for option in request.headers.get_all("Require")
        if option and option.lower() not in SUPPORTED_OPTIONS
    ]


def _accepts_sdp(request: Request) -> bool:
    """No Accept means SDP (§20.1). An empty one is read as none: no call is lost over it."""
    types = [
        value.partition(";")[0].strip(" \t").lower()
        for value in request.headers.get_all("Accept")  # split on top-level commas (§7.3.1)
        if value
    ]
    return not types or any(media_type in _ACCEPTS_SDP for media_type in types)
