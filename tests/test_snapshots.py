"""Resource snapshots (engagements.md §0.5, §1.19–1.21): revisions of an opportunity's shared view in an
engagement, written by its owner, read by the members they are shared with, announced by events."""

from __future__ import annotations

import uuid

import pytest

from conftest import database_args
from event_log import cursor, events_after, kinds
from opportunity_requests import update_from
from partners import SANDBOX, cosell, opportunity_invitation, shared_engagement, start_partners, submitted_opportunity

# Snapshots are joined to engagements and their members: SQLite and PostgreSQL each answer them.
pytestmark = pytest.mark.backend

SUMMARY, AWS_VIEW = "OpportunitySummaryView", "AwsOpportunitySummaryFullView"


@pytest.fixture(scope="module")
def engagement(tmp_path_factory):
    """Alpha's submitted opportunity, in an engagement beta joined; gamma is no member."""
    data = tmp_path_factory.mktemp("snapshots") / "data"
    live, partners = start_partners(data, {"alpha": ("Alpha Partner", None), "beta": ("Beta Partner", None),
                                           "gamma": ("Gamma Partner", None)})
    alpha, beta = partners["alpha"], partners["beta"]
    opportunity_id, task = shared_engagement(data, alpha, beta, "Shared analytics deal")
    approved = cosell("review", "approve", opportunity_id, "--account-id", alpha.account_id, "--endpoint-url", live.url)
    assert approved.returncode == 0, approved.stderr  # an Approved opportunity can change again
    yield live, partners, task["EngagementId"], opportunity_id
    live.stop()


def _snapshot(partner, engagement_id: str, opportunity_id: str, template: str = SUMMARY, token: str | None = None):
    return partner.client.create_resource_snapshot(
        Catalog=SANDBOX, EngagementIdentifier=engagement_id, ResourceType="Opportunity",
        ResourceIdentifier=opportunity_id, ResourceSnapshotTemplateIdentifier=template,
        ClientToken=token or str(uuid.uuid4()))


