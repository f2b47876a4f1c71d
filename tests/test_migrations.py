"""Schema migrations: a database of an earlier cosell, with data in it, is upgraded when cosell opens it
and nothing is lost; one made before migrations existed is recognised; processes starting together
take turns; `cosell db upgrade|current`; and the models agree with the migrations.

Every test runs on SQLite and, with COSELL_TEST_DATABASE_URL, on PostgreSQL (a schema per database).
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from botocore.config import Config
from botocore.exceptions import ClientError
from sqlalchemy import Column, Index, MetaData, String, column, select, table, text

from conftest import TEST_DATABASE_URL, LiveServer, database_args, database_url
from cosell.control.accounts import create_account
from cosell.control.solutions import add_solution
from cosell.gateway import Gateway
from cosell.mock import attach
from cosell.settings import Settings
from cosell.store import Store, migrations
from cosell.store.metadata import metadata, sortable
from cosell.store.store import database_engine
from opportunity_requests import minimal, submittable

pytestmark = pytest.mark.backend

NOW = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def cosell(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cosell.cli", *args], capture_output=True, text=True, timeout=120)


def upgrade_to(url: str, revision: str) -> None:
    """Alembic's own upgrade, as an earlier cosell would have left the database."""
    engine = database_engine(url)
    with engine.begin() as connection:
        command.upgrade(migrations.alembic_config(connection), revision)
    engine.dispose()


def made_before_migrations(data_dir: Path, revision: str) -> str:
    """A database as a Store made it before migrations existed: metadata.create_all of the tables (those
    `revision` makes, read back from a scratch database), and no alembic_version."""
    scratch = database_engine(database_url(data_dir.parent / f"scratch-{revision}"))
    with scratch.begin() as connection:
        command.upgrade(migrations.alembic_config(connection), revision)
    tables = MetaData()
    tables.reflect(scratch, only=lambda name, _: name != migrations.VERSION_TABLE)
    scratch.dispose()
    url = database_url(data_dir)
    engine = database_engine(url)
    with engine.begin() as connection:
        tables.create_all(connection)
    engine.dispose()
    return url


def revision_of(url: str) -> str | None:
    engine = database_engine(url)
    with engine.connect() as connection:
        revision = migrations.current_revision(connection)
    engine.dispose()
    return revision


def copy_rows(source_url: str, target_url: str) -> None:
    """Every row of the target's tables, from the source's tables of the same name (the target's columns)."""
    source, target = database_engine(source_url), database_engine(target_url)
    tables = MetaData()
    tables.reflect(target, only=lambda name, _: name != migrations.VERSION_TABLE)
    with source.connect() as reading, target.begin() as writing:
        for target_table in tables.sorted_tables:
            names = [c.name for c in target_table.columns]
            rows = reading.execute(select(table(target_table.name, *map(column, names)))).mappings().all()
            if rows:
                writing.execute(target_table.insert(), [dict(row) for row in rows])
    source.dispose()
    target.dispose()


def boto3_client(endpoint_url: str | None, key_id: str, secret: str):
    return boto3.client("partnercentral-selling", endpoint_url=endpoint_url, region_name="us-east-1",
                        aws_access_key_id=key_id, aws_secret_access_key=secret,
                        config=Config(retries={"total_max_attempts": 1}))


