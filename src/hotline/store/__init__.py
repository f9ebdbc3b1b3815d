"""The store: call records, the queue event log and agent sessions in SQLite or PostgreSQL.

SQLAlchemy 2 with async sessions; Alembic migrations applied when the database is opened;
events written in batches by one task (``EventWriter``); one repository per aggregate for
the readers (the web API, reports).
"""

from hotline.store.agents import AgentRecords, AgentSnapshot, SessionFilter
from hotline.store.calls import CallFilter, CallRecords
from hotline.store.database import Database, sqlite_url
from hotline.store.journeys import CallJourney, classify
from hotline.store.models import (
    AgentSession,
    AgentStatus,
    CallRecord,
    Disposition,
    QueueEvent,
    SessionKind,
)
from hotline.store.paging import MAX_LIMIT, Page, PageRequest
from hotline.store.queue_log import QueueEventFilter, QueueEvents
from hotline.store.service import Store
from hotline.store.writer import EventWriter

__all__ = [
    "MAX_LIMIT",
    "AgentRecords",
    "AgentSession",
    "AgentSnapshot",
    "AgentStatus",
    "CallFilter",
    "CallJourney",
    "CallRecord",
    "CallRecords",
    "Database",
    "Disposition",
    "EventWriter",
    "Page",
    "PageRequest",
    "QueueEvent",
    "QueueEventFilter",
    "QueueEvents",
    "SessionFilter",
    "SessionKind",
    "Store",
    "classify",
    "sqlite_url",
]
