"""Several partners on one live server, and playing AWS: what the engagement tests share.

`partners_server(data_dir)` creates accounts with `cosell accounts create` (before the server starts, as
a user would) and starts `cosell serve` in open mode, where a request signed with an account's key is
that account's. AWS referrals and leads come from `cosell aws refer|lead`, the clock from `cosell clock`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass

import boto3
from botocore.config import Config

from conftest import LiveServer, database_args
from opportunity_requests import submittable

SANDBOX = "Sandbox"


def cosell(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cosell.cli", *args], capture_output=True, text=True, timeout=60,
                          env=os.environ.copy())


def cosell_json(*args: str) -> dict:
    result = cosell(*args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@dataclass
class Partner:
    account_id: str
    name: str
    key: dict  # AccessKeyId, SecretAccessKey: for a client of another server on the same data
    client: object


def create_partner(data_dir, name: str, website: str | None = None) -> dict:
    options = ["--website", website] if website else []
    return cosell_json("accounts", "create", name, *database_args(data_dir), *options)


def partner_client(live: LiveServer, key: dict, **config):
    return boto3.client("partnercentral-selling", endpoint_url=live.url, region_name="us-east-1",
                        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                        config=Config(retries={"total_max_attempts": 1}, **config))


def start_partners(data_dir, names: dict[str, tuple[str, str | None]], *extra_args: str) -> tuple[LiveServer, dict]:
    """A live server whose accounts are `names` ({key: (company name, website)}); {key: Partner}."""
    keys = {key: create_partner(data_dir, name, website) for key, (name, website) in names.items()}
    live = LiveServer(data_dir, extra_args=("--referral-delay", "0", *extra_args)).start()
    return live, {key: Partner(keys[key]["AccountId"], names[key][0], keys[key], partner_client(live, keys[key]))
                  for key in keys}


def aws_refers(live: LiveServer, partner: Partner, *options: str) -> dict:
    return cosell_json("aws", "refer", "--account-id", partner.account_id, "--endpoint-url", live.url, *options)


def aws_leads(live: LiveServer, partner: Partner, *options: str) -> dict:
    return cosell_json("aws", "lead", "--account-id", partner.account_id, "--endpoint-url", live.url, *options)


def received(partner: Partner, **filters) -> list[dict]:
    return partner.client.list_engagement_invitations(Catalog=SANDBOX, ParticipantType="RECEIVER",
                                                      **filters)["EngagementInvitationSummaries"]


def wait_for_invitation(partner: Partner, engagement_title: str, timeout: float = 10) -> dict:
    """The invitation the partner received for an engagement of that title, once it arrives (a job)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for summary in received(partner):
            if summary.get("EngagementTitle") == engagement_title:
                return summary
        time.sleep(0.1)
    raise AssertionError(f"no invitation for {engagement_title!r} within {timeout} s")


def submitted_opportunity(partner: Partner, title: str) -> tuple[str, dict]:
    """A partner's opportunity, submitted to AWS (StartEngagementFromOpportunityTask): (id, the task)."""
    request = submittable()
    request["Project"] = {**request["Project"], "Title": title,
                          "OtherSolutionDescription": "Managed data platform built by the partner"}
    opportunity_id = partner.client.create_opportunity(**request)["Id"]
    task = partner.client.start_engagement_from_opportunity_task(
        Catalog=SANDBOX, Identifier=opportunity_id, AwsSubmission={"InvolvementType": "Co-Sell"})
    assert task["TaskStatus"] == "COMPLETE", task.get("Message")
    return opportunity_id, task


def opportunity_invitation(title: str = "Joint analytics deal", **customer) -> dict:
    """A partner's OpportunityInvitation payload (DG-mp sample's shape)."""
    return {"OpportunityInvitation": {
        "SenderContacts": [{"Email": "alliances@alpha.example", "FirstName": "Ada", "LastName": "Alpha",
                            "BusinessTitle": "Alliance Lead"}],
        "ReceiverResponsibilities": ["Software Partner"],
        "Customer": {"Industry": "Retail", "CompanyName": "Example Corp", "WebsiteUrl": "https://example.com",
                     "CountryCode": "US", **customer},
        "Project": {"Title": title, "BusinessProblem": "The customer's warehouse cannot keep up with demand.",
                    "TargetCompletionDate": "2030-06-30",
                    "ExpectedCustomerSpend": [{"Amount": "10000.00", "CurrencyCode": "USD", "Frequency": "Monthly",
                                               "TargetCompany": "AWS"}]},
        "OpportunityType": "Net New Business"}}


def shared_engagement(data_dir, alpha: Partner, beta: Partner, title: str) -> tuple[str, dict]:
    """Alpha's opportunity, submitted to AWS, in an engagement beta joined by accepting alpha's invitation
    (the two connected first): (opportunity id, the submission task)."""
    assert cosell("accounts", "connect", alpha.account_id, beta.account_id, *database_args(data_dir)).returncode == 0
    opportunity_id, task = submitted_opportunity(alpha, title)
    sent = alpha.client.create_engagement_invitation(
        Catalog=SANDBOX, EngagementIdentifier=task["EngagementId"], ClientToken=str(uuid.uuid4()),
        Invitation={"Message": "Join us", "Receiver": {"Account": {"AwsAccountId": beta.account_id}},
                    "Payload": opportunity_invitation()})
    assert beta.client.start_engagement_by_accepting_invitation_task(
        Catalog=SANDBOX, Identifier=sent["Id"])["TaskStatus"] == "COMPLETE"
    return opportunity_id, task
