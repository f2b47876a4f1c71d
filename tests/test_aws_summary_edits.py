"""AWS edits its summary of a submitted opportunity (`cosell aws summary`, /_cosell/aws/summaries;
engagements.md §7, "AWS updates AWS-side summary"): GetAwsOpportunitySummary shows the edits, the owner
alone gets an AwsOpportunitySummaryFullView revision, and Opportunity Updated is published (DG-ev). And
DG-lead's alternative to StartOpportunityFromEngagementTask: CreateOpportunity + CreateResourceSnapshot on
a lead's engagement adds the CustomerProject context."""

from __future__ import annotations

import json
import uuid

import pytest

from event_log import cursor, events_after, kinds
from opportunity_requests import submittable
from partners import (
    SANDBOX,
    aws_leads,
    cosell,
    cosell_json,
    shared_engagement,
    start_partners,
)

# Opportunities, engagements and snapshots are joined and filtered: SQLite and PostgreSQL each answer them.
pytestmark = pytest.mark.backend

SUMMARY, AWS_VIEW = "OpportunitySummaryView", "AwsOpportunitySummaryFullView"

EDIT = {
    "LifeCycle": {"Stage": "Qualified", "NextSteps": "AWS SA joins the discovery call", "TargetCloseDate": "2030-09-30"},
    "Insights": {"NextBestActions": "Share the migration plan with the AWS account team", "EngagementScore": "High"},
    "InvolvementTypeChangeReason": "Customer Requested",
    "OpportunityTeam": [{"FirstName": "Sam", "LastName": "Seller", "Email": "sam.seller@amazon.example",
                         "BusinessTitle": "AWSSalesRep"}],
    "Project": {"ExpectedCustomerSpend": [{"Amount": "5000", "CurrencyCode": "USD", "Frequency": "Monthly",
                                           "TargetCompany": "AWS"}]},
    "CosellMotion": "Co-sell",
}


@pytest.fixture(scope="module")
def engagement(tmp_path_factory):
    """Alpha's submitted opportunity, in an engagement beta joined."""
    data = tmp_path_factory.mktemp("aws-summary") / "data"
    live, partners = start_partners(data, {"alpha": ("Alpha Partner", None), "beta": ("Beta Partner", None)})
    alpha, beta = partners["alpha"], partners["beta"]
    opportunity_id, task = shared_engagement(data, alpha, beta, "AWS-tracked analytics deal")
    yield live, partners, task["EngagementId"], opportunity_id
    live.stop()


def _aws_edits(live, partner, opportunity_id: str, *options: str) -> dict:
    return cosell_json("aws", "summary", opportunity_id, "--account-id", partner.account_id,
                       "--endpoint-url", live.url, *options)


def _post_summary(live, body: dict) -> tuple[int, dict]:
    return live.post("/_cosell/aws/summaries", body)


def _aws_view(partner, engagement_id: str, opportunity_id: str, **revision) -> dict:
    return partner.client.get_resource_snapshot(Catalog=SANDBOX, EngagementIdentifier=engagement_id,
                                                ResourceType="Opportunity", ResourceIdentifier=opportunity_id,
                                                ResourceSnapshotTemplateIdentifier=AWS_VIEW, **revision)


