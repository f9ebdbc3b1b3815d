"""Tables of the store, as SQLAlchemy 2 ``Mapped[...]`` models.

Times are seconds since the epoch (UTC) in double-precision columns, as in Asterisk's
queue_log: the events carry them so, the comparison is exact and identical on SQLite and
PostgreSQL (SQLite has no time zone-aware timestamp type), and the web layer renders ISO 8601.

The migrations in ``hotline.store.migrations`` create these tables; the models describe them
for queries. A change here needs a new revision there.
"""

from __future__ import annotations

import enum
from typing import ClassVar, TypeAlias

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hotline.store.rollups import TABLES, RollupTable

__all__ = [
    "AgentSession",
    "AgentStatus",
    "AuditRecord",
    "AuthSession",
    "Base",
    "CallRecord",
    "ConfigObject",
    "DayStatistics",
    "Disposition",
    "JsonValue",
    "NotificationAck",
    "NotificationRecord",
    "OutboxMessage",
    "QueueEvent",
    "Registration",
    "RollupTables",
    "SessionKind",
    "UserRecord",
]

# Constraint names fixed by convention so a later migration can drop or alter them by name
# on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only numbers rows automatically for a column declared exactly INTEGER PRIMARY KEY.
Serial = BigInteger().with_variant(Integer(), "sqlite")

# A JSON document: JSONB on PostgreSQL (compared and indexed by value), text on SQLite.
Json = JSON().with_variant(JSONB(), "postgresql")
# The same, where None is SQL NULL rather than JSON null: "not said", as in rows written before.
NullableJson = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")

JsonValue: TypeAlias = dict[str, "JsonValue"] | list["JsonValue"] | str | int | float | bool | None


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # FLOAT is a double on both databases; the initial revision created the columns so.
    type_annotation_map: ClassVar[dict[type, Float[float]]] = {float: Float()}


class Disposition(enum.StrEnum):
    """How a call ended, for reports: one value per call record."""

    ANSWERED = "answered"
    ABANDONED = "abandoned"
    TIMEOUT = "timeout"
    FAILOVER = "failover"
    CALLBACK = "callback"
    UNANSWERED = "unanswered"
    FAILED = "failed"


class SessionKind(enum.StrEnum):
    LOGIN = "login"
    PAUSE = "pause"


class CallRecord(Base):
    """One row per call, written when it starts and completed when it ends.

    ``disposition`` and ``ended_at`` stay empty while the call is in progress; a call that
    was in progress when the process died is closed as ``failed`` at the next start.
    """

    __tablename__ = "call_records"

    call_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    caller: Mapped[str] = mapped_column(String(128))
    called: Mapped[str] = mapped_column(String(128))
    trunk: Mapped[str | None] = mapped_column(String(64))
    queue: Mapped[str | None] = mapped_column(String(64))
    agent: Mapped[str | None] = mapped_column(String(64))
    arrived_at: Mapped[float]
    queued_at: Mapped[float | None]
    answered_at: Mapped[float | None]
    ended_at: Mapped[float | None]
    disposition: Mapped[str | None] = mapped_column(String(16))
    end_cause: Mapped[str | None] = mapped_column(String(64))
    wait_seconds: Mapped[float] = mapped_column(default=0.0)
    talk_seconds: Mapped[float] = mapped_column(default=0.0)
    hold_seconds: Mapped[float] = mapped_column(default=0.0)
    recording: Mapped[str | None] = mapped_column(String(255))

    __table_args__ = (
        Index("ix_call_records_arrived_at", "arrived_at"),
        Index("ix_call_records_queue_arrived_at", "queue", "arrived_at"),
        Index("ix_call_records_agent_arrived_at", "agent", "arrived_at"),
    )


