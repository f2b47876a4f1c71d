"""CreateOpportunity and GetOpportunity through boto3 against a live server."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from opportunity_requests import full, minimal

READ_ONLY_LIFE_CYCLE = ("ReviewStatus", "ReviewComments", "ReviewStatusReason", "NextStepsHistory")


def assert_contains(sent, got, path="") -> None:
    """Every value sent is in what came back (what came back may hold more)."""
    if isinstance(sent, dict):
        assert isinstance(got, dict), path
        for key, value in sent.items():
            assert key in got, f"{path}.{key} missing"
            assert_contains(value, got[key], f"{path}.{key}")
    elif isinstance(sent, list):
        assert isinstance(got, list) and len(got) >= len(sent), path
        for index, value in enumerate(sent):
            assert_contains(value, got[index], f"{path}[{index}]")
    else:
        assert sent == got, f"{path}: sent {sent!r}, got {got!r}"


@pytest.mark.backend
def test_seed_request_with_every_field_round_trips(client):
    parent = client.create_opportunity(**minimal())["Id"]
    request = full(related_opportunity_id=parent)
    created = client.create_opportunity(**request)

    assert created["Id"].startswith("O") and created["Id"][1:].isdigit()
    assert created["PartnerOpportunityIdentifier"] == "CRM-0001"
    got = client.get_opportunity(Catalog="Sandbox", Identifier=created["Id"])

    expected = {key: value for key, value in request.items() if key not in ("ClientToken", "Origin", "Tags")}
    expected["LifeCycle"] = {k: v for k, v in request["LifeCycle"].items() if k not in READ_ONLY_LIFE_CYCLE}
    assert_contains(expected, got)
    assert got["Id"] == created["Id"]
    assert got["Arn"] == f"arn:aws:partnercentral:us-east-1:123456789012:catalog/Sandbox/opportunity/{created['Id']}"
    assert got["CreatedDate"] == got["LastModifiedDate"] == created["LastModifiedDate"]
    # Read-only members the client sent do not override the server's.
    assert got["LifeCycle"]["ReviewStatus"] == "Pending Submission"
    assert "ReviewComments" not in got["LifeCycle"] and "ReviewStatusReason" not in got["LifeCycle"]
    history = got["LifeCycle"]["NextStepsHistory"]
    assert [entry["Value"] for entry in history] == ["Schedule the architecture review"]
    assert history[0]["Time"] == got["CreatedDate"]
    # The server adds the OpportunityOwner beside the supplied team.
    titles = [member["BusinessTitle"] for member in got["OpportunityTeam"]]
    assert titles == ["PartnerAccountManager", "OpportunityOwner"]
    assert got["RelatedEntityIdentifiers"]["Solutions"] == []
    assert got["RelatedEntityIdentifiers"]["AwsProducts"] == []


def test_create_sets_defaults(client):
    request = minimal()
    created = client.create_opportunity(**request)
    got = client.get_opportunity(Catalog="Sandbox", Identifier=created["Id"])
    assert got["LifeCycle"]["Stage"] == "Prospect"
    assert got["LifeCycle"]["ReviewStatus"] == "Pending Submission"
    assert got["NationalSecurity"] == "No"
    assert got["OpportunityType"] == "Net New Business"
    assert got["Marketing"]["Source"] == "None"
    assert got["Customer"]["Contacts"] == []
    assert "NextStepsHistory" not in got["LifeCycle"]
    assert "PartnerOpportunityIdentifier" not in created  # sent as null, dropped by botocore
    assert got["OpportunityTeam"][0]["BusinessTitle"] == "OpportunityOwner"
    assert got["CreatedDate"].tzinfo is not None
    assert abs(got["CreatedDate"] - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


def test_supplied_opportunity_owner_is_kept_without_a_second_one(client):
    owner = {"BusinessTitle": "OpportunityOwner", "Email": "owner@partner.example", "FirstName": "Olivia",
             "LastName": "Owner"}
    created = client.create_opportunity(**minimal(OpportunityTeam=[owner]))
    got = client.get_opportunity(Catalog="Sandbox", Identifier=created["Id"])
    assert got["OpportunityTeam"] == [owner]


@pytest.mark.backend
def test_ids_increase_per_catalog(client):
    first = client.create_opportunity(**minimal())["Id"]
    second = client.create_opportunity(**minimal())["Id"]
    assert int(second[1:]) == int(first[1:]) + 1
    aws = client.create_opportunity(**minimal(catalog="AWS"))["Id"]
    assert client.get_opportunity(Catalog="AWS", Identifier=aws)["Catalog"] == "AWS"


def test_target_company_other_than_aws_is_set_to_aws(client):
    request = minimal(Project={"ExpectedCustomerSpend": [
        {"Amount": "100", "CurrencyCode": "USD", "Frequency": "Monthly", "TargetCompany": "Partner Inc"}]})
    created = client.create_opportunity(**request)
    got = client.get_opportunity(Catalog="Sandbox", Identifier=created["Id"])
    assert got["Project"]["ExpectedCustomerSpend"][0]["TargetCompany"] == "AWS"


def test_invalid_estimation_url_with_amount_is_dropped_without_error(client):
    request = minimal(Project={"ExpectedCustomerSpend": [
        {"Amount": "100", "CurrencyCode": "USD", "Frequency": "Monthly", "TargetCompany": "AWS",
         "EstimationUrl": "https://calculator.aws/#/estimate?id=invalid"}]})
    created = client.create_opportunity(**request)
    spend = client.get_opportunity(Catalog="Sandbox", Identifier=created["Id"])["Project"]["ExpectedCustomerSpend"][0]
    assert spend["Amount"] == "100"
    assert "EstimationUrl" not in spend


def test_other_solution_description_is_optional_on_create(client):
    """R6: no solution can be associated before create, so the description is checked at submission."""
    without = client.create_opportunity(**minimal())["Id"]
    with_description = client.create_opportunity(**minimal(Project={"OtherSolutionDescription": "Custom build"}))["Id"]
    assert "OtherSolutionDescription" not in client.get_opportunity(Catalog="Sandbox", Identifier=without).get("Project", {})
    got = client.get_opportunity(Catalog="Sandbox", Identifier=with_description)
    assert got["Project"]["OtherSolutionDescription"] == "Custom build"


def test_related_opportunity_must_exist(client):
    request = minimal(OpportunityType="Flat Renewal", Project={"RelatedOpportunityIdentifier": "O999999999"})
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.create_opportunity(**request)


def test_related_opportunity_in_another_catalog_is_not_visible(client):
    sandbox = client.create_opportunity(**minimal())["Id"]
    request = minimal(catalog="AWS", Project={"RelatedOpportunityIdentifier": sandbox})
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.create_opportunity(**request)


@pytest.mark.parametrize("catalog, identifier", [("Sandbox", "O1"), ("AWS", None)])
def test_get_unknown_or_other_catalog_is_not_found(client, catalog, identifier):
    if identifier is None:  # exists in Sandbox, asked for in AWS
        identifier = client.create_opportunity(**minimal())["Id"]
    with pytest.raises(ClientError) as raised:
        client.get_opportunity(Catalog=catalog, Identifier=identifier)
    error = raised.value.response
    assert error["Error"]["Code"] == "ResourceNotFoundException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert identifier in error["Error"]["Message"]


@pytest.mark.backend
def test_get_in_another_account_is_not_found(tmp_path):
    """Records belong to the account that created them: a server run as another account sees nothing."""
    from conftest import LiveServer

    first = LiveServer(tmp_path / "data").start()
    try:
        created = first.client().create_opportunity(**minimal())["Id"]
    finally:
        first.stop()
    second = LiveServer(tmp_path / "data", extra_args=("--account-id", "210987654321")).start()
    try:
        with pytest.raises(second.client().exceptions.ResourceNotFoundException):
            second.client().get_opportunity(Catalog="Sandbox", Identifier=created)
    finally:
        second.stop()


@pytest.mark.backend
def test_servers_started_together_on_a_new_database_share_it(tmp_path):
    """Processes that create the schema at the same time take turns, and number from one counter."""
    from conftest import LiveServer

    servers = [LiveServer(tmp_path / "data") for _ in range(4)]
    try:
        with ThreadPoolExecutor(len(servers)) as pool:
            list(pool.map(LiveServer.start, servers))
        clients = [server.client() for server in servers]
        together = threading.Barrier(len(clients))

        def create(client):
            together.wait()
            return client.create_opportunity(**minimal())["Id"]

        with ThreadPoolExecutor(len(clients)) as pool:
            created = list(pool.map(create, clients))
        assert len(set(created)) == len(created)
        for client in clients:
            for identifier in created:
                assert client.get_opportunity(Catalog="Sandbox", Identifier=identifier)["Id"] == identifier
    finally:
        for server in servers:
            server.stop()