def test_aws_edits_its_summary_for_the_owner_alone(engagement, tmp_path):
    live, partners, engagement_id, opportunity_id = engagement
    alpha, beta = partners["alpha"], partners["beta"]
    before = alpha.client.get_aws_opportunity_summary(Catalog=SANDBOX, RelatedOpportunityIdentifier=opportunity_id)
    assert before.get("LifeCycle") is None and before.get("Insights") is None  # the Sandbox shows them null
    revisions_before = [s["Revision"] for s in alpha.client.list_resource_snapshots(
        Catalog=SANDBOX, EngagementIdentifier=engagement_id,
        ResourceSnapshotTemplateIdentifier=AWS_VIEW)["ResourceSnapshotSummaries"]]
    after = cursor(live)

    edited = _aws_edits(live, alpha, opportunity_id, "--json", json.dumps(EDIT))
    assert edited["OpportunityId"] == opportunity_id and edited["EngagementId"] == engagement_id
    assert edited["Revision"] == len(revisions_before) + 1
    assert edited["ResourceSnapshotArn"].endswith(f"/template/{AWS_VIEW}/snapshot/{edited['Revision']}")

    summary = alpha.client.get_aws_opportunity_summary(Catalog=SANDBOX, RelatedOpportunityIdentifier=opportunity_id)
    assert summary["LifeCycle"]["Stage"] == "Qualified" and summary["LifeCycle"]["TargetCloseDate"] == "2030-09-30"
    assert summary["LifeCycle"]["NextSteps"] == "AWS SA joins the discovery call"
    [step] = summary["LifeCycle"]["NextStepsHistory"]
    assert step["Value"] == "AWS SA joins the discovery call" and step["Time"].year >= 2025
    assert summary["Insights"] == EDIT["Insights"]
    assert summary["OpportunityTeam"] == EDIT["OpportunityTeam"]
    assert summary["InvolvementType"] == "Co-Sell" and summary["InvolvementTypeChangeReason"] == "Customer Requested"
    assert summary["Project"]["ExpectedCustomerSpend"] == EDIT["Project"]["ExpectedCustomerSpend"]
    assert summary["CosellMotion"] == "Co-sell"
    # What AWS does not edit is as it was: the partner's opportunity, its origin, its associations.
    assert summary["RelatedOpportunityId"] == opportunity_id and summary["Origin"] == before["Origin"]
    assert summary["RelatedEntityIds"] == before["RelatedEntityIds"]

    # The owner's new revision of AWS's view; the other member neither reads nor lists it.
    mine = _aws_view(alpha, engagement_id, opportunity_id)
    assert mine["Revision"] == edited["Revision"] and mine["TargetMemberAccounts"] == [alpha.account_id]
    view = mine["Payload"]["AwsOpportunitySummaryFullView"]
    assert view["LifeCycle"]["Stage"] == "Qualified" and view["Insights"]["EngagementScore"] == "High"
    with pytest.raises(beta.client.exceptions.ResourceNotFoundException):
        _aws_view(beta, engagement_id, opportunity_id)
    assert beta.client.list_resource_snapshots(Catalog=SANDBOX, EngagementIdentifier=engagement_id,
                                               ResourceSnapshotTemplateIdentifier=AWS_VIEW)[
        "ResourceSnapshotSummaries"] == []

    # DG-ev: "AWS updates opportunity" → Opportunity Updated + Engagement Resource Snapshot Created, the owner's.
    published = events_after(live, after, expect=2)
    assert kinds(published) == [(alpha.account_id, "Engagement Resource Snapshot Created"),
                                (alpha.account_id, "Opportunity Updated")]
    snapshot_event = next(e for e in published if e["detail-type"] == "Engagement Resource Snapshot Created")
    assert snapshot_event["detail"]["resourceSnapshot"]["arn"] == edited["ResourceSnapshotArn"]

    # A second edit, from a file, merges over the first; NextSteps joins the history.
    (tmp_path / "summary.json").write_text(json.dumps({"LifeCycle": {"NextSteps": "Proposal review with AWS"},
                                                       "Insights": {"EngagementScore": "Medium"}}))
    again = _aws_edits(live, alpha, opportunity_id, "--from-file", str(tmp_path / "summary.json"))
    assert again["Revision"] == edited["Revision"] + 1
    summary = alpha.client.get_aws_opportunity_summary(Catalog=SANDBOX, RelatedOpportunityIdentifier=opportunity_id)
    assert summary["LifeCycle"]["Stage"] == "Qualified" and summary["LifeCycle"]["NextSteps"] == "Proposal review with AWS"
    assert [s["Value"] for s in summary["LifeCycle"]["NextStepsHistory"]] == [
        "AWS SA joins the discovery call", "Proposal review with AWS"]
    assert summary["Insights"] == {**EDIT["Insights"], "EngagementScore": "Medium"}
    earlier = _aws_view(alpha, engagement_id, opportunity_id, Revision=edited["Revision"])
    assert earlier["Payload"]["AwsOpportunitySummaryFullView"]["Insights"]["EngagementScore"] == "High"

    # The edits are kept on the opportunity but are no member of it: GetOpportunity's answer does not carry them.
    bodies: list[bytes] = []
    alpha.client.meta.events.register("after-call.partnercentral-selling.GetOpportunity",
                                      lambda http_response, **_: bodies.append(http_response.content))
    try:
        alpha.client.get_opportunity(Catalog=SANDBOX, Identifier=opportunity_id)
    finally:
        alpha.client.meta.events.unregister("after-call.partnercentral-selling.GetOpportunity")
    assert bodies and b"AwsSummaryEdits" not in bodies[0] and b"Proposal review with AWS" not in bodies[0]


