"""The event log in Asterisk's queue_log text format, for QueueMetrics and other tools.

A line is ``epoch|callid|queue|agent|EVENT|data1|data2|...`` with Asterisk's data fields per
verb (ENTERQUEUE: url, caller id, position; CONNECT: hold time, bridged channel, ring time;
COMPLETECALLER/COMPLETEAGENT: hold time, talk time, original position; ABANDON and the
EXIT verbs: position, original position, wait; RINGNOANSWER: ring time in milliseconds;
PAUSE: reason). Empty ids are ``NONE``, as Asterisk writes them; times are whole seconds.
Hotline's own verbs (OFFER, DROPPED, CALLBACK...) keep their names and carry what they have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.store.models import QueueEvent

__all__ = ["LogLine", "LogSlice", "queue_log_chunk", "queue_log_line"]


class LogLine(Protocol):
    """A stored queue event (a model or a row of its table)."""

    time: float
    call_id: str | None
    queue: str | None
    agent: str | None
    verb: str
    position: int | None
    original_position: int | None
    wait: float | None
    talk: float | None
    ring: float | None
    reason: str | None
    detail: str | None


def _whole(value: float | None) -> str:
    return "" if value is None else str(round(value))


def _text(value: object) -> str:
    return "" if value is None else str(value).replace("|", "/").replace("\n", " ")


def queue_log_line(e: LogLine) -> str:
    """One line of Asterisk's queue_log for a stored event."""
    data: Sequence[str]
    if e.verb == "ENTERQUEUE":
        data = ("", _text(e.detail), _text(e.position))
    elif e.verb == "CONNECT":
        data = (_whole(e.wait), _text(e.call_id), _whole(e.ring))
    elif e.verb in ("COMPLETECALLER", "COMPLETEAGENT"):
        data = (_whole(e.wait), _whole(e.talk), _text(e.original_position))
    elif e.verb in ("ABANDON", "EXITWITHTIMEOUT", "EXITEMPTY", "DROPPED", "CALLBACKFAILED"):
        data = (_text(e.position), _text(e.original_position), _whole(e.wait))
    elif e.verb == "RINGNOANSWER":
        data = (str(round((e.ring or 0.0) * 1000)),)
    elif e.verb in ("PAUSE", "UNPAUSE"):
        data = (_text(e.reason),)
    else:
        data = tuple(_text(v) for v in (e.reason, e.detail) if v is not None)
    ids = (str(int(e.time)), e.call_id or "NONE", e.queue or "NONE", e.agent or "NONE", e.verb)
    return "|".join((*ids, *data))


@dataclass(frozen=True, slots=True, kw_only=True)
class LogSlice:
    """Which lines to export: ``[since, until)``; ``queues``: lines of those queues, and
    agent lines (a pause) of ``agents``; ``agents`` alone: that agent's lines (None: all)."""

    since: float
    until: float
    queues: frozenset[str] | None = None
    agents: frozenset[str] | None = None


async def queue_log_chunk(
    connection: AsyncConnection, where: LogSlice, after: tuple[float, int] | None, size: int
) -> tuple[str, tuple[float, int] | None]:
    """Up to ``size`` lines in order after the line ``after`` ((time, id); None: from the
    start), and where the next chunk starts (None: this was the last)."""
    table = QueueEvent.__table__
    conditions: list[ColumnElement[bool]] = [
        table.c.time >= where.since,
        table.c.time < where.until,
    ]
    if where.queues is not None:
        agent_lines = and_(table.c.queue.is_(None), table.c.agent.in_(sorted(where.agents or ())))
        conditions.append(or_(table.c.queue.in_(sorted(where.queues)), agent_lines))
    elif where.agents is not None:
        conditions.append(table.c.agent.in_(sorted(where.agents)))
    if after is not None:
        time, id = after
        conditions.append(or_(table.c.time > time, and_(table.c.time == time, table.c.id > id)))
    statement = select(table).where(*conditions).order_by(table.c.time, table.c.id).limit(size)
    rows = (await connection.execute(statement)).all()
    text = "".join(queue_log_line(row) + "\n" for row in rows)
    return text, ((rows[-1].time, rows[-1].id) if len(rows) == size else None)
