"""The notifications of the in-app centre and who acknowledged which."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.store.models import Base, JsonValue, NotificationAck, NotificationRecord
from hotline.store.upsert import insert_ignoring, upsert

__all__ = ["NotificationFilter", "NotificationRows", "StoredNotification"]

NOTIFICATIONS = Base.metadata.tables[NotificationRecord.__tablename__]


@dataclass(frozen=True, slots=True, kw_only=True)
class NotificationFilter:
    """Which notifications a user asks for and may see. ``queues``: those of these queues
    (None: every queue and the system's); ``kinds``: of these kinds (None: all); ``unread``:
    only those ``user`` has not acknowledged; ``before``: ids below it (paging back)."""

    user: str
    queues: frozenset[str] | None = None
    kinds: frozenset[str] | None = None
    muted: frozenset[str] = frozenset()
    unread: bool = False
    before: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredNotification:
    id: int
    key: str
    kind: str
    queue: str | None
    data: JsonValue
    created_at: float
    updated_at: float
    acked: bool


class NotificationRows:
    """Notifications on one session; ``save`` leaves committing to the caller."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def save(
        self, *, key: str, kind: str, queue: str | None, data: JsonValue, now: float
    ) -> int:
        """Write the notification ``key`` (or update its facts); returns its id. An update
        makes it unread again: something new happened."""
        dialect = (await self.session.connection()).dialect.name
        values = {"key": key, "kind": kind, "queue": queue, "data": data,
                  "created_at": now, "updated_at": now}  # fmt: skip
        statement = upsert(dialect, NOTIFICATIONS, "key", ("data", "updated_at"))
        statement = statement.values(values).returning(NotificationRecord.id)
        identifier: int = (await self.session.scalars(statement)).one()
        await self.session.execute(
            delete(NotificationAck).where(NotificationAck.notification_id == identifier)
        )
        return identifier

    async def missing(self, keys: Sequence[str]) -> set[str]:
        """Those of ``keys`` no notification has."""
        found: set[str] = set()
        for start in range(0, len(keys), 500):  # a bounded IN list
            chunk = keys[start : start + 500]
            query = select(NotificationRecord.key).where(NotificationRecord.key.in_(chunk))
            found.update((await self.session.scalars(query)).all())
        return set(keys) - found

    async def get(self, identifier: int, user: str) -> StoredNotification | None:
        query = _with_ack(user).where(NotificationRecord.id == identifier)
        row = (await self.session.execute(query)).one_or_none()
        return _stored(row[0], row[1]) if row is not None else None

    async def newest(self, which: NotificationFilter, *, limit: int) -> list[StoredNotification]:
        """The newest first."""
        query = _with_ack(which.user).where(*_conditions(which))
        query = query.order_by(NotificationRecord.id.desc()).limit(limit)
        return [_stored(n, acked) for n, acked in (await self.session.execute(query)).all()]

    async def unread(self, which: NotificationFilter) -> int:
        conditions = _conditions(replace(which, unread=True))
        query = select(func.count()).select_from(NotificationRecord).where(*conditions)
        return await self.session.scalar(query) or 0

    async def ack(self, ids: Sequence[int], user: str, *, now: float) -> None:
        """``user`` has seen ``ids``; commits."""
        if ids:
            dialect = (await self.session.connection()).dialect.name
            rows = [{"notification_id": i, "user_name": user, "acked_at": now} for i in ids]
            await self.session.execute(insert_ignoring(dialect, NotificationAck), rows)
        await self.session.commit()

    async def purge(self, before: float) -> int:
        """Delete notifications last updated before ``before``, read or not, with their
        acknowledgements (deleted here: SQLite enforces no cascade by default). Commits."""
        old = select(NotificationRecord.id).where(NotificationRecord.updated_at < before)
        await self.session.execute(
            delete(NotificationAck).where(NotificationAck.notification_id.in_(old))
        )
        result = await self.session.execute(
            delete(NotificationRecord).where(NotificationRecord.updated_at < before)
        )
        await self.session.commit()
        return int(getattr(result, "rowcount", 0) or 0)

    async def unread_ids(self, which: NotificationFilter) -> list[int]:
        conditions = _conditions(replace(which, unread=True))
        query = select(NotificationRecord.id).where(*conditions)
        return list((await self.session.scalars(query)).all())


def _acked(user: str) -> ColumnElement[bool]:
    return exists().where(
        and_(
            NotificationAck.notification_id == NotificationRecord.id,
            NotificationAck.user_name == user,
        )
    )


def _with_ack(user: str) -> Select[NotificationRecord, bool]:
    return select(NotificationRecord, _acked(user).label("acked"))


def _conditions(which: NotificationFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if which.queues is not None:
        conditions.append(NotificationRecord.queue.in_(which.queues))
    if which.kinds is not None:
        conditions.append(NotificationRecord.kind.in_(which.kinds))
    if which.muted:
        conditions.append(NotificationRecord.kind.not_in(which.muted))
    if which.unread:
        conditions.append(~_acked(which.user))
    if which.before is not None:
        conditions.append(NotificationRecord.id < which.before)
    return conditions


def _stored(record: NotificationRecord, acked: bool) -> StoredNotification:
    return StoredNotification(
        id=record.id, key=record.key, kind=record.kind, queue=record.queue, data=record.data,
        created_at=record.created_at, updated_at=record.updated_at, acked=bool(acked),
    )  # fmt: skip