def test_aws_summary_refusals(engagement):
    live, partners, _engagement_id, opportunity_id = engagement
    alpha, beta = partners["alpha"], partners["beta"]

    # Before submission AWS has no summary of an opportunity, as GetAwsOpportunitySummary says.
    draft = alpha.client.create_opportunity(**submittable())["Id"]
    unsubmitted = cosell("aws", "summary", draft, "--account-id", alpha.account_id, "--endpoint-url", live.url,
                         "--json", json.dumps(EDIT))
    assert unsubmitted.returncode == 1
    assert "ResourceNotFoundException" in unsubmitted.stderr and "not been submitted" in unsubmitted.stderr
    with pytest.raises(alpha.client.exceptions.ResourceNotFoundException):
        alpha.client.get_aws_opportunity_summary(Catalog=SANDBOX, RelatedOpportunityIdentifier=draft)
    # Another account's opportunity is not found for it.
    status, answer = _post_summary(live, {"AccountId": beta.account_id, "Catalog": SANDBOX,
                                          "OpportunityIdentifier": opportunity_id, "Summary": EDIT})
    assert status == 400 and answer["__type"].endswith("ResourceNotFoundException")

    # Members AWS does not own are refused, each named.
    status, answer = _post_summary(live, {"AccountId": alpha.account_id, "Catalog": SANDBOX,
                                          "OpportunityIdentifier": opportunity_id,
                                          "Summary": {"RelatedEntityIds": {"Solutions": ["S-0000001"]},
                                                      "Origin": "AWS Referral", "LifeCycle": {"Stage": "Qualified"}}})
    assert status == 400 and answer["__type"].endswith("ValidationException")
    assert sorted(e["FieldName"] for e in answer["ErrorList"]) == ["origin", "relatedEntityIds"]
    refused = cosell("aws", "summary", opportunity_id, "--account-id", alpha.account_id, "--endpoint-url", live.url,
                     "--json", json.dumps({"RelatedOpportunityId": "O1234567"}))
    assert refused.returncode == 1
    assert "ValidationException" in refused.stderr and "relatedOpportunityId" in refused.stderr
    # The model's shape is checked: a stage AWS does not have, and a summary that changes nothing.
    status, answer = _post_summary(live, {"AccountId": alpha.account_id, "OpportunityIdentifier": opportunity_id,
                                          "Summary": {"LifeCycle": {"Stage": "Almost there"}}})
    assert status == 400 and [e["FieldName"] for e in answer["ErrorList"]] == ["lifeCycle.stage"]
    status, answer = _post_summary(live, {"AccountId": alpha.account_id, "OpportunityIdentifier": opportunity_id,
                                          "Summary": {"NotAMember": 1}})
    assert status == 400 and answer["__type"].endswith("ValidationException")
    status, answer = _post_summary(live, {"AccountId": alpha.account_id, "OpportunityIdentifier": opportunity_id})
    assert status == 400 and [e["FieldName"] for e in answer["ErrorList"]] == ["Summary"]
    # Nothing refused changed AWS's summary.
    shown = alpha.client.get_aws_opportunity_summary(Catalog=SANDBOX, RelatedOpportunityIdentifier=opportunity_id)
    assert shown["Origin"] == "Partner Referral" and shown["LifeCycle"]["Stage"] != "Almost there"


