"""The outbox of messages to send, and the notifications of the in-app centre.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Written out rather than taken from the models: a revision is a frozen picture of its schema.
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", SERIAL, autoincrement=True),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(255), nullable=False),
        sa.Column("batch", sa.String(255), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("due_at", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.Float(), nullable=True),
        sa.Column("last_error", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("key", name="uq_outbox_key"),
    )
    op.create_index("ix_outbox_sent_at_due_at", "outbox", ["sent_at", "due_at"])
    op.create_index("ix_outbox_batch_due_at", "outbox", ["batch", "due_at"])
    op.create_table(
        "notifications",
        sa.Column("id", SERIAL, autoincrement=True),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("queue", sa.String(64), nullable=True),
        sa.Column("data", JSON, nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.UniqueConstraint("key", name="uq_notifications_key"),
    )
    op.create_index("ix_notifications_updated_at", "notifications", ["updated_at"])
    op.create_index("ix_notifications_queue_updated_at", "notifications", ["queue", "updated_at"])
    op.create_table(
        "notification_acks",
        sa.Column("notification_id", SERIAL, nullable=False),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("acked_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("notification_id", "user_name", name="pk_notification_acks"),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name="fk_notification_acks_notification_id",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("notification_acks")
    op.drop_table("notifications")
    op.drop_table("outbox")
