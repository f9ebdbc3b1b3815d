"""Initial schema: call records, queue events, agent sessions and agent status.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Written out rather than taken from the models: a revision is a frozen picture of its schema.
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    _call_records()
    _queue_events()
    _agent_tables()


def _call_records() -> None:
    op.create_table(
        "call_records",
        sa.Column("call_id", sa.String(128), primary_key=True),
        sa.Column("caller", sa.String(128), nullable=False),
        sa.Column("called", sa.String(128), nullable=False),
        sa.Column("trunk", sa.String(64)),
        sa.Column("queue", sa.String(64)),
        sa.Column("agent", sa.String(64)),
        sa.Column("arrived_at", sa.Float(), nullable=False),
        sa.Column("queued_at", sa.Float()),
        sa.Column("answered_at", sa.Float()),
        sa.Column("ended_at", sa.Float()),
        sa.Column("disposition", sa.String(16)),
        sa.Column("end_cause", sa.String(64)),
        sa.Column("wait_seconds", sa.Float(), nullable=False),
        sa.Column("talk_seconds", sa.Float(), nullable=False),
        sa.Column("hold_seconds", sa.Float(), nullable=False),
        sa.Column("recording", sa.String(255)),
        sa.PrimaryKeyConstraint("call_id", name="pk_call_records"),
    )
    op.create_index("ix_call_records_arrived_at", "call_records", ["arrived_at"])
    op.create_index("ix_call_records_queue_arrived_at", "call_records", ["queue", "arrived_at"])
    op.create_index("ix_call_records_agent_arrived_at", "call_records", ["agent", "arrived_at"])


def _queue_events() -> None:
    op.create_table(
        "queue_events",
        sa.Column("id", SERIAL, autoincrement=True),
        sa.Column("time", sa.Float(), nullable=False),
        sa.Column("call_id", sa.String(128)),
        sa.Column("queue", sa.String(64)),
        sa.Column("agent", sa.String(64)),
        sa.Column("verb", sa.String(32), nullable=False),
        sa.Column("position", sa.Integer()),
        sa.Column("original_position", sa.Integer()),
        sa.Column("wait", sa.Float()),
        sa.Column("talk", sa.Float()),
        sa.Column("ring", sa.Float()),
        sa.Column("reason", sa.String(64)),
        sa.Column("detail", sa.String(255)),
        sa.Column("explanation", sa.String()),
        sa.PrimaryKeyConstraint("id", name="pk_queue_events"),
    )
    op.create_index("ix_queue_events_time", "queue_events", ["time"])
    op.create_index("ix_queue_events_queue_time", "queue_events", ["queue", "time"])
    op.create_index("ix_queue_events_call_id", "queue_events", ["call_id"])


def _agent_tables() -> None:
    op.create_table(
        "agent_sessions",
        sa.Column("id", SERIAL, autoincrement=True),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(64)),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("ended_at", sa.Float()),
        sa.PrimaryKeyConstraint("id", name="pk_agent_sessions"),
    )
    op.create_index("ix_agent_sessions_agent_started_at", "agent_sessions", ["agent", "started_at"])
    op.create_table(
        "agent_status",
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("logged_in", sa.Boolean(), nullable=False),
        sa.Column("logged_in_at", sa.Float()),
        sa.Column("pause_reason", sa.String(64)),
        sa.Column("paused_at", sa.Float()),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("agent", name="pk_agent_status"),
    )


def downgrade() -> None:
    for table in ("agent_status", "agent_sessions", "queue_events", "call_records"):
        op.drop_table(table)
