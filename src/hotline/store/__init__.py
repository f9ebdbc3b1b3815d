"""The store: call records, the queue event log, agent sessions, SIP registrations,
configuration objects, today's counters, web users, their sessions and the audit log, in
SQLite or PostgreSQL.

SQLAlchemy 2 with async sessions; Alembic migrations applied when the database is opened;
events written in batches by one task (``EventWriter``); one repository per aggregate for
the readers (the web API, reports).
"""

from hotline.store.agents import AgentRecords, AgentSnapshot, SessionFilter
from hotline.store.calls import CallFilter, CallRecords
from hotline.store.config_objects import ConfigObjects, StaleVersion
from hotline.store.database import Database, sqlite_url
from hotline.store.day_statistics import DayStatisticsRows
from hotline.store.journeys import CallJourney, classify
from hotline.store.models import (
    AgentSession,
    AgentStatus,
    AuditRecord,
    AuthSession,
    CallRecord,
    ConfigObject,
    DayStatistics,
    Disposition,
    JsonValue,
    NotificationAck,
    NotificationRecord,
    OutboxMessage,
    QueueEvent,
    Registration,
    SessionKind,
    UserRecord,
)
from hotline.store.notifications import (
    NotificationFilter,
    NotificationRows,
    StoredNotification,
)
from hotline.store.outbox import NewMessage, OutboxRows
from hotline.store.paging import MAX_LIMIT, Page, PageRequest
from hotline.store.queue_log import QueueEventFilter, QueueEvents
from hotline.store.queue_replay import queue_events_since
from hotline.store.registrations import Registrations, StoredBinding
from hotline.store.service import Store
from hotline.store.users import AuditFilter, AuditLog, AuthSessions, NewUser, Users
from hotline.store.writer import EventWriter

__all__ = [
    "MAX_LIMIT",
    "AgentRecords",
    "AgentSession",
    "AgentSnapshot",
    "AgentStatus",
    "AuditFilter",
    "AuditLog",
    "AuditRecord",
    "AuthSession",
    "AuthSessions",
    "CallFilter",
    "CallJourney",
    "CallRecord",
    "CallRecords",
    "ConfigObject",
    "ConfigObjects",
    "Database",
    "DayStatistics",
    "DayStatisticsRows",
    "Disposition",
    "EventWriter",
    "JsonValue",
    "NewMessage",
    "NewUser",
    "NotificationAck",
    "NotificationFilter",
    "NotificationRecord",
    "NotificationRows",
    "OutboxMessage",
    "OutboxRows",
    "Page",
    "PageRequest",
    "QueueEvent",
    "QueueEventFilter",
    "QueueEvents",
    "Registration",
    "Registrations",
    "SessionFilter",
    "SessionKind",
    "StaleVersion",
    "Store",
    "StoredBinding",
    "StoredNotification",
    "UserRecord",
    "Users",
    "classify",
    "queue_events_since",
    "sqlite_url",
]
