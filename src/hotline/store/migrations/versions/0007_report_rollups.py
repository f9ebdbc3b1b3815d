"""Report rollups: the queue event log folded per 15 minutes and queue, agent or caller area;
the log indexed by verb and time for reports that list one kind of line (failed callbacks).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

WAIT_EDGES = (5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600)
TABLES = {
    "rollup_queue": (
        ("bucket", "queue"),
        ("offered", "answered", "abandoned", "timed_out", "exited_empty", "refused", "dropped",
         "callback_requested", "callback_answered", "callback_failed", "requeued",
         "completed_by_caller", "completed_by_agent", "ring_no_answer", "answered_wait",
         "abandoned_wait", "talk", "wrap_up", "callback_delay",
         *(f"answered_within_{edge}" for edge in WAIT_EDGES),
         *(f"abandoned_within_{edge}" for edge in WAIT_EDGES), "longest_wait"),
    ),
    "rollup_agent": (
        ("bucket", "queue", "agent"),
        ("offers", "answered", "ring_no_answer", "completed_by_agent", "answered_wait", "talk",
         "ring", "wrap_up"),
    ),
    "rollup_area": (("bucket", "queue", "area"), ("offered", "answered", "abandoned")),
}  # fmt: skip


# Each table has a twin with a row per local day of the site (``bucket``: its midnight),
# filled by the store when it opens.
TABLES |= {f"{name}_day": shape for name, shape in TABLES.items()}


def upgrade() -> None:
    for name, (keys, values) in TABLES.items():
        # Counters are doubles like every time column: exact to 2**53, and one type for
        # the writer's increments on both databases.
        columns: list[sa.Column[object]] = [sa.Column("bucket", sa.Float(), nullable=False)]
        columns += [sa.Column(key, sa.String(64), nullable=False) for key in keys[1:]]
        columns += [sa.Column(value, sa.Float(), nullable=False) for value in values]
        op.create_table(name, *columns, sa.PrimaryKeyConstraint(*keys, name=f"pk_{name}"))
    op.create_index("ix_queue_events_verb_time", "queue_events", ["verb", "time"])


def downgrade() -> None:
    op.drop_index("ix_queue_events_verb_time", table_name="queue_events")
    for name in TABLES:
        op.drop_table(name)
