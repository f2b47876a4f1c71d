"""Snapshots of the whole state (`cosell snapshot save|load`): taken while the server writes, every table as of
one moment; loaded, the same Partner Central again (accounts, keys, NextTokens); and the same rows on
SQLite and on PostgreSQL."""

from __future__ import annotations

import gzip
import json
import threading

import pytest

from conftest import TEST_DATABASE_URL, LiveServer, database_args, database_url
from opportunity_requests import minimal
from partners import SANDBOX, aws_leads, cosell, cosell_json, partner_client, start_partners

pytestmark = pytest.mark.backend


def _save(path, *where: str) -> dict:
    cosell_json("snapshot", "save", str(path), *where)
    return json.loads(gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_text())


def _rows(snapshot: dict, table: str) -> list[dict]:
    content = snapshot["Tables"][table]
    return [dict(zip(content["columns"], row, strict=True)) for row in content["rows"]]


def test_saved_while_writing_loaded_as_it_was(tmp_path):
    live, partners = start_partners(tmp_path / "data", {"alpha": ("Alpha Partner", None)})
    alpha = partners["alpha"]
    try:
        for _ in range(5):
            alpha.client.create_opportunity(**minimal())
        lead = aws_leads(live, alpha)
        alpha.client.accept_engagement_invitation(Catalog=SANDBOX, Identifier=lead["InvitationId"])
        first_page = alpha.client.list_opportunities(Catalog=SANDBOX, MaxResults=2)

        # Saved while another client keeps creating: each table as of the same moment.
        stop = threading.Event()

        def keep_writing():
            while not stop.is_set():
                alpha.client.create_opportunity(**minimal())

        writer = threading.Thread(target=keep_writing)
        writer.start()
        try:
            snapshot = _save(tmp_path / "running.json", "--endpoint-url", live.url)
        finally:
            stop.set()
            writer.join()
        stored = {row["id"] for row in _rows(snapshot, "opportunities")}
        announced = {json.loads(row["detail"])["opportunity"]["identifier"] for row in _rows(snapshot, "events")
                     if row["detail_type"] == "Opportunity Created"}
        assert stored == announced and len(stored) >= 5
        [counter] = [row for row in _rows(snapshot, "id_counters") if row["name"] == "opportunity/Sandbox"]
        assert counter["last_value"] == max(int(identifier[1:]) for identifier in stored)

        # Loaded into another database, served: the same opportunities, keys and tokens.
        expected = {identifier: alpha.client.get_opportunity(Catalog=SANDBOX, Identifier=identifier)
                    for identifier in sorted(stored)}
        restored_dir = tmp_path / "restored"
        cosell_json("snapshot", "load", str(tmp_path / "running.json"), *database_args(restored_dir))
    finally:
        live.stop()
    restored = LiveServer(restored_dir).start()
    try:
        client = restored.client()
        same_key = partner_client(restored, alpha.key)
        for identifier, opportunity in expected.items():
            again = same_key.get_opportunity(Catalog=SANDBOX, Identifier=identifier)
            assert {k: v for k, v in again.items() if k != "ResponseMetadata"} == \
                {k: v for k, v in opportunity.items() if k != "ResponseMetadata"}
        assert same_key.list_engagements(Catalog=SANDBOX)["EngagementSummaryList"][0]["Id"] == lead["EngagementId"]
        # A NextToken of the first server goes on where it left off: the signing key came along.
        second_page = same_key.list_opportunities(Catalog=SANDBOX, MaxResults=2, NextToken=first_page["NextToken"])
        assert second_page["OpportunitySummaries"]
        assert client.list_opportunities(Catalog=SANDBOX)["OpportunitySummaries"] == []  # the default account's
        # A server loaded while it runs takes it at once (through PUT /_cosell/state).
        cosell_json("reset", "--accounts", "--endpoint-url", restored.url)
        with pytest.raises(same_key.exceptions.ResourceNotFoundException):
            same_key.get_opportunity(Catalog=SANDBOX, Identifier=sorted(stored)[0])
        cosell_json("snapshot", "load", str(tmp_path / "running.json"), "--endpoint-url", restored.url)
        assert same_key.get_opportunity(Catalog=SANDBOX, Identifier=sorted(stored)[0])["Id"] == sorted(stored)[0]
    finally:
        restored.stop()


def test_the_same_rows_on_sqlite_and_postgresql(tmp_path):
    live, partners = start_partners(tmp_path / "data", {"alpha": ("Alpha Partner", None)})
    try:
        partners["alpha"].client.create_opportunity(**minimal())
        aws_leads(live, partners["alpha"])
        cosell_json("faults", "set", "--operation", "ListSolutions", "--error", "ThrottlingException", "--rate", "0.5",
                    "--endpoint-url", live.url)
        original = _save(tmp_path / "original.json.gz", "--endpoint-url", live.url)
    finally:
        live.stop()
    assert (tmp_path / "original.json.gz").read_bytes()[:2] == b"\x1f\x8b"  # gzip, by its name
    sqlite_dir = tmp_path / "sqlite"
    cosell_json("snapshot", "load", str(tmp_path / "original.json.gz"), "--data", str(sqlite_dir))
    on_sqlite = _save(tmp_path / "from-sqlite.json", "--data", str(sqlite_dir))
    assert on_sqlite["Tables"] == original["Tables"]
    if TEST_DATABASE_URL is None:
        pytest.skip("PostgreSQL: set COSELL_TEST_DATABASE_URL (CI does) for the other half")
    postgresql = ("--database-url", database_url(tmp_path / "postgresql"))
    cosell_json("snapshot", "load", str(tmp_path / "from-sqlite.json"), *postgresql)
    on_postgresql = _save(tmp_path / "from-postgresql.json", *postgresql)
    assert on_postgresql["Tables"] == original["Tables"]
    cosell_json("snapshot", "load", str(tmp_path / "from-postgresql.json"), "--data", str(tmp_path / "sqlite-again"))
    assert _save(tmp_path / "again.json", "--data", str(tmp_path / "sqlite-again"))["Tables"] == original["Tables"]


def test_a_snapshot_of_another_schema_is_refused(tmp_path):
    data = tmp_path / "data"
    snapshot = _save(tmp_path / "s.json", *database_args(data))
    (tmp_path / "old.json").write_text(json.dumps({**snapshot, "SchemaRevision": "0001"}))
    refused = cosell("snapshot", "load", str(tmp_path / "old.json"), *database_args(data))
    assert refused.returncode == 1 and "schema revision 0001" in refused.stderr
    (tmp_path / "other.json").write_text(json.dumps({"Tables": {}}))
    refused = cosell("snapshot", "load", str(tmp_path / "other.json"), *database_args(data))
    assert refused.returncode == 1 and "not a cosell snapshot" in refused.stderr
