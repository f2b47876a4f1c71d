"""Prospecting tasks (engagements.md §0.10, §1.30–1.32), simulated on cosell's clock: PENDING when started,
IN_PROGRESS at half the prospecting delay, then each engagement COMPLETED with a ProspectingResult context
or FAILED (no customer to prospect, or marked by `cosell aws prospecting fail`)."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest

from event_log import cursor, events_after
from partners import SANDBOX, aws_leads, cosell_json, start_partners

pytestmark = pytest.mark.backend


@pytest.fixture(scope="module")
def leads(tmp_path_factory):
    """Alpha accepted two AWS leads and has an engagement without a customer; beta has a lead of its own.
    The clock is frozen: it moves only when a test advances it."""
    data = tmp_path_factory.mktemp("prospecting") / "data"
    live, partners = start_partners(data, {"alpha": ("Alpha Partner", None), "beta": ("Beta Partner", None)},
                                    "--prospecting-delay", "60")
    alpha, beta = partners["alpha"], partners["beta"]
    ids = {}
    for name, partner in (("first", alpha), ("second", alpha), ("beta", beta)):
        sent = aws_leads(live, partner)
        partner.client.accept_engagement_invitation(Catalog=SANDBOX, Identifier=sent["InvitationId"])
        ids[name] = sent["EngagementId"]
    ids["bare"] = alpha.client.create_engagement(Catalog=SANDBOX, ClientToken=str(uuid.uuid4()), Title="No customer yet",
                                                 Description="An engagement without contexts")["Id"]
    cosell_json("clock", "freeze", "--endpoint-url", live.url)
    yield live, partners, ids
    live.stop()


def _advance(live, duration: str) -> None:
    cosell_json("clock", "advance", duration, "--endpoint-url", live.url)


def _task(partner, task_id: str) -> dict:
    return partner.client.get_prospecting_from_engagement_task(Catalog=SANDBOX, TaskIdentifier=task_id)


def _statuses(partner, task_id: str) -> list[str]:
    return [result["Status"] for result in _task(partner, task_id)["Engagements"]]


def _wait_for(partner, task_id: str, wanted: list[str], timeout: float = 10) -> dict:
    """The task once its engagements have `wanted` statuses (the server's job runner takes the step)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = _task(partner, task_id)
        if [result["Status"] for result in task["Engagements"]] == wanted:
            return task
        time.sleep(0.05)
    raise AssertionError(f"task {task_id}: {_statuses(partner, task_id)}, not {wanted}")


def _start(partner, identifiers: list[str], name: str = "Enrich leads", token: str | None = None) -> dict:
    return partner.client.start_prospecting_from_engagement_task(
        Catalog=SANDBOX, Identifiers=identifiers, TaskName=name, ClientToken=token or str(uuid.uuid4()))


def test_a_task_goes_through_every_state_on_the_clock(leads):
    live, partners, ids = leads
    alpha = partners["alpha"]
    marked = cosell_json("aws", "prospecting", "fail", ids["second"], "--reason-code", "NoPublicProfile",
                         "--message", "No public profile was found.", "--endpoint-url", live.url)
    assert marked["ReasonCode"] == "NoPublicProfile"
    after = cursor(live)
    token = str(uuid.uuid4())
    started = _start(alpha, [ids["first"], ids["second"], ids["bare"], ids["first"]], token=token)
    assert started["TaskStatus"] == "PENDING" and started["TaskName"] == "Enrich leads"
    assert started["TaskId"].startswith("task-") and len(started["TaskId"]) == len("task-") + 14
    assert started["TaskArn"].endswith(f"/prospecting-from-engagement-task/{started['TaskId']}")
    assert started["Identifiers"] == [ids["first"], ids["second"], ids["bare"], ids["first"]]  # echoed
    task_id = started["TaskId"]
    # The same request again is the same task.
    assert _start(alpha, [ids["first"], ids["second"], ids["bare"], ids["first"]], token=token)["TaskId"] == task_id

    pending = _task(alpha, task_id)
    assert [result["Status"] for result in pending["Engagements"]] == ["PENDING"] * 3 and "EndTime" not in pending
    _advance(live, "30s")
    _wait_for(alpha, task_id, ["IN_PROGRESS"] * 3)
    _advance(live, "30s")
    done = _wait_for(alpha, task_id, ["COMPLETED", "FAILED", "FAILED"])
    assert done["EndTime"] - done["StartTime"] == dt.timedelta(seconds=60)
    first, second, bare = done["Engagements"]
    assert first["EngagementIdentifier"] == ids["first"] and first["EngagementContextId"].startswith("ctx-")
    assert (second["ReasonCode"], second["Message"]) == ("NoPublicProfile", "No public profile was found.")
    assert bare["ReasonCode"] == "InsufficientCustomerData" and "EngagementContextId" not in bare

    # The prospected engagement has a ProspectingResult context naming the task; the others are unchanged.
    engagement = alpha.client.get_engagement(Catalog=SANDBOX, Identifier=ids["first"])
    context = engagement["Contexts"][-1]
    assert context["Type"] == "ProspectingResult" and context["Id"] == "2"
    result = context["Payload"]["ProspectingResult"]["Aws"]
    assert result["TaskId"] == task_id and result["Customer"]["AccountName"] == \
        engagement["Contexts"][0]["Payload"]["Lead"]["Customer"]["CompanyName"]
    assert result["Insights"]["MarketplaceEngagementScore"] in ("High", "Medium", "Low")
    assert [c["Type"] for c in alpha.client.get_engagement(Catalog=SANDBOX, Identifier=ids["second"])["Contexts"]] == ["Lead"]
    # Alpha hears of it: Engagement Updated for the prospected engagement only.
    updated = [event for event in events_after(live, after, alpha.account_id)
               if event["detail-type"] == "Engagement Updated"]
    assert [event["resources"] for event in updated] == [[engagement["Arn"]]]
    # SearchEngagements reads the new context.
    country = result["Customer"]["Country"]
    found = alpha.client.search_engagements(Catalog=SANDBOX, Filter={"EqualsTo": {
        "Key": "ProspectingCustomerCountry", "Value": {"StringValue": country}}})["EngagementSearchSummaries"]
    assert [summary["Id"] for summary in found] == [ids["first"]]

    # Once the mark is taken back, the engagement prospects.
    cosell_json("aws", "prospecting", "succeed", ids["second"], "--endpoint-url", live.url)
    again = _start(alpha, [ids["second"]], name="Second try")
    _advance(live, "60s")
    _wait_for(alpha, again["TaskId"], ["COMPLETED"])


def test_tasks_are_listed_filtered_and_sorted(leads):
    live, partners, ids = leads
    alpha, beta = partners["alpha"], partners["beta"]
    one = _start(alpha, [ids["bare"]], name="only the bare one")
    _advance(live, "61s")
    _wait_for(alpha, one["TaskId"], ["FAILED"])
    summaries = alpha.client.list_prospecting_from_engagement_tasks(Catalog=SANDBOX)["TaskSummaries"]
    mine = {summary["TaskId"]: summary for summary in summaries}
    assert mine[one["TaskId"]]["TotalEngagementCount"] == 1 and mine[one["TaskId"]]["FailedEngagementCount"] == 1
    assert mine[one["TaskId"]]["CompletedEngagementCount"] == 0 and "EndTime" in mine[one["TaskId"]]
    starts = [summary["StartTime"] for summary in summaries]
    assert starts == sorted(starts, reverse=True)  # newest first by default
    named = alpha.client.list_prospecting_from_engagement_tasks(Catalog=SANDBOX, TaskName=["only the bare one"])
    assert [summary["TaskId"] for summary in named["TaskSummaries"]] == [one["TaskId"]]
    by_id = alpha.client.list_prospecting_from_engagement_tasks(Catalog=SANDBOX, TaskIdentifier=[one["TaskId"]])
    assert [summary["TaskId"] for summary in by_id["TaskSummaries"]] == [one["TaskId"]]
    before = alpha.client.list_prospecting_from_engagement_tasks(Catalog=SANDBOX, StartBefore=one["StartTime"])
    assert one["TaskId"] not in [summary["TaskId"] for summary in before["TaskSummaries"]]
    assert len(before["TaskSummaries"]) == len(summaries) - 1
    failures = alpha.client.list_prospecting_from_engagement_tasks(
        Catalog=SANDBOX, Sort={"SortBy": "FailedEngagementCount", "SortOrder": "ASCENDING"})["TaskSummaries"]
    assert [s["FailedEngagementCount"] for s in failures] == sorted(s["FailedEngagementCount"] for s in failures)
    pages = list(alpha.client.get_paginator("list_prospecting_from_engagement_tasks").paginate(
        Catalog=SANDBOX, PaginationConfig={"PageSize": 1}))
    assert [s["TaskId"] for page in pages for s in page["TaskSummaries"]] == [s["TaskId"] for s in summaries]
    # Tasks are their caller's.
    assert beta.client.list_prospecting_from_engagement_tasks(Catalog=SANDBOX)["TaskSummaries"] == []
    with pytest.raises(beta.client.exceptions.ResourceNotFoundException):
        _task(beta, one["TaskId"])


def test_engagements_not_yours_or_already_prospected_are_refused(leads):
    live, partners, ids = leads
    alpha = partners["alpha"]
    with pytest.raises(alpha.client.exceptions.ResourceNotFoundException) as refused:
        _start(alpha, [ids["first"], ids["beta"]])
    assert ids["beta"] in refused.value.response["Error"]["Message"]
    running = _start(alpha, [ids["first"]])
    with pytest.raises(alpha.client.exceptions.ConflictException):
        _start(alpha, [ids["bare"], ids["first"]])
    _advance(live, "60s")
    _wait_for(alpha, running["TaskId"], ["COMPLETED"])
    with pytest.raises(alpha.client.exceptions.ResourceNotFoundException):
        _task(alpha, "task-0000000000zzzz")