def seed_with_todays_code(tmp_path: Path, target_url: str) -> dict:
    """What a user has in their database: an account and its key (`cosell accounts create`), a solution
    (`cosell solutions add`), an opportunity made by CreateOpportunity with a ClientToken. Made by
    today's code on a scratch store, then copied into the target's (older) tables."""
    scratch_url = database_url(tmp_path / "scratch-seed")
    store = Store(scratch_url)
    try:
        key = create_account(store, "Migrated Partner", ("Sandbox", "AWS"), False, NOW)
        with store.write() as tx:
            solution = add_solution(tx, key.account_id, "Sandbox", "Migrated Solution", "Software Product",
                                    "Active", NOW)
        client = boto3_client(None, key.access_key_id, key.secret_access_key)
        attach(client, Gateway(Settings(data_dir=tmp_path / "scratch-seed"), store))
        request = minimal(ClientToken="migration-client-token")
        created = client.create_opportunity(**request)
        shown = client.get_opportunity(Catalog="Sandbox", Identifier=created["Id"])
        submitted = submittable()
        submitted["Project"]["OtherSolutionDescription"] = "The partner's own data platform"
        task = client.start_engagement_from_opportunity_task(
            Catalog="Sandbox", Identifier=client.create_opportunity(**submitted)["Id"],
            AwsSubmission={"InvolvementType": "Co-Sell"})
    finally:
        store.close()
    copy_rows(scratch_url, target_url)
    shown.pop("ResponseMetadata")
    return {"key": key, "solution": solution, "request": request, "id": created["Id"], "shown": shown,
            "task": task["TaskId"]}


def assert_nothing_lost_and_new_tables_work(data_dir: Path, seeded: dict) -> None:
    """A real `cosell serve --auth strict` on the database: what the user stored is there, through boto3."""
    key = seeded["key"]
    live = LiveServer(data_dir, extra_args=("--auth", "strict")).start()
    try:
        client = boto3_client(live.url, key.access_key_id, key.secret_access_key)
        shown = client.get_opportunity(Catalog="Sandbox", Identifier=seeded["id"])
        shown.pop("ResponseMetadata")
        assert shown == seeded["shown"]
        names = [s["Name"] for s in client.list_solutions(Catalog="Sandbox")["SolutionSummaries"]]
        assert seeded["solution"]["Name"] in names
        assert client.create_opportunity(**seeded["request"])["Id"] == seeded["id"]  # the ClientToken remembered
        assert client.create_opportunity(**minimal())["Id"] != seeded["id"]  # the id counter too
        # A submission task of before 0003 is one of the three kinds of task now (its ARN's kind).
        [task] = client.list_engagement_from_opportunity_tasks(Catalog="Sandbox")["TaskSummaries"]
        assert (task["TaskId"], task["TaskStatus"]) == (seeded["task"], "COMPLETE")
        assert client.list_engagement_by_accepting_invitation_tasks(Catalog="Sandbox")["TaskSummaries"] == []
        wrong_secret = boto3_client(live.url, key.access_key_id, "not-the-secret-" + "x" * 25)
        with pytest.raises(ClientError) as refused:
            wrong_secret.list_solutions(Catalog="Sandbox")
        assert refused.value.response["Error"]["Code"] == "InvalidSignatureException"
    finally:
        live.stop()

    url = database_url(data_dir)
    assert revision_of(url) == migrations.HEAD_REVISION
    store = Store(url)  # 0002's jobs table, on the upgraded database
    try:
        with store.write() as tx:
            assert tx.jobs.add("migration-check", NOW, {"Id": seeded["id"]}, "migration-check", NOW)
        with store.read() as tx:
            assert [(job["Kind"], job["Payload"]) for job in tx.jobs.list()] == [("migration-check", {"Id": seeded["id"]})]
    finally:
        store.close()


def test_a_database_at_0001_with_data_is_upgraded_by_cosell_serve_and_keeps_everything(tmp_path):
    data_dir = tmp_path / "data"
    url = database_url(data_dir)
    upgrade_to(url, "0001")
    seeded = seed_with_todays_code(tmp_path, url)
    assert revision_of(url) == "0001"
    assert_nothing_lost_and_new_tables_work(data_dir, seeded)


def test_a_database_made_before_migrations_is_stamped_0001_and_upgraded(tmp_path):
    data_dir = tmp_path / "data"
    url = made_before_migrations(data_dir, "0001")
    seeded = seed_with_todays_code(tmp_path, url)
    assert revision_of(url) is None
    current = cosell("db", "current", *database_args(data_dir))
    assert (current.returncode, current.stdout) == (0, "none\n")
    assert_nothing_lost_and_new_tables_work(data_dir, seeded)


