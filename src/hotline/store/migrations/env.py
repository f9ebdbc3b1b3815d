"""Alembic environment: runs on the connection that ``hotline.store.migrate`` hands over.

No alembic.ini and no URL here: the application opens the database (SQLite or PostgreSQL)
and migrates it at start on its own connection, inside one transaction.
"""

from __future__ import annotations

from alembic import context

from hotline.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite alters a table by copying it; batch mode lets a revision say ALTER on both.
    render_as_batch=True,
)
with context.begin_transaction():
    context.run_migrations()
