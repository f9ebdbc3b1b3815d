"""Users, their sessions and the audit log, on SQLite and PostgreSQL."""

from __future__ import annotations

from hotline.store import AuditFilter, AuditLog, AuthSessions, Database, NewUser, PageRequest, Users

SUE = NewUser(
    name="sue", password_hash="$argon2id$x", role="supervisor", extension=None,
    queues=("800", "801"), language="ru", origin="file",
)  # fmt: skip


async def test_a_user_is_added_once_and_changed_after(database: Database) -> None:
    async with database.session() as session:
        assert await Users(session).add(SUE, now=1.0) is not None
        assert await Users(session).add(SUE, now=2.0) is None  # there: left as it is
    async with database.session() as session:
        changed = await Users(session).change("sue", now=3.0, queues=["800"], language="en")
        assert changed is not None and changed.updated_at == 3.0
        assert await Users(session).change("nobody", now=3.0, language="en") is None
    async with database.session() as session:
        stored = await Users(session).get("sue")
    assert stored is not None
    assert (stored.queues, stored.language, stored.origin) == (["800"], "en", "file")
    assert (stored.created_at, stored.disabled) == (1.0, False)


async def test_a_session_lasts_until_it_expires_ends_or_its_user_is_disabled(
    database: Database,
) -> None:
    async with database.session() as session:
        await Users(session).add(SUE, now=1.0)
        sessions = AuthSessions(session)
        for digest in ("a" * 64, "b" * 64, "c" * 64):
            await sessions.open(digest, "sue", now=10.0, expires_at=100.0, address="127.0.0.1")
        assert (await sessions.user("a" * 64, now=99.0)) is not None
        assert (await sessions.user("a" * 64, now=100.0)) is None  # expired
        await sessions.close("a" * 64)
        assert (await sessions.user("a" * 64, now=50.0)) is None
        await sessions.close_all("sue", keep="b" * 64)
        assert (await sessions.user("b" * 64, now=50.0)) is not None
        assert (await sessions.user("c" * 64, now=50.0)) is None
        await Users(session).change("sue", now=60.0, disabled=True)
        assert (await sessions.user("b" * 64, now=61.0)) is None


async def test_audit_rows_filtered_newest_first(database: Database) -> None:
    async with database.session() as session:
        log = AuditLog(session)
        await log.write(time=1.0, user="sue", action="auth.sign_in", address="10.0.0.1")
        await log.write(time=2.0, user="sue", action="agents.pause", target="101", detail="lunch")
        await log.write(time=3.0, user="bob", action="auth.sign_in_failed", address="10.0.0.2")
        page = PageRequest(limit=10)
        everything = await log.search(AuditFilter(), page)
        assert [row.time for row in everything.items] == [3.0, 2.0, 1.0]
        sue = await log.search(AuditFilter(user="sue", since=1.5), page)
        assert [(row.action, row.target, row.detail) for row in sue.items] == [
            ("agents.pause", "101", "lunch")
        ]
        early = await log.search(AuditFilter(action="auth.sign_in", until=2.0), page)
        assert [row.address for row in early.items] == ["10.0.0.1"]
