"""What the home page, the agent panel and the supervisor console show a signed-in user: the
pages its role may open, and each page's settings for its script. No FastAPI here; the
routes in ``routers/consoles.py`` render these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlencode

from hotline.config import Config

__all__ = [
    "PAGES",
    "Page",
    "Viewer",
    "agent_settings",
    "events_path",
    "pages_for",
    "safe_next",
    "supervisor_settings",
]


class Viewer(Protocol):
    """What these pages need of the signed-in user (``hotline.access.User`` has it)."""

    @property
    def name(self) -> str: ...

    @property
    def extension(self) -> str | None: ...

    @property
    def queues(self) -> frozenset[str]: ...


@dataclass(frozen=True, slots=True)
class Page:
    """A page of the home page's list: its title and description keys, and the action a
    user must be allowed to open it."""

    title: str
    href: str
    about: str
    action: str


PAGES = (
    Page("nav.agent", "/agent", "home.agent", "pages.agent"),
    Page("nav.supervisor", "/supervisor", "home.supervisor", "pages.supervisor"),
    Page("nav.wallboards", "/wallboard", "home.wallboards", "pages.wallboard"),
    Page("nav.api_docs", "/api/docs", "home.api_docs", "docs.read"),
)


def pages_for(allowed: Callable[[str], bool]) -> list[Page]:
    """The pages a user may open, ``allowed`` answering for each page's action."""
    return [page for page in PAGES if allowed(page.action)]


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never ``//host`` or a URL),
    so a crafted sign-in link cannot send the user elsewhere."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def events_path(queues: Iterable[str]) -> str:
    return "/ws/events?" + urlencode([("queue", queue) for queue in queues])


def agent_settings(config: Config, agent: str) -> dict[str, object]:
    """The agent panel's script settings: the agent, its queues and its feed."""
    queues = [q for q in config.queues if agent in q.agents]
    return {
        "agent": agent,
        "queues": [{"number": q.number, "name": q.name or q.number} for q in queues],
        "events": events_path(q.number for q in queues) if queues else None,
    }


def supervisor_settings(config: Config, scope: Callable[[str], bool]) -> dict[str, object]:
    """The console's script settings: the queues in the supervisor's ``scope`` and their
    feed."""
    queues = [q for q in config.queues if scope(q.number)]
    return {
        "queues": [
            {"number": q.number, "name": q.name or q.number, "sla_seconds": q.sla_seconds}
            for q in queues
        ],
        "events": events_path(q.number for q in queues) if queues else None,
    }
