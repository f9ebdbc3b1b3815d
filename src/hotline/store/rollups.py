"""Report rollups: the queue event log folded into counters per 15 minutes, as it is written.

Reports over a year would otherwise read a million calls' events; they read at most
35,040 quarter-hours per queue instead. Fifteen minutes (in UTC) is the bucket because every
time zone's offset is a multiple of it, so a bucket never straddles a local midnight or a
local hour anywhere: any site's days, hours and weekdays are exact sums of buckets.

Every figure of a queue visit (from ``ENTERQUEUE`` to its end) counts in the bucket the
visit entered, as Asterisk's and QueueMetrics' reports count a call where it arrived. The
fold keeps each open visit's entry time in memory; after a restart a visit's later events
fall back to ``time - wait`` (or the event's own time) for it.

``RollupFold`` is pure: log lines go in, increments per row come out, and the event writer
adds them with one ``INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n`` per table in
the same transaction as the log lines themselves.
"""

from __future__ import annotations

import bisect
import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.events import QueueEventLogged
from hotline.store.bulk import row_source, write_rows

__all__ = [
    "AGENT_ROLLUP",
    "AREA_ROLLUP",
    "BUCKET_SECONDS",
    "DAY_OF",
    "QUARTER_HOURS",
    "QUEUE_ROLLUP",
    "TABLES",
    "WAIT_EDGES",
    "LocalDays",
    "RollupFold",
    "RollupTable",
    "add_to_day",
    "area_of",
    "bucket_of",
    "local_midnight",
    "write_rollups",
]

BUCKET_SECONDS = 900.0
# Wait thresholds kept as "answered (abandoned) within N s" counters: a service level or a
# short-abandon threshold is one of them.
WAIT_EDGES = (5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600)
AREA_DIGITS = 4


def bucket_of(at: float) -> float:
    """The start of the UTC quarter-hour holding ``at``."""
    return math.floor(at / BUCKET_SECONDS) * BUCKET_SECONDS


def area_of(number: str | None) -> str:
    """A caller's area: the first four digits of the number (country and area code for most
    numbering plans), or "" when it has none."""
    digits = "".join(c for c in number or "" if c.isdigit())
    return digits[:AREA_DIGITS]


