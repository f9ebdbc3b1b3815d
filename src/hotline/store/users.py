"""Users of the web side, their sessions and the audit log.

Writes commit: a created user, a session or an audit row is durable when the call returns.
The store knows users as rows; what a role may do is ``hotline.access``'s business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from hotline.store.models import AuditRecord, AuthSession, UserRecord
from hotline.store.paging import Page, PageRequest, fetch_page

__all__ = ["AuditFilter", "AuditLog", "AuthSessions", "NewUser", "Users"]


@dataclass(frozen=True, slots=True, kw_only=True)
class NewUser:
    name: str
    password_hash: str
    role: str
    extension: str | None
    queues: tuple[str, ...]
    language: str
    email: str | None = None  # where its notifications go
    origin: str  # "file" or "api"


class Users:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, name: str) -> UserRecord | None:
        return await self.session.get(UserRecord, name)

    async def list(self) -> Sequence[UserRecord]:
        return (await self.session.scalars(select(UserRecord).order_by(UserRecord.name))).all()

    async def count(self) -> int:
        return await self.session.scalar(select(func.count()).select_from(UserRecord)) or 0

    async def add(self, user: NewUser, *, now: float) -> UserRecord | None:
        """Insert ``user``; None when a user of that name exists (it is left as it is)."""
        if await self.get(user.name) is not None:
            return None
        record = UserRecord(
            name=user.name, password_hash=user.password_hash, role=user.role,
            extension=user.extension, queues=list(user.queues), language=user.language,
            email=user.email, disabled=False, origin=user.origin, created_at=now, updated_at=now,
        )  # fmt: skip
        self.session.add(record)
        await self.session.commit()
        return record

    async def change(self, name: str, *, now: float, **values: object) -> UserRecord | None:
        """Set ``values`` (columns of ``users``) on the user; None when there is none. A
        disabled user's sessions end with the change."""
        statement = (
            update(UserRecord)
            .where(UserRecord.name == name)
            .values(**values, updated_at=now)
            .returning(UserRecord)
        )
        record = (await self.session.scalars(statement)).one_or_none()
        if record is not None and values.get("disabled"):
            await self.session.execute(delete(AuthSession).where(AuthSession.user_name == name))
        await self.session.commit()
        return record


class AuthSessions:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open(
        self, digest: str, user: str, *, now: float, expires_at: float, address: str | None
    ) -> None:
        # Expired sessions are cleared as new ones open, so the table does not grow forever.
        await self.session.execute(delete(AuthSession).where(AuthSession.expires_at <= now))
        row = AuthSession(
            token_digest=digest, user_name=user, created_at=now,
            expires_at=expires_at, address=address,
        )  # fmt: skip
        self.session.add(row)
        await self.session.commit()

    async def user(self, digest: str, *, now: float) -> UserRecord | None:
        """The enabled user of a session that has not expired; None otherwise."""
        query = (
            select(UserRecord)
            .join(AuthSession, AuthSession.user_name == UserRecord.name)
            .where(
                AuthSession.token_digest == digest,
                AuthSession.expires_at > now,
                UserRecord.disabled.is_(False),
            )
        )
        return (await self.session.scalars(query)).one_or_none()

    async def close(self, digest: str) -> None:
        await self.session.execute(delete(AuthSession).where(AuthSession.token_digest == digest))
        await self.session.commit()

    async def close_all(self, user: str, *, keep: str | None = None) -> None:
        """End every session of ``user`` (but ``keep``, the one asking)."""
        statement = delete(AuthSession).where(AuthSession.user_name == user)
        if keep is not None:
            statement = statement.where(AuthSession.token_digest != keep)
        await self.session.execute(statement)
        await self.session.commit()


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditFilter:
    user: str | None = None
    action: str | None = None
    since: float | None = None
    until: float | None = None


class AuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def write(
        self,
        *,
        time: float,
        user: str | None,
        action: str,
        target: str | None = None,
        detail: str | None = None,
        address: str | None = None,
    ) -> None:
        row = AuditRecord(
            time=time, user_name=user and user[:64], action=action,
            target=target and target[:128], detail=detail and detail[:255],
            address=address and address[:64],
        )  # fmt: skip
        self.session.add(row)
        await self.session.commit()

    async def search(self, where: AuditFilter, page: PageRequest) -> Page[AuditRecord]:
        """Matching rows, newest first."""
        query = select(AuditRecord)
        if where.user is not None:
            query = query.where(AuditRecord.user_name == where.user)
        if where.action is not None:
            query = query.where(AuditRecord.action == where.action)
        if where.since is not None:
            query = query.where(AuditRecord.time >= where.since)
        if where.until is not None:
            query = query.where(AuditRecord.time < where.until)
        query = query.order_by(AuditRecord.time.desc(), AuditRecord.id.desc())
        return await fetch_page(self.session, query, page)
