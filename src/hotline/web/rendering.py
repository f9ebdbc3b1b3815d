"""Rendering the HTML pages: the templates, the page's language and its catalog, the language
switch, and the headers every page carries.

Every page is a static shell filled in by its own script from the API and ``/ws/events``;
the server renders the layout, the words in the page's language and the script's settings.
The script's catalog carries the site's pause reason labels too (``pause_labels``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from hotline.web.i18n import COOKIE, LANGUAGES, Language, Translator, choose
from hotline.web.pause_labels import site_messages
from hotline.web.services import WebServices

__all__ = ["SWITCH", "SignedIn", "page_language", "render", "templates"]

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")

SWITCH = "lang"  # the query parameter of the language switch
_YEAR = 365 * 24 * 3600

# Everything a page loads comes from Hotline itself: a board on a closed network must not
# wait for (or leak to) anything outside.
_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; media-src 'self'; connect-src 'self'; font-src 'self'; "
    "base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'self'"
)


class SignedIn(Protocol):
    """What a page shows of the signed-in user."""

    @property
    def name(self) -> str: ...

    @property
    def language(self) -> str: ...


def page_language(request: Request, user: SignedIn | None) -> Language:
    return choose(
        switch=request.query_params.get(SWITCH),
        cookie=request.cookies.get(COOKIE),
        user=user.language if user is not None else None,
        accept_language=request.headers.get("accept-language"),
    )


def render(
    request: Request,
    name: str,
    context: Mapping[str, object],
    *,
    user: SignedIn | None = None,
    status: int = 200,
) -> Response:
    """The template ``name`` in the page's language, with the layout's context: ``t`` (the
    translator), ``lang``, ``catalog`` (for the script), ``languages`` (the switch's links)
    and ``user``."""
    language = page_language(request, user)
    t = Translator(language)
    switch = {other: _relative(request, other) for other in LANGUAGES}
    services: WebServices = request.app.state.services
    full = {
        "t": t,
        "lang": language,
        "catalog": {**t.messages, **site_messages(services.config.agents, language)},
        "languages": switch,
        "user": user,
        **context,
    }
    response = templates.TemplateResponse(request, name, full, status_code=status)
    response.headers["Content-Security-Policy"] = _CONTENT_SECURITY_POLICY
    response.headers["Content-Language"] = language
    if request.query_params.get(SWITCH) == language:
        response.set_cookie(COOKIE, language, max_age=_YEAR, samesite="lax")
    return response


def _relative(request: Request, language: Language) -> str:
    """This page's path and query with the switch set to ``language``."""
    url = request.url.include_query_params(**{SWITCH: language})
    return f"{url.path}?{url.query}"
