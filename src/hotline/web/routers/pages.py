"""HTML pages: the wallboard list and one full-screen wallboard per queue (or several).

The pages are static shells: the server renders the layout and the settings, and the browser
fills in the figures from ``/ws/events`` (snapshot, then stats frames), so a board on a TV
never reloads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from hotline.access import User, may
from hotline.web.deps import ServicesDep, ViewDep, allow_page
from hotline.web.services import WebServices
from hotline.web.targets import queue_target
from hotline.web.wallboard import (
    TILE_LABELS,
    board_settings,
    client_settings,
    parse_queue_list,
    queue_summary,
    sla_note,
    tile_grid,
)

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
Viewer = Annotated[User, Depends(allow_page("wallboard.read"))]
templates = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")

# Everything a page loads comes from Hotline itself: a board on a closed network must not
# wait for (or leak to) anything outside.
_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'self'"
)


def _page(request: Request, name: str, context: dict[str, object], status: int = 200) -> Response:
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers["Content-Security-Policy"] = _CONTENT_SECURITY_POLICY
    return response


@router.get("/wallboard", response_class=HTMLResponse)
async def wallboard_list(
    request: Request, services: ServicesDep, view: ViewDep, user: Viewer
) -> Response:
    """Every queue of the user's scope with a live summary line and a link to its board;
    ``?queue=800&queue=801`` (the list's form) opens one board for those queues."""
    config = services.config
    picked = request.query_params.getlist("queue")
    if picked:
        rest = [(key, value) for key, value in request.query_params.multi_items() if key != "queue"]
        target = "/wallboard/" + quote(",".join(picked), safe=",")
        return RedirectResponse(target + (f"?{urlencode(rest)}" if rest else ""), status_code=303)
    board = board_settings(config.wallboard, request.query_params.multi_items())
    queues = [
        (queue, queue_summary(queue))
        for queue in view.queues()
        if may(user, "wallboard.read", queue_target(queue.number))
    ]
    token = request.query_params.get("token")
    context = {"board": board, "queues": queues, "token": token,
               "token_query": "?" + urlencode({"token": token}) if token else ""}  # fmt: skip
    return _page(request, "wallboard/list.html", context)


@router.get("/wallboard/logo")
async def wallboard_logo(request: Request, services: ServicesDep) -> Response:
    """The logo file named in ``[wallboard] logo`` (public, see ``deps.PUBLIC``: an image
    tag sends no token)."""
    logo = services.config.wallboard.logo
    if logo is None or not Path(logo).is_file():
        return _not_found(request, services, "No logo is configured.")
    return FileResponse(logo, headers={"Cache-Control": "max-age=300"})


@router.get("/wallboard/{queues}", response_class=HTMLResponse)
async def wallboard(request: Request, queues: str, services: ServicesDep, user: Viewer) -> Response:
    """The full-screen board of one queue (``/wallboard/800``) or several (``800,801``), all
    in the user's scope."""
    config = services.config
    shown, unknown = parse_queue_list(queues, config)
    if unknown or not shown:
        missing = (", ".join(unknown) or queues)[:80]
        return _not_found(request, services, f"There is no queue {missing}.")
    if not all(may(user, "wallboard.read", queue_target(queue.number)) for queue in shown):
        raise HTTPException(403, f"out of {user.name}'s scope")
    board = board_settings(config.wallboard, request.query_params.multi_items())
    columns, rows = tile_grid(len(board.settings.tiles))
    context = {
        "board": board,
        "queues": shown,
        "labels": TILE_LABELS,
        "client": client_settings(board.settings, shown),
        "columns": columns,
        "rows": rows,
        "sla_note": sla_note(board.settings, shown),
    }
    return _page(request, "wallboard/board.html", context)


def _not_found(request: Request, services: WebServices, message: str) -> Response:
    context = {"message": message, "board": board_settings(services.config.wallboard, [])}
    return _page(request, "wallboard/not_found.html", context, status=404)