class QueueEvent(Base):
    """One ACD event, like a line of Asterisk's queue_log with named data fields."""

    __tablename__ = "queue_events"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    time: Mapped[float]
    call_id: Mapped[str | None] = mapped_column(String(128))
    queue: Mapped[str | None] = mapped_column(String(64))
    agent: Mapped[str | None] = mapped_column(String(64))
    verb: Mapped[str] = mapped_column(String(32))
    position: Mapped[int | None]
    original_position: Mapped[int | None]
    wait: Mapped[float | None]
    talk: Mapped[float | None]
    ring: Mapped[float | None]
    reason: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(String(255))
    explanation: Mapped[str | None]

    __table_args__ = (
        Index("ix_queue_events_time", "time"),
        Index("ix_queue_events_queue_time", "queue", "time"),
        Index("ix_queue_events_call_id", "call_id"),
        Index("ix_queue_events_agent_time", "agent", "time"),
        Index("ix_queue_events_verb_time", "verb", "time"),
    )


class AgentSession(Base):
    """A span of an agent's day: logged in, or paused (with its reason); open while ``ended_at``
    is empty."""

    __tablename__ = "agent_sessions"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    agent: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[float]
    ended_at: Mapped[float | None]

    __table_args__ = (Index("ix_agent_sessions_agent_started_at", "agent", "started_at"),)


class AgentStatus(Base):
    """An agent's current login and pause state, one row per agent, restored at start.
    ``queues`` is a JSON list of the queues it is logged in to; null: all its queues (rows
    written before revision 0010, and logins that did not say)."""

    __tablename__ = "agent_status"

    agent: Mapped[str] = mapped_column(String(64), primary_key=True)
    logged_in: Mapped[bool]
    logged_in_at: Mapped[float | None]
    pause_reason: Mapped[str | None] = mapped_column(String(64))
    paused_at: Mapped[float | None]
    updated_at: Mapped[float]
    queues: Mapped[JsonValue] = mapped_column(NullableJson, nullable=True)


class Registration(Base):
    """One SIP binding (RFC 3261 §10): a contact of an address of record and where its
    REGISTER came from, kept so a restarted server reaches phones at once. The location
    service rewrites an AOR's rows whole; rows whose ``expires_at`` has passed are dead."""

    __tablename__ = "registrations"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    aor: Mapped[str] = mapped_column(String(255))
    contact: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[float]
    call_id: Mapped[str] = mapped_column(Text)  # as long as the phone made it
    cseq: Mapped[int] = mapped_column(BigInteger)
    q: Mapped[float]
    transport: Mapped[str] = mapped_column(String(8))
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int]
    registered_at: Mapped[float]

    __table_args__ = (
        Index("ix_registrations_aor", "aor"),
        Index("ix_registrations_expires_at", "expires_at"),
    )


class ConfigObject(Base):
    """A configuration object (a queue, an extension, an IVR, wallboard settings...) as a JSON
    document under ``(kind, key)``. ``version`` counts its writes, from 1: an update names the
    version it read and is refused when another write came first (optimistic concurrency)."""

    __tablename__ = "config_objects"

    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[JsonValue] = mapped_column(Json, nullable=False)
    version: Mapped[int]
    created_at: Mapped[float]
    updated_at: Mapped[float]


class DayStatistics(Base):
    """Today's running counters of the queues and agents (the wallboard's and the fairness
    strategies' "today"), as the ACD gives them, saved every few seconds: a restarted server
    goes on counting the same day. One row, today's; older days are dropped on save (the
    queue log and call records keep the history)."""

    __tablename__ = "day_statistics"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # local date, 2026-11-26
    value: Mapped[JsonValue] = mapped_column(Json, nullable=False)
    saved_at: Mapped[float]


class UserRecord(Base):
    """A user of the web side. ``password_hash`` is Argon2; ``queues`` a JSON list of queue
    numbers. ``origin`` is ``file`` for users seeded from ``[[users]]``, ``api`` otherwise."""

    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    extension: Mapped[str | None] = mapped_column(String(64))
    queues: Mapped[JsonValue] = mapped_column(Json, nullable=False)
    language: Mapped[str] = mapped_column(String(8))
    email: Mapped[str | None] = mapped_column(String(255))  # where its notifications go
    disabled: Mapped[bool]
    origin: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[float]
    updated_at: Mapped[float]


