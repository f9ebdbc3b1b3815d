"""SIP registrations as rows, for the location service to survive a restart.

The store knows nothing of SIP: a binding arrives here as plain values (the contact as its
header text, where the REGISTER came from as transport, host and port) and leaves the same
way. Writes replace an AOR's rows whole, so a burst of REGISTERs for one AOR costs one
rewrite, and the table holds exactly what memory held at the last flush.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from itertools import islice
from typing import NamedTuple

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.store.bulk import BulkInsert
from hotline.store.models import Base, Registration

__all__ = ["Registrations", "StoredBinding"]

TABLE = Base.metadata.tables[Registration.__tablename__]

# Statements stay well under the bound parameters a statement may carry (32,766 on SQLite,
# 32,767 on PostgreSQL).
CHUNK = 1000


class StoredBinding(NamedTuple):
    """A binding as stored: a row of ``registrations``, in its columns' order."""

    aor: str
    contact: str
    expires_at: float
    call_id: str
    cseq: int
    q: float
    transport: str
    host: str
    port: int
    registered_at: float


INSERT = BulkInsert(TABLE, StoredBinding._fields)


class Registrations:
    """The registrations table, on one session; the caller commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def replace(self, aors: Collection[str], bindings: Iterable[StoredBinding]) -> None:
        """Make ``bindings`` the whole set of each AOR in ``aors`` (an AOR without any binding
        left loses its rows). Every binding belongs to one of ``aors``."""
        remaining = iter(aors)
        while chunk := list(islice(remaining, CHUNK)):
            await self.session.execute(delete(TABLE).where(TABLE.c.aor.in_(chunk)))
        await INSERT.execute(await self.session.connection(), list(bindings))

    async def delete_expired(self, now: float) -> int:
        """Drop the bindings expired at ``now``; returns how many went."""
        result = await self.session.execute(delete(TABLE).where(TABLE.c.expires_at <= now))
        return int(getattr(result, "rowcount", 0))

    async def unexpired(self, now: float) -> list[StoredBinding]:
        """The bindings still alive at ``now``, by AOR, oldest registration first."""
        query = (
            select(*(TABLE.c[name] for name in StoredBinding._fields))
            .where(TABLE.c.expires_at > now)
            .order_by(TABLE.c.aor, TABLE.c.registered_at, TABLE.c.id)
        )
        return [StoredBinding(*row) for row in await self.session.execute(query)]
