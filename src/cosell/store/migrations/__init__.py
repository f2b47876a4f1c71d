"""cosell's schema as Alembic migrations, and applying them: every Store brings its database to the
newest revision when it opens it (`upgrade_to_head`), and so does `cosell db upgrade`.

versions/ holds one revision per schema change: 0001 is the schema as cosell created it before it had
migrations (commit c31f798), 0002 added jobs and clock_state. A change to a table (src/cosell/store/*.py)
comes with a new revision and a new HEAD_REVISION; tests/test_migrations.py fails until models and
migrations agree. To draft one against a database at head:

    with database_engine(url).begin() as connection:
        alembic.command.revision(alembic_config(connection), "what changed", rev_id="0003", autogenerate=True)

Alembic is configured here, in code: there is no alembic.ini, and it is imported only when a database
is behind HEAD_REVISION, which a Store learns with one query (opening an up-to-date store stays fast).
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

HEAD_REVISION = "0006"  # the newest revision in versions/ (a test checks that Alembic agrees)
VERSION_TABLE = "alembic_version"  # Alembic's, in the connection's default schema (PostgreSQL: search_path)
SCHEMA_LOCK_KEY = 0x636F73656C6C  # "cosell": PostgreSQL's advisory lock held while changing the schema

# Before migrations, a Store created its tables with metadata.create_all. The twelve tables of commit
# c31f798 are revision 0001; from 6809ad2 until migrations came, create_all also made 0002's two.
TABLES_AT_0001 = frozenset({"opportunities", "client_tokens", "id_counters", "solutions", "tags", "accounts",
                            "access_keys", "engagement_tasks", "pagination_keys", "quota_seconds", "quota_minutes",
                            "faults"})
TABLES_AT_0002 = TABLES_AT_0001 | {"jobs", "clock_state"}

log = logging.getLogger("cosell.store")


class SchemaNotRecognised(RuntimeError):
    """The database's schema is not one this cosell can upgrade: a revision it does not know (a newer
    cosell's), or some of cosell's tables with no migration record and not those of a known version."""


def upgrade_to_head(engine: Engine) -> str:
    """Brings the database to HEAD_REVISION and returns the revision it is at.

    In one transaction that processes starting together take in turn (SQLite: BEGIN IMMEDIATE;
    PostgreSQL: an advisory transaction lock), each finding what the one before it did. A database
    whose tables were made before migrations (no alembic_version) is first recorded at the revision
    those tables are (stamped), then upgraded from there."""
    with engine.connect() as connection:
        if current_revision(connection) == HEAD_REVISION:
            return HEAD_REVISION
        connection.rollback()  # the look above read outside the lock
        from alembic import command  # ~65 ms to import: only when there is work to do, and before the lock

        config = alembic_config(connection)
        _begin_exclusive(connection)
        if inspect(connection).has_table(VERSION_TABLE):
            _refuse_unknown_revision(config, _recorded_revision(connection))
        else:
            made_before_migrations = _revision_of_unrecorded_tables(connection)
            if made_before_migrations is not None:
                log.info("database schema: tables made before migrations are revision %s", made_before_migrations)
                command.stamp(config, made_before_migrations)
        command.upgrade(config, "head")
        reached = _recorded_revision(connection)
        connection.commit()
    log.info("database schema at revision %s", reached)
    assert reached is not None, "an upgrade to head records the revision"
    return reached


def current_revision(connection: Connection) -> str | None:
    """The revision recorded in the database: None when it records none (new, or made before migrations)."""
    try:
        return _recorded_revision(connection)
    except DBAPIError:
        connection.rollback()  # PostgreSQL: the failed statement ended the transaction's usefulness
        if not inspect(connection).has_table(VERSION_TABLE):
            return None
        # Another process has made it since, or the error was another one (raised by this reading).
        return _recorded_revision(connection)


def alembic_config(connection: Connection):
    """Alembic's configuration for cosell's migrations, running on `connection` (env.py), inside the
    transaction the caller has begun."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent))
    config.attributes["connection"] = connection
    return config


def compare_type(context, inspected_column, metadata_column, inspected_type, metadata_type) -> bool | None:
    """Alembic's type comparison, which ignores collations, plus the collation: a sortable() column
    (store/metadata.py) is COLLATE "C" on PostgreSQL, and a migration that forgot it would go unnoticed.
    True when they differ, None to let Alembic compare the rest."""
    wanted = getattr(metadata_type.dialect_impl(context.dialect), "collation", None)
    if wanted != getattr(inspected_type, "collation", None):
        return True
    return None


# How autogenerate and tests/test_migrations.py compare the models with a database: the same options.
COMPARISON_OPTIONS = {"compare_type": compare_type}


def _recorded_revision(connection: Connection) -> str | None:
    """The one revision alembic_version holds (None when it holds none). Raises when there is no such table."""
    revisions = connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").scalars().all()
    return revisions[0] if len(revisions) == 1 else None


def _begin_exclusive(connection: Connection) -> None:
    """Starts the schema's transaction: one process at a time changes it."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # takes the write lock now, waiting for it
        return
    connection.begin()
    if connection.dialect.name == "postgresql":  # CREATE TABLE takes no lock that would order them
        connection.execute(select(func.pg_advisory_xact_lock(SCHEMA_LOCK_KEY)))


def _refuse_unknown_revision(config, recorded: str | None) -> None:
    from alembic.script import ScriptDirectory

    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    if recorded is not None and recorded not in known:
        raise SchemaNotRecognised(f"the database is at revision {recorded}, which this cosell does not know (its newest "
                                  f"is {HEAD_REVISION}): a newer cosell has upgraded it")


def _revision_of_unrecorded_tables(connection: Connection) -> str | None:
    """The revision a database without alembic_version holds: None when it has none of cosell's tables."""
    present = set(inspect(connection).get_table_names()) & TABLES_AT_0002
    if not present:
        return None
    for revision, tables in (("0002", TABLES_AT_0002), ("0001", TABLES_AT_0001)):
        if present == tables:
            return revision
    missing = (TABLES_AT_0001 - present) or (TABLES_AT_0002 - present)
    raise SchemaNotRecognised(
        f"the database has some of cosell's tables ({', '.join(sorted(present))}) but no {VERSION_TABLE} "
        f"and not all of a known version's (missing: {', '.join(sorted(missing))}); it was not made by a cosell "
        "that can upgrade it")