class AuthSession(Base):
    """A signed-in session: the SHA-256 of its token (never the token), whose it is and when
    it ends. Deleting the row ends the session."""

    __tablename__ = "auth_sessions"

    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(
        String(64), ForeignKey("users.name", name="fk_auth_sessions_user_name", ondelete="CASCADE")
    )
    created_at: Mapped[float]
    expires_at: Mapped[float]
    address: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_auth_sessions_user_name", "user_name"),)


class AuditRecord(Base):
    """Who did what, when and from where: sign-ins (failed ones too), agent changes made
    through the API, user changes. ``user_name`` is who acted (or tried to sign in as)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    time: Mapped[float]
    user_name: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(128))
    detail: Mapped[str | None] = mapped_column(String(255))
    address: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_log_time", "time"),
        Index("ix_audit_log_user_name_time", "user_name", "time"),
        Index("ix_audit_log_action_time", "action", "time"),
    )


class OutboxMessage(Base):
    """A message to send (an email, a webhook call), written before it is sent: the
    transactional outbox. ``key`` makes a second write of the same message a no-op and names
    it to the receiver (the email's Message-ID). ``batch`` gathers the rows that may go out as
    one digest (a recipient and a kind); None: always alone. ``due_at`` is when the next
    attempt may start; ``claimed_until`` the lease of the worker sending it now (apart from
    ``due_at``, so a lease never sets the batch's pace); ``sent_at`` is set once the receiver
    accepted it."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(255))
    batch: Mapped[str | None] = mapped_column(String(255))
    payload: Mapped[JsonValue] = mapped_column(Json, nullable=False)
    created_at: Mapped[float]
    due_at: Mapped[float]
    attempts: Mapped[int]
    sent_at: Mapped[float | None]
    last_error: Mapped[str | None] = mapped_column(String(255))
    claimed_until: Mapped[float | None]

    __table_args__ = (
        Index("ix_outbox_sent_at_due_at", "sent_at", "due_at"),
        Index("ix_outbox_batch_due_at", "batch", "due_at"),
    )


class NotificationRecord(Base):
    """One notification of the in-app centre: a ``kind`` (sla_breach, lost_call...) about a
    ``queue`` (None: the whole system), its facts in ``data``. ``key`` names what it is about,
    so an ongoing SLA breach updates its one row."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Serial, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    queue: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[JsonValue] = mapped_column(Json, nullable=False)
    created_at: Mapped[float]
    updated_at: Mapped[float]

    __table_args__ = (
        Index("ix_notifications_updated_at", "updated_at"),
        Index("ix_notifications_queue_updated_at", "queue", "updated_at"),
    )


class NotificationAck(Base):
    """A user acknowledged a notification (read it)."""

    __tablename__ = "notification_acks"

    notification_id: Mapped[int] = mapped_column(
        Serial,
        ForeignKey(
            "notifications.id", name="fk_notification_acks_notification_id", ondelete="CASCADE"
        ),
        primary_key=True,
    )
    user_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    acked_at: Mapped[float]


def _rollup_table(rollup: RollupTable) -> Table:
    """A rollup as a Core table (its columns come from the fold's definition)."""
    columns: list[Column[object]] = [Column("bucket", Float(), nullable=False)]
    columns += [Column(key, String(64), nullable=False) for key in rollup.keys[1:]]
    columns += [Column(value, Float(), nullable=False) for value in rollup.values]
    return Table(rollup.name, Base.metadata, *columns, PrimaryKeyConstraint(*rollup.keys))


# The report rollups (see ``hotline.store.rollups``), by table name.
RollupTables = {rollup.name: _rollup_table(rollup) for rollup in TABLES}
