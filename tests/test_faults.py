"""Fault injection through boto3 against a live server: injected errors (nothing written), latency,
dropped responses (written, but the client sees a 500), `*`, clearing, the `cosell faults` commands,
validation of POST /_cosell/faults, and faults shared by two processes on one database."""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from conftest import CREDENTIALS, LiveServer, database_url, sqlite_only
from cosell.faults import Faults
from cosell.store import Store
from opportunity_requests import minimal

# botocore's `max_attempts` counts retries (max_attempts=1 still retries once); this is one attempt.
NO_RETRIES = {"total_max_attempts": 1}
NOW = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)


def admin(live: LiveServer, body: dict) -> tuple[int, dict]:
    return live.post("/_cosell/faults", body)


def set_fault(live: LiveServer, **fault) -> list[dict]:
    status, answer = admin(live, {"Action": "set", **fault})
    assert status == 200, answer
    return answer["Faults"]


def client_for(live: LiveServer, retries: dict = NO_RETRIES):
    return boto3.client("partnercentral-selling", endpoint_url=live.url, config=Config(retries=retries),
                        **CREDENTIALS)


def number(identifier: str) -> int:
    return int(identifier[1:])


def solution_ids(client) -> list[str]:
    """What ListSolutions answers (every account's Sandbox has the test solution S-1234567)."""
    return [summary["Id"] for summary in client.list_solutions(Catalog="Sandbox")["SolutionSummaries"]]


def error_of(call) -> dict:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("faults") / "data").start()
    yield server
    server.stop()


@pytest.fixture
def client(live):
    yield client_for(live)
    assert admin(live, {"Action": "clear"})[0] == 200


@pytest.mark.backend
@pytest.mark.parametrize("error, status", [("ThrottlingException", 400), ("InternalServerException", 500)])
def test_an_injected_error_refuses_the_operation_and_writes_nothing(live, client, error, status):
    before = number(client.create_opportunity(**minimal())["Id"])
    set_fault(live, Operation="CreateOpportunity", Error=error, Rate=1)
    request = minimal()
    refused = error_of(lambda: client.create_opportunity(**request))
    assert refused["Error"]["Code"] == error
    assert refused["ResponseMetadata"]["HTTPStatusCode"] == status
    assert "Injected by cosell" in refused["Error"]["Message"]
    assert solution_ids(client) == ["S-1234567"]  # other operations are untouched
    admin(live, {"Action": "clear"})
    assert number(client.create_opportunity(**request)["Id"]) == before + 1  # same token: a fresh create


def test_latency_still_succeeds(live, client):
    faults = set_fault(live, Operation="ListSolutions", LatencyMs=30)
    assert faults == [{"Operation": "ListSolutions", "Error": None, "Rate": 1.0, "LatencyMs": 30,
                       "DropResponse": False}]
    assert solution_ids(client) == ["S-1234567"]