class LocalDays:
    """The local midnight starting the day of an instant, in the site's zone; remembers the
    current day, so the writer's hot path converts a time once a day."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._day = (0.0, 0.0)

    def start_of(self, at: float) -> float:
        start, end = self._day
        if not start <= at < end:
            local = datetime.datetime.fromtimestamp(at, self.zone).date()
            start = local_midnight(local, self.zone)
            end = local_midnight(local + datetime.timedelta(days=1), self.zone)
            self._day = (start, end)
        return start


def _band(whose: str, wait: float) -> dict[str, float]:
    """A wait counted in its band only (the first edge it is within): ``take`` makes the
    bands "within N s" counts, once per row instead of a dozen counters per call."""
    place = bisect.bisect_left(WAIT_EDGES, wait)
    return {f"{whose}_within_{WAIT_EDGES[place]}": 1} if place < len(WAIT_EDGES) else {}


def _cumulate(row: list[float]) -> None:
    """A queue row's wait bands into "within N s" counts (each band adds to its edge and
    every edge above)."""
    for columns in _WITHIN_COLUMNS:
        total = 0.0
        for index in columns:
            total += row[index]
            row[index] = total


def local_midnight(day: datetime.date, zone: ZoneInfo) -> float:
    """The instant ``day`` starts in ``zone``."""
    return datetime.datetime.combine(day, datetime.time(), zone).timestamp()


@dataclass(frozen=True, slots=True, eq=False)  # hashed by identity: a key of hot dictionaries
class RollupTable:
    """A rollup table: its key columns, counters that add up, and maxima. ``bucket`` is a
    quarter-hour's start, or in a day table (``daily``) a local midnight of the site."""

    name: str
    keys: tuple[str, ...]
    sums: tuple[str, ...]
    maxima: tuple[str, ...] = ()
    daily: bool = False
    # Each value column's place in a row of increments, and the maxima's places.
    index: dict[str, int] = field(init=False, repr=False)
    maxima_at: frozenset[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        index = {column: n for n, column in enumerate(self.values)}
        object.__setattr__(self, "index", index)
        object.__setattr__(self, "maxima_at", frozenset(index[m] for m in self.maxima))

    def by_day(self) -> RollupTable:
        """The table's twin with a row per local day of the site."""
        return RollupTable(f"{self.name}_day", self.keys, self.sums, self.maxima, daily=True)

    @property
    def values(self) -> tuple[str, ...]:
        return self.sums + self.maxima

    def upsert_sql(self, connection: AsyncConnection) -> str:
        """Add rows of increments (keys, then values) to the table's rows, for ``write_rows``."""
        columns = self.keys + self.values
        types = (float,) + (str,) * (len(self.keys) - 1) + (float,) * len(self.values)
        greatest = "greatest" if connection.dialect.name == "postgresql" else "max"
        updates = [f"{c} = {self.name}.{c} + excluded.{c}" for c in self.sums] + [
            f"{c} = {greatest}({self.name}.{c}, excluded.{c})" for c in self.maxima
        ]
        return (
            f"INSERT INTO {self.name} ({', '.join(columns)}) {row_source(connection, types)} "
            f"ON CONFLICT ({', '.join(self.keys)}) DO UPDATE SET {', '.join(updates)}"
        )


QUEUE_ROLLUP = RollupTable(
    name="rollup_queue",
    keys=("bucket", "queue"),
    sums=(
        "offered", "answered", "abandoned", "timed_out", "exited_empty", "refused", "dropped",
        "callback_requested", "callback_answered", "callback_failed", "requeued",
        "completed_by_caller", "completed_by_agent", "ring_no_answer",
        "answered_wait", "abandoned_wait", "talk", "wrap_up", "callback_delay",
        *(f"answered_within_{edge}" for edge in WAIT_EDGES),
        *(f"abandoned_within_{edge}" for edge in WAIT_EDGES),
    ),
    maxima=("longest_wait",),
)  # fmt: skip
AGENT_ROLLUP = RollupTable(
    name="rollup_agent",
    keys=("bucket", "queue", "agent"),
    sums=(
        "offers", "answered", "ring_no_answer", "completed_by_agent", "answered_wait", "talk",
        "ring", "wrap_up",
    ),
)  # fmt: skip
AREA_ROLLUP = RollupTable(
    name="rollup_area",
    keys=("bucket", "queue", "area"),
    sums=("offered", "answered", "abandoned"),
)
QUARTER_HOURS = (QUEUE_ROLLUP, AGENT_ROLLUP, AREA_ROLLUP)
DAY_OF = {table: table.by_day() for table in QUARTER_HOURS}
TABLES = (*QUARTER_HOURS, *DAY_OF.values())
_WITHIN_COLUMNS = tuple(
    tuple(QUEUE_ROLLUP.index[f"{whose}_within_{edge}"] for edge in WAIT_EDGES)
    for whose in ("answered", "abandoned")
)

# How a visit left its queue unanswered, as the queue counter it adds to.
_EXITS = {
    "ABANDON": "abandoned",
    "EXITWITHTIMEOUT": "timed_out",
    "EXITEMPTY": "exited_empty",
    "DROPPED": "dropped",
    "CALLBACKFAILED": "callback_failed",
}
_REFUSED = frozenset({"FULL", "JOINEMPTY"})


@dataclass(slots=True)
class _Visit:
    queue: str
    bucket: float
    area: str
    callback_at: float | None = None


@dataclass(slots=True)
class _Wrap:
    bucket: float
    queue: str
    completed_at: float


@dataclass(slots=True)
class RollupFold:
    """Folds log lines into pending increments; ``take()`` hands them over and clears. Each
    increment goes to its quarter-hour's row and to its local day's row in ``days``' zone."""

    days: LocalDays = field(default_factory=lambda: LocalDays(ZoneInfo("UTC")))
    pending: dict[RollupTable, dict[tuple[object, ...], list[float]]] = field(
        default_factory=lambda: {table: {} for table in TABLES}
    )
    _visits: dict[str, _Visit] = field(default_factory=dict)
    _seen_in: dict[str, str] = field(default_factory=dict)  # call -> last queue entered
    _wraps: dict[str, _Wrap] = field(default_factory=dict)  # agent -> its last call

    def take(self) -> dict[RollupTable, list[tuple[object, ...]]]:
        """The increments since the last take, per table (the day rows folded from the
        quarter-hours' here, once per key rather than once per event)."""
        for row in self.pending[QUEUE_ROLLUP].values():
            _cumulate(row)
        for table in QUARTER_HOURS:
            days = self.pending[DAY_OF[table]]
            for key, values in self.pending[table].items():
                day_key = (self.days.start_of(key[0]), *key[1:])  # type: ignore[arg-type]
                add_to_day(days, day_key, values, table.maxima_at)
        rows = {t: [(*k, *v) for k, v in by_key.items()] for t, by_key in self.pending.items()}
        self.pending = {table: {} for table in TABLES}
        return rows

    def forget(self, call_id: str) -> None:
        """The call ended: a later queue entry of the same id is a new call."""
        self._seen_in.pop(call_id, None)

    def apply(self, event: QueueEventLogged) -> None:
        verb = event.verb
        if verb == "ENTERQUEUE":
            self._enter(event)
        elif verb == "WRAPUPEND":
            self._wrap_up(event)
        elif event.call_id is not None and event.queue is not None:
            if verb in _REFUSED:
                self._add(QUEUE_ROLLUP, (bucket_of(event.at), event.queue), refused=1)
            else:
                self._visit_event(event, self._visit(event))

    def _enter(self, event: QueueEventLogged) -> None:
        if event.call_id is None or event.queue is None:
            return
        visit = _Visit(event.queue, bucket_of(event.at), area_of(event.detail))
        self._visits[event.call_id] = visit
        requeued = 1 if event.call_id in self._seen_in else 0
        self._seen_in[event.call_id] = event.queue
        self._add(QUEUE_ROLLUP, (visit.bucket, visit.queue), offered=1, requeued=requeued)
        self._add(AREA_ROLLUP, (visit.bucket, visit.queue, visit.area), offered=1)

    def _visit(self, event: QueueEventLogged) -> _Visit:
        assert event.call_id is not None and event.queue is not None
        visit = self._visits.get(event.call_id)
        if visit is None or visit.queue != event.queue:
            # Entered before a restart: its entry is the best estimate left.
            entered = event.at - (event.wait or 0.0)
            visit = _Visit(event.queue, bucket_of(entered), area_of(None))
            self._visits[event.call_id] = visit
        return visit

    def _visit_event(self, event: QueueEventLogged, visit: _Visit) -> None:
        queue_key = (visit.bucket, visit.queue)
        agent_key = (visit.bucket, visit.queue, event.agent or "")
        verb, wait = event.verb, event.wait or 0.0
        if verb == "OFFER" or verb == "CALLBACKDIAL":
            self._add(AGENT_ROLLUP, agent_key, offers=1)
        elif verb == "RINGNOANSWER":
            self._add(QUEUE_ROLLUP, queue_key, ring_no_answer=1)
            self._add(AGENT_ROLLUP, agent_key, ring_no_answer=1, ring=event.ring or 0.0)
        elif verb == "CALLBACKREQUEST":
            visit.callback_at = event.at
            self._add(QUEUE_ROLLUP, queue_key, callback_requested=1)
        elif verb == "CONNECT":
            self._connect(event, visit, wait)
        elif verb in ("COMPLETECALLER", "COMPLETEAGENT"):
            self._complete(event, visit)
        elif verb in _EXITS:
            self._exit(event, visit, wait)

    def _connect(self, event: QueueEventLogged, visit: _Visit, wait: float) -> None:
        within = _band("answered", wait)
        callback = {}
        if visit.callback_at is not None:
            callback = {"callback_answered": 1, "callback_delay": event.at - visit.callback_at}
        self._add(QUEUE_ROLLUP, (visit.bucket, visit.queue), answered=1, answered_wait=wait,
                  longest_wait=wait, **within, **callback)  # fmt: skip
        agent_key = (visit.bucket, visit.queue, event.agent or "")
        self._add(AGENT_ROLLUP, agent_key, answered=1, answered_wait=wait)
        self._add(AREA_ROLLUP, (visit.bucket, visit.queue, visit.area), answered=1)

    def _complete(self, event: QueueEventLogged, visit: _Visit) -> None:
        assert event.call_id is not None
        del self._visits[event.call_id]
        by_agent = event.verb == "COMPLETEAGENT"
        talk = event.talk or 0.0
        ends = {"completed_by_agent": int(by_agent), "completed_by_caller": int(not by_agent)}
        self._add(QUEUE_ROLLUP, (visit.bucket, visit.queue), talk=talk, **ends)
        agent = event.agent or ""
        self._add(AGENT_ROLLUP, (visit.bucket, visit.queue, agent), talk=talk,
                  completed_by_agent=int(by_agent))  # fmt: skip
        self._wraps[agent] = _Wrap(visit.bucket, visit.queue, event.at)

    def _exit(self, event: QueueEventLogged, visit: _Visit, wait: float) -> None:
        assert event.call_id is not None
        del self._visits[event.call_id]
        counter = _EXITS[event.verb]
        figures: dict[str, float] = {counter: 1, "longest_wait": wait}
        if counter == "abandoned":
            figures["abandoned_wait"] = wait
            figures |= _band("abandoned", wait)
            self._add(AREA_ROLLUP, (visit.bucket, visit.queue, visit.area), abandoned=1)
        self._add(QUEUE_ROLLUP, (visit.bucket, visit.queue), **figures)

    def _wrap_up(self, event: QueueEventLogged) -> None:
        wrap = self._wraps.pop(event.agent or "", None)
        if wrap is None:
            return
        seconds = max(0.0, event.at - wrap.completed_at)
        self._add(QUEUE_ROLLUP, (wrap.bucket, wrap.queue), wrap_up=seconds)
        self._add(AGENT_ROLLUP, (wrap.bucket, wrap.queue, event.agent or ""), wrap_up=seconds)

    def _add(self, table: RollupTable, key: tuple[object, ...], **figures: float) -> None:
        by_key = self.pending[table]
        row = by_key.get(key)
        index_of = table.index
        if row is None:
            row = by_key[key] = [0.0] * len(index_of)
        maxima = table.maxima
        for name, value in figures.items():
            index = index_of[name]
            if name in maxima:
                row[index] = max(row[index], value)
            else:
                row[index] += value


def add_to_day(
    days: dict[tuple[object, ...], list[float]],
    day_key: tuple[object, ...],
    values: Sequence[float],
    maxima_at: frozenset[int],
) -> None:
    """Fold a quarter-hour's ``values`` into its day's row of ``days`` (maxima kept, the
    rest added up)."""
    into = days.get(day_key)
    if into is None:
        days[day_key] = list(values)
        return
    for index, value in enumerate(values):
        added = into[index] + value
        into[index] = max(into[index], value) if index in maxima_at else added


async def write_rollups(
    connection: AsyncConnection, rows: dict[RollupTable, list[tuple[object, ...]]]
) -> None:
    """Add the increments to their rows, in the connection's transaction."""
    for table, table_rows in rows.items():
        if table_rows:
            await write_rows(connection, table.upsert_sql(connection), _sorted(table_rows))


def _sorted(rows: Sequence[tuple[object, ...]]) -> list[tuple[object, ...]]:
    # One order for every writer, so two nodes adding to the same rows never deadlock.
    return sorted(rows, key=lambda row: tuple(str(v) for v in row[:3]))
