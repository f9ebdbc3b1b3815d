"""Today's queue and agent counters, kept across restarts.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "day_statistics",
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("value", JSON, nullable=False),
        sa.Column("saved_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("day", name="pk_day_statistics"),
    )


def downgrade() -> None:
    op.drop_table("day_statistics")
