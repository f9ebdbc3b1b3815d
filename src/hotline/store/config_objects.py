"""Configuration objects: JSON documents by kind and key, versioned for concurrent editors.

Queues, extensions, IVRs and wallboard settings become editable from the web one issue at a
time; each is a ``kind`` whose objects are stored here as JSON under a ``key``, so a new kind
needs no migration. Two supervisors editing one queue must not overwrite each other unseen:
every write names the version it read (none, to create), and a write against a version that
has moved on is refused with ``StaleVersion`` (optimistic concurrency, as HTTP's If-Match).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.store.models import ConfigObject, JsonValue
from hotline.store.upsert import insert_ignoring

__all__ = ["ConfigObjects", "StaleVersion"]


class StaleVersion(Exception):
    """A write named a version that is not the stored one (``current``; None: no such object).

    ``status_code``, ``error_id`` and ``details`` are for the web layer's one error handler.
    """

    status_code = 409
    error_id = "stale-version"

    def __init__(self, kind: str, key: str, *, expected: int | None, current: int | None):
        self.kind = kind
        self.key = key
        self.expected = expected
        self.current = current
        self.details: dict[str, str | int | None] = {
            "kind": kind, "key": key, "expected": expected, "current": current,
        }  # fmt: skip
        super().__init__(
            f"{kind} {key!r}: version {expected} expected, {current} stored"
            if current is not None
            else f"{kind} {key!r}: version {expected} expected, but there is no such object"
        )


class ConfigObjects:
    """Configuration objects on one session. Writes commit: a put or delete is durable when
    it returns."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def list(self, kind: str) -> Sequence[ConfigObject]:
        """Every object of ``kind``, by key."""
        query = select(ConfigObject).where(ConfigObject.kind == kind).order_by(ConfigObject.key)
        return (await self.session.scalars(query)).all()

    async def get(self, kind: str, key: str) -> ConfigObject | None:
        """One object (None: there is none)."""
        return await self.session.get(ConfigObject, (kind, key))

    async def put(
        self, kind: str, key: str, value: JsonValue, *, version: int | None, now: float
    ) -> ConfigObject:
        """Create the object (``version`` None) or replace the value of ``version``; returns
        it as stored, its version one more. Raises ``StaleVersion`` when the object exists
        though ``version`` is None, or is missing or at another version."""
        if version is None:
            stored = await self._create(kind, key, value, now)
        else:
            stored = await self._update(kind, key, value, version, now)
        if stored is None:
            await self.session.rollback()
            raise StaleVersion(kind, key, expected=version, current=await self._version(kind, key))
        await self.session.commit()
        return stored

    async def delete(self, kind: str, key: str, *, version: int) -> None:
        """Delete the object at ``version``; ``StaleVersion`` when it is missing or at another
        version (someone changed it since it was read)."""
        result = await self.session.execute(
            delete(ConfigObject).where(*_identity(kind, key), ConfigObject.version == version)
        )
        if not getattr(result, "rowcount", 0):
            await self.session.rollback()
            raise StaleVersion(kind, key, expected=version, current=await self._version(kind, key))
        await self.session.commit()

    async def _create(
        self, kind: str, key: str, value: JsonValue, now: float
    ) -> ConfigObject | None:
        values = {"kind": kind, "key": key, "value": value, "version": 1,
                  "created_at": now, "updated_at": now}  # fmt: skip
        dialect = (await self.session.connection()).dialect.name
        statement = insert_ignoring(dialect, ConfigObject).values(values).returning(ConfigObject)
        return (await self.session.scalars(statement)).one_or_none()

    async def _update(
        self, kind: str, key: str, value: JsonValue, version: int, now: float
    ) -> ConfigObject | None:
        statement = (
            update(ConfigObject)
            .where(*_identity(kind, key), ConfigObject.version == version)
            .values(value=value, version=version + 1, updated_at=now)
            .returning(ConfigObject)
        )
        return (await self.session.scalars(statement)).one_or_none()

    async def _version(self, kind: str, key: str) -> int | None:
        query = select(ConfigObject.version).where(*_identity(kind, key))
        return (await self.session.scalars(query)).one_or_none()


def _identity(kind: str, key: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (ConfigObject.kind == kind, ConfigObject.key == key)