def test_revisions_are_written_by_the_owner_and_read_by_members(engagement):
    live, partners, engagement_id, opportunity_id = engagement
    alpha, beta, gamma = partners["alpha"], partners["beta"], partners["gamma"]
    after = cursor(live)
    token = str(uuid.uuid4())
    first = _snapshot(alpha, engagement_id, opportunity_id, token=token)
    assert first["Arn"] == (f"arn:aws:partnercentral:us-east-1::catalog/Sandbox/engagement/{engagement_id}/resource/"
                            f"Opportunity/{opportunity_id}/template/{SUMMARY}/snapshot/{first['Revision']}")
    again = _snapshot(alpha, engagement_id, opportunity_id, token=token)  # the same request, once
    assert (again["Arn"], again["Revision"]) == (first["Arn"], first["Revision"])

    # A member reads it: the opportunity's shared view, Lifecycle with a lower-case c.
    seen = beta.client.get_resource_snapshot(Catalog=SANDBOX, EngagementIdentifier=engagement_id,
                                             ResourceType="Opportunity", ResourceIdentifier=opportunity_id,
                                             ResourceSnapshotTemplateIdentifier=SUMMARY)
    assert seen["Revision"] == first["Revision"] and seen["CreatedBy"] == alpha.account_id
    view = seen["Payload"]["OpportunitySummary"]
    assert view["Lifecycle"]["ReviewStatus"] == "Approved" and "LifeCycle" not in view
    assert view["Customer"]["Account"]["CompanyName"]
    assert {alpha.account_id, beta.account_id} <= set(seen["TargetMemberAccounts"])

    # A change, a new revision; the earlier one stays as it was.
    current = alpha.client.get_opportunity(Catalog=SANDBOX, Identifier=opportunity_id)
    changed = update_from(current)
    changed["LifeCycle"] = {**changed["LifeCycle"], "NextSteps": "Joint call with the customer"}
    alpha.client.update_opportunity(**changed)
    second = _snapshot(alpha, engagement_id, opportunity_id)
    assert second["Revision"] == first["Revision"] + 1
    latest = beta.client.get_resource_snapshot(Catalog=SANDBOX, EngagementIdentifier=engagement_id,
                                               ResourceType="Opportunity", ResourceIdentifier=opportunity_id,
                                               ResourceSnapshotTemplateIdentifier=SUMMARY)
    assert latest["Payload"]["OpportunitySummary"]["Lifecycle"]["NextSteps"] == "Joint call with the customer"
    earlier = beta.client.get_resource_snapshot(Catalog=SANDBOX, EngagementIdentifier=engagement_id,
                                                ResourceType="Opportunity", ResourceIdentifier=opportunity_id,
                                                ResourceSnapshotTemplateIdentifier=SUMMARY, Revision=first["Revision"])
    assert "NextSteps" not in earlier["Payload"]["OpportunitySummary"]["Lifecycle"]

    listed = beta.client.list_resource_snapshots(Catalog=SANDBOX, EngagementIdentifier=engagement_id,
                                                 ResourceIdentifier=opportunity_id)
    # Revision 1 is the submission task's (StartEngagementFromOpportunityTask snapshots the opportunity).
    assert [s["Revision"] for s in listed["ResourceSnapshotSummaries"]] == [1, first["Revision"], second["Revision"]]
    assert listed["ResourceSnapshotSummaries"][1] == {
        "Arn": first["Arn"], "Revision": first["Revision"], "ResourceType": "Opportunity",
        "ResourceId": opportunity_id, "ResourceSnapshotTemplateName": SUMMARY, "CreatedBy": alpha.account_id}
    paged = beta.client.get_paginator("list_resource_snapshots").paginate(
        Catalog=SANDBOX, EngagementIdentifier=engagement_id, PaginationConfig={"PageSize": 1})
    assert [s["Revision"] for page in paged for s in page["ResourceSnapshotSummaries"]
            if s["ResourceId"] == opportunity_id and s["ResourceSnapshotTemplateName"] == SUMMARY] == [
        1, first["Revision"], second["Revision"]]

    # Each revision is announced to every member (AWS, a member too, has no bus).
    published = [e for e in events_after(live, after, expect=5)
                 if e["detail-type"] == "Engagement Resource Snapshot Created"]
    assert sorted(e["account"] for e in published) == sorted([alpha.account_id, beta.account_id] * 2)
    assert {e["detail"]["resourceSnapshot"]["arn"] for e in published} == {first["Arn"], second["Arn"]}
    assert published[0]["resources"] == [f"arn:aws:partnercentral:us-east-1::catalog/Sandbox/engagement/{engagement_id}"]
    assert kinds([e for e in events_after(live, after) if e["detail-type"] == "Opportunity Updated"]) == [
        (alpha.account_id, "Opportunity Updated")]

    # Not a member: the engagement is not found; a member cannot snapshot another's opportunity.
    with pytest.raises(gamma.client.exceptions.ResourceNotFoundException):
        gamma.client.list_resource_snapshots(Catalog=SANDBOX, EngagementIdentifier=engagement_id)
    with pytest.raises(beta.client.exceptions.ResourceNotFoundException, match="only its owner"):
        _snapshot(beta, engagement_id, opportunity_id)
    with pytest.raises(alpha.client.exceptions.ResourceNotFoundException, match="template"):
        _snapshot(alpha, engagement_id, opportunity_id, template="OpportunityFullView")


def test_aws_view_is_for_the_owner_only(engagement):
    _live, partners, engagement_id, opportunity_id = engagement
    alpha, beta = partners["alpha"], partners["beta"]
    made = _snapshot(alpha, engagement_id, opportunity_id, template=AWS_VIEW)
    mine = alpha.client.get_resource_snapshot(Catalog=SANDBOX, EngagementIdentifier=engagement_id,
                                              ResourceType="Opportunity", ResourceIdentifier=opportunity_id,
                                              ResourceSnapshotTemplateIdentifier=AWS_VIEW)
    # Revision 1 is AWS's own, written when it approved the submission (fixture); this one is the next.
    assert mine["Revision"] == made["Revision"] == 2
    assert mine["Payload"]["AwsOpportunitySummaryFullView"]["InvolvementType"] == "Co-Sell"
    assert mine["TargetMemberAccounts"] == [alpha.account_id]
    with pytest.raises(beta.client.exceptions.ResourceNotFoundException):
        beta.client.get_resource_snapshot(Catalog=SANDBOX, EngagementIdentifier=engagement_id,
                                          ResourceType="Opportunity", ResourceIdentifier=opportunity_id,
                                          ResourceSnapshotTemplateIdentifier=AWS_VIEW)
    theirs = beta.client.list_resource_snapshots(Catalog=SANDBOX, EngagementIdentifier=engagement_id,
                                                 ResourceSnapshotTemplateIdentifier=AWS_VIEW)
    assert theirs["ResourceSnapshotSummaries"] == []
    owners = alpha.client.list_resource_snapshots(Catalog=SANDBOX, EngagementIdentifier=engagement_id,
                                                  ResourceSnapshotTemplateIdentifier=AWS_VIEW)
    assert [(s["Revision"], s["CreatedBy"]) for s in owners["ResourceSnapshotSummaries"]] == [
        (1, alpha.account_id), (2, alpha.account_id)]
    first = alpha.client.get_resource_snapshot(Catalog=SANDBOX, EngagementIdentifier=engagement_id,
                                               ResourceType="Opportunity", ResourceIdentifier=opportunity_id,
                                               ResourceSnapshotTemplateIdentifier=AWS_VIEW, Revision=1)
    assert first["Payload"]["AwsOpportunitySummaryFullView"]["OpportunityTeam"][0]["BusinessTitle"] == "PDM"


