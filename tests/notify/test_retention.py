"""Retention: sent messages and notifications older than ``keep_days`` are deleted, read or
not; an unsent message stays however old, and what is recent stays."""

from __future__ import annotations

from sqlalchemy import select

from hotline.config import parse_config
from hotline.notify import Retention
from hotline.notify.retention import DAY
from hotline.store import (
    Database,
    NewMessage,
    NotificationAck,
    NotificationRecord,
    NotificationRows,
    OutboxMessage,
    OutboxRows,
)

NOW = 1_800_000_000.0
OLD = NOW - 91 * DAY  # past the default 90 days
RECENT = NOW - 89 * DAY


async def _message(database: Database, key: str, *, at: float, sent: bool) -> None:
    async with database.session() as session:
        rows = OutboxRows(session)
        await rows.add([NewMessage(key=key, channel="email", recipient="ops@example.com",
                                   payload={}, due_at=at)], now=at)  # fmt: skip
        await session.commit()
        if sent:
            (row,) = await session.scalars(select(OutboxMessage).where(OutboxMessage.key == key))
            await rows.mark_sent([row.id], now=at)


async def _notification(database: Database, key: str, *, at: float, acked: bool) -> None:
    async with database.session() as session:
        rows = NotificationRows(session)
        identifier = await rows.save(key=key, kind="lost_call", queue="800", data={}, now=at)
        await session.commit()
        if acked:
            await rows.ack([identifier], "maria", now=at)


async def test_old_sent_messages_and_old_notifications_go_unsent_and_recent_stay(
    database: Database,
) -> None:
    await _message(database, "old-sent", at=OLD, sent=True)
    await _message(database, "old-unsent", at=OLD, sent=False)
    await _message(database, "recent-sent", at=RECENT, sent=True)
    await _notification(database, "old-acked", at=OLD, acked=True)
    await _notification(database, "old-unread", at=OLD, acked=False)
    await _notification(database, "recent-acked", at=RECENT, acked=True)

    keep_days = parse_config("").notifications.keep_days
    assert keep_days == 90
    retention = Retention(database, wall=lambda: NOW, keep_days=keep_days)
    assert await retention.purge() == (1, 2)
    assert await retention.purge() == (0, 0)  # nothing more: a purge is safe to repeat

    async with database.session() as session:
        messages = set(await session.scalars(select(OutboxMessage.key)))
        notifications = set(await session.scalars(select(NotificationRecord.key)))
        acks = list(await session.scalars(select(NotificationAck.notification_id)))
    assert messages == {"old-unsent", "recent-sent"}
    assert notifications == {"recent-acked"}
    assert len(acks) == 1  # the old notification's acknowledgement went with it


async def test_keep_days_is_read_from_the_notifications_section() -> None:
    config = parse_config("[notifications]\nkeep_days = 30\n")
    assert config.notifications.keep_days == 30
