"""AWS leads (DG-lead; engagements.md §0.9): AWS's engagement with a Lead context and a LeadInvitation
that hides the customer's contacts until the partner accepts it with AcceptEngagementInvitation; the
partner qualifies the lead (UpdateEngagementContext, optimistic lock), turns it into an opportunity
(StartOpportunityFromEngagementTask), completes it and submits it on the lead's engagement."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from lifecycle_steps import SANDBOX_TEST_SOLUTION
from opportunity_requests import update_from
from partners import SANDBOX, aws_leads, cosell, received, start_partners

# Engagements, invitations and tasks are joined, filtered on JSON members and on the clock: SQLite and
# PostgreSQL each answer them (CI runs this module on both).
pytestmark = pytest.mark.backend

LEAD = {
    "QualificationStatus": "Unqualified",
    "Customer": {"CompanyName": "Lakeside Bikes", "Industry": "Consumer Goods", "WebsiteUrl": "https://lakeside.example",
                 "AwsMaturity": "Evaluating", "MarketSegment": "Small",
                 "Address": {"City": "Portland", "StateOrRegion": "Oregon", "PostalCode": "97201", "CountryCode": "US"}},
    "Interactions": [{"SourceType": "Webinar", "SourceId": "web-42", "SourceName": "Modernise your storefront",
                      "Usecase": "E-commerce", "CustomerAction": "Asked for a call",
                      "BusinessProblem": "The storefront cannot scale for seasonal demand and checkout times out.",
                      "Contact": {"BusinessTitle": "CTO", "Email": "cto@lakeside.example", "FirstName": "Jo",
                                  "LastName": "Rivers", "Phone": "+15035550100"}}],
}


@pytest.fixture(scope="module")
def partners(tmp_path_factory):
    live, partners = start_partners(tmp_path_factory.mktemp("leads") / "data",
                                    {"alpha": ("Alpha Partner", "https://alpha.example"), "beta": ("Beta Partner", None)})
    yield live, partners
    live.stop()


def test_lead_accepted_qualified_converted_and_submitted(partners, tmp_path):
    live, partners = partners
    alpha = partners["alpha"]
    (tmp_path / "lead.json").write_text(json.dumps(LEAD))
    lead = aws_leads(live, alpha, "--from-file", str(tmp_path / "lead.json"))

    [summary] = received(alpha, PayloadType=["LeadInvitation"], EngagementIdentifier=[lead["EngagementId"]])
    assert summary["Status"] == "PENDING" and summary["SenderAwsAccountId"] == "aws"
    invitation = alpha.client.get_engagement_invitation(Catalog=SANDBOX, Identifier=lead["InvitationId"])
    # "Customer contact information (name, email, phone number) is not visible at the invitation stage"
    assert invitation["Payload"] == {"LeadInvitation": {
        "Customer": {"CompanyName": "Lakeside Bikes", "Industry": "Consumer Goods", "WebsiteUrl": "https://lakeside.example",
                     "AwsMaturity": "Evaluating", "MarketSegment": "Small", "CountryCode": "US"},
        "Interaction": {"SourceType": "Webinar", "SourceId": "web-42", "SourceName": "Modernise your storefront",
                        "Usecase": "E-commerce", "ContactBusinessTitle": "CTO"}}}
    with pytest.raises(alpha.client.exceptions.ResourceNotFoundException):
        alpha.client.get_engagement(Catalog=SANDBOX, Identifier=lead["EngagementId"])

    # A lead is accepted with AcceptEngagementInvitation; the opportunity task refuses it, changing nothing.
    task = alpha.client.start_engagement_by_accepting_invitation_task(Catalog=SANDBOX, Identifier=lead["InvitationId"])
    assert task["TaskStatus"] == "FAILED" and task["ReasonCode"] == "InvitationValidationFailed"
    assert "AcceptEngagementInvitation" in task["Message"] and task.get("OpportunityId") is None
    alpha.client.accept_engagement_invitation(Catalog=SANDBOX, Identifier=lead["InvitationId"])

    engagement = alpha.client.get_engagement(Catalog=SANDBOX, Identifier=lead["EngagementId"])
    assert engagement["CreatedBy"] == "aws" and engagement["MemberCount"] == 2
    assert engagement["ModifiedBy"] == alpha.account_id
    [context] = engagement["Contexts"]
    assert context["Id"] == "1" and context["Type"] == "Lead"
    contact = context["Payload"]["Lead"]["Interactions"][0]["Contact"]
    assert contact == LEAD["Interactions"][0]["Contact"]  # visible now
    assert context["Payload"]["Lead"]["Interactions"][0]["InteractionDate"] is not None  # filled by the service
    leads = alpha.client.list_engagements(Catalog=SANDBOX, ContextTypes=["Lead"])["EngagementSummaryList"]
    assert lead["EngagementId"] in [summary["Id"] for summary in leads]

    # Qualify it: the update needs the engagement's exact ModifiedAt.
    customer = context["Payload"]["Lead"]["Customer"]
    update = {"Catalog": SANDBOX, "EngagementIdentifier": lead["EngagementId"], "ContextIdentifier": "1", "Type": "Lead",
              "Payload": {"Lead": {"QualificationStatus": "Qualified", "Customer": customer,
                                   "Interaction": {"SourceType": "Call", "SourceId": "call-1", "SourceName": "Discovery",
                                                   "CustomerAction": "Agreed to a workshop",
                                                   "BusinessProblem": "Checkout fails at peak; needs an elastic storefront.",
                                                   "Contact": contact}}}}
    stale = engagement["ModifiedAt"] - dt.timedelta(milliseconds=1)
    with pytest.raises(alpha.client.exceptions.ConflictException, match="EngagementLastModifiedAt"):
        alpha.client.update_engagement_context(**update, EngagementLastModifiedAt=stale)
    updated = alpha.client.update_engagement_context(**update, EngagementLastModifiedAt=engagement["ModifiedAt"])
    assert updated["ContextId"] == "1" and updated["EngagementLastModifiedAt"] > engagement["ModifiedAt"]
    with pytest.raises(alpha.client.exceptions.ConflictException):  # the same timestamp again is stale now
        alpha.client.update_engagement_context(**update, EngagementLastModifiedAt=engagement["ModifiedAt"])
    lead_now = alpha.client.get_engagement(Catalog=SANDBOX, Identifier=lead["EngagementId"])["Contexts"][0]["Payload"]["Lead"]
    assert lead_now["QualificationStatus"] == "Qualified"
    assert [i["SourceId"] for i in lead_now["Interactions"]] == ["web-42", "call-1"]  # interactions accumulate

    # Convert it: a draft opportunity, and a CustomerProject context beside the lead.
    task = alpha.client.start_opportunity_from_engagement_task(Catalog=SANDBOX, Identifier=lead["EngagementId"],
                                                               ContextIdentifier="1")
    assert task["TaskStatus"] == "COMPLETE" and task["ContextId"] == "2" and task["EngagementId"] == lead["EngagementId"]
    assert task["TaskArn"].endswith(f"::catalog/Sandbox/opportunity-from-engagement-task/{task['TaskId']}")
    draft = alpha.client.get_opportunity(Catalog=SANDBOX, Identifier=task["OpportunityId"])
    assert draft["Project"]["Title"] == "Converted from Lead"
    assert draft["Project"]["CustomerBusinessProblem"] == "Checkout fails at peak; needs an elastic storefront."
    assert draft["Customer"]["Account"] == {"CompanyName": "Lakeside Bikes", "Industry": "Consumer Goods",
                                            "WebsiteUrl": "https://lakeside.example", "Address": {"CountryCode": "US"}}
    assert draft["LifeCycle"]["ReviewStatus"] == "Pending Submission"
    assert dt.date.fromisoformat(draft["LifeCycle"]["TargetCloseDate"]) == draft["CreatedDate"].date() + dt.timedelta(days=90)
    tasks = alpha.client.list_opportunity_from_engagement_tasks(Catalog=SANDBOX, EngagementIdentifier=[lead["EngagementId"]])
    assert [t["TaskId"] for t in tasks["TaskSummaries"]] == [task["TaskId"]]
    again = alpha.client.start_opportunity_from_engagement_task(Catalog=SANDBOX, Identifier=lead["EngagementId"],
                                                                ContextIdentifier="1")
    assert again["TaskStatus"] == "FAILED" and again["ReasonCode"] == "OpportunityConflict"

    # Complete the draft and submit it: the lead's engagement is reused.
    request = update_from(draft, PrimaryNeedsFromAws=["Co-Sell - Technical Consultation"])
    request["Customer"]["Account"]["Address"] = {"CountryCode": "US", "City": "Portland", "StateOrRegion": "Oregon",
                                                 "PostalCode": "97201"}
    request["Project"].update(CustomerUseCase="Migration/Database Migration", DeliveryModels=["Professional Services"],
                              SalesActivities=["Initialized discussions with customer"],
                              ExpectedCustomerSpend=[{"Amount": "3000", "CurrencyCode": "USD", "Frequency": "Monthly",
                                                      "TargetCompany": "AWS"}])
    alpha.client.update_opportunity(**request)
    alpha.client.associate_opportunity(Catalog=SANDBOX, OpportunityIdentifier=draft["Id"], RelatedEntityType="Solutions",
                                       RelatedEntityIdentifier=SANDBOX_TEST_SOLUTION)
    submission = alpha.client.start_engagement_from_opportunity_task(Catalog=SANDBOX, Identifier=draft["Id"],
                                                                     AwsSubmission={"InvolvementType": "Co-Sell"})
    assert submission["TaskStatus"] == "COMPLETE" and submission["EngagementId"] == lead["EngagementId"]
    associations = alpha.client.list_engagement_resource_associations(
        Catalog=SANDBOX, ResourceIdentifier=draft["Id"])["EngagementResourceAssociationSummaries"]
    assert [a["EngagementId"] for a in associations] == [lead["EngagementId"]]
    assert alpha.client.get_opportunity(Catalog=SANDBOX, Identifier=draft["Id"])["LifeCycle"]["ReviewStatus"] == "Submitted"


def test_lead_refusals(partners):
    live, partners = partners
    alpha, beta = partners["alpha"], partners["beta"]
    lead = aws_leads(live, beta)  # the default lead: realistic, Unqualified
    beta.client.accept_engagement_invitation(Catalog=SANDBOX, Identifier=lead["InvitationId"])
    with pytest.raises(beta.client.exceptions.ConflictException, match="already been accepted"):
        beta.client.accept_engagement_invitation(Catalog=SANDBOX, Identifier=lead["InvitationId"])
    # Another partner: not a member, the engagement does not exist for it.
    with pytest.raises(alpha.client.exceptions.ResourceNotFoundException):
        alpha.client.get_engagement(Catalog=SANDBOX, Identifier=lead["EngagementId"])
    with pytest.raises(alpha.client.exceptions.ResourceNotFoundException):
        alpha.client.list_engagement_members(Catalog=SANDBOX, Identifier=lead["EngagementId"])
    with pytest.raises(alpha.client.exceptions.ResourceNotFoundException):
        alpha.client.start_opportunity_from_engagement_task(Catalog=SANDBOX, Identifier=lead["EngagementId"],
                                                            ContextIdentifier="1")

    engagement = beta.client.get_engagement(Catalog=SANDBOX, Identifier=lead["EngagementId"])
    unknown = beta.client.start_opportunity_from_engagement_task(Catalog=SANDBOX, Identifier=lead["EngagementId"],
                                                                 ContextIdentifier="7")
    assert unknown["TaskStatus"] == "FAILED" and unknown["ReasonCode"] == "ContextNotFound"
    with pytest.raises(beta.client.exceptions.ResourceNotFoundException, match="no context 7"):
        beta.client.update_engagement_context(
            Catalog=SANDBOX, EngagementIdentifier=lead["EngagementId"], ContextIdentifier="7", Type="Lead",
            EngagementLastModifiedAt=engagement["ModifiedAt"],
            Payload={"Lead": {"Customer": engagement["Contexts"][0]["Payload"]["Lead"]["Customer"]}})
    customer = engagement["Contexts"][0]["Payload"]["Lead"]["Customer"]
    beta.client.update_engagement_context(
        Catalog=SANDBOX, EngagementIdentifier=lead["EngagementId"], ContextIdentifier="1", Type="Lead",
        EngagementLastModifiedAt=engagement["ModifiedAt"],
        Payload={"Lead": {"QualificationStatus": "Disqualified", "Customer": customer}})
    disqualified = beta.client.start_opportunity_from_engagement_task(Catalog=SANDBOX, Identifier=lead["EngagementId"],
                                                                      ContextIdentifier="1")
    assert disqualified["TaskStatus"] == "FAILED" and disqualified["ReasonCode"] == "DisqualifiedLeadNotPermitted"
    failed = beta.client.list_opportunity_from_engagement_tasks(Catalog=SANDBOX, TaskStatus=["FAILED"],
                                                                EngagementIdentifier=[lead["EngagementId"]])
    assert {t["ReasonCode"] for t in failed["TaskSummaries"]} == {"ContextNotFound", "DisqualifiedLeadNotPermitted"}
    assert [c["Type"] for c in beta.client.get_engagement(Catalog=SANDBOX, Identifier=lead["EngagementId"])["Contexts"]] \
        == ["Lead"]


def test_lead_command_refuses_a_bad_lead(partners, tmp_path):
    live, partners = partners
    (tmp_path / "lead.json").write_text(json.dumps({"Customer": {"CompanyName": "No Interactions Ltd"}}))
    result = cosell("aws", "lead", "--account-id", partners["alpha"].account_id, "--endpoint-url", live.url,
                    "--from-file", str(tmp_path / "lead.json"))
    assert result.returncode == 1
    assert "ValidationException" in result.stderr and "interactions" in result.stderr.lower()
