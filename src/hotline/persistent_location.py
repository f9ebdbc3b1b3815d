"""SIP registrations that survive a restart: the location service, written behind to the store.

Phones re-register only when their binding expires, often after an hour; a server that forgot
its bindings at a restart could not reach them until then. ``PersistentLocation`` keeps every
binding in memory, as ``InMemoryLocationService`` does, so the registrar and call routing read
at memory speed (REGISTER load is about a thousand a second), and writes changes behind:

- ``apply`` and ``remove_all`` only mark their AOR dirty;
- every ``interval`` (0.5 s) one task rewrites each dirty AOR's whole binding set in one
  transaction, so a burst of REGISTERs costs one rewrite per AOR per flush, and a kill loses
  at most the changes of the last interval and the flush in progress;
- ``purge_expired`` drops nothing of an AOR that memory still holds: the flush deletes every
  row expired at the purge time in one statement, which is what memory dropped, without
  marking each AOR.

Whoever follows registrations as they change (agents' phones: ``hotline.agent_phones``)
registers with ``observe`` and hears the AOR of every ``apply`` and ``remove_all``; expiry is
not announced (bindings lapse with time), so a follower keeps its own timer.

At start, ``load`` fills memory from the table with the bindings still alive (deleting the
expired), before SIP listens; ``close`` writes what is left, before the store closes. The
TCP connection a phone registered over does not survive a restart, so a binding comes back
with its source's transport, host and port only: a TCP binding without a connection, which
sends the next request to the phone over a new connection to its Contact
(``Binding.destination``) until its next REGISTER brings a live one.

This module joins ``hotline.sip`` and ``hotline.store``, which know nothing of each other.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from itertools import groupby

from sqlalchemy.exc import SQLAlchemyError

from hotline.sip import (
    Binding,
    InMemoryLocationService,
    NameAddress,
    Peer,
    SipError,
    SipUri,
    Transport,
)
from hotline.store import Database, Registrations, StoredBinding
from hotline.store.periodic import Periodic

__all__ = ["PersistentLocation"]

log = logging.getLogger(__name__)

_TRANSPORTS: dict[str, Transport] = {"UDP": "UDP", "TCP": "TCP"}


class PersistentLocation:
    """A ``LocationService`` (RFC 3261 §10) held in memory and written behind to the store.

    ``await load(database, now=...)``, then ``start()``; ``await close()`` writes the rest.
    Before ``load`` it works in memory only, and its changes wait for the first flush.
    """

    def __init__(self, *, domain: str, interval: float = 0.5) -> None:
        self.memory = InMemoryLocationService(domain=domain)
        self.domain = self.memory.domain
        self.flushes = 0  # transactions written
        self.rewrites = 0  # AOR binding sets rewritten, over all flushes
        self._database: Database | None = None
        self._dirty: set[str] = set()
        self._purged_at: float | None = None
        self._periodic = Periodic(self.flush, interval=interval, name="registrations")
        self._observers: list[Callable[[str], None]] = []

    # Reads: memory only.

    def bindings(self, aor: str, now: float) -> list[Binding]:
        return self.memory.bindings(aor, now)

    def contacts_for(self, number: str, now: float) -> list[Binding]:
        return self.memory.contacts_for(number, now)

    def __len__(self) -> int:
        return len(self.memory)

    # Writes: memory now, the table at the next flush.

    def apply(self, aor: str, *, upserts: Sequence[Binding], removals: Sequence[SipUri]) -> None:
        self.memory.apply(aor, upserts=upserts, removals=removals)
        self._dirty.add(aor)
        self._changed(aor)

    def remove_all(self, aor: str) -> None:
        self.memory.remove_all(aor)
        self._dirty.add(aor)
        self._changed(aor)

    def observe(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(aor)`` after each change a REGISTER makes (not at ``load``)."""
        self._observers.append(callback)

    def _changed(self, aor: str) -> None:
        for callback in self._observers:
            callback(aor)

    def purge_expired(self, now: float) -> int:
        removed = self.memory.purge_expired(now)
        if removed:
            self._mark_purged(now)
        return removed

    @property
    def pending(self) -> int:
        """AORs changed since the last flush."""
        return len(self._dirty)

    async def load(self, database: Database, *, now: float) -> int:
        """Delete the bindings expired at ``now`` and bring the others into memory; returns
        how many came back. Call once, before SIP serves."""
        async with database.session() as session:
            registrations = Registrations(session)
            expired = await registrations.delete_expired(now)
            stored = await registrations.unexpired(now)
            await session.commit()
        self._database = database
        restored = 0
        for aor, rows in groupby(stored, key=lambda row: row.aor):
            bindings = [binding for row in rows if (binding := _binding(row)) is not None]
            self.memory.apply(aor, upserts=bindings, removals=())
            restored += len(bindings)
        log.info("registrations: %d bindings restored, %d expired while stopped", restored, expired)
        return restored

    def start(self) -> None:
        """Flush every ``interval`` from now on (after ``load``)."""
        if self._database is None:
            raise RuntimeError("PersistentLocation.start before load: no database to write to")
        self._periodic.start()

    async def close(self) -> None:
        """Stop the task and write every change made so far."""
        await self._periodic.stop()

    async def flush(self) -> bool:
        """Rewrite the dirty AORs and delete the purged rows, in one transaction; on a database
        error keep them for the next flush and return False."""
        if self._database is None or (not self._dirty and self._purged_at is None):
            return True
        dirty, self._dirty = self._dirty, set()
        purged_at, self._purged_at = self._purged_at, None
        # A snapshot taken before the first await: changes made while it is written mark
        # their AOR again for the next flush.
        rows = [_stored(b) for aor in dirty for b in self.memory.bindings(aor, -math.inf)]
        try:
            async with self._database.session() as session:
                registrations = Registrations(session)
                await registrations.replace(dirty, rows)
                if purged_at is not None:
                    await registrations.delete_expired(purged_at)
                await session.commit()
        except (SQLAlchemyError, OSError):
            log.exception("registrations: writing %d AORs failed; retrying", len(dirty))
            self._dirty |= dirty
            if purged_at is not None:
                self._mark_purged(purged_at)
            return False
        self.flushes += 1
        self.rewrites += len(dirty)
        return True

    def _mark_purged(self, at: float) -> None:
        """Have the next flush delete the rows expired at ``at``."""
        self._purged_at = at if self._purged_at is None else max(self._purged_at, at)


def _stored(binding: Binding) -> StoredBinding:
    source = binding.source
    return StoredBinding(
        aor=binding.aor, contact=str(binding.contact), expires_at=float(binding.expires_at),
        call_id=binding.call_id, cseq=binding.cseq, q=float(binding.q),
        transport=source.transport, host=source.host, port=source.port,
        registered_at=float(binding.registered_at),
    )  # fmt: skip


def _binding(row: StoredBinding) -> Binding | None:
    """The binding a row stores; None (and a warning) for a row that no longer parses."""
    transport = _TRANSPORTS.get(row.transport)
    try:
        if transport is None:
            raise SipError(f"unknown transport {row.transport!r}")
        contact = NameAddress.parse(row.contact)
    except SipError as error:
        log.warning("registrations: dropping the stored binding %r of %s: %s",
                    row.contact, row.aor, error)  # fmt: skip
        return None
    return Binding(
        aor=row.aor, contact=contact, expires_at=row.expires_at, call_id=row.call_id,
        cseq=row.cseq, q=row.q, source=Peer(transport=transport, host=row.host, port=row.port),
        registered_at=row.registered_at,
    )  # fmt: skip
