"""``create_app``: the FastAPI application of one node (REST API, WebSocket, pages).

Domain errors map to answers in one place: an unknown agent is 404, a change the agent's
state does not allow is 409, a user change the configuration refuses 422, each with a
``detail`` message. Who may use which route is decided by each route's rule (``deps.allow``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from hotline.pbx import AgentChangeRefused, UnknownAgent
from hotline.reports.runner import ReportRunner
from hotline.web import ws
from hotline.web.accounts import UserRefused
from hotline.web.deps import PageRefused
from hotline.web.live import LiveHub
from hotline.web.notification_feed import follow_notifications
from hotline.web.pause_labels import report_labels
from hotline.web.routers import (
    agent_sessions,
    agents,
    audit,
    auth,
    calls,
    consoles,
    docs,
    health,
    notifications,
    pages,
    queue_events,
    queues,
    report_schedules,
    reports,
    security,
    users,
)
from hotline.web.services import WebServices
from hotline.web.views import LiveView

__all__ = ["create_app"]

STATIC = Path(__file__).parent / "static"


def create_app(services: WebServices) -> FastAPI:
    """The application for ``services``; its hub follows the bus from now on, and serves
    WebSocket clients while the application runs (its lifespan)."""
    hub = LiveHub(LiveView(services), services.bus, wall=services.clock.wall)
    if services.notifications is not None:
        follow_notifications(hub, services.notifications)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        hub.start()
        try:
            yield
        finally:
            hub.close()
            await app.state.reports.close()

    app = FastAPI(
        title="Hotline",
        summary="Queues, agents and calls of a Hotline call center: live state and history.",
        version="1",
        openapi_url=None,  # served by the docs router, behind its rule
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.accounts = services.accounts
    app.state.hub = hub
    # Reports run on a thread and database connection of their own, off this loop.
    app.state.reports = ReportRunner(
        services.store.database.engine.url.render_as_string(False),
        labels=report_labels(services.config.agents),
    )
    routers = (auth, users, audit, security, queues, agents, calls, queue_events, agent_sessions,
               notifications, reports, report_schedules)  # fmt: skip
    for module in (*routers, health, docs, ws, pages, consoles):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")
    for error in (UnknownAgent, AgentChangeRefused, UserRefused):
        app.add_exception_handler(error, _domain_error)
    app.add_exception_handler(PageRefused, consoles.page_refused)
    return app


async def _domain_error(_request: Request, error: Exception) -> JSONResponse:
    status = getattr(error, "status_hint", 400)
    return JSONResponse({"detail": str(error)}, status_code=status)
