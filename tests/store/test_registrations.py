"""The registrations table: an AOR's bindings rewritten whole, the expired left behind."""

from __future__ import annotations

from hotline.store import Database, Registrations, StoredBinding


def _binding(aor: str, contact: str, expires_at: float, *, cseq: int = 1) -> StoredBinding:
    return StoredBinding(
        aor=aor, contact=contact, expires_at=expires_at, call_id=f"{aor}-call", cseq=cseq,
        q=1.0, transport="UDP", host="192.0.2.7", port=5062, registered_at=expires_at - 3600,
    )  # fmt: skip


async def _replace(database: Database, aors: list[str], rows: list[StoredBinding]) -> None:
    async with database.session() as session:
        await Registrations(session).replace(aors, rows)
        await session.commit()


async def _unexpired(database: Database, now: float) -> list[StoredBinding]:
    async with database.session() as session:
        return await Registrations(session).unexpired(now)


async def test_replace_sets_each_aor_whole(database: Database) -> None:
    desk = _binding("sip:201@hotline.local", "<sip:201@192.0.2.7:5062>", 5000.0)
    mobile = _binding(
        "sip:201@hotline.local",
        '"Mobile" <sip:201@198.51.100.1>;+sip.instance="<urn:uuid:1>"',
        6000.0,
    )
    other = _binding("sip:202@hotline.local", "<sip:202@192.0.2.8>", 5000.0)
    await _replace(
        database, ["sip:201@hotline.local", "sip:202@hotline.local"], [desk, mobile, other]
    )
    assert await _unexpired(database, 1000.0) == [desk, mobile, other]

    refreshed = desk._replace(expires_at=7000.0, cseq=2, registered_at=3400.0)
    await _replace(database, ["sip:201@hotline.local"], [refreshed])  # the mobile went away
    assert await _unexpired(database, 1000.0) == [refreshed, other]

    await _replace(database, ["sip:202@hotline.local"], [])  # unregistered
    assert await _unexpired(database, 1000.0) == [refreshed]


async def test_replace_takes_more_aors_than_one_statement_binds(database: Database) -> None:
    rows = [_binding(f"sip:{n}@hotline.local", f"<sip:{n}@192.0.2.9>", 5000.0) for n in range(2500)]
    await _replace(database, [row.aor for row in rows], rows)
    await _replace(database, [row.aor for row in rows], rows[:10])
    assert sorted(await _unexpired(database, 0.0)) == sorted(rows[:10])


async def test_expired_bindings_are_left_out_and_deleted(database: Database) -> None:
    gone = _binding("sip:201@hotline.local", "<sip:201@192.0.2.7>", 100.0)
    kept = _binding("sip:202@hotline.local", "<sip:202@192.0.2.8>", 200.0)
    await _replace(database, [gone.aor, kept.aor], [gone, kept])
    assert await _unexpired(database, 100.0) == [kept]  # expired at the instant it expires
    async with database.session() as session:
        assert await Registrations(session).delete_expired(150.0) == 1
        await session.commit()
    assert await _unexpired(database, 0.0) == [kept]


async def test_a_call_id_of_any_length_is_kept(database: Database) -> None:
    """Phones choose their Call-ID: a long one must not make the table refuse the binding."""
    long = _binding("sip:201@hotline.local", "<sip:201@192.0.2.7>", 5000.0)._replace(
        call_id="x" * 2000 + "@192.0.2.7"
    )
    await _replace(database, [long.aor], [long])
    assert await _unexpired(database, 0.0) == [long]
