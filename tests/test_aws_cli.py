"""The AWS CLI against the server: `aws partnercentral-selling ... --endpoint-url`."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from opportunity_requests import full, minimal


def aws(server, *args: str, tmp_path, service: str = "partnercentral-selling") -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
        "AWS_MAX_ATTEMPTS": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "awscli", service, *args, "--endpoint-url", server.url, "--output", "json"],
        capture_output=True, text=True, env=env, timeout=120,
    )


def test_create_and_get_with_cli_input_json(server, client, tmp_path):
    parent = client.create_opportunity(**minimal())["Id"]
    request = full(related_opportunity_id=parent)
    (tmp_path / "request.json").write_text(json.dumps(request))

    created = aws(server, "create-opportunity", "--cli-input-json", f"file://{tmp_path / 'request.json'}", tmp_path=tmp_path)
    assert created.returncode == 0, created.stderr
    opportunity_id = json.loads(created.stdout)["Id"]

    got = aws(server, "get-opportunity", "--catalog", "Sandbox", "--identifier", opportunity_id, tmp_path=tmp_path)
    assert got.returncode == 0, got.stderr
    opportunity = json.loads(got.stdout)
    assert opportunity["Project"]["Title"] == "Data platform renewal"
    assert opportunity["Customer"]["Account"]["Address"]["PostalCode"] == "98109-5210"


def test_cli_shows_the_validation_error(server, tmp_path):
    request = minimal()
    request["Customer"]["Account"]["Address"]["PostalCode"] = "ABC"
    (tmp_path / "bad.json").write_text(json.dumps(request))
    result = aws(server, "create-opportunity", "--cli-input-json", f"file://{tmp_path / 'bad.json'}", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "ValidationException" in result.stderr
    assert "United States postal code must be in 99999 OR 99999-9999 format" in result.stderr


def test_cli_accepts_an_aws_referral(server, tmp_path):
    """An invitation flow through the AWS CLI: the referral `cosell aws refer` sends to the default account,
    listed, read and accepted with `aws partnercentral-selling`."""
    referral = subprocess.run([sys.executable, "-m", "cosell.cli", "aws", "refer", "--endpoint-url", server.url],
                              capture_output=True, text=True, timeout=60)
    assert referral.returncode == 0, referral.stderr
    invitation_id = json.loads(referral.stdout)["InvitationId"]

    listed = aws(server, "list-engagement-invitations", "--catalog", "Sandbox", "--participant-type", "RECEIVER",
                 "--status", "PENDING", tmp_path=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert invitation_id in [s["Id"] for s in json.loads(listed.stdout)["EngagementInvitationSummaries"]]
    got = aws(server, "get-engagement-invitation", "--catalog", "Sandbox", "--identifier", invitation_id, tmp_path=tmp_path)
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["SenderCompanyName"] == "AWS"

    task = aws(server, "start-engagement-by-accepting-invitation-task", "--catalog", "Sandbox", "--identifier",
               invitation_id, tmp_path=tmp_path)  # the CLI fills the ClientToken, as boto3 does
    assert task.returncode == 0, task.stderr
    opportunity_id = json.loads(task.stdout)["OpportunityId"]
    opportunity = aws(server, "get-opportunity", "--catalog", "Sandbox", "--identifier", opportunity_id, tmp_path=tmp_path)
    assert json.loads(opportunity.stdout)["LifeCycle"]["ReviewStatus"] == "Approved"

    again = aws(server, "reject-engagement-invitation", "--catalog", "Sandbox", "--identifier", invitation_id,
                tmp_path=tmp_path)
    assert again.returncode != 0 and "ConflictException" in again.stderr


def test_cli_puts_an_eventbridge_rule(server, tmp_path):
    """`aws events` against cosell's endpoint: a rule on Partner Central's events, shown and deleted."""
    pattern = json.dumps({"source": ["aws.partnercentral-selling"], "detail": {"catalog": ["Sandbox"]}})
    put = aws(server, "put-rule", "--name", "cli-rule", "--event-pattern", pattern, tmp_path=tmp_path, service="events")
    assert put.returncode == 0, put.stderr
    assert json.loads(put.stdout)["RuleArn"] == "arn:aws:events:us-east-1:123456789012:rule/cli-rule"
    shown = aws(server, "describe-rule", "--name", "cli-rule", tmp_path=tmp_path, service="events")
    assert json.loads(shown.stdout)["EventPattern"] == pattern
    missing = aws(server, "describe-rule", "--name", "no-rule", tmp_path=tmp_path, service="events")
    assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr
    assert "Rule no-rule does not exist on EventBus default." in missing.stderr
    deleted = aws(server, "delete-rule", "--name", "cli-rule", tmp_path=tmp_path, service="events")
    assert deleted.returncode == 0, deleted.stderr
