"""What a wallboard shows: the ``[wallboard]`` configuration overridden by a page's URL.

URL parameters carry the keys of ``[wallboard]`` (``theme``, ``title``, ``tiles`` as a comma
list, ``show_agents``, the thresholds) and ``color_<name>`` for ``[wallboard.colors]``. Each is
checked by the same rules as the configuration file; one that fails is left out and named in a
note the page shows, so a typo in a bookmarked URL is visible and never breaks the board.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError

from hotline.config import Config, WallboardColors, WallboardConfig, WallboardTile
from hotline.web.schemas import QueueOut

__all__ = [
    "MAX_QUEUES",
    "TILE_LABELS",
    "Board",
    "BoardQueue",
    "board_settings",
    "client_settings",
    "parse_queue_list",
    "queue_summary",
    "sla_note",
    "tile_grid",
]

MAX_QUEUES = 20
_OVERRIDABLE = frozenset(WallboardConfig.model_fields) - {"colors", "logo"}
_COLOR_PREFIX = "color_"
_THRESHOLDS = {
    "waiting_warning",
    "waiting_alert",
    "longest_wait_warning",
    "longest_wait_alert",
    "service_level_target",
}
TILE_LABELS: dict[WallboardTile, str] = {
    "waiting": "Callers waiting",
    "longest_wait": "Longest wait",
    "available": "Available",
    "ringing": "Ringing",
    "on_call": "On call",
    "wrap_up": "Wrap-up",
    "paused": "Paused",
    "unavailable": "Unavailable",
    "logged_in": "Logged in",
    "offered": "Offered today",
    "answered": "Answered today",
    "abandoned": "Abandoned today",
    "abandon_rate": "Abandon rate",
    "service_level": "Service level",
    "average_wait": "Average wait",
    "average_talk": "Average talk",
    "estimated_wait": "Estimated wait",
    "callbacks": "Callbacks pending",
}


@dataclass(frozen=True, slots=True)
class BoardQueue:
    number: str
    name: str
    sla_seconds: float


@dataclass(frozen=True, slots=True)
class Board:
    """One page's settings, and what was wrong with its URL."""

    settings: WallboardConfig
    notes: list[str]


def client_settings(settings: WallboardConfig, queues: list[BoardQueue]) -> dict[str, object]:
    """What the board's script needs: its feed, its tiles and the thresholds that colour them."""
    return {
        "queues": [{"number": queue.number, "name": queue.name} for queue in queues],
        "events": "/ws/events?" + urlencode([("queue", queue.number) for queue in queues]),
        "tiles": settings.tiles,
        "show_agents": settings.show_agents,
        "thresholds": settings.model_dump(include=_THRESHOLDS),
    }


def tile_grid(count: int) -> tuple[int, int]:
    """(columns, rows) for ``count`` tiles: one row up to six, then two, then three rows."""
    rows = 1 if count <= 6 else 2 if count <= 12 else 3
    return -(-count // rows), rows


def sla_note(settings: WallboardConfig, queues: list[BoardQueue]) -> str:
    """``"target 80 % in 20 s"``; several queues' thresholds as ``20/10 s``."""
    seconds = "/".join(dict.fromkeys(f"{queue.sla_seconds:g}" for queue in queues))
    return f"target {settings.service_level_target:g} % in {seconds} s"


def queue_summary(queue: QueueOut) -> str:
    """One line of a queue's figures for the list of boards (``wallboard-list.js`` writes the
    same line from each stats frame)."""
    parts = [f"{queue.waiting} waiting"]
    if queue.waiting:
        parts[0] += f" (longest {_duration(queue.longest_wait_seconds)})"
    parts.append(f"{queue.available} of {queue.logged_in} agents available")
    if queue.service_level is not None:
        parts.append(f"service level {round(queue.service_level * 100)} %")
    parts.append(f"{queue.answered} answered, {queue.abandoned} abandoned today")
    return " · ".join(parts)


def _duration(seconds: float) -> str:
    minutes, rest = divmod(max(0, int(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{rest:02}" if hours else f"{minutes}:{rest:02}"


def parse_queue_list(text: str, config: Config) -> tuple[list[BoardQueue], list[str]]:
    """``"800,801"`` -> the configured queues, and the numbers that are not queues."""
    known = {queue.number: queue for queue in config.queues}
    numbers = list(dict.fromkeys(part.strip() for part in text.split(",")))[:MAX_QUEUES]
    unknown = [number for number in numbers if number not in known]
    found = [known[number] for number in numbers if number in known]
    return [BoardQueue(q.number, q.name or q.number, q.sla_seconds) for q in found], unknown


def board_settings(config: WallboardConfig, params: Iterable[tuple[str, str]]) -> Board:
    """The configuration with every valid URL override applied; invalid ones become notes."""
    # The logo is checked when the configuration loads, not again at each page (the file may
    # have gone since: the page then shows no logo rather than failing).
    base = config.model_dump(exclude={"logo"})
    overrides: list[tuple[str, str, dict[str, Any]]] = []
    notes: list[str] = []
    for name, value in params:
        change = _override(name, value)
        if change is None:
            notes.append(f"unknown parameter {name!r} ignored")
        else:
            overrides.append((name, value, change))
    together = _merged(base, [change for _, _, change in overrides])
    try:
        return Board(_with_logo(together, config.logo), notes)
    except ValidationError:
        pass
    # Some override is wrong: apply them one at a time and name each one refused.
    for name, value, change in overrides:
        candidate = _merged(base, [change])
        try:
            WallboardConfig.model_validate(candidate)
        except ValidationError as error:
            notes.append(f"{name}={value!r} ignored: {_reason(error)}")
            continue
        base = candidate
    return Board(_with_logo(base, config.logo), notes)


def _with_logo(data: dict[str, Any], logo: str | None) -> WallboardConfig:
    return WallboardConfig.model_validate(data).model_copy(update={"logo": logo})


def _override(name: str, value: str) -> dict[str, Any] | None:
    if name.startswith(_COLOR_PREFIX):
        color = name.removeprefix(_COLOR_PREFIX)
        if color not in WallboardColors.model_fields:
            return None
        return {"colors": {color: value if value.startswith("#") else f"#{value}"}}
    if name not in _OVERRIDABLE:
        return None
    if name == "tiles":
        return {name: [tile.strip() for tile in value.split(",") if tile.strip()]}
    return {name: value}


def _merged(base: Mapping[str, Any], changes: list[dict[str, Any]]) -> dict[str, Any]:
    merged = dict(base)
    for change in changes:
        for key, value in change.items():
            merged[key] = {**merged[key], **value} if key == "colors" else value
    return merged


def _reason(error: ValidationError) -> str:
    first = error.errors()[0]
    reason = str(first["msg"]).removeprefix("Value error, ")
    # A list item (a tile) is named, so the reader sees which of several is wrong.
    listed = bool(first["loc"]) and isinstance(first["loc"][-1], int)
    return f"{first['input']!r}: {reason}" if listed else reason
