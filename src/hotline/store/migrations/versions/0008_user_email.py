"""A user's email address, where its notifications go, settable through the users API.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("email", sa.String(255), nullable=True))


def downgrade() -> None:
    # SQLite drops a column only by copying the table: batch mode does that where needed.
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email")
