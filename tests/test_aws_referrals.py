"""AWS referrals: the Sandbox's `Origin: "AWS Referral"` CreateOpportunity and `cosell aws refer` make
AWS's OpportunityInvitation, which the partner accepts with StartEngagementByAcceptingInvitationTask or
rejects with RejectEngagementInvitation (engagements.md §0.7, §1.9-1.13)."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from conftest import database_url
from cosell.control import aws
from cosell.control.aws_payloads import CUSTOMER_COUNT, default_lead, default_referral
from cosell.store import Store
from cosell.timestamps import utc_now
from opportunity_requests import full, minimal
from partners import SANDBOX, aws_leads, aws_refers, cosell, received, start_partners, wait_for_invitation

# Engagements, invitations and tasks are joined, filtered on JSON members and on the clock: SQLite and
# PostgreSQL each answer them (CI runs this module on both).
pytestmark = pytest.mark.backend

AWS_MESSAGE = ("This invite is for an AWS originated referral. Accepting this invitation will create an AWS "
               "originated opportunity in your pipeline.")


@pytest.fixture(scope="module")
def partners(tmp_path_factory):
    live, partners = start_partners(tmp_path_factory.mktemp("referrals") / "data",
                                    {"alpha": ("Alpha Partner", "https://alpha.example"),
                                     "beta": ("Beta Partner", None)})
    yield live, partners
    live.stop()


def test_sandbox_referral_accepted(partners):
    live, partners = partners
    alpha = partners["alpha"]
    request = full(related_opportunity_id=alpha.client.create_opportunity(**minimal())["Id"])
    request["Origin"] = "AWS Referral"
    request["Project"]["Title"] = f"Referral {uuid.uuid4().hex[:8]}"
    created = alpha.client.create_opportunity(**request)

    # AWS's opportunity until accepted: the partner cannot read it, only its invitation.
    with pytest.raises(alpha.client.exceptions.ResourceNotFoundException):
        alpha.client.get_opportunity(Catalog=SANDBOX, Identifier=created["Id"])
    summary = wait_for_invitation(alpha, request["Project"]["Title"])
    assert summary["Status"] == "PENDING" and summary["ParticipantType"] == "RECEIVER"
    assert summary["SenderAwsAccountId"] == "aws" and summary["SenderCompanyName"] == "AWS"
    assert summary["ExpirationDate"] - summary["InvitationDate"] == dt.timedelta(days=15)

    invitation = alpha.client.get_engagement_invitation(Catalog=SANDBOX, Identifier=summary["Arn"])
    assert invitation["Id"].startswith("engi-") and len(invitation["Id"]) == 18
    assert invitation["Arn"] == f"arn:aws:partnercentral:us-east-1::catalog/Sandbox/engagement-invitation/{invitation['Id']}"
    assert invitation["PayloadType"] == "OpportunityInvitation"
    assert invitation["InvitationMessage"] == AWS_MESSAGE
    assert invitation["ExistingMembers"] == [{"CompanyName": "AWS", "WebsiteUrl": "www.aws.com"}]
    assert invitation["Receiver"] == {"Account": {"Alias": "Alpha Partner", "AwsAccountId": alpha.account_id}}
    payload = invitation["Payload"]["OpportunityInvitation"]
    assert payload["ReceiverResponsibilities"] == ["Services Partner", "Software Partner"]
    assert payload["SenderContacts"][0]["BusinessTitle"] == "PDM"
    account = request["Customer"]["Account"]
    assert payload["Customer"] == {"Industry": account["Industry"], "CompanyName": account["CompanyName"],
                                   "WebsiteUrl": account["WebsiteUrl"], "CountryCode": "US"}
    assert payload["Project"]["Title"] == request["Project"]["Title"]
    # What the invitation leaves out (DG-aws): street, city, postal code, contacts.
    shown = json.dumps(payload)
    assert request["Customer"]["Contacts"][0]["Email"] not in shown and "98109" not in shown

    token = str(uuid.uuid4())
    task = alpha.client.start_engagement_by_accepting_invitation_task(Catalog=SANDBOX, Identifier=invitation["Id"],
                                                                      ClientToken=token, Tags=[{"Key": "crm", "Value": "1"}])
    assert task["TaskStatus"] == "COMPLETE" and task["EngagementInvitationId"] == invitation["Id"]
    assert task["TaskArn"] == (f"arn:aws:partnercentral:us-east-1::catalog/Sandbox/engagement-by-accepting-invitation-task/"
                               f"{task['TaskId']}")
    assert task["ResourceSnapshotJobId"].startswith("job-") and task.get("ReasonCode") is None

    # The referred opportunity is now the partner's, whole, Approved, with the simulated create's date.
    opportunity = alpha.client.get_opportunity(Catalog=SANDBOX, Identifier=task["OpportunityId"])
    assert task["OpportunityId"] == created["Id"]
    assert opportunity["LifeCycle"]["ReviewStatus"] == "Approved"
    assert opportunity["Customer"]["Contacts"] == request["Customer"]["Contacts"]
    assert opportunity["CreatedDate"] == created["LastModifiedDate"]
    assert f":{alpha.account_id}:catalog/Sandbox/opportunity/" in opportunity["Arn"]
    tags = alpha.client.list_tags_for_resource(ResourceArn=opportunity["Arn"])["Tags"]
    assert sorted(tags, key=lambda tag: tag["Key"]) == [{"Key": "crm", "Value": "1"}, *request["Tags"]]

    engagement = alpha.client.get_engagement(Catalog=SANDBOX, Identifier=invitation["EngagementId"])
    assert engagement["CreatedBy"] == "aws" and engagement["MemberCount"] == 2
    assert engagement["ModifiedBy"] == alpha.account_id
    members = alpha.client.list_engagement_members(Catalog=SANDBOX, Identifier=engagement["Id"])["EngagementMemberList"]
    assert members == [{"CompanyName": "AWS", "WebsiteUrl": "www.aws.com", "AccountId": "aws"},
                       {"CompanyName": "Alpha Partner", "WebsiteUrl": "https://alpha.example",
                        "AccountId": alpha.account_id}]
    assert alpha.client.get_engagement_invitation(Catalog=SANDBOX, Identifier=invitation["Id"])["Status"] == "ACCEPTED"

    # The same request again gives the same task; another one is refused and changes nothing.
    again = alpha.client.start_engagement_by_accepting_invitation_task(Catalog=SANDBOX, Identifier=invitation["Id"],
                                                                       ClientToken=token, Tags=[{"Key": "crm", "Value": "1"}])
    assert again["TaskId"] == task["TaskId"]
    with pytest.raises(alpha.client.exceptions.ConflictException, match="already been accepted"):
        alpha.client.start_engagement_by_accepting_invitation_task(Catalog=SANDBOX, Identifier=invitation["Id"])
    tasks = alpha.client.list_engagement_by_accepting_invitation_tasks(
        Catalog=SANDBOX, EngagementInvitationIdentifier=[invitation["Arn"]])["TaskSummaries"]
    assert [t["TaskId"] for t in tasks] == [task["TaskId"]]
    associations = alpha.client.list_engagement_resource_associations(
        Catalog=SANDBOX, EngagementIdentifier=engagement["Id"])["EngagementResourceAssociationSummaries"]
    assert associations == [{"Catalog": "Sandbox", "EngagementId": engagement["Id"], "ResourceType": "Opportunity",
                             "ResourceId": created["Id"], "CreatedBy": alpha.account_id}]


def test_referral_rejected(partners):
    live, partners = partners
    beta, alpha = partners["beta"], partners["alpha"]
    referral = aws_refers(live, beta)
    invitation = beta.client.get_engagement_invitation(Catalog=SANDBOX, Identifier=referral["InvitationId"])
    assert invitation["Status"] == "PENDING" and invitation["Payload"]["OpportunityInvitation"]["Project"]["Title"]

    # Another partner does not see it at all.
    with pytest.raises(alpha.client.exceptions.ResourceNotFoundException):
        alpha.client.reject_engagement_invitation(Catalog=SANDBOX, Identifier=referral["InvitationId"])

    beta.client.reject_engagement_invitation(Catalog=SANDBOX, Identifier=referral["InvitationId"],
                                             RejectionReason="Customer problem unclear")
    rejected = beta.client.get_engagement_invitation(Catalog=SANDBOX, Identifier=referral["InvitationId"])
    assert rejected["Status"] == "REJECTED" and rejected["RejectionReason"] == "Customer problem unclear"
    assert "Payload" not in rejected  # "all related data will become inaccessible"
    with pytest.raises(beta.client.exceptions.ResourceNotFoundException):
        beta.client.get_engagement(Catalog=SANDBOX, Identifier=referral["EngagementId"])
    with pytest.raises(beta.client.exceptions.ResourceNotFoundException):
        beta.client.get_opportunity(Catalog=SANDBOX, Identifier=referral["OpportunityId"])
    for act in (lambda: beta.client.accept_engagement_invitation(Catalog=SANDBOX, Identifier=referral["InvitationId"]),
                lambda: beta.client.start_engagement_by_accepting_invitation_task(Catalog=SANDBOX,
                                                                                  Identifier=referral["InvitationId"]),
                lambda: beta.client.reject_engagement_invitation(Catalog=SANDBOX, Identifier=referral["InvitationId"])):
        with pytest.raises(beta.client.exceptions.ConflictException, match="has been rejected"):
            act()
    assert [s["Status"] for s in received(beta, EngagementIdentifier=[referral["EngagementId"]])] == ["REJECTED"]


def test_referral_from_a_file_and_in_the_aws_catalog(partners, tmp_path):
    live, partners = partners
    alpha = partners["alpha"]
    body = minimal()
    body.pop("Catalog"), body.pop("ClientToken")
    body["Project"] = {"Title": "Referral from a file", "CustomerBusinessProblem": "A problem long enough to refer."}
    (tmp_path / "referral.json").write_text(json.dumps(body))
    referral = aws_refers(live, alpha, "--catalog", "AWS", "--from-file", str(tmp_path / "referral.json"))
    invitation = alpha.client.get_engagement_invitation(Catalog="AWS", Identifier=referral["InvitationId"])
    assert invitation["Catalog"] == "AWS" and invitation["EngagementTitle"] == "Referral from a file"
    with pytest.raises(alpha.client.exceptions.ResourceNotFoundException):  # another catalog's
        alpha.client.get_engagement_invitation(Catalog=SANDBOX, Identifier=referral["InvitationId"])

    # A body CreateOpportunity would refuse is refused with its ValidationException, naming the field.
    body["Customer"]["Account"]["Address"]["PostalCode"] = "ABC"
    (tmp_path / "bad.json").write_text(json.dumps(body))
    result = cosell("aws", "refer", "--account-id", alpha.account_id, "--endpoint-url", live.url,
                    "--from-file", str(tmp_path / "bad.json"))
    assert result.returncode == 1
    assert "ValidationException" in result.stderr and "customer.account.address.postalCode" in result.stderr


def test_the_submission_invites_aws_and_the_review_answers(partners):
    """StartEngagementFromOpportunityTask makes the engagement and the invitation to AWS; AWS's review
    (the Sandbox's UpdateOpportunity, or `cosell review`) accepts or rejects it."""
    live, partners = partners
    alpha = partners["alpha"]
    from lifecycle_steps import review_as_aws
    from partners import submitted_opportunity

    approved_id, task = submitted_opportunity(alpha, "Submitted for approval")
    engagement = alpha.client.get_engagement(Catalog=SANDBOX, Identifier=task["EngagementId"])
    assert engagement["Title"] == "Submitted for approval" and engagement["CreatedBy"] == alpha.account_id
    assert engagement["Description"].startswith("The customer's on-premises warehouse")
    assert [context["Type"] for context in engagement["Contexts"]] == ["CustomerProject"]
    sent = alpha.client.get_engagement_invitation(Catalog=SANDBOX, Identifier=task["EngagementInvitationId"])
    assert sent["Status"] == "PENDING" and sent["Receiver"]["Account"]["AwsAccountId"] == "aws"
    assert sent["SenderCompanyName"] == "Alpha Partner"
    review_as_aws(alpha.client, approved_id, "Approved")
    assert alpha.client.get_engagement_invitation(Catalog=SANDBOX, Identifier=sent["Id"])["Status"] == "ACCEPTED"
    members = alpha.client.list_engagement_members(Catalog=SANDBOX, Identifier=engagement["Id"])["EngagementMemberList"]
    assert [member["AccountId"] for member in members] == [alpha.account_id, "aws"]

    rejected_id, task = submitted_opportunity(alpha, "Submitted for rejection")
    result = cosell("review", "reject", rejected_id, "--reason", "Duplicate of Partner Referral",
                    "--account-id", alpha.account_id, "--endpoint-url", live.url)
    assert result.returncode == 0, result.stderr
    sent = alpha.client.get_engagement_invitation(Catalog=SANDBOX, Identifier=task["EngagementInvitationId"])
    assert sent["Status"] == "REJECTED" and sent["RejectionReason"] == "Duplicate of Partner Referral"
    listed = alpha.client.list_engagement_invitations(Catalog=SANDBOX, ParticipantType="SENDER",
                                                      EngagementIdentifier=[task["EngagementId"]])
    assert [(s["Id"], s["Status"], s["ParticipantType"]) for s in listed["EngagementInvitationSummaries"]] == [
        (sent["Id"], "REJECTED", "SENDER")]


@pytest.mark.parametrize("customer", range(CUSTOMER_COUNT))
def test_every_default_referral_and_lead_is_valid(tmp_path, customer):
    """`cosell aws refer|lead` without a file pick one of these at random: each must pass the checks a
    file's payload passes (CreateOpportunity's shape and rules, the Lead context's shape)."""
    store = Store(database_url(tmp_path))
    try:
        now = utc_now()
        referral = aws.create_referral(store, "111122223333", SANDBOX, default_referral(now.date(), customer=customer), now)
        lead = aws.create_lead(store, "111122223333", SANDBOX, default_lead(now, customer=customer), now)
        assert referral["OpportunityId"].startswith("O") and lead["InvitationId"].startswith("engi-")
    finally:
        store.close()


def test_invitation_lists_filter_sort_and_page(partners):
    live, partners = partners
    beta = partners["beta"]
    sent = [aws_refers(live, beta)["InvitationId"] for _ in range(3)]
    lead = aws_leads(live, beta)["InvitationId"]
    newest_first = [lead, *sent[::-1]]

    def listed(**filters):
        return [s["Id"] for s in received(beta, **filters) if s["Id"] in newest_first]

    assert listed() == newest_first
    assert listed(Sort={"SortBy": "InvitationDate", "SortOrder": "ASCENDING"}) == newest_first[::-1]
    assert listed(PayloadType=["LeadInvitation"]) == [lead]
    assert listed(PayloadType=["OpportunityInvitation"], Status=["PENDING"]) == sent[::-1]
    assert listed(SenderAwsAccountId=["aws"]) == newest_first
    assert listed(SenderAwsAccountId=["111122223333"]) == []
    engagement = beta.client.get_engagement_invitation(Catalog=SANDBOX, Identifier=sent[0])["EngagementId"]
    assert listed(EngagementIdentifier=[f"arn:aws:partnercentral:us-east-1::catalog/Sandbox/engagement/{engagement}"]) \
        == [sent[0]]
    assert beta.client.list_engagement_invitations(Catalog=SANDBOX, ParticipantType="SENDER")[
        "EngagementInvitationSummaries"] == []

    pages = list(beta.client.get_paginator("list_engagement_invitations").paginate(
        Catalog=SANDBOX, ParticipantType="RECEIVER", PayloadType=["OpportunityInvitation", "LeadInvitation"],
        EngagementIdentifier=[beta.client.get_engagement_invitation(Catalog=SANDBOX, Identifier=i)["EngagementId"]
                              for i in newest_first],
        PaginationConfig={"PageSize": 3}))
    assert [[s["Id"] for s in page["EngagementInvitationSummaries"]] for page in pages] == [newest_first[:3],
                                                                                          newest_first[3:]]
    # A token belongs to its list: the other participant's list refuses it.
    with pytest.raises(beta.client.exceptions.ValidationException, match="NextToken"):
        beta.client.list_engagement_invitations(Catalog=SANDBOX, ParticipantType="SENDER",
                                                NextToken=beta.client.list_engagement_invitations(
                                                    Catalog=SANDBOX, ParticipantType="RECEIVER", MaxResults=1)["NextToken"])
