"""What the home page, the agent panel and the supervisor console show a signed-in user: the
pages its role may open, and each page's settings for its script. No FastAPI here; the
routes in ``routers/consoles.py`` render these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from hotline.access import Action, User, may
from hotline.config import Config
from hotline.reports import REPORTS
from hotline.web.report_schemas import report_out
from hotline.web.targets import agent_target, queue_target

__all__ = [
    "INTERVALS",
    "PAGES",
    "Page",
    "agent_settings",
    "events_path",
    "own_agent",
    "pages_for",
    "reports_settings",
    "safe_next",
    "supervisor_settings",
]


@dataclass(frozen=True, slots=True)
class Page:
    """A page of the home page's list and the header: its title and description keys, and
    the action a user must be allowed to open it."""

    title: str
    href: str
    about: str
    action: Action


PAGES = (
    Page("nav.agent", "/agent", "home.agent", "pages.agent"),
    Page("nav.supervisor", "/supervisor", "home.supervisor", "pages.supervisor"),
    Page("nav.wallboards", "/wallboard", "home.wallboards", "wallboard.read"),
    Page("nav.reports", "/reports", "home.reports", "reports.read"),
    Page("nav.api_docs", "/api/docs", "home.api_docs", "docs.read"),
)


def own_agent(config: Config, user: User) -> str | None:
    """The user's extension when it is an agent whose panel the user may open."""
    extension = user.extension
    if extension is None or not any(e.number == extension and e.agent for e in config.extensions):
        return None
    return extension if may(user, "pages.agent", agent_target(config, extension)) else None


def pages_for(config: Config, user: User) -> list[Page]:
    """The pages ``user`` may open (the agent panel only with an agent extension)."""
    return [
        page
        for page in PAGES
        if may(user, page.action) and (page.action != "pages.agent" or own_agent(config, user))
    ]


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


def supervisor_settings(config: Config, user: User) -> dict[str, object]:
    """The console's script settings: the queues in the user's scope and their feed."""
    queues = [q for q in config.queues if may(user, "pages.supervisor", queue_target(q.number))]
    return {
        "queues": [
            {"number": q.number, "name": q.name or q.number, "sla_seconds": q.sla_seconds}
            for q in queues
        ],
        "events": events_path(q.number for q in queues) if queues else None,
    }


# The reports' intervals and their names' keys.
INTERVALS = tuple((i, f"reports.interval_{i}") for i in ("15min", "hour", "day", "week", "month"))


def reports_settings(config: Config, user: User) -> dict[str, object]:
    """The reports page's settings: the catalogue (with the metric dictionary), the queues
    in the user's scope and the site's time zone."""
    queues = [q for q in config.queues if may(user, "reports.read", queue_target(q.number))]
    return {
        "reports": [report_out(r).model_dump() for r in REPORTS.values()],
        "queues": [{"number": q.number, "name": q.name or q.number} for q in queues],
        "timezone": config.server.timezone,
    }
