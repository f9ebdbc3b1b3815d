"""The event writer: one task that persists the bus's events in batches.

``submit`` is the bus subscriber. It only appends to a queue, so publishing costs call
control a list append however slow the database is. The task wakes every ``interval``
seconds (or as soon as ``batch_size`` events wait), folds the waiting events into rows and
writes them in one transaction: SQLite takes about 5,000 single-row commits a second but
hundreds of thousands of rows a second in batches. With the default 0.2 s a kill loses at
most the events of the last interval plus the one being written.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from hotline.events import (
    AgentStateChanged,
    CallEnded,
    CallStarted,
    Event,
    EventBus,
    QueueEventLogged,
)
from hotline.store.agent_batch import write_agent_changes
from hotline.store.bulk import BulkInsert
from hotline.store.database import Database
from hotline.store.journeys import ROW_COLUMNS, CallJourney
from hotline.store.models import Base, CallRecord, QueueEvent
from hotline.store.periodic import Periodic
from hotline.store.queue_log import QUEUE_EVENT_COLUMNS, queue_event_row
from hotline.store.rollups import LocalDays, RollupFold, RollupTable, write_rollups

__all__ = ["EventWriter"]

log = logging.getLogger(__name__)

INSERT_QUEUE_EVENTS = BulkInsert(
    Base.metadata.tables[QueueEvent.__tablename__], QUEUE_EVENT_COLUMNS
)
UPSERT_CALLS = BulkInsert(
    Base.metadata.tables[CallRecord.__tablename__], ROW_COLUMNS, key="call_id"
)


@dataclass(slots=True)
class Batch:
    """The rows of one transaction: log lines, the latest row of each call touched, agent
    changes in the order they happened, and the increments of the report rollups."""

    queue_rows: list[tuple[object, ...]] = field(default_factory=list)
    call_rows: dict[str, tuple[object, ...]] = field(default_factory=dict)
    agent_changes: list[AgentStateChanged] = field(default_factory=list)
    rollups: dict[RollupTable, list[tuple[object, ...]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.queue_rows) + len(self.call_rows) + len(self.agent_changes)

    def split(self) -> Iterator[Batch]:
        """One batch per row, in the order they are written."""
        for row in self.queue_rows:
            yield Batch(queue_rows=[row])
        for call_id, values in self.call_rows.items():
            yield Batch(call_rows={call_id: values})
        for change in self.agent_changes:
            yield Batch(agent_changes=[change])
        yield Batch(rollups=self.rollups)


class EventWriter:
    """Persists events in batches from one task; ``start`` it, ``stop`` it to flush all."""

    def __init__(
        self,
        database: Database,
        *,
        interval: float = 0.2,
        batch_size: int = 5000,
        zone: ZoneInfo | None = None,
    ) -> None:
        self.database = database
        self.interval = interval
        self.batch_size = batch_size
        self.rows_written = 0
        self.failing = False  # the last write failed: the database is down or refuses
        self._pending: deque[Event] = deque()
        self._journeys: dict[str, CallJourney] = {}
        # Day rollups are of the site's zone (``zone``, UTC when not given).
        self._rollups = RollupFold(days=LocalDays(zone or ZoneInfo("UTC")))
        self._unwritten: list[Batch] = []
        self._periodic = Periodic(self.flush, interval=interval, name="store-writer")

    @property
    def backlog(self) -> int:
        """Events and rows waiting to be written."""
        return len(self._pending) + sum(len(batch) for batch in self._unwritten)

    def attach(self, bus: EventBus) -> None:
        """Subscribe to every event of ``bus``."""
        bus.subscribe(self.submit)

    def submit(self, event: Event) -> None:
        """Queue one event for the next batch; never blocks, never touches the database."""
        self._pending.append(event)
        # Woken once as the queue reaches a batch: the flush then writes until none is left.
        if len(self._pending) == self.batch_size:
            self._periodic.wake()

    def start(self) -> None:
        self._periodic.start()

    async def stop(self) -> None:
        """Write everything submitted so far, then end the task."""
        await self._periodic.stop()

    async def flush(self) -> None:
        """Write what waits now, in batches of at most ``batch_size`` events."""
        while self._pending or self._unwritten:
            if self._pending:
                self._unwritten.append(self._collect())
            if not await self._write_unwritten():
                return

    def _collect(self) -> Batch:
        batch = Batch()
        changed: dict[str, CallJourney] = {}
        for _ in range(min(len(self._pending), self.batch_size)):
            self._add(batch, changed, self._pending.popleft())
        # A snapshot per call, once its batch is collected (a call has about seven events
        # a batch): the journey goes on changing while this batch waits to be written.
        batch.call_rows = {call_id: journey.values() for call_id, journey in changed.items()}
        batch.rollups = self._rollups.take()
        return batch

    def _add(self, batch: Batch, changed: dict[str, CallJourney], event: Event) -> None:
        if isinstance(event, AgentStateChanged):
            batch.agent_changes.append(event)
            return
        if isinstance(event, QueueEventLogged):
            batch.queue_rows.append(queue_event_row(event))
            self._rollups.apply(event)
        elif isinstance(event, CallEnded):
            self._rollups.forget(event.call_id)
        if isinstance(event, CallStarted):
            self._journeys[event.call_id] = CallJourney(call_id=event.call_id)
        journey = self._journeys.get(event.call_id or "")
        if journey is None:
            # Only a call seen starting has a record to complete: events of a call that
            # started before a restart, or that come after its end, are log lines only.
            return
        journey.apply(event)
        changed[journey.call_id] = journey
        if journey.ended_at is not None:
            del self._journeys[journey.call_id]

    async def _write_unwritten(self) -> bool:
        """Write the batches in order; on a database error keep them for the next tick."""
        while self._unwritten:
            batch = self._unwritten[0]
            try:
                self.rows_written += await self._write_or_split(batch)
            except (SQLAlchemyError, OSError):
                log.exception("store: writing %d rows failed; retrying", len(batch))
                self.failing = True
                return False
            self._unwritten.pop(0)
        self.failing = False
        return True

    async def _write_or_split(self, batch: Batch) -> int:
        """Write ``batch``; returns the rows written. A row the database refuses (a value too
        long for its column) would otherwise fail its batch at every retry and stop the
        writer for good, so the batch is then written row by row without the bad rows."""
        try:
            await self._transaction(batch)
            return len(batch)
        except DBAPIError as error:
            if not _refused(error):
                raise
            log.warning("store: a batch of %d rows was refused; writing one by one", len(batch))
        written = 0
        for single in batch.split():
            try:
                await self._transaction(single)
                written += len(single)  # the rollups' increments are not rows of the count
            except DBAPIError as error:
                if not _refused(error):
                    raise
                log.exception("store: row refused and dropped: %r", single)
        return written

    async def _transaction(self, batch: Batch) -> None:
        async with self.database.engine.begin() as connection:
            await _write(connection, batch)


def _refused(error: DBAPIError) -> bool:
    """The database refused the data, as opposed to being unreachable (worth a retry).
    Drivers do not all map their errors to ``DataError``: asyncpg's executemany raises a
    plain ``DBAPIError`` for a value too long."""
    unreachable = (OperationalError, InterfaceError)
    return not (error.connection_invalidated or isinstance(error, unreachable))


async def _write(connection: AsyncConnection, batch: Batch) -> None:
    await INSERT_QUEUE_EVENTS.execute(connection, batch.queue_rows)
    await UPSERT_CALLS.execute(connection, list(batch.call_rows.values()))
    await write_agent_changes(connection, batch.agent_changes)
    await write_rollups(connection, batch.rollups)
