"""The people's pages: ``/`` (the sign-in when signed out, else the pages the user may
open), ``/login``, the agent panel ``/agent`` and the supervisor console ``/supervisor``.

Like the wallboards, they are shells the browser fills in from the API and ``/ws/events``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from hotline.access import User
from hotline.web.consoles import (
    INTERVALS,
    agent_settings,
    own_agent,
    pages_for,
    reports_settings,
    safe_next,
    supervisor_settings,
)
from hotline.web.deps import PageRefused, ServicesDep, allow_page, page_user
from hotline.web.pause_labels import reason_choices
from hotline.web.rendering import page_language, render
from hotline.web.services import WebServices

__all__ = ["page_refused", "router"]

router = APIRouter(include_in_schema=False)
AgentUser = Annotated[User, Depends(allow_page("pages.agent"))]
SupervisorUser = Annotated[User, Depends(allow_page("pages.supervisor"))]
ReportsUser = Annotated[User, Depends(allow_page("reports.read"))]


async def _signed_in(request: Request) -> User | None:
    """The page's user, or None for someone signed out (the home page is public)."""
    try:
        return await page_user(request)
    except HTTPException:
        return None


MaybeUser = Annotated[User | None, Depends(_signed_in)]


def _nav(services: WebServices, user: User) -> list[tuple[str, str]]:
    return [(page.title, page.href) for page in pages_for(services.config, user)]


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, services: ServicesDep, user: MaybeUser) -> Response:
    """Signed out: the sign-in. Signed in: the pages the user's role may open."""
    if user is None:
        return render(request, "login.html", {"next": "/", "nav": []})
    pages = pages_for(services.config, user)
    links = [(page.title, page.href, page.about) for page in pages]
    context = {"nav": _nav(services, user), "links": links}
    return render(request, "home.html", context, user=user)


async def page_refused(request: Request, error: Exception) -> Response:
    """A page the user's role does not open: the home page (the pages it does open) with a
    word of why, and 403."""
    assert isinstance(error, PageRefused)
    services: WebServices = request.app.state.services
    user = error.user
    pages = pages_for(services.config, user)
    context = {
        "nav": _nav(services, user),
        "links": [(page.title, page.href, page.about) for page in pages],
        "refused": True,
    }
    return render(request, "home.html", context, user=user, status=403)


@router.get("/login", response_class=HTMLResponse)
async def login(request: Request, next: str | None = None) -> Response:
    """The sign-in form; signed in, the browser goes on to ``next`` (a path here)."""
    return render(request, "login.html", {"next": safe_next(next), "nav": []})


@router.get("/agent", response_class=HTMLResponse)
async def agent_panel(request: Request, services: ServicesDep, user: AgentUser) -> Response:
    """The signed-in agent's own panel."""
    config = services.config
    agent = own_agent(config, user)
    if agent is None:
        raise PageRefused(user, f"{user.name} has no agent extension")
    extension = next(e for e in config.extensions if e.number == agent)
    settings = agent_settings(config, agent)
    context = {
        "nav": _nav(services, user),
        "agent": agent,
        "agent_name": extension.name or agent,
        "queues": settings["queues"],
        "reasons": reason_choices(config.agents, page_language(request, user)),
        "settings": settings,
    }
    return render(request, "agent.html", context, user=user)


@router.get("/supervisor", response_class=HTMLResponse)
async def supervisor_console(
    request: Request, services: ServicesDep, user: SupervisorUser
) -> Response:
    """The queues of the user's scope, live, with actions on their agents."""
    config = services.config
    settings = supervisor_settings(config, user)
    context = {
        "nav": _nav(services, user),
        "queues": settings["queues"],
        "reasons": reason_choices(config.agents, page_language(request, user)),
        "settings": settings,
    }
    return render(request, "supervisor.html", context, user=user)


@router.get("/reports", response_class=HTMLResponse)
async def reports_page(request: Request, services: ServicesDep, user: ReportsUser) -> Response:
    """Pick a report, its period and queues; a table, a chart and the downloads."""
    settings = reports_settings(services.config, user)
    context = {"nav": _nav(services, user), "settings": settings,
               "queues": settings["queues"], "intervals": INTERVALS}  # fmt: skip
    return render(request, "reports.html", context, user=user)
