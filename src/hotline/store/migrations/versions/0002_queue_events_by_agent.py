"""Index the queue event log by agent and time, for an agent's history.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_queue_events_agent_time", "queue_events", ["agent", "time"])


def downgrade() -> None:
    op.drop_index("ix_queue_events_agent_time", table_name="queue_events")
