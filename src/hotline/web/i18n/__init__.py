"""The pages' languages: English and Russian catalogs, and which one a request gets.

A message is looked up by key (``"agent.pause"``) and filled with ``str.format`` fields
(``"{count}"``). Both catalogs have the same keys and the same fields (a test checks it), so
a page never falls back to a key. The browser's scripts get the catalog of the page's
language as JSON and fill messages the same way (``static/i18n.js``).

The language of a page, first found wins: the switch on every page (``?lang=ru``, kept in
the ``hotline_lang`` cookie), the signed-in user's ``language``, the browser's
``Accept-Language``, English.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypeGuard

from hotline.web.i18n import en, ru

__all__ = [
    "CATALOGS",
    "COOKIE",
    "DEFAULT",
    "LANGUAGES",
    "Language",
    "Translator",
    "choose",
    "is_language",
    "negotiate",
]

Language = Literal["en", "ru"]
LANGUAGES: tuple[Language, ...] = ("en", "ru")
DEFAULT: Language = "en"
COOKIE = "hotline_lang"
CATALOGS: Mapping[Language, Mapping[str, str]] = {"en": en.MESSAGES, "ru": ru.MESSAGES}


def is_language(value: object) -> TypeGuard[Language]:
    return value in LANGUAGES


def negotiate(accept_language: str | None) -> Language | None:
    """The best of our languages in an ``Accept-Language`` header (RFC 9110 §12.5.4), or
    None when it names none of them."""
    best: tuple[float, Language] | None = None
    for item in (accept_language or "").split(","):
        tag, _, parameters = item.partition(";")
        primary = tag.strip().lower().split("-")[0]
        if not is_language(primary):
            continue
        weight = _quality(parameters)
        if weight > 0 and (best is None or weight > best[0]):
            best = (weight, primary)
    return best[1] if best is not None else None


def _quality(parameters: str) -> float:
    name, _, value = parameters.strip().partition("=")
    if name.strip().lower() != "q":
        return 1.0
    try:
        return float(value)
    except ValueError:
        return 0.0


def choose(
    *,
    switch: str | None,
    cookie: str | None,
    user: str | None,
    accept_language: str | None,
) -> Language:
    """The page's language (see the module docstring for the order)."""
    for candidate in (switch, cookie, user):
        if is_language(candidate):
            return candidate
    return negotiate(accept_language) or DEFAULT


@dataclass(frozen=True, slots=True)
class Translator:
    """``t("agent.pause")``, ``t("queue.waiting_count", count=3)`` in one language."""

    language: Language

    @property
    def messages(self) -> Mapping[str, str]:
        return CATALOGS[self.language]

    def __call__(self, key: str, /, **values: object) -> str:
        message = self.messages[key]
        return message.format(**values) if values else message
