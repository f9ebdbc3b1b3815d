"""The queues an agent is logged in to, kept beside its login so a restart logs it back in to
those only (an agent may log in to some of its queues). Rows from before have none: the agent
comes back in all its queues, as before.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("agent_status", sa.Column("queues", JSON, nullable=True))


def downgrade() -> None:
    # SQLite drops a column only by copying the table: batch mode does that where needed.
    with op.batch_alter_table("agent_status") as batch:
        batch.drop_column("queues")
