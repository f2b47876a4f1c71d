"""`cosell seed` and `cosell trigger`: realistic data and events built through the real operations, as a
partner's test suite starts from them."""

from __future__ import annotations

import pytest

from event_log import cursor, events_after
from partners import SANDBOX, cosell, cosell_json, start_partners

pytestmark = pytest.mark.backend

DETAIL_TYPES = ("Opportunity Created", "Opportunity Updated", "Engagement Created", "Engagement Updated",
                "Engagement Invitation Created", "Engagement Invitation Accepted", "Engagement Member Added",
                "Engagement Invitation Rejected", "Engagement Invitation Expired",
                "Engagement Resource Snapshot Created")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live, partners = start_partners(tmp_path_factory.mktemp("seeds") / "data", {"alpha": ("Alpha Partner", None)})
    yield live, partners["alpha"]
    live.stop()


def _seed(live, alpha, scenario: str, count: int, seed: int = 0) -> dict:
    cosell_json("reset", "--endpoint-url", live.url)
    return cosell_json("seed", "--scenario", scenario, "--count", str(count), "--seed", str(seed),
                       "--account-id", alpha.account_id, "--endpoint-url", live.url)


def _review_statuses(alpha) -> list[str]:
    return sorted(summary["LifeCycle"]["ReviewStatus"] for summary in
                  alpha.client.list_opportunities(Catalog=SANDBOX)["OpportunitySummaries"])


def test_pipeline(server):
    live, alpha = server
    made = _seed(live, alpha, "pipeline", 6)
    assert len(made["OpportunityIds"]) == 6
    assert _review_statuses(alpha) == ["Approved", "Approved", "Pending Submission", "Pending Submission",
                                       "Submitted", "Submitted"]


def test_aws_referrals_and_leads(server):
    live, alpha = server
    made = _seed(live, alpha, "aws-referral", 4)
    assert len(made["InvitationIds"]) == 4 and len(made["OpportunityIds"]) == 2
    statuses = sorted(summary["Status"] for summary in alpha.client.list_engagement_invitations(
        Catalog=SANDBOX, ParticipantType="RECEIVER")["EngagementInvitationSummaries"])
    assert statuses == ["ACCEPTED", "ACCEPTED", "PENDING", "PENDING"]
    assert _review_statuses(alpha) == ["Approved", "Approved"]

    made = _seed(live, alpha, "lead", 4)
    assert len(made["EngagementIds"]) == 4
    joined = alpha.client.list_engagements(Catalog=SANDBOX)["EngagementSummaryList"]
    assert len(joined) == 2 and {engagement["ContextTypes"][0] for engagement in joined} == {"Lead"}


def test_multi_partner(server):
    live, alpha = server
    made = _seed(live, alpha, "multi-partner", 2)
    partner = made["PartnerAccountId"]
    sent = alpha.client.list_engagement_invitations(Catalog=SANDBOX, ParticipantType="SENDER")[
        "EngagementInvitationSummaries"]
    to_partner = sorted(summary["Status"] for summary in sent
                        if summary["Receiver"]["Account"]["AwsAccountId"] == partner)
    assert to_partner == ["ACCEPTED", "PENDING"]
    members = alpha.client.list_engagement_members(Catalog=SANDBOX, Identifier=made["EngagementIds"][0])
    assert partner in [member["AccountId"] for member in members["EngagementMemberList"]]


def _content(alpha) -> list[tuple]:
    found = []
    for summary in alpha.client.list_opportunities(Catalog=SANDBOX)["OpportunitySummaries"]:
        opportunity = alpha.client.get_opportunity(Catalog=SANDBOX, Identifier=summary["Id"])
        found.append((opportunity["Customer"]["Account"]["CompanyName"], opportunity["Project"]["Title"],
                      opportunity["Project"]["ExpectedCustomerSpend"][0]["Amount"], opportunity["LifeCycle"]["NextSteps"]))
    return sorted(found)


def test_the_same_seed_makes_the_same_data_in_batches_or_not(server):
    live, alpha = server
    _seed(live, alpha, "pipeline", 30, seed=5)
    batched = _content(alpha)
    # 30 is two batches (a progress line each); 26 of them in one call and 4 more make the same.
    result = cosell("seed", "--scenario", "pipeline", "--count", "30", "--seed", "5", "--account-id", alpha.account_id,
                    "--endpoint-url", live.url)
    assert "seeded 25/30" in result.stderr and "seeded 30/30" in result.stderr
    _seed(live, alpha, "pipeline", 30, seed=5)
    assert _content(alpha) == batched
    _seed(live, alpha, "pipeline", 30, seed=6)
    assert _content(alpha) != batched


@pytest.mark.parametrize("detail_type", DETAIL_TYPES)
def test_a_trigger_makes_the_records_behind_its_event(server, detail_type):
    live, alpha = server
    after = cursor(live)
    made = cosell_json("trigger", detail_type, "--account-id", alpha.account_id, "--endpoint-url", live.url)
    assert made["DetailType"] == detail_type
    published = [event["detail-type"] for event in events_after(live, after, alpha.account_id)]
    assert detail_type in published
    # The records are real: what the event names can be read back.
    if "OpportunityId" in made:
        alpha.client.get_opportunity(Catalog=SANDBOX, Identifier=made["OpportunityId"])
    if "InvitationId" in made:
        invitation = alpha.client.get_engagement_invitation(Catalog=SANDBOX, Identifier=made["InvitationId"])
        expected = {"Engagement Invitation Accepted": "ACCEPTED", "Engagement Member Added": "ACCEPTED",
                    "Engagement Invitation Rejected": "REJECTED", "Engagement Invitation Expired": "EXPIRED"}
        assert invitation["Status"] == expected.get(detail_type, "PENDING")


def test_an_unknown_detail_type_is_refused(server):
    live, alpha = server
    refused = cosell("trigger", "Opportunity Deleted", "--endpoint-url", live.url)
    assert refused.returncode == 1 and "cosell emits no 'Opportunity Deleted'" in refused.stderr
