"""The AWS reviewer the Sandbox lacks: `cosell serve --review auto`, `cosell review`, `cosell solutions add`.

The automatic reviewer is jobs on cosell's clock, so its tests run in-process on a frozen clock: a step
happens exactly when the test advances the clock by the review delay and runs what is due, never
before. One live server shows that `cosell serve --review auto` also reviews by itself, in real time.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from dataclasses import dataclass

import pytest

from conftest import LiveServer, attached_client, database_url
from cosell.clock import Clock
from cosell.gateway import Gateway
from cosell.jobs import JobRunner
from cosell.settings import Settings
from cosell.store import Store
from opportunity_requests import submittable, update_from

# The reviewer's steps are jobs kept in the database (scheduled at most once per opportunity, taken by
# one runner); decisions and solutions are stored.
pytestmark = pytest.mark.backend

REVIEW_DELAY = dt.timedelta(seconds=5)
MILLISECOND = dt.timedelta(milliseconds=1)
RULES = [
    {"field": "PartnerOpportunityIdentifier", "equals": "reject-me", "decision": "Rejected",
     "reason": "Duplicate of Partner Referral"},
    {"field": "Project.CustomerBusinessProblem", "contains": "TBD", "decision": "Action Required",
     "comments": "Describe the business problem."},
]


def submitted_opportunity(client, **overrides) -> str:
    request = submittable(**overrides)
    request["Project"]["OtherSolutionDescription"] = "Custom integration"
    opportunity_id = client.create_opportunity(**request)["Id"]
    task = client.start_engagement_from_opportunity_task(
        Catalog="Sandbox", Identifier=opportunity_id, AwsSubmission={"InvolvementType": "Co-Sell"})
    assert task["TaskStatus"] == "COMPLETE"
    return opportunity_id


def life_cycle(client, opportunity_id: str) -> dict:
    return client.get_opportunity(Catalog="Sandbox", Identifier=opportunity_id)["LifeCycle"]


@dataclass
class AutoReview:
    """An in-process cosell with `--review auto --review-rules`, on a frozen clock."""

    client: object
    clock: Clock
    runner: JobRunner

    def wait(self, delta: dt.timedelta = REVIEW_DELAY) -> int:
        """Lets `delta` of cosell's time pass and runs the jobs due by then; how many ran."""
        self.clock.advance(delta)
        return self.runner.run_due()


@pytest.fixture
def auto_review(tmp_path):
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps(RULES))
    store = Store(database_url(tmp_path))
    settings = Settings(data_dir=tmp_path, review="auto", review_delay_seconds=REVIEW_DELAY.total_seconds(),
                        review_rules=rules)
    gateway = Gateway(settings, store)
    gateway.clock.freeze()
    yield AutoReview(attached_client(gateway), gateway.clock, JobRunner(store, gateway.clock, settings))
    store.close()


def test_auto_reviewer_takes_a_submission_in_review_then_approves_it_one_delay_apart(auto_review):
    client = auto_review.client
    opportunity_id = submitted_opportunity(client)
    submitted_at = auto_review.clock.now()
    assert auto_review.wait(REVIEW_DELAY - MILLISECOND) == 0  # nothing before the delay
    assert life_cycle(client, opportunity_id)["ReviewStatus"] == "Submitted"

    assert auto_review.wait(MILLISECOND) == 1
    in_review = client.get_opportunity(Catalog="Sandbox", Identifier=opportunity_id)
    assert in_review["LifeCycle"]["ReviewStatus"] == "In review"
    assert in_review["LastModifiedDate"] == submitted_at + REVIEW_DELAY

    assert auto_review.wait(REVIEW_DELAY - MILLISECOND) == 0
    assert life_cycle(client, opportunity_id)["ReviewStatus"] == "In review"
    assert auto_review.wait(MILLISECOND) == 1
    approved = client.get_opportunity(Catalog="Sandbox", Identifier=opportunity_id)
    assert approved["LifeCycle"]["ReviewStatus"] == "Approved"
    assert approved["LastModifiedDate"] == submitted_at + 2 * REVIEW_DELAY

    assert auto_review.wait(10 * REVIEW_DELAY) == 0  # a decision is the last step
    assert life_cycle(client, opportunity_id)["ReviewStatus"] == "Approved"


def test_auto_reviewer_rejects_by_rule(auto_review):
    client = auto_review.client
    opportunity_id = submitted_opportunity(client, PartnerOpportunityIdentifier="reject-me")
    assert auto_review.wait() == 1
    assert life_cycle(client, opportunity_id)["ReviewStatus"] == "In review"
    assert auto_review.wait() == 1
    rejected = life_cycle(client, opportunity_id)
    assert rejected["ReviewStatus"] == "Rejected"
    assert rejected["ReviewStatusReason"] == "Duplicate of Partner Referral"


def test_auto_reviewer_asks_for_action_then_approves_the_fix(auto_review):
    client = auto_review.client
    request = submittable()
    opportunity_id = submitted_opportunity(client, Project={**request["Project"],
                                                            "CustomerBusinessProblem": "TBD: waiting for the customer"})
    assert auto_review.wait() == 1 and auto_review.wait() == 1
    action = client.get_opportunity(Catalog="Sandbox", Identifier=opportunity_id)
    assert action["LifeCycle"]["ReviewStatus"] == "Action Required"
    assert action["LifeCycle"]["ReviewComments"] == "Describe the business problem."
    assert auto_review.wait(10 * REVIEW_DELAY) == 0  # the reviewer waits for the partner

    fix = update_from(action)
    fix["Project"]["CustomerBusinessProblem"] = "The customer needs a governed data lake for its analytics."
    client.update_opportunity(**fix)
    assert life_cycle(client, opportunity_id)["ReviewStatus"] == "Submitted"  # back in validation
    assert auto_review.wait() == 1
    assert life_cycle(client, opportunity_id)["ReviewStatus"] == "In review"
    assert auto_review.wait() == 1
    assert life_cycle(client, opportunity_id)["ReviewStatus"] == "Approved"


def test_a_manual_review_before_the_delay_wins(auto_review):
    """A step finds the opportunity as it is then: AWS's reviewer (here the Sandbox's UpdateOpportunity)
    deciding first leaves the automatic reviewer nothing to do."""
    client = auto_review.client
    opportunity_id = submitted_opportunity(client)
    current = client.get_opportunity(Catalog="Sandbox", Identifier=opportunity_id)
    decided = update_from(current)
    decided["LifeCycle"] = {**decided["LifeCycle"], "ReviewStatus": "Rejected", "ReviewStatusReason": "Duplicate"}
    client.update_opportunity(**decided)
    assert auto_review.wait() == 1  # the step runs, and finds nothing to review
    assert auto_review.wait(10 * REVIEW_DELAY) == 0
    assert life_cycle(client, opportunity_id)["ReviewStatus"] == "Rejected"


def test_cosell_serve_review_auto_reviews_by_itself(tmp_path):
    """The server's own job runner, on the wall clock: submitted, then Approved without anyone asking."""
    live = LiveServer(tmp_path / "data", extra_args=("--review", "auto", "--review-delay", "0.2")).start()
    try:
        client = live.client()
        opportunity_id = submitted_opportunity(client)
        deadline = time.monotonic() + 30  # two steps of 0.2 s; allow a slow machine
        while (status := life_cycle(client, opportunity_id)["ReviewStatus"]) != "Approved":
            assert status in ("Submitted", "In review"), status
            assert time.monotonic() < deadline, f"still {status} after 30 s: the server never reviewed it"
            time.sleep(0.05)
    finally:
        live.stop()


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
