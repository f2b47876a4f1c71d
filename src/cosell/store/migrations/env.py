"""Alembic's environment for cosell: runs the migrations on the connection cosell gives it
(store/migrations/__init__.py: alembic_config), inside the transaction cosell has begun and holds.

The target is the MetaData every table of cosell.store is defined on. render_as_batch: SQLite cannot
alter most of a table in place, so autogenerate writes column changes as batch operations (a copy of
the table), which run the same way on PostgreSQL.
"""

from alembic import context

import cosell.store  # noqa: F401  (each resource module registers its tables on the MetaData)
from cosell.store.metadata import metadata
from cosell.store.migrations import compare_type

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("cosell's migrations run on a connection: use cosell.store.migrations.alembic_config(connection) "
                       "or `cosell db upgrade`")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=compare_type)
with context.begin_transaction():
    context.run_migrations()
