"""A node purges at start what is older than ``[notifications] keep_days``: a restarted node
no longer lists an old notification nor keeps an old sent message, and still owes the unsent."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import select

from hotline.store import (
    NewMessage,
    NotificationRecord,
    NotificationRows,
    OutboxMessage,
    OutboxRows,
)

from .support import eventually, running_node, serving, start_node

KEEP = "\n[notifications]\nkeep_days = 1\n"
TWO_DAYS = 2 * 86_400.0


async def test_a_restarted_node_forgets_what_is_older_than_keep_days(tmp_path: Path) -> None:
    async with running_node(tmp_path, extra=KEEP) as node:
        old = time.time() - TWO_DAYS
        database = node.hotline.store.database  # type: ignore[union-attr]
        async with database.session() as session:
            await NotificationRows(session).save(
                key="old", kind="lost_call", queue="800", data={}, now=old
            )
            rows = OutboxRows(session)
            messages = [NewMessage(key=key, channel="email", recipient="ops@example.com",
                                   payload={}, due_at=old + TWO_DAYS * 10)
                        for key in ("sent", "unsent")]  # fmt: skip
            await rows.add(messages, now=old)
            await session.commit()
            sent = await session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == "sent"))
            assert sent is not None
            await rows.mark_sent([sent], now=old)
        assert len((await node.http.get("/api/notifications")).json()["items"]) == 1

    async with serving(await start_node(tmp_path, extra=KEEP)) as node:
        assert await eventually(lambda: _keys(node, OutboxMessage.key, {"unsent"}))
        assert await eventually(lambda: _keys(node, NotificationRecord.key, set()))
        listed = await node.http.get("/api/notifications")
        assert listed.json()["items"] == []


async def _keys(node: object, column: object, expected: set[str]) -> bool:
    database = node.hotline.store.database  # type: ignore[attr-defined]
    async with database.session() as session:
        return set(await session.scalars(select(column))) == expected  # type: ignore[call-overload]
