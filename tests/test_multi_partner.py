"""Multi-partner deals (DG-mp; engagements.md §0.8): partner A submits its opportunity, invites connected
partner B into the engagement, and B works its own opportunity made from the invitation."""

from __future__ import annotations

import uuid

import pytest

from conftest import database_args
from partners import SANDBOX, cosell, opportunity_invitation, received, start_partners, submitted_opportunity

# Engagements, invitations and tasks are joined, filtered on JSON members and on the clock: SQLite and
# PostgreSQL each answer them (CI runs this module on both).
pytestmark = pytest.mark.backend


@pytest.fixture(scope="module")
def partners(tmp_path_factory):
    data = tmp_path_factory.mktemp("multi") / "data"
    live, partners = start_partners(data, {"alpha": ("Alpha Partner", "https://alpha.example"),
                                           "beta": ("Beta Partner", "https://beta.example"),
                                           "gamma": ("Gamma Partner", None)})
    yield live, partners, data
    live.stop()


def invite(sender, engagement_id: str, receiver, token: str | None = None, payload: dict | None = None) -> dict:
    return sender.client.create_engagement_invitation(
        Catalog=SANDBOX, EngagementIdentifier=engagement_id, ClientToken=token or str(uuid.uuid4()),
        Invitation={"Message": "Join us on this deal", "Receiver": {"Account": {"AwsAccountId": receiver.account_id}},
                    "Payload": payload or opportunity_invitation()})


def test_partner_a_invites_partner_b(partners):
    live, partners, data = partners
    alpha, beta, gamma = partners["alpha"], partners["beta"], partners["gamma"]
    opportunity_id, task = submitted_opportunity(alpha, "Joint analytics deal")
    engagement_id = task["EngagementId"]

    # Partners must be connected first (DG-mp).
    with pytest.raises(alpha.client.exceptions.ValidationException) as refused:
        invite(alpha, engagement_id, beta)
    [entry] = refused.value.response["ErrorList"]
    assert entry["FieldName"] == "invitation.receiver.account.awsAccountId" and "connect" in entry["Message"]
    result = cosell("accounts", "connect", alpha.account_id, beta.account_id, *database_args(data))
    assert result.returncode == 0, result.stderr

    token = str(uuid.uuid4())
    sent = invite(alpha, engagement_id, beta, token)
    assert sent["Id"].startswith("engi-")
    assert invite(alpha, engagement_id, beta, token)["Id"] == sent["Id"]  # the same request: the same invitation
    with pytest.raises(alpha.client.exceptions.ConflictException, match="already invited"):
        invite(alpha, engagement_id, beta)
    with pytest.raises(alpha.client.exceptions.ConflictException, match="Conflicting client token"):
        invite(alpha, engagement_id, beta, token, opportunity_invitation(title="Another title"))

    # Only sender and receiver see the invitation; only the receiver answers it.
    with pytest.raises(gamma.client.exceptions.ResourceNotFoundException):
        gamma.client.get_engagement_invitation(Catalog=SANDBOX, Identifier=sent["Id"])
    with pytest.raises(alpha.client.exceptions.AccessDeniedException):
        alpha.client.accept_engagement_invitation(Catalog=SANDBOX, Identifier=sent["Id"])

    [summary] = received(beta, EngagementIdentifier=[engagement_id])
    assert summary["SenderCompanyName"] == "Alpha Partner" and summary["EngagementTitle"] == "Joint analytics deal"
    invitation = beta.client.get_engagement_invitation(Catalog=SANDBOX, Identifier=sent["Arn"])
    assert invitation["InvitationMessage"] == "Join us on this deal"
    assert invitation["ExistingMembers"] == [{"CompanyName": "Alpha Partner", "WebsiteUrl": "https://alpha.example"}]
    assert invitation["EngagementDescription"].startswith("The customer's on-premises warehouse")

    task = beta.client.start_engagement_by_accepting_invitation_task(Catalog=SANDBOX, Identifier=sent["Id"])
    assert task["TaskStatus"] == "COMPLETE"
    mine = beta.client.get_opportunity(Catalog=SANDBOX, Identifier=task["OpportunityId"])
    assert mine["Id"] != opportunity_id
    assert mine["Project"]["Title"] == "Joint analytics deal"
    assert mine["Project"]["CustomerBusinessProblem"] == "The customer's warehouse cannot keep up with demand."
    assert mine["Project"]["ExpectedCustomerSpend"] == [{"Amount": "10000", "CurrencyCode": "USD", "Frequency": "Monthly",
                                                         "TargetCompany": "AWS"}]
    assert mine["LifeCycle"]["TargetCloseDate"] == "2030-06-30"
    assert mine["LifeCycle"]["ReviewStatus"] == "Approved"  # observed (--invited-review approved, the default)
    assert mine["Customer"]["Account"]["CompanyName"] == "Example Corp"
    # Each partner keeps its own opportunity: A cannot read B's.
    with pytest.raises(alpha.client.exceptions.ResourceNotFoundException):
        alpha.client.get_opportunity(Catalog=SANDBOX, Identifier=mine["Id"])

    members = beta.client.list_engagement_members(Catalog=SANDBOX, Identifier=engagement_id, MaxResults=1)
    assert [m["AccountId"] for m in members["EngagementMemberList"]] == [alpha.account_id]
    rest = beta.client.list_engagement_members(Catalog=SANDBOX, Identifier=engagement_id, MaxResults=1,
                                               NextToken=members["NextToken"])
    assert [m["AccountId"] for m in rest["EngagementMemberList"]] == [beta.account_id] and rest.get("NextToken") is None
    associations = beta.client.list_engagement_resource_associations(
        Catalog=SANDBOX, EngagementIdentifier=engagement_id)["EngagementResourceAssociationSummaries"]
    assert {(a["ResourceId"], a["CreatedBy"]) for a in associations} == {(opportunity_id, alpha.account_id),
                                                                         (mine["Id"], beta.account_id)}
    with pytest.raises(alpha.client.exceptions.ConflictException, match="already a member"):
        invite(alpha, engagement_id, beta)
    # Gamma is in none of it.
    assert gamma.client.list_engagement_resource_associations(Catalog=SANDBOX)["EngagementResourceAssociationSummaries"] == []
    with pytest.raises(gamma.client.exceptions.ResourceNotFoundException):
        invite(gamma, engagement_id, alpha)


def test_invited_review_inherit(tmp_path):
    """`--invited-review inherit`: B's opportunity waits Submitted until A's is Approved (DG-mp)."""
    from lifecycle_steps import review_as_aws
    from partners import start_partners as start
    live, partners = start(tmp_path / "data", {"alpha": ("Alpha", None), "beta": ("Beta", None)},
                           "--invited-review", "inherit")
    try:
        alpha, beta = partners["alpha"], partners["beta"]
        assert cosell("accounts", "connect", alpha.account_id, beta.account_id,
                      *database_args(tmp_path / "data")).returncode == 0
        opportunity_id, task = submitted_opportunity(alpha, "Inherited review")
        sent = invite(alpha, task["EngagementId"], beta)
        accepted = beta.client.start_engagement_by_accepting_invitation_task(Catalog=SANDBOX, Identifier=sent["Id"])
        mine = accepted["OpportunityId"]
        assert beta.client.get_opportunity(Catalog=SANDBOX, Identifier=mine)["LifeCycle"]["ReviewStatus"] == "Submitted"
        review_as_aws(alpha.client, opportunity_id, "Approved")
        assert beta.client.get_opportunity(Catalog=SANDBOX, Identifier=mine)["LifeCycle"]["ReviewStatus"] == "Approved"
    finally:
        live.stop()
