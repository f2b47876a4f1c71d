"""The operation registry against botocore's model: every operation served or listed as not yet
implemented; other services served beside partnercentral-selling; an older model refused at start-up."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import boto3
import botocore.session
import pytest
from botocore.config import Config

from conftest import CREDENTIALS, database_args, database_url, free_port
from cosell.gateway import Gateway
from cosell.mock import attach
from cosell.operations.families import REGISTRY
from cosell.operations.registry import NOT_YET_IMPLEMENTED, Registry
from cosell.protocol.model import PARTNER_CENTRAL_SELLING, ModelTooOld, service
from cosell.settings import Settings
from cosell.store import Store


def test_every_model_operation_is_served_or_listed_as_not_yet_implemented():
    model_operations = service(PARTNER_CENTRAL_SELLING).operation_names
    served = REGISTRY.operations(PARTNER_CENTRAL_SELLING)
    listed = NOT_YET_IMPLEMENTED[PARTNER_CENTRAL_SELLING]
    assert len(model_operations) == 63
    assert sorted(model_operations - served - listed) == [], "neither served nor listed as not yet implemented"
    assert sorted(served & listed) == [], "served and still listed as not yet implemented"
    assert sorted((served | listed) - model_operations) == [], "not an operation of the model (misspelled?)"


def test_a_registry_refuses_the_same_operation_twice():
    registry = Registry()
    registry.operation("GetOpportunity")(lambda ctx, request: {})
    with pytest.raises(ValueError, match="served twice"):
        registry.operation("GetOpportunity")(lambda ctx, request: {})


def test_another_service_is_served_on_the_same_endpoint(tmp_path):
    """A service beside partnercentral-selling (EventBridge here) is found by its X-Amz-Target prefix,
    speaks its own protocol (awsJson 1.1) and checks its own signing name; its unregistered operations
    are unknown to the gateway, partnercentral-selling's keep working."""
    registry = Registry()
    for name, handler in [(name, handler) for (served, name), handler in REGISTRY._handlers.items()
                          if served == PARTNER_CENTRAL_SELLING]:
        registry.operation(name)(handler)
    calls = []

    @registry.operation("DescribeRule", service="events")
    def describe_rule(ctx, request):
        calls.append((ctx.account_id, request))
        return {"Name": request["Name"], "EventBusName": "default", "State": "ENABLED"}

    store = Store(database_url(tmp_path))
    try:
        gateway = Gateway(Settings(data_dir=tmp_path), store, registry=registry)
        config = Config(retries={"total_max_attempts": 1})
        events = boto3.client("events", config=config, **CREDENTIALS)
        attach(events, gateway)
        unchecked = boto3.client("events", config=Config(retries={"total_max_attempts": 1},
                                                         parameter_validation=False), **CREDENTIALS)
        attach(unchecked, gateway)
        answer = events.describe_rule(Name="cosell-rule")
        assert (answer["Name"], answer["State"]) == ("cosell-rule", "ENABLED")
        assert answer["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/x-amz-json-1.1"
        assert calls == [("123456789012", {"Name": "cosell-rule"})]
        with pytest.raises(events.exceptions.ClientError) as raised:  # validated against EventBridge's model
            unchecked.describe_rule(Name="")
        assert raised.value.response["Error"]["Code"] == "ValidationException"

        selling = boto3.client("partnercentral-selling", config=config, **CREDENTIALS)
        attach(selling, gateway)
        assert selling.list_solutions(Catalog="Sandbox")["SolutionSummaries"][0]["Id"] == "S-1234567"
    finally:
        store.close()


def _older_model(tmp_path: Path) -> Path:
    """A botocore data directory whose partnercentral-selling model lacks the 18 newest operations, as
    botocore 1.44.6's does (loaded first through AWS_DATA_PATH)."""
    loader = botocore.session.get_session().get_component("data_loader")
    model = loader.load_service_model(PARTNER_CENTRAL_SELLING, "service-2", "2022-07-26")
    newest = [name for name in model["operations"] if name.startswith(("SearchOpportunities", "ListEngagementGroups"))]
    for name in newest:
        del model["operations"][name]
    folder = tmp_path / "botocore-data" / PARTNER_CENTRAL_SELLING / "2022-07-26"
    folder.mkdir(parents=True)
    (folder / "service-2.json.gz").write_bytes(gzip.compress(json.dumps(model).encode()))
    return tmp_path / "botocore-data"


def test_an_older_model_stops_the_server_with_a_clear_message(tmp_path):
    environment = {"AWS_DATA_PATH": str(_older_model(tmp_path)), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "cosell.cli", "serve", "--port", str(free_port()),
                           *database_args(tmp_path / "data")], capture_output=True, text=True, timeout=60,
                          env=environment)
    assert done.returncode != 0
    assert "cosell serve: botocore" in done.stderr
    assert "lacks 2 that cosell knows (ListEngagementGroups, SearchOpportunities)" in done.stderr
    assert "botocore>=1.44.7" in done.stderr


def test_an_older_model_is_refused_in_process(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_DATA_PATH", str(_older_model(tmp_path)))
    service.cache_clear()
    store = Store(database_url(tmp_path))
    try:
        with pytest.raises(ModelTooOld, match="Install botocore>=1.44.7"):
            Gateway(Settings(data_dir=tmp_path), store)
    finally:
        store.close()
        service.cache_clear()
