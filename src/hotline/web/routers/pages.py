"""HTML pages: the wallboard list and one full-screen wallboard per queue (or several).

The pages are static shells: the server renders the layout and the settings, and the browser
fills in the figures from ``/ws/events`` (snapshot, then stats frames), so a board on a TV
never reloads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from hotline.access import User, may
from hotline.web.deps import PageRefused, ServicesDep, ViewDep, allow_page
from hotline.web.i18n import Translator
from hotline.web.rendering import SWITCH, page_language, render
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
_NOT_BOARD_SETTINGS = frozenset({SWITCH, "token"})  # the language switch, a TV's token


def _board_params(request: Request) -> list[tuple[str, str]]:
    """The URL's board settings."""
    items = request.query_params.multi_items()
    return [(key, value) for key, value in items if key not in _NOT_BOARD_SETTINGS]


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
    board = board_settings(config.wallboard, _board_params(request))
    t = Translator(page_language(request, user))
    queues = [
        (queue, queue_summary(queue, t))
        for queue in view.queues()
        if may(user, "wallboard.read", queue_target(queue.number))
    ]
    token = request.query_params.get("token")
    context = {"board": board, "queues": queues, "token": token,
               "token_query": "?" + urlencode({"token": token}) if token else ""}  # fmt: skip
    return render(request, "wallboard/list.html", context, user=_signed_in(request, user))


@router.get("/wallboard/logo")
async def wallboard_logo(request: Request, services: ServicesDep) -> Response:
    """The logo file named in ``[wallboard] logo`` (public, see ``deps.PUBLIC``: an image
    tag sends no token)."""
    logo = services.config.wallboard.logo
    if logo is None or not Path(logo).is_file():
        return _not_found(request, services, None, "board.no_logo", {})
    return FileResponse(logo, headers={"Cache-Control": "max-age=300"})


@router.get("/wallboard/{queues}", response_class=HTMLResponse)
async def wallboard(request: Request, queues: str, services: ServicesDep, user: Viewer) -> Response:
    """The full-screen board of one queue (``/wallboard/800``) or several (``800,801``), all
    in the user's scope."""
    config = services.config
    shown, unknown = parse_queue_list(queues, config)
    if unknown or not shown:
        missing = (", ".join(unknown) or queues)[:80]
        return _not_found(request, services, user, "board.no_queue", {"queues": missing})
    if not all(may(user, "wallboard.read", queue_target(queue.number)) for queue in shown):
        raise PageRefused(user, f"out of {user.name}'s scope")
    board = board_settings(config.wallboard, _board_params(request))
    columns, rows = tile_grid(len(board.settings.tiles))
    t = Translator(page_language(request, user))
    context = {
        "board": board,
        "queues": shown,
        "labels": TILE_LABELS,
        "client": client_settings(board.settings, shown),
        "columns": columns,
        "rows": rows,
        "sla_note": sla_note(board.settings, shown, t),
    }
    return render(request, "wallboard/board.html", context, user=_signed_in(request, user))


def _signed_in(request: Request, user: User) -> User | None:
    """The user to show with a sign-out button: not a TV opened with ``?token=``."""
    return None if "token" in request.query_params else user


def _not_found(
    request: Request,
    services: WebServices,
    user: User | None,
    message: str,
    values: dict[str, str],
) -> Response:
    context = {
        "message": message,
        "values": values,
        "board": board_settings(services.config.wallboard, []),
    }
    return render(request, "wallboard/not_found.html", context, user=user, status=404)
