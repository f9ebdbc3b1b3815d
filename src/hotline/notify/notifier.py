"""The notifier: the watcher's notices written as notifications (the in-app centre) and as
outbox rows for every recipient the rules name, in one transaction; then shown live.

``submit`` is the bus subscriber: it only runs the watcher (no I/O) and queues what it
notices, so call control never waits on the database. A task writes the queue every
``tick`` seconds (or at once when woken) after asking the watcher about lasting conditions.
A write the database refuses is kept and tried again at the next tick.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.events import Event, EventBus
from hotline.notify.notices import Notice
from hotline.notify.outbox import Outbox
from hotline.notify.rules import Contact, RuleBook
from hotline.notify.watch import Watcher
from hotline.store import (
    Database,
    JsonValue,
    NewMessage,
    NotificationRows,
    queue_events_since,
)
from hotline.store.periodic import Periodic

__all__ = ["Contacts", "Listener", "Notifier"]

log = logging.getLogger(__name__)

# Told of each notification once it is stored: its id and the notice.
Listener = Callable[[int, Notice], None]
# The users a rule may name, by name, as they are now (their scope may have changed).
Contacts = Callable[[], Awaitable[Mapping[str, Contact]]]

DEFAULT_MIN_INTERVAL = 300.0


class Notifier:
    """``attach(bus)``, ``start()`` on the serving loop, ``await stop()`` before the
    database closes."""

    def __init__(
        self,
        database: Database,
        watcher: Watcher,
        rules: RuleBook,
        outbox: Outbox,
        *,
        wall: Callable[[], float],
        contacts: Contacts | None = None,
        min_interval: float = DEFAULT_MIN_INTERVAL,
        tick: float = 1.0,
    ) -> None:
        self.database = database
        self.watcher = watcher
        self.rules = rules
        self.outbox = outbox
        self.wall = wall
        self.min_interval = min_interval
        self.contacts = contacts
        self.listeners: list[Listener] = []
        self._pending: deque[Notice] = deque()
        self._periodic = Periodic(self.flush, interval=tick, name="notify")

    def attach(self, bus: EventBus) -> None:
        bus.subscribe(self.submit)

    def submit(self, event: Event) -> None:
        notices = self.watcher.observe(event)
        if notices:
            self._pending.extend(notices)
            self._periodic.wake()

    def start(self) -> None:
        self._periodic.start()

    async def recover(self, *, since: float) -> int:
        """Notice what the store kept since ``since`` that no notification records: a kill
        between an event's write and its notice's (the notifier's tick) lost the notice, not
        the event. Returns how many were recovered; before ``start``."""
        async with self.database.session() as session:
            events = await queue_events_since(session, since)
            notices = self.watcher.replay(events)
            missing = await NotificationRows(session).missing([n.key for n in notices])
        recovered = [notice for notice in notices if notice.key in missing]
        if recovered:
            log.warning("notify: %d notices lost by the last stop are sent now", len(recovered))
            await self._write(recovered)
            self.outbox.on_enqueue()
        return len(recovered)

    async def stop(self) -> None:
        await self._periodic.stop()

    async def flush(self) -> None:
        """Ask the watcher about lasting conditions, then write every notice waiting."""
        self._pending.extend(self.watcher.tick(self.wall()))
        if not self._pending:
            return
        notices = list(self._pending)
        self._pending.clear()
        try:
            saved = await self._write(notices)
        except (SQLAlchemyError, OSError):
            log.exception("notify: writing %d notices failed; retrying", len(notices))
            self._pending.extendleft(reversed(notices))
            return
        for identifier, notice in saved:
            for listener in self.listeners:
                listener(identifier, notice)
        self.outbox.on_enqueue()

    async def _write(self, notices: Sequence[Notice]) -> list[tuple[int, Notice]]:
        now = self.wall()
        saved: list[tuple[int, Notice]] = []
        contacts: Mapping[str, Contact] = {}
        outgoing = any(notice.goes_out for notice in notices)  # updates stay in the app
        if self.contacts is not None and self.rules.names_users and outgoing:
            contacts = await self.contacts()
        async with self.database.session() as session:
            rows = NotificationRows(session)
            messages: list[NewMessage] = []
            given: dict[str, float] = {}  # due times of this transaction's rows, per batch
            for notice in notices:
                data: JsonValue = notice.as_json()  # type: ignore[assignment]  # plain JSON types
                identifier = await rows.save(key=notice.key, kind=notice.kind, queue=notice.queue,
                                             data=data, now=now)  # fmt: skip
                saved.append((identifier, notice))
                if notice.goes_out:
                    messages += await self._messages(session, notice, data, contacts, now, given)
            await self.outbox.add(session, messages)
            await session.commit()
        return saved

    async def _messages(
        self,
        session: AsyncSession,
        notice: Notice,
        data: JsonValue,
        contacts: Mapping[str, Contact],
        now: float,
        given: dict[str, float],
    ) -> list[NewMessage]:
        """An outbox row for each recipient of ``notice`` (``data``: its JSON, made once;
        ``given``: the due times given so far in this transaction)."""
        messages = []
        for recipient in self.rules.recipients(notice, contacts):
            batch = f"{recipient.channel}:{recipient.address}:{notice.kind}"
            due = await self.outbox.due_time(
                session, batch, now=now, min_interval=self.min_interval, given=given
            )
            payload = {"notice": data, "language": recipient.language}
            messages.append(
                NewMessage(
                    key=f"{notice.key}|{recipient.channel}|{recipient.address}"[:255],
                    channel=recipient.channel,
                    recipient=recipient.address,
                    batch=batch,
                    payload=payload,
                    due_at=due,
                )
            )
        return messages