def test_a_database_made_between_the_reshape_and_migrations_is_stamped_0002(tmp_path):
    """create_all made jobs and clock_state too from commit 6809ad2 on: those are 0002's, not to be made again."""
    url = made_before_migrations(tmp_path / "data", "0002")
    engine = database_engine(url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO clock_state (name, offset_ms, frozen_ms) VALUES ('clock', 0, 86400000)"))
    engine.dispose()
    store = Store(url)
    try:
        with store.read() as tx:
            assert tx.clock.get() == (0, 86_400_000)
    finally:
        store.close()
    assert revision_of(url) == migrations.HEAD_REVISION  # stamped 0002, then upgraded from there


def test_cosell_db_upgrade_and_current(tmp_path):
    args = database_args(tmp_path / "data")
    before = cosell("db", "current", *args)
    assert (before.returncode, before.stdout) == (0, "none\n")
    assert "cosell db upgrade" in before.stderr
    upgraded = cosell("db", "upgrade", *args)
    assert (upgraded.returncode, upgraded.stdout) == (0, f"{migrations.HEAD_REVISION}\n"), upgraded.stderr
    after = cosell("db", "current", *args)
    assert (after.returncode, after.stdout, after.stderr) == (0, f"{migrations.HEAD_REVISION}\n", "")
    again = cosell("db", "upgrade", *args)
    assert (again.returncode, again.stdout) == (0, f"{migrations.HEAD_REVISION}\n")


def test_processes_starting_together_on_a_new_database_take_turns(tmp_path):
    """Four `cosell db upgrade` processes, imported first and then let go at the same instant."""
    args = database_args(tmp_path / "data")
    at_the_same_instant = ("import sys, time; from cosell.cli import main; import cosell.store; "
                           "time.sleep(max(0.0, float(sys.argv[1]) - time.time())); main(sys.argv[2:])")
    start = str(time.time() + 4)
    processes = [subprocess.Popen([sys.executable, "-c", at_the_same_instant, start, "db", "upgrade", *args],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [process.communicate(timeout=120) for process in processes]
    results = [(process.returncode, out) for process, (out, _err) in zip(processes, outputs, strict=True)]
    assert results == [(0, f"{migrations.HEAD_REVISION}\n")] * 4, outputs


def test_a_database_of_a_newer_cosell_is_refused_with_its_revision(tmp_path):
    args = database_args(tmp_path / "data")
    url = database_url(tmp_path / "data")
    upgrade_to(url, "head")
    engine = database_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    refused = cosell("db", "upgrade", *args)
    assert refused.returncode == 1
    assert "the database is at revision 0099, which this cosell does not know" in refused.stderr
    serve = LiveServer(tmp_path / "data")
    with pytest.raises(RuntimeError, match="cosell serve: the database is at revision 0099"):
        serve.start()


def test_some_of_cosells_tables_without_a_migration_record_are_refused(tmp_path):
    url = database_url(tmp_path / "data")
    engine = database_engine(url)
    with engine.begin() as connection:
        metadata.tables["accounts"].create(connection)
    engine.dispose()
    with pytest.raises(migrations.SchemaNotRecognised, match="missing: access_keys, client_tokens"):
        Store(url)


def test_opening_a_store_at_head_does_not_import_alembic(tmp_path):
    """Start-up stays fast: one query finds the database at head, and Alembic (~65 ms) is not imported."""
    url = database_url(tmp_path / "data")
    upgrade_to(url, "head")
    probe = ("import sys; from cosell.store import Store; Store(sys.argv[1]).close(); "
             "print(sorted(name for name in sys.modules if name.split('.')[0] == 'alembic'))")
    result = subprocess.run([sys.executable, "-c", probe, url], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout) == (0, "[]\n"), result.stderr


@pytest.mark.skipif(TEST_DATABASE_URL is None, reason="PostgreSQL: alembic_version beside the tables, in search_path's schema")
def test_alembic_version_lives_in_the_data_directorys_schema(tmp_path):
    url = database_url(tmp_path / "data")
    Store(url).close()
    engine = database_engine(url)
    with engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        holders = connection.execute(text("SELECT table_schema FROM information_schema.tables WHERE table_name = :name "
                                          "AND table_schema = :schema"), {"name": "alembic_version", "schema": schema})
        assert holders.scalars().all() == [schema]
        assert schema.startswith("cosell_test_")
    engine.dispose()


def schema_differences(url: str, models: MetaData) -> list:
    """What autogenerate would write into a new revision: the models against the database."""
    engine = database_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=migrations.COMPARISON_OPTIONS)
        differences = compare_metadata(context, models)
    engine.dispose()
    return differences


def named(differences: list) -> list[tuple[str, str, str]]:
    """(operation, table, column or index) of each difference."""
    names = []
    for difference in differences:
        operation = difference if isinstance(difference, tuple) else difference[0]  # column changes come in lists
        kind = operation[0]
        if kind.endswith(("_index", "_constraint")):
            names.append((kind, operation[1].table.name, str(operation[1].name)))
        elif kind.endswith("_table"):
            names.append((kind, operation[1].name, ""))
        else:  # add_column and remove_column give the Column, modify_* its name
            names.append((kind, operation[2], getattr(operation[3], "name", operation[3])))
    return sorted(names)


def test_models_and_migrations_agree(tmp_path):
    """The tables defined in src/cosell/store/*.py are exactly what the migrations build, indexes and
    types (PostgreSQL collations included). This is the test that fails in CI when someone changes a
    table without adding a revision (store/migrations/versions/): autogenerate lists what it lacks."""
    url = database_url(tmp_path / "data")
    upgrade_to(url, "head")
    assert schema_differences(url, metadata) == []


def test_the_comparison_sees_a_column_an_index_and_a_collation_the_migrations_lack(tmp_path):
    """The agreement test above can fail: models that differ from the migrations are reported."""
    url = database_url(tmp_path / "data")
    upgrade_to(url, "head")
    changed = MetaData()
    for model in metadata.sorted_tables:
        model.to_metadata(changed)
    changed.tables["solutions"].append_column(Column("owner", String(64)))
    Index("solutions_by_owner", changed.tables["solutions"].c.owner)
    changed.tables["tags"].c.value.type = sortable(256)  # sortable: COLLATE "C" on PostgreSQL, nothing on SQLite
    expected = [("add_column", "solutions", "owner"), ("add_index", "solutions", "solutions_by_owner")]
    if TEST_DATABASE_URL:
        expected.append(("modify_type", "tags", "value"))
    assert named(schema_differences(url, changed)) == expected


def test_head_revision_is_alembics_only_head(tmp_path):
    """HEAD_REVISION lets a Store skip Alembic on an up-to-date database: it must name the newest revision."""
    engine = database_engine(database_url(tmp_path / "data"))
    with engine.connect() as connection:
        scripts = ScriptDirectory.from_config(migrations.alembic_config(connection))
    engine.dispose()
    assert scripts.get_heads() == [migrations.HEAD_REVISION]


@pytest.mark.parametrize("revision, tables", [("0001", migrations.TABLES_AT_0001), ("0002", migrations.TABLES_AT_0002)])
def test_tables_made_before_migrations_are_recognised_by_the_tables_each_revision_makes(tmp_path, revision, tables):
    url = database_url(tmp_path / "data")
    upgrade_to(url, revision)
    engine = database_engine(url)
    reflected = MetaData()
    reflected.reflect(engine)
    engine.dispose()
    assert set(reflected.tables) - {migrations.VERSION_TABLE} == tables
