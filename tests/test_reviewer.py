"""The AWS reviewer the Sandbox lacks: `cosell serve --review auto`, `cosell review`, `cosell solutions add`."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from conftest import LiveServer
from opportunity_requests import submittable


def wait_for_status(client, opportunity_id: str, wanted: str, seconds: float = 30) -> dict:
    """Poll (bounded) until the review status is `wanted`; the reviewer runs on its own schedule."""
    deadline = time.monotonic() + seconds
    while True:
        opportunity = client.get_opportunity(Catalog="Sandbox", Identifier=opportunity_id)
        if opportunity["LifeCycle"]["ReviewStatus"] == wanted or time.monotonic() > deadline:
            return opportunity
        time.sleep(0.05)


def submitted_opportunity(client, **overrides) -> str:
    request = submittable(**overrides)
    request["Project"]["OtherSolutionDescription"] = "Custom integration"
    opportunity_id = client.create_opportunity(**request)["Id"]
    task = client.start_engagement_from_opportunity_task(
        Catalog="Sandbox", Identifier=opportunity_id, AwsSubmission={"InvolvementType": "Co-Sell"})
    assert task["TaskStatus"] == "COMPLETE"
    return opportunity_id


@pytest.fixture(scope="module")
def auto_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("auto")
    rules = folder / "rules.json"
    rules.write_text(json.dumps([
        {"field": "PartnerOpportunityIdentifier", "equals": "reject-me", "decision": "Rejected",
         "reason": "Duplicate of Partner Referral"},
        {"field": "Project.CustomerBusinessProblem", "contains": "TBD", "decision": "Action Required",
         "comments": "Describe the business problem."},
    ]))
    live = LiveServer(folder / "data", extra_args=("--review", "auto", "--review-delay", "0.1",
                                                   "--review-rules", str(rules))).start()
    yield live
    live.stop()


def test_auto_reviewer_approves(auto_server):
    client = auto_server.client()
    opportunity_id = submitted_opportunity(client)
    assert wait_for_status(client, opportunity_id, "Approved")["LifeCycle"]["ReviewStatus"] == "Approved"


def test_auto_reviewer_rejects_by_rule(auto_server):
    client = auto_server.client()
    opportunity_id = submitted_opportunity(client, PartnerOpportunityIdentifier="reject-me")
    rejected = wait_for_status(client, opportunity_id, "Rejected")
    assert rejected["LifeCycle"]["ReviewStatus"] == "Rejected"
    assert rejected["LifeCycle"]["ReviewStatusReason"] == "Duplicate of Partner Referral"


def test_auto_reviewer_asks_for_action_then_approves_the_fix(auto_server):
    client = auto_server.client()
    request = submittable()
    opportunity_id = submitted_opportunity(client, Project={**request["Project"],
                                                            "CustomerBusinessProblem": "TBD: waiting for the customer"})
    action = wait_for_status(client, opportunity_id, "Action Required")
    assert action["LifeCycle"]["ReviewComments"] == "Describe the business problem."
    fix = {k: v for k, v in action.items()
           if k not in ("ResponseMetadata", "Id", "Arn", "CreatedDate", "OpportunityTeam", "RelatedEntityIdentifiers")}
    fix["Identifier"] = opportunity_id
    fix["Project"]["CustomerBusinessProblem"] = "The customer needs a governed data lake for its analytics."
    for _ in range(20):  # the reviewer may touch the opportunity between our read and write
        try:
            client.update_opportunity(**fix)
            break
        except client.exceptions.ConflictException:
            fix["LastModifiedDate"] = client.get_opportunity(Catalog="Sandbox", Identifier=opportunity_id)["LastModifiedDate"]
    assert wait_for_status(client, opportunity_id, "Approved")["LifeCycle"]["ReviewStatus"] == "Approved"


def cosell(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cosell.cli", *args], capture_output=True, text=True, timeout=60)


def test_review_command_decides_now(server, client):
    opportunity_id = submitted_opportunity(client)
    result = cosell("review", "action-required", opportunity_id, "--comments", "Add the customer's city.",
                    "--endpoint-url", server.url)
    assert result.returncode == 0, result.stderr
    opportunity = client.get_opportunity(Catalog="Sandbox", Identifier=opportunity_id)
    assert opportunity["LifeCycle"]["ReviewStatus"] == "Action Required"
    assert opportunity["LifeCycle"]["ReviewComments"] == "Add the customer's city."
    assert cosell("review", "approve", opportunity_id, "--endpoint-url", server.url).returncode == 0
    assert client.get_opportunity(Catalog="Sandbox", Identifier=opportunity_id)["LifeCycle"]["ReviewStatus"] == "Approved"

    refused = cosell("review", "reject", opportunity_id, "--endpoint-url", server.url)
    assert refused.returncode == 1
    assert "INVALID_RESOURCE_STATE" in refused.stderr
    missing = cosell("review", "approve", "O999999999", "--endpoint-url", server.url)
    assert missing.returncode == 1 and "ResourceNotFoundException" in missing.stderr


def test_solutions_add_then_associate(server, client):
    result = cosell("solutions", "add", "--name", "Data Lake Accelerator", "--category", "Software Product",
                    "--endpoint-url", server.url)
    assert result.returncode == 0, result.stderr
    solution = json.loads(result.stdout)
    assert solution["Id"].startswith("S-") and solution["Status"] == "Active"
    opportunity_id = client.create_opportunity(**submittable())["Id"]
    client.associate_opportunity(Catalog="Sandbox", OpportunityIdentifier=opportunity_id,
                                 RelatedEntityType="Solutions", RelatedEntityIdentifier=solution["Id"])
    related = client.get_opportunity(Catalog="Sandbox", Identifier=opportunity_id)["RelatedEntityIdentifiers"]
    assert related["Solutions"] == [solution["Id"]]
    listed = client.list_solutions(Catalog="Sandbox", Identifier=[solution["Id"]])["SolutionSummaries"]
    assert [s["Name"] for s in listed] == ["Data Lake Accelerator"]
