"""SIP registrations, kept across restarts, and configuration objects as versioned JSON.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Written out rather than taken from the models: a revision is a frozen picture of its schema.
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    _registrations()
    _config_objects()


def _registrations() -> None:
    op.create_table(
        "registrations",
        sa.Column("id", SERIAL, autoincrement=True),
        sa.Column("aor", sa.String(255), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("call_id", sa.Text(), nullable=False),
        sa.Column("cseq", sa.BigInteger(), nullable=False),
        sa.Column("q", sa.Float(), nullable=False),
        sa.Column("transport", sa.String(8), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("registered_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registrations"),
    )
    op.create_index("ix_registrations_aor", "registrations", ["aor"])
    op.create_index("ix_registrations_expires_at", "registrations", ["expires_at"])


def _config_objects() -> None:
    op.create_table(
        "config_objects",
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("value", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", name="pk_config_objects"),
    )


def downgrade() -> None:
    op.drop_table("config_objects")
    op.drop_index("ix_registrations_expires_at", table_name="registrations")
    op.drop_index("ix_registrations_aor", table_name="registrations")
    op.drop_table("registrations")
