"""Reset (`cosell reset`, POST /_cosell/reset): a fresh Partner Central, keeping accounts and keys unless
asked, or one account's data gone and the others' untouched."""

from __future__ import annotations

import json

import pytest

from conftest import database_args
from opportunity_requests import minimal
from partners import (
    SANDBOX,
    aws_leads,
    cosell,
    cosell_json,
    shared_engagement,
    start_partners,
)

# Deletes across every table, joined for one account: SQLite and PostgreSQL each run it.
pytestmark = pytest.mark.backend


def _opportunities(partner) -> list[str]:
    return [summary["Id"] for summary in partner.client.list_opportunities(Catalog=SANDBOX)["OpportunitySummaries"]]


def test_everything_goes_but_accounts_and_keys(tmp_path):
    data = tmp_path / "data"
    live, partners = start_partners(data, {"alpha": ("Alpha Partner", None), "beta": ("Beta Partner", None)})
    alpha, beta = partners["alpha"], partners["beta"]
    at = ("--endpoint-url", live.url)
    try:
        alpha.client.create_opportunity(**minimal())
        beta.client.create_opportunity(**minimal())
        aws_leads(live, alpha)
        group = cosell_json("aws", "group", "add", "--name", "Custom", "--keyword", "x", *at)
        cosell_json("webhooks", "add", "http://127.0.0.1:9/hook", *at)
        cosell_json("clock", "advance", "3d", *at)
        assert cosell("faults", "set", "--operation", "ListSolutions", "--error", "ThrottlingException",
                      *at).returncode == 0

        answer = cosell_json("reset", *at)
        assert answer["Reset"] == "everything" and answer["AccountsKept"] is True

        # The accounts' keys still sign; everything they had is gone, and the defaults are back.
        assert _opportunities(alpha) == [] and _opportunities(beta) == []
        assert alpha.client.list_engagement_invitations(Catalog=SANDBOX, ParticipantType="RECEIVER")[
            "EngagementInvitationSummaries"] == []
        assert [s["Id"] for s in alpha.client.list_solutions(Catalog=SANDBOX)["SolutionSummaries"]] == ["S-1234567"]
        groups = {g["Id"] for g in alpha.client.list_engagement_groups(Catalog=SANDBOX)["EngagementGroupSummaries"]}
        assert group["Id"] not in groups and "eng-grp-salesreadylead" in groups
        assert cosell_json("clock", "show", *at)["OffsetSeconds"] == pytest.approx(0, abs=1)
        assert cosell_json("webhooks", "list", *at)["Webhooks"] == []
        assert json.loads(cosell("events", "tail", "-n", "5", *at).stdout or "null") is None
        # No fault left: the throttled operation answers again.
        alpha.client.list_solutions(Catalog=SANDBOX)
        # Numbering starts over.
        assert alpha.client.create_opportunity(**minimal())["Id"] == "O1000000"

        # --accounts: the accounts go too.
        cosell_json("reset", "--accounts", *at)
        listed = cosell("accounts", "list", *database_args(data))
        assert json.loads(listed.stdout) == []
    finally:
        live.stop()


def test_one_accounts_data_goes_and_the_others_stays(tmp_path):
    data = tmp_path / "data"
    live, partners = start_partners(data, {"alpha": ("Alpha Partner", None), "beta": ("Beta Partner", None)})
    alpha, beta = partners["alpha"], partners["beta"]
    try:
        opportunity_id, task = shared_engagement(data, alpha, beta, "Shared deal")
        beta.client.create_opportunity(**minimal())
        lead = aws_leads(live, beta)
        assert len(_opportunities(beta)) == 2

        answer = cosell_json("reset", "--account-id", beta.account_id, "--endpoint-url", live.url)
        assert answer == {**answer, "Reset": "account", "AccountId": beta.account_id}

        assert _opportunities(beta) == []
        assert beta.client.list_engagements(Catalog=SANDBOX)["EngagementSummaryList"] == []
        with pytest.raises(beta.client.exceptions.ResourceNotFoundException):
            beta.client.get_engagement_invitation(Catalog=SANDBOX, Identifier=lead["InvitationId"])
        # Alpha keeps its opportunity and its engagement, now without beta.
        assert _opportunities(alpha) == [opportunity_id]
        members = alpha.client.list_engagement_members(Catalog=SANDBOX, Identifier=task["EngagementId"])
        assert beta.account_id not in [member["AccountId"] for member in members["EngagementMemberList"]]
        assert [s["Id"] for s in beta.client.list_solutions(Catalog=SANDBOX)["SolutionSummaries"]] == ["S-1234567"]
    finally:
        live.stop()