def test_snapshot_of_a_new_opportunity_gives_a_lead_its_customer_project(tmp_path):
    """DG-lead's alternative to StartOpportunityFromEngagementTask: CreateOpportunity + CreateResourceSnapshot
    "automatically adds a CustomerProject context"; the opportunity is then submitted on the lead's engagement."""
    live, partners = start_partners(tmp_path / "data", {"alpha": ("Alpha Partner", None)})
    alpha = partners["alpha"]
    try:
        lead = aws_leads(live, alpha)
        alpha.client.accept_engagement_invitation(Catalog=SANDBOX, Identifier=lead["InvitationId"])
        request = submittable()
        request["Project"] = {**request["Project"], "Title": "Storefront modernisation",
                              "OtherSolutionDescription": "Managed storefront built by the partner"}
        opportunity_id = alpha.client.create_opportunity(**request)["Id"]
        after = cursor(live)

        made = alpha.client.create_resource_snapshot(
            Catalog=SANDBOX, EngagementIdentifier=lead["EngagementId"], ResourceType="Opportunity",
            ResourceIdentifier=opportunity_id, ResourceSnapshotTemplateIdentifier=SUMMARY, ClientToken=str(uuid.uuid4()))
        assert made["Revision"] == 1
        engagement = alpha.client.get_engagement(Catalog=SANDBOX, Identifier=lead["EngagementId"])
        assert [(c["Id"], c["Type"]) for c in engagement["Contexts"]] == [("1", "Lead"), ("2", "CustomerProject")]
        project = engagement["Contexts"][1]["Payload"]["CustomerProject"]
        assert project["Project"]["Title"] == "Storefront modernisation"
        assert project["Project"]["BusinessProblem"] == request["Project"]["CustomerBusinessProblem"]
        assert project["Customer"]["CompanyName"] == request["Customer"]["Account"]["CompanyName"]
        assert engagement["ModifiedBy"] == alpha.account_id
        associations = alpha.client.list_engagement_resource_associations(
            Catalog=SANDBOX, ResourceIdentifier=opportunity_id)["EngagementResourceAssociationSummaries"]
        assert [a["EngagementId"] for a in associations] == [lead["EngagementId"]]
        assert kinds(events_after(live, after, expect=2)) == [
            (alpha.account_id, "Engagement Resource Snapshot Created"), (alpha.account_id, "Engagement Updated")]

        # Once there, it is not added again; the lead cannot be converted a second time.
        alpha.client.create_resource_snapshot(
            Catalog=SANDBOX, EngagementIdentifier=lead["EngagementId"], ResourceType="Opportunity",
            ResourceIdentifier=opportunity_id, ResourceSnapshotTemplateIdentifier=SUMMARY, ClientToken=str(uuid.uuid4()))
        contexts = alpha.client.get_engagement(Catalog=SANDBOX, Identifier=lead["EngagementId"])["Contexts"]
        assert [c["Type"] for c in contexts] == ["Lead", "CustomerProject"]
        task = alpha.client.start_opportunity_from_engagement_task(Catalog=SANDBOX, Identifier=lead["EngagementId"],
                                                                   ContextIdentifier="1")
        assert task["TaskStatus"] == "FAILED" and task["ReasonCode"] == "OpportunityConflict"

        # "The engagement must have a CustomerProject context before submission": it has, so submission works.
        submission = alpha.client.start_engagement_from_opportunity_task(
            Catalog=SANDBOX, Identifier=opportunity_id, AwsSubmission={"InvolvementType": "Co-Sell"})
        assert submission["TaskStatus"] == "COMPLETE", submission.get("Message")
        assert submission["EngagementId"] == lead["EngagementId"]
    finally:
        live.stop()