@pytest.mark.backend
def test_a_dropped_response_was_still_written(live, client):
    before = number(client.create_opportunity(**minimal())["Id"])
    set_fault(live, Operation="CreateOpportunity", DropResponse=True)
    request = minimal()
    dropped = error_of(lambda: client.create_opportunity(**request))
    assert dropped["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert dropped["Error"]["Code"] == "InternalServerException"
    assert "Response dropped by cosell" in dropped["Error"]["Message"]
    written = f"O{before + 1}"
    assert client.get_opportunity(Catalog="Sandbox", Identifier=written)["Customer"]["Account"]["CompanyName"] \
        == request["Customer"]["Account"]["CompanyName"]
    admin(live, {"Action": "clear"})
    assert client.create_opportunity(**request)["Id"] == written  # the ClientToken replays the original
    assert number(client.create_opportunity(**minimal())["Id"]) == before + 2


@pytest.mark.backend
def test_boto3_retries_replay_the_client_token_after_a_dropped_response(live, client):
    """Half the responses are dropped; boto3 retries the 500 with the same ClientToken. Each create
    still makes exactly one opportunity, and a retried one answers with the Id of the first try."""
    first = number(client.create_opportunity(**minimal())["Id"])
    set_fault(live, Operation="CreateOpportunity", DropResponse=True, Rate=0.5)
    retrying = client_for(live, {"mode": "standard", "max_attempts": 30})
    answers = []
    for _ in range(40):  # a fair coin comes up heads within 40 throws
        answers.append(retrying.create_opportunity(**minimal()))
        if answers[-1]["ResponseMetadata"]["RetryAttempts"]:
            break
    else:
        pytest.fail("40 creates with half the responses dropped, and boto3 never retried one")
    admin(live, {"Action": "clear"})
    assert [number(answer["Id"]) for answer in answers] == list(range(first + 1, first + 1 + len(answers)))
    assert number(client.create_opportunity(**minimal())["Id"]) == first + len(answers) + 1


def test_star_applies_to_every_operation_and_a_named_fault_wins(live, client):
    created = client.create_opportunity(**minimal())["Id"]
    set_fault(live, Operation="*", Error="InternalServerException")
    set_fault(live, Operation="ListSolutions", LatencyMs=1)
    for call in (lambda: client.create_opportunity(**minimal()),
                 lambda: client.get_opportunity(Catalog="Sandbox", Identifier=created),
                 lambda: client.list_opportunities(Catalog="Sandbox"),
                 lambda: client.get_engagement(Catalog="Sandbox", Identifier="eng-1234567890abc")):
        assert error_of(call)["Error"]["Code"] == "InternalServerException"
    assert solution_ids(client) == ["S-1234567"]  # its own fault (latency) replaces the * one
    admin(live, {"Action": "clear", "Operation": "*"})
    assert client.get_opportunity(Catalog="Sandbox", Identifier=created)["Id"] == created


@pytest.mark.backend
def test_clearing_one_operation_keeps_the_others(live, client):
    set_fault(live, Operation="CreateOpportunity", Error="ThrottlingException")
    set_fault(live, Operation="ListSolutions", Error="ThrottlingException", Rate=1.0)
    status, answer = admin(live, {"Action": "clear", "Operation": "CreateOpportunity"})
    assert status == 200 and [fault["Operation"] for fault in answer["Faults"]] == ["ListSolutions"]
    created = client.create_opportunity(**minimal())["Id"]
    assert client.get_opportunity(Catalog="Sandbox", Identifier=created)["Id"] == created
    assert error_of(lambda: client.list_solutions(Catalog="Sandbox"))["Error"]["Code"] == "ThrottlingException"
    assert admin(live, {"Action": "list"}) == (200, answer)


@pytest.mark.backend
def test_setting_again_replaces_the_operations_fault(live, client):
    set_fault(live, Operation="ListSolutions", Error="ThrottlingException")
    faults = set_fault(live, Operation="ListSolutions", LatencyMs=5, Rate=0.25)
    assert faults == [{"Operation": "ListSolutions", "Error": None, "Rate": 0.25, "LatencyMs": 5,
                       "DropResponse": False}]


def test_rate_zero_affects_nothing(live, client):
    set_fault(live, Operation="ListSolutions", Error="ThrottlingException", Rate=0)
    for _ in range(5):
        assert solution_ids(client) == ["S-1234567"]


def cosell(live: LiveServer, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cosell.cli", "faults", *args, "--endpoint-url", live.url],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.backend
def test_the_faults_commands(live, client):
    created = cosell(live, "set", "--operation", "GetOpportunity", "--error", "ThrottlingException", "--rate", "1")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["Faults"][0]["Operation"] == "GetOpportunity"
    assert cosell(live, "set", "--operation", "*", "--latency-ms", "1").returncode == 0
    assert cosell(live, "set", "--operation", "CreateOpportunity", "--drop-response").returncode == 0
    listed = cosell(live, "list")
    assert listed.returncode == 0
    assert [fault["Operation"] for fault in json.loads(listed.stdout)["Faults"]] == \
        ["*", "CreateOpportunity", "GetOpportunity"]
    refused = error_of(lambda: client.get_opportunity(Catalog="Sandbox", Identifier="O1"))
    assert refused["Error"]["Code"] == "ThrottlingException"
    assert cosell(live, "clear", "--operation", "GetOpportunity").returncode == 0
    assert error_of(lambda: client.get_opportunity(Catalog="Sandbox", Identifier="O1"))["Error"]["Code"] \
        == "ResourceNotFoundException"
    cleared = cosell(live, "clear")
    assert cleared.returncode == 0 and json.loads(cleared.stdout) == {"Faults": []}


def test_the_faults_commands_report_validation_errors(live, client):
    unknown = cosell(live, "set", "--operation", "CreateOpportunities", "--error", "ThrottlingException")
    assert unknown.returncode == 1
    assert "ValidationException" in unknown.stderr and "Operation: INVALID_ENUM_VALUE" in unknown.stderr
    out_of_range = cosell(live, "set", "--operation", "*", "--error", "ThrottlingException", "--rate", "1.5")
    assert out_of_range.returncode == 1 and "Rate: VALUE_OUT_OF_RANGE" in out_of_range.stderr
    no_effect = cosell(live, "set", "--operation", "*")
    assert no_effect.returncode == 1 and "Error: REQUIRED_FIELD_MISSING" in no_effect.stderr
    assert json.loads(cosell(live, "list").stdout) == {"Faults": []}


@pytest.mark.parametrize("body, field, code", [
    ({}, "Action", "REQUIRED_FIELD_MISSING"),
    ({"Action": "break"}, "Action", "INVALID_ENUM_VALUE"),
    ({"Action": "set", "Error": "ThrottlingException"}, "Operation", "REQUIRED_FIELD_MISSING"),
    ({"Action": "set", "Operation": "DeleteOpportunity", "Error": "ThrottlingException"}, "Operation",
     "INVALID_ENUM_VALUE"),
    ({"Action": "clear", "Operation": "getOpportunity"}, "Operation", "INVALID_ENUM_VALUE"),
    ({"Action": "set", "Operation": "*", "Error": "AccessDeniedException"}, "Error", "INVALID_ENUM_VALUE"),
    ({"Action": "set", "Operation": "*", "Error": ["ThrottlingException"]}, "Error", "INVALID_ENUM_VALUE"),
    ({"Action": "set", "Operation": ["*"], "Error": "ThrottlingException"}, "Operation", "INVALID_VALUE"),
    ({"Action": "set", "Operation": "*", "Error": "ThrottlingException", "Rate": 1.01}, "Rate", "VALUE_OUT_OF_RANGE"),
    ({"Action": "set", "Operation": "*", "Error": "ThrottlingException", "Rate": -0.1}, "Rate", "VALUE_OUT_OF_RANGE"),
    ({"Action": "set", "Operation": "*", "Error": "ThrottlingException", "Rate": "half"}, "Rate", "INVALID_VALUE"),
    ({"Action": "set", "Operation": "*", "LatencyMs": -5}, "LatencyMs", "VALUE_OUT_OF_RANGE"),
    ({"Action": "set", "Operation": "*", "LatencyMs": 2.5}, "LatencyMs", "INVALID_VALUE"),
    ({"Action": "set", "Operation": "*", "DropResponse": "yes"}, "DropResponse", "INVALID_VALUE"),
    ({"Action": "set", "Operation": "*", "DropResponse": True, "Error": "ThrottlingException"}, "DropResponse",
     "INVALID_VALUE"),
    ({"Action": "set", "Operation": "*"}, "Error", "REQUIRED_FIELD_MISSING"),
    ({"Action": "set", "Operation": "*", "LatencyMs": 0, "DropResponse": False}, "Error", "REQUIRED_FIELD_MISSING"),
])
def test_admin_body_validation(live, client, body, field, code):
    status, answer = admin(live, body)
    assert status == 400
    assert answer["__type"] == "ValidationException" and answer["Reason"] == "REQUEST_VALIDATION_FAILED"
    assert {(entry["FieldName"], entry["Code"]) for entry in answer["ErrorList"]} == {(field, code)}
    assert admin(live, {"Action": "list"}) == (200, {"Faults": []})


@pytest.mark.backend
def test_two_processes_on_one_database_share_the_faults(tmp_path):
    first = LiveServer(tmp_path / "data").start()
    second = LiveServer(tmp_path / "data").start()
    try:
        client = client_for(second)
        assert solution_ids(client) == ["S-1234567"]  # the second process has read (and cached) no faults
        set_fault(first, Operation="ListSolutions", Error="InternalServerException")
        deadline = time.monotonic() + 30  # the second re-reads within half a second; allow a slow machine
        while True:
            try:
                client.list_solutions(Catalog="Sandbox")
            except client.exceptions.InternalServerException:
                break
            assert time.monotonic() < deadline, "the second process never saw the fault"
            time.sleep(0.05)
    finally:
        first.stop()
        second.stop()


# --- In process ----------------------------------------------------------------------------------

@sqlite_only("Store.trace")
def test_faults_are_read_from_the_database_at_most_every_half_second(tmp_path):
    store = Store(database_url(tmp_path))
    faults = Faults(store, random.Random(1))
    faults.configure({"Action": "set", "Operation": "ListSolutions", "DropResponse": True, "Rate": 0.5}, NOW)
    statements = []
    with store.trace(statements.append):
        untouched = [faults.before("GetOpportunity") for _ in range(200)]
        dropped = [faults.before("ListSolutions") is not None for _ in range(200)]
    assert len([s for s in statements if s.startswith("SELECT")]) <= 1  # 400 requests, one read at most
    assert untouched == [None] * 200
    assert 0 < dropped.count(True) < 200  # rate 0.5: some and not all (seeded)
    faults.configure({"Action": "clear"}, NOW)
    assert faults.board.current() == {}  # this process's own change is seen at once
    store.close()
