"""Accounts: users seeded from the file, sign-in and sign-out, sessions, the audit log.

A service of the web side (no FastAPI here). Sign-in failures go through an ``AuthGuard`` of
the web's own (the rules of SIP digest's, counted apart): a user's failures block that user
from that address, so one agent's mistyped password does not lock out the office behind one
address; the address as a whole is refused for a scan across user names or a flood. A refused
user gets the same answer whatever its password, and a name is counted known or not, so the
answers tell a guesser nothing. Passwords are checked in a thread: an Argon2 check takes tens of
milliseconds of CPU, which the loop that paces calls must not wait for; and one at a time per
address (``AddressTurns``), so that every check sees the failures before it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hotline.access import (
    Role,
    User,
    check_password,
    hash_password,
    new_token,
    token_digest,
    user_problems,
)
from hotline.config import Config, UserConfig
from hotline.sip.guard import AuthGuard
from hotline.store import AuditLog, AuthSessions, Database, NewUser, UserRecord, Users
from hotline.web.turns import AddressTurns

__all__ = [
    "Accounts",
    "SignInRefused",
    "SignedIn",
    "TooManyFailures",
    "UserRefused",
]

log = logging.getLogger(__name__)


class SignInRefused(Exception):
    """A wrong name or password (one answer for both: a guesser learns nothing)."""

    status_hint = 401

    def __init__(self) -> None:
        super().__init__("wrong name or password")


class TooManyFailures(Exception):
    """Too many failed sign-ins of this user from this address, or of many users from it:
    refused for ``retry_after`` seconds."""

    status_hint = 429

    def __init__(self, retry_after: int) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many failed sign-ins; try again in {retry_after} s")


class UserRefused(Exception):
    """A user change the configuration does not allow (unknown queue, no agent extension...),
    or a clash (``status_hint`` 409)."""

    def __init__(self, message: str, status_hint: int = 422) -> None:
        self.status_hint = status_hint
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    user: User
    expires_in: int  # seconds


class Accounts:
    """Users and sessions in ``database``, checked against ``config``."""

    def __init__(
        self,
        config: Config,
        database: Database,
        *,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.database = database
        self._wall = wall
        security = config.security
        self.guard = AuthGuard(  # on wall time, as its bans' ``until`` is shown with SIP's
            max_failures=security.max_auth_failures,
            window=security.failure_window_seconds,
            backoff=security.backoff_seconds,
            max_backoff=security.ban_seconds,
            scan_users=security.web_scan_users,
            max_address_failures=security.web_max_address_failures,
            ban=security.ban_seconds,
            kind="web",
        )
        self._turns = AddressTurns()

    # -- users ------------------------------------------------------------------------------

    async def seed(self) -> int:
        """Insert the file's users the database lacks; return how many. A user already in
        the database is left as it is: changes made through the API win (see the README)."""
        added = 0
        for entry in self.config.users:
            added += await self._seed_one(entry)
        return added

    async def warn_if_closed(self) -> None:
        """Say loudly when there is no user at all: nobody can use the web side."""
        async with self.database.session() as session:
            if not await Users(session).count():
                log.warning(
                    "web: NO USERS are configured: the web side is closed, every API call "
                    "but /api/health is refused. Add [[users]] to the configuration "
                    "(hotline hash-password makes a password hash for it)"
                )

    async def _seed_one(self, entry: UserConfig) -> int:
        async with self.database.session() as session:
            if await Users(session).get(entry.name) is not None:
                return 0
            password_hash = entry.password_hash
            if password_hash is None:
                assert entry.password is not None  # the configuration has one of the two
                password_hash = await asyncio.to_thread(hash_password, entry.password)
            new = NewUser(
                name=entry.name, password_hash=password_hash, role=entry.role.value,
                extension=entry.extension, queues=tuple(entry.queues),
                language=entry.language, email=entry.email, origin="file",
            )  # fmt: skip
            return 1 if await Users(session).add(new, now=self._wall()) is not None else 0

    def user_of(self, record: UserRecord) -> User:
        """The policy's view of a stored user. An agent's queues are those its extension
        serves in the configuration now."""
        role = Role(record.role)
        queues = record.queues if isinstance(record.queues, list) else []
        if role is Role.AGENT and record.extension is not None:
            scope = self.config.queues_of(record.extension)
        else:
            scope = frozenset(str(queue) for queue in queues)
        return User(
            name=record.name, role=role, extension=record.extension, queues=scope,
            language="ru" if record.language == "ru" else "en", email=record.email,
            disabled=record.disabled,
        )  # fmt: skip

    def problems(self, role: Role, extension: str | None, queues: Sequence[str]) -> list[str]:
        config = self.config
        return user_problems(
            role=role, extension=extension, queues=queues,
            extensions={e.number for e in config.extensions},
            agents={e.number for e in config.extensions if e.agent},
            known_queues={q.number for q in config.queues},
        )  # fmt: skip

    async def agent_of(self, name: str) -> str | None:
        """The agent extension of the user ``name``; None for a user who is no agent."""
        async with self.database.session() as session:
            record = await Users(session).get(name)
        if record is None or record.role != Role.AGENT.value:
            return None
        return record.extension

    async def users(self) -> Sequence[UserRecord]:
        async with self.database.session() as session:
            return await Users(session).list()

    async def create(
        self,
        *,
        name: str,
        password: str,
        role: Role,
        extension: str | None,
        queues: Sequence[str],
        language: str,
        email: str | None = None,
    ) -> UserRecord:
        problems = self.problems(role, extension, queues)
        if problems:
            raise UserRefused("; ".join(problems))
        new = NewUser(
            name=name, password_hash=await asyncio.to_thread(hash_password, password),
            role=role.value, extension=extension, queues=tuple(queues), language=language,
            email=email, origin="api",
        )  # fmt: skip
        async with self.database.session() as session:
            record = await Users(session).add(new, now=self._wall())
        if record is None:
            raise UserRefused(f"user {name} exists", status_hint=409)
        return record

    async def change(self, name: str, values: dict[str, object]) -> UserRecord:
        """Change a user (``values``: role, extension, queues, language, email, disabled,
        password). A new password or disabling ends the user's sessions."""
        async with self.database.session() as session:
            record = await Users(session).get(name)
            if record is None:
                raise UserRefused(f"no user {name}", status_hint=404)
            self._check(record, values)
            password = values.pop("password", None)
            if isinstance(password, str):
                values["password_hash"] = await asyncio.to_thread(hash_password, password)
            changed = await Users(session).change(name, now=self._wall(), **values)
            if isinstance(password, str):
                await AuthSessions(session).close_all(name)
        assert changed is not None  # the row was read in this session
        return changed

    def _check(self, record: UserRecord, values: dict[str, object]) -> None:
        """Refuse ``values`` when the user they make is not valid for the configuration."""
        role = Role(str(values.get("role", record.role)))
        extension = values.get("extension", record.extension)
        queues = values.get("queues", record.queues)
        problems = self.problems(
            role,
            extension if isinstance(extension, str) else None,
            [str(queue) for queue in queues] if isinstance(queues, list) else [],
        )
        if problems:
            raise UserRefused("; ".join(problems))

    async def change_password(self, user: User, old: str, new: str, token: str) -> None:
        """The user's own change: needs the old password; the user's other sessions end."""
        async with self.database.session() as session:
            record = await Users(session).get(user.name)
            stored = record.password_hash if record is not None else None
            if not await asyncio.to_thread(check_password, stored, old):
                raise UserRefused("the old password is wrong", status_hint=403)
            new_hash = await asyncio.to_thread(hash_password, new)
            await Users(session).change(user.name, now=self._wall(), password_hash=new_hash)
            await AuthSessions(session).close_all(user.name, keep=token_digest(token))

    # -- sessions ---------------------------------------------------------------------------

    async def sign_in(self, name: str, password: str, address: str | None) -> SignedIn:
        """A new session for ``name``; ``SignInRefused`` or ``TooManyFailures`` otherwise."""
        source, name = address or "unknown", name[:64]
        async with self._turns.turn(self.guard.source(source)):
            record = await self._verify(name, password, source, address)
        user = self.user_of(record)
        lifetime = self._lifetime(user)
        token = new_token()
        now = self._wall()
        async with self.database.session() as session:
            await AuthSessions(session).open(
                token_digest(token), user.name, now=now, expires_at=now + lifetime, address=address
            )
        await self.audit(user.name, "auth.sign_in", address=address)
        return SignedIn(token, user, lifetime)

    async def _verify(
        self, name: str, password: str, source: str, address: str | None
    ) -> UserRecord:
        """``name``'s record when ``password`` is its own and the guard lets it try."""
        refused_for = self.guard.refused_for(source, name, self._wall())
        if refused_for > 0:  # before the password is looked at: the same answer whatever it is
            raise TooManyFailures(math.ceil(refused_for))
        async with self.database.session() as session:
            record = await Users(session).get(name)
        usable = record is not None and not record.disabled
        stored = record.password_hash if usable and record is not None else None
        if not await asyncio.to_thread(check_password, stored, password):
            self.guard.record_failure(source, name, self._wall())
            await self.audit(name, "auth.sign_in_failed", address=address)
            raise SignInRefused
        assert record is not None
        self.guard.record_success(source, name)
        return record

    def _lifetime(self, user: User) -> int:
        security = self.config.security
        if user.role is Role.WALLBOARD:
            return security.wallboard_session_seconds
        return security.web_session_seconds

    async def user(self, token: str) -> User | None:
        """The user of a live session, None for an unknown, ended or expired token."""
        async with self.database.session() as session:
            record = await AuthSessions(session).user(token_digest(token), now=self._wall())
        return None if record is None else self.user_of(record)

    async def sign_out(self, token: str) -> None:
        async with self.database.session() as session:
            await AuthSessions(session).close(token_digest(token))

    async def open_session(self, name: str) -> SignedIn:
        """A session for ``name`` without a password (the demo's wallboard URL)."""
        async with self.database.session() as session:
            record = await Users(session).get(name)
        if record is None:
            raise UserRefused(f"no user {name}", status_hint=404)
        user = self.user_of(record)
        lifetime = self._lifetime(user)
        token, now = new_token(), self._wall()
        async with self.database.session() as session:
            await AuthSessions(session).open(
                token_digest(token), name, now=now, expires_at=now + lifetime, address=None
            )
        return SignedIn(token, user, lifetime)

    # -- audit ------------------------------------------------------------------------------

    async def audit(
        self,
        user: str | None,
        action: str,
        *,
        target: str | None = None,
        detail: str | None = None,
        address: str | None = None,
    ) -> None:
        async with self.database.session() as session:
            await AuditLog(session).write(
                time=self._wall(), user=user, action=action, target=target, detail=detail,
                address=address,
            )  # fmt: skip