def _get_job(partner, job_id: str) -> dict:
    return partner.client.get_resource_snapshot_job(Catalog=SANDBOX, ResourceSnapshotJobIdentifier=job_id)


def _revisions(partner, engagement_id: str, opportunity_id: str) -> list[int]:
    listed = partner.client.list_resource_snapshots(Catalog=SANDBOX, EngagementIdentifier=engagement_id,
                                                    ResourceIdentifier=opportunity_id,
                                                    ResourceSnapshotTemplateIdentifier=SUMMARY)
    return [summary["Revision"] for summary in listed["ResourceSnapshotSummaries"]]


def _change(partner, opportunity_id: str, **life_cycle) -> None:
    current = partner.client.get_opportunity(Catalog=SANDBOX, Identifier=opportunity_id)
    changed = update_from(current)
    changed["LifeCycle"] = {**changed["LifeCycle"], **life_cycle}
    partner.client.update_opportunity(**changed)


def test_a_running_job_writes_a_revision_after_each_covered_change(tmp_path):
    """A's job on its opportunity: without a role it records its failure; with one, each change of a field
    the template covers is a new revision B reads, an uncovered change none; stop, start, delete."""
    data = tmp_path / "data"
    live, partners = start_partners(data, {"alpha": ("Alpha Partner", None), "beta": ("Beta Partner", None)})
    alpha, beta = partners["alpha"], partners["beta"]
    try:
        assert cosell("accounts", "connect", alpha.account_id, beta.account_id, *database_args(data)).returncode == 0
        opportunity_id, task = submitted_opportunity(alpha, "Job-tracked deal")
        engagement_id = task["EngagementId"]
        sent = alpha.client.create_engagement_invitation(
            Catalog=SANDBOX, EngagementIdentifier=engagement_id, ClientToken=str(uuid.uuid4()),
            Invitation={"Message": "Join us", "Receiver": {"Account": {"AwsAccountId": beta.account_id}},
                        "Payload": opportunity_invitation()})
        beta.client.start_engagement_by_accepting_invitation_task(Catalog=SANDBOX, Identifier=sent["Id"])
        assert cosell("review", "approve", opportunity_id, "--account-id", alpha.account_id,
                      "--endpoint-url", live.url).returncode == 0

        # The submission task started a job on the opportunity; approving it was a change, and without a role
        # the job recorded its failure and wrote nothing after the task's revision 1.
        job_id = task["ResourceSnapshotJobId"]
        failed = _get_job(alpha, job_id)
        assert failed["Status"] == "Running" and "ResourceSnapshotJobRole" in failed["LastFailure"]
        assert failed.get("LastSuccessfulExecutionDate") is None
        assert failed["ResourceArn"] == (f"arn:aws:partnercentral:us-east-1:{alpha.account_id}:catalog/Sandbox/"
                                         f"opportunity/{opportunity_id}")
        assert _revisions(beta, engagement_id, opportunity_id) == [1]
        with pytest.raises(alpha.client.exceptions.ConflictException):
            alpha.client.create_resource_snapshot_job(
                Catalog=SANDBOX, ClientToken=str(uuid.uuid4()), EngagementIdentifier=engagement_id,
                ResourceType="Opportunity", ResourceIdentifier=opportunity_id,
                ResourceSnapshotTemplateIdentifier=SUMMARY)
        with pytest.raises(beta.client.exceptions.ResourceNotFoundException):
            _get_job(beta, job_id)  # the owner's only

        # A job of one's own: Stopped until started, taggable (its ARN has the account).
        own = alpha.client.create_resource_snapshot_job(
            Catalog=SANDBOX, ClientToken=str(uuid.uuid4()), EngagementIdentifier=engagement_id,
            ResourceType="Opportunity", ResourceIdentifier=opportunity_id, ResourceSnapshotTemplateIdentifier=AWS_VIEW,
            Tags=[{"Key": "team", "Value": "alliances"}])
        assert own["Arn"] == (f"arn:aws:partnercentral:us-east-1:{alpha.account_id}:catalog/Sandbox/"
                              f"resource-snapshot-job/{own['Id']}")
        tags = alpha.client.list_tags_for_resource(ResourceArn=own["Arn"])["Tags"]
        assert tags == [{"Key": "team", "Value": "alliances"}]
        assert _get_job(alpha, own["Id"])["Status"] == "Stopped"
        alpha.client.delete_resource_snapshot_job(Catalog=SANDBOX, ResourceSnapshotJobIdentifier=own["Id"])

        alpha.client.put_selling_system_settings(Catalog=SANDBOX, ResourceSnapshotJobRoleIdentifier="SnapshotJobRole")
        after = cursor(live)
        _change(alpha, opportunity_id, NextSteps="Workshop booked")
        assert _revisions(beta, engagement_id, opportunity_id) == [1, 2]
        ran = _get_job(alpha, job_id)
        assert ran.get("LastFailure") is None and ran["LastSuccessfulExecutionDate"]
        published = events_after(live, after, expect=4)
        assert [e["detail-type"] for e in published if e["account"] == alpha.account_id] == [
            "Opportunity Updated", "Engagement Resource Snapshot Created"]
        assert [e["detail-type"] for e in published if e["account"] == beta.account_id] == [
            "Engagement Resource Snapshot Created"]

        # A field the view does not show: no revision. A covered one: the next.
        current = alpha.client.get_opportunity(Catalog=SANDBOX, Identifier=opportunity_id)
        uncovered = update_from(current)
        uncovered["Project"] = {**uncovered["Project"], "AdditionalComments": "Internal note, not shared"}
        alpha.client.update_opportunity(**uncovered)
        assert _revisions(beta, engagement_id, opportunity_id) == [1, 2]
        _change(alpha, opportunity_id, NextSteps="Proposal sent")
        assert _revisions(beta, engagement_id, opportunity_id) == [1, 2, 3]

        # Stopped: changes write nothing; Running can't be deleted; Stopped can, and its revisions stay.
        with pytest.raises(alpha.client.exceptions.ConflictException):
            alpha.client.delete_resource_snapshot_job(Catalog=SANDBOX, ResourceSnapshotJobIdentifier=job_id)
        alpha.client.stop_resource_snapshot_job(Catalog=SANDBOX, ResourceSnapshotJobIdentifier=job_id)
        alpha.client.stop_resource_snapshot_job(Catalog=SANDBOX, ResourceSnapshotJobIdentifier=job_id)
        _change(alpha, opportunity_id, NextSteps="Waiting for the customer")
        assert _revisions(beta, engagement_id, opportunity_id) == [1, 2, 3]
        listed = alpha.client.list_resource_snapshot_jobs(Catalog=SANDBOX, Status="Stopped")
        assert [summary["Id"] for summary in listed["ResourceSnapshotJobSummaries"]] == [job_id]
        assert alpha.client.list_resource_snapshot_jobs(Catalog=SANDBOX, Status="Running")[
            "ResourceSnapshotJobSummaries"] == []
        # Started again, it runs at once: the change made while it was stopped is the next revision.
        alpha.client.start_resource_snapshot_job(Catalog=SANDBOX, ResourceSnapshotJobIdentifier=job_id)
        assert _revisions(beta, engagement_id, opportunity_id) == [1, 2, 3, 4]
        alpha.client.stop_resource_snapshot_job(Catalog=SANDBOX, ResourceSnapshotJobIdentifier=job_id)
        alpha.client.delete_resource_snapshot_job(Catalog=SANDBOX, ResourceSnapshotJobIdentifier=job_id)
        with pytest.raises(alpha.client.exceptions.ResourceNotFoundException):
            _get_job(alpha, job_id)
        assert _revisions(beta, engagement_id, opportunity_id) == [1, 2, 3, 4]
    finally:
        live.stop()
