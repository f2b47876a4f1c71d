"""The event catalogue (events-and-tooling.md §1; engagements.md §5): for each flow, exactly the events
AWS publishes, to whom, in the observed envelope, read from the event log (GET /_cosell/events), the
stream and `cosell events tail`."""

from __future__ import annotations

import datetime as dt
import json
import queue
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

from conftest import LiveServer, database_args
from event_log import cursor, events_after, kinds, log_page
from lifecycle_steps import submit
from opportunity_requests import minimal, submittable, update_from
from partners import SANDBOX, aws_leads, aws_refers, cosell, cosell_json, opportunity_invitation, start_partners

# The outbox is written in each change's transaction, on SQLite and PostgreSQL (CI runs it on both).
pytestmark = pytest.mark.backend

SOURCE = "aws.partnercentral-selling"
UPDATED, CREATED = "Opportunity Updated", "Opportunity Created"
INVITATION_CREATED, ACCEPTED = "Engagement Invitation Created", "Engagement Invitation Accepted"
REJECTED, EXPIRED = "Engagement Invitation Rejected", "Engagement Invitation Expired"
MEMBER_ADDED, ENGAGEMENT_CREATED, ENGAGEMENT_UPDATED = "Engagement Member Added", "Engagement Created", "Engagement Updated"
SNAPSHOT = "Engagement Resource Snapshot Created"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    data = tmp_path_factory.mktemp("events") / "data"
    live, partners = start_partners(data, {"alpha": ("Alpha Partner", "https://alpha.example"),
                                           "beta": ("Beta Partner", "https://beta.example")})
    connected = cosell("accounts", "connect", partners["alpha"].account_id, partners["beta"].account_id,
                       *database_args(data))
    assert connected.returncode == 0, connected.stderr
    yield live, partners["alpha"], partners["beta"]
    live.stop()


def test_create_publishes_opportunity_created_in_the_observed_envelope(world):
    live, alpha, _beta = world
    after = cursor(live)
    created = alpha.client.create_opportunity(**minimal())
    [event] = events_after(live, after, expect=1)
    assert list(event) == ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]
    assert event["version"] == "0" and event["source"] == SOURCE and event["region"] == "us-east-1"
    assert event["detail-type"] == CREATED and event["account"] == alpha.account_id and event["resources"] == []
    assert event["detail"] == {"schemaVersion": "1", "catalog": "Sandbox", "opportunity": {"identifier": created["Id"]}}
    uuid.UUID(event["id"])
    # Whole seconds, on cosell's clock: the second the opportunity was created in.
    assert event["time"] == created["LastModifiedDate"].astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert events_after(live, after) == [event]  # nothing else


def test_update_association_submission_and_review(world):
    live, alpha, _beta = world
    opportunity_id = alpha.client.create_opportunity(**submittable())["Id"]
    after = cursor(live)
    current = alpha.client.get_opportunity(Catalog=SANDBOX, Identifier=opportunity_id)
    alpha.client.update_opportunity(**update_from(current))
    assert kinds(events_after(live, after, expect=1)) == [(alpha.account_id, UPDATED)]

    after = cursor(live)
    alpha.client.associate_opportunity(Catalog=SANDBOX, OpportunityIdentifier=opportunity_id,
                                       RelatedEntityType="Solutions", RelatedEntityIdentifier="S-1234567")
    assert kinds(events_after(live, after, expect=1)) == [(alpha.account_id, UPDATED)]

    after = cursor(live)
    task = submit(alpha.client, opportunity_id)
    assert task["TaskStatus"] == "COMPLETE"
    published = events_after(live, after, expect=5)
    assert kinds(published) == sorted([(alpha.account_id, UPDATED), (alpha.account_id, ENGAGEMENT_CREATED),
                                       (alpha.account_id, MEMBER_ADDED), (alpha.account_id, INVITATION_CREATED),
                                       (alpha.account_id, SNAPSHOT)])  # the task's first revision
    snapshot = next(event for event in published if event["detail-type"] == SNAPSHOT)["detail"]["resourceSnapshot"]
    assert snapshot["resourceId"] == opportunity_id and snapshot["arn"].endswith("/OpportunitySummaryView/snapshot/1")
    by_type = {event["detail-type"]: event for event in published}
    invitation = by_type[INVITATION_CREATED]
    assert invitation["resources"] == [invitation["detail"]["engagementInvitation"]["arn"]]
    assert invitation["detail"]["schemaVersion"] == "1.0" and invitation["detail"]["catalog"] == "Sandbox"
    assert invitation["detail"]["engagementInvitation"]["participantType"] == "SENDER"
    assert invitation["detail"]["engagementInvitation"]["engagementId"] == task["EngagementId"]
    assert invitation["detail"]["engagementInvitation"]["senderAccountId"] == alpha.account_id
    engagement = by_type[ENGAGEMENT_CREATED]["detail"]["engagement"]
    assert engagement["engagementId"] == task["EngagementId"] and engagement["CreatedBy"] == alpha.account_id
    assert by_type[MEMBER_ADDED]["detail"]["engagementMember"]["accountId"] == alpha.account_id

    after = cursor(live)
    reviewed = cosell("review", "approve", opportunity_id, "--account-id", alpha.account_id, "--endpoint-url", live.url)
    assert reviewed.returncode == 0, reviewed.stderr
    published = events_after(live, after, expect=4)
    assert kinds(published) == sorted([(alpha.account_id, ACCEPTED), (alpha.account_id, MEMBER_ADDED),
                                       (alpha.account_id, UPDATED), (alpha.account_id, SNAPSHOT)])
    aws_view = next(event for event in published if event["detail-type"] == SNAPSHOT)["detail"]["resourceSnapshot"]
    assert aws_view["arn"].endswith("/AwsOpportunitySummaryFullView/snapshot/1")
    accepted = next(event for event in published if event["detail-type"] == ACCEPTED)
    assert accepted["detail"]["engagementInvitation"]["id"] == invitation["detail"]["engagementInvitation"]["id"]
    assert events_after(live, after) == published


def test_rejected_review(world):
    live, alpha, _beta = world
    opportunity_id = alpha.client.create_opportunity(**submittable())["Id"]
    alpha.client.associate_opportunity(Catalog=SANDBOX, OpportunityIdentifier=opportunity_id,
                                       RelatedEntityType="Solutions", RelatedEntityIdentifier="S-1234567")
    assert submit(alpha.client, opportunity_id)["TaskStatus"] == "COMPLETE"
    after = cursor(live)
    reviewed = cosell("review", "reject", opportunity_id, "--account-id", alpha.account_id, "--reason",
                      "Other", "--endpoint-url", live.url)
    assert reviewed.returncode == 0, reviewed.stderr
    assert kinds(events_after(live, after, expect=3)) == sorted([(alpha.account_id, REJECTED), (alpha.account_id, UPDATED),
                                                                 (alpha.account_id, SNAPSHOT)])


def _invite(sender, engagement_id: str, receiver) -> dict:
    return sender.client.create_engagement_invitation(
        Catalog=SANDBOX, EngagementIdentifier=engagement_id, ClientToken=str(uuid.uuid4()),
        Invitation={"Message": "Join us", "Receiver": {"Account": {"AwsAccountId": receiver.account_id}},
                    "Payload": opportunity_invitation()})


def _engagement(partner) -> str:
    after_create = partner.client.create_engagement(
        Catalog=SANDBOX, ClientToken=str(uuid.uuid4()), Title="Events engagement", Description="For the event tests")
    return after_create["Id"]


def test_partner_invitation_accepted_reaches_sender_and_receiver(world):
    live, alpha, beta = world
    after = cursor(live)
    engagement_id = _engagement(alpha)
    assert kinds(events_after(live, after, expect=1)) == [(alpha.account_id, ENGAGEMENT_CREATED)]

    after = cursor(live)
    sent = _invite(alpha, engagement_id, beta)
    published = events_after(live, after, expect=2)
    assert kinds(published) == sorted([(alpha.account_id, INVITATION_CREATED), (beta.account_id, INVITATION_CREATED)])
    roles = {event["account"]: event["detail"]["engagementInvitation"]["participantType"] for event in published}
    assert roles == {alpha.account_id: "SENDER", beta.account_id: "RECEIVER"}
    assert {event["detail"]["engagementInvitation"]["id"] for event in published} == {sent["Id"]}
    assert {event["detail"]["engagementInvitation"]["senderCompanyName"] for event in published} == {"Alpha Partner"}

    after = cursor(live)
    task = beta.client.start_engagement_by_accepting_invitation_task(Catalog=SANDBOX, Identifier=sent["Id"])
    assert task["TaskStatus"] == "COMPLETE"
    published = events_after(live, after, expect=8)
    # The task's first revision of beta's opportunity is shared with every member (OpportunitySummaryView).
    assert kinds(published) == sorted([
        (alpha.account_id, ACCEPTED), (alpha.account_id, MEMBER_ADDED), (alpha.account_id, SNAPSHOT),
        (beta.account_id, ACCEPTED), (beta.account_id, MEMBER_ADDED), (beta.account_id, CREATED),
        (beta.account_id, UPDATED), (beta.account_id, SNAPSHOT)])
    [created] = [event for event in published if event["detail-type"] == CREATED]
    assert created["detail"]["opportunity"]["identifier"] == task["OpportunityId"]
    added = {event["detail"]["engagementMember"]["accountId"] for event in published if event["detail-type"] == MEMBER_ADDED}
    assert added == {beta.account_id}

    # A change of the engagement is news to every partner member.
    after = cursor(live)
    beta.client.create_engagement_context(
        Catalog=SANDBOX, EngagementIdentifier=engagement_id, ClientToken=str(uuid.uuid4()), Type="CustomerProject",
        Payload={"CustomerProject": {"Customer": {"CompanyName": "Example Corp", "CountryCode": "US",
                                                  "Industry": "Retail", "WebsiteUrl": "https://example.com"},
                                     "Project": {"Title": "Second context",
                                                 "BusinessProblem": "A second problem the customer wants solved",
                                                 "TargetCompletionDate": "2030-06-30"}}})
    published = events_after(live, after, expect=2)
    assert kinds(published) == sorted([(alpha.account_id, ENGAGEMENT_UPDATED), (beta.account_id, ENGAGEMENT_UPDATED)])
    assert {event["detail"]["engagement"]["LastModifiedBy"] for event in published} == {beta.account_id}


def test_partner_invitation_rejected(world):
    live, alpha, beta = world
    engagement_id = _engagement(alpha)
    sent = _invite(alpha, engagement_id, beta)
    after = cursor(live)
    beta.client.reject_engagement_invitation(Catalog=SANDBOX, Identifier=sent["Id"], RejectionReason="Customer problem unclear")
    published = events_after(live, after, expect=2)
    assert kinds(published) == sorted([(alpha.account_id, REJECTED), (beta.account_id, REJECTED)])


def test_aws_referral_and_lead_reach_the_receiver(world):
    live, alpha, _beta = world
    after = cursor(live)
    aws_refers(live, alpha)
    [event] = events_after(live, after, account=alpha.account_id, expect=1)
    assert event["detail-type"] == INVITATION_CREATED
    invitation = event["detail"]["engagementInvitation"]
    assert invitation["participantType"] == "RECEIVER" and invitation["senderAccountId"] == "aws"
    assert invitation["payloadType"] == "OpportunityInvitation" and invitation["senderCompanyName"] == "AWS"

    after = cursor(live)
    aws_leads(live, alpha)
    [event] = events_after(live, after, account=alpha.account_id, expect=1)
    assert event["detail"]["engagementInvitation"]["payloadType"] == "LeadInvitation"
    # AWS, the sender, has no event bus: nothing else was published.
    assert events_after(live, after) == [event]


def test_the_log_filters_pages_and_streams(world):
    live, alpha, beta = world
    start = cursor(live)
    ids = [alpha.client.create_opportunity(**minimal())["Id"] for _ in range(3)]
    beta.client.create_opportunity(**minimal())
    events_after(live, start, expect=4)

    first = log_page(live, after=start, limit=2)
    second = log_page(live, after=first["Cursor"], limit=2)
    assert [e["detail"]["opportunity"]["identifier"] for e in first["Events"] + second["Events"]][:3] == ids
    assert len(second["Events"]) == 2 and log_page(live, after=second["Cursor"])["Events"] == []
    assert log_page(live, after=second["Cursor"])["Cursor"] == second["Cursor"]

    only_beta = log_page(live, after=start, account=beta.account_id)["Events"]
    assert [event["account"] for event in only_beta] == [beta.account_id]
    assert log_page(live, after=start, detail_type=UPDATED)["Events"] == []
    assert len(log_page(live, after=start, detail_type=[UPDATED, CREATED], catalog="Sandbox")["Events"]) == 4
    assert log_page(live, after=start, catalog="AWS")["Events"] == []
    assert [event["account"] for event in log_page(live, tail=2)["Events"]] == [alpha.account_id, beta.account_id]

    with pytest.raises(urllib.error.HTTPError) as refused:
        log_page(live, after="yesterday")
    assert refused.value.code == 400 and "after" in json.loads(refused.value.read())["Message"]

    # `cosell events tail`: the last events, one envelope a line.
    tail = cosell("events", "tail", "-n", "2", "--endpoint-url", live.url)
    assert tail.returncode == 0, tail.stderr
    assert [json.loads(line)["account"] for line in tail.stdout.splitlines()] == [alpha.account_id, beta.account_id]

    # The stream: the log from the cursor, then each event as it is published; Last-Event-ID resumes.
    request = urllib.request.Request(f"{live.url}/_cosell/events/stream?after={start}&account={alpha.account_id}")
    with urllib.request.urlopen(request, timeout=10) as stream:
        received = _stream_events(stream, 3)
        assert [event["detail"]["opportunity"]["identifier"] for _, event in received] == ids
        later = alpha.client.create_opportunity(**minimal())["Id"]
        [(last_id, event)] = _stream_events(stream, 1)
        assert event["detail"]["opportunity"]["identifier"] == later
    resumed = urllib.request.Request(f"{live.url}/_cosell/events/stream", headers={"Last-Event-ID": received[1][0]})
    with urllib.request.urlopen(resumed, timeout=10) as stream:
        assert [event["detail"]["opportunity"]["identifier"] for _, event in _stream_events(stream, 1)] == [ids[2]]


def _stream_events(stream, count: int) -> list[tuple[str, dict]]:
    found, event_id = [], None
    for raw in stream:
        line = raw.decode().rstrip("\n")
        if line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: "):
            found.append((event_id, json.loads(line[6:])))
            if len(found) == count:
                return found
    raise AssertionError("the stream ended")


def test_tail_follow_prints_new_events(world):
    live, alpha, _beta = world
    follower = subprocess.Popen([sys.executable, "-m", "cosell.cli", "events", "tail", "--follow", "-n", "0",
                                 "--detail-type", CREATED, "--endpoint-url", live.url],
                                stdout=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in follower.stdout or []], daemon=True).start()
    try:
        # `-n 0 --follow` starts at the newest event: once connected, each new one is printed.
        printed: set[str] = set()
        for _attempt in range(20):
            created = alpha.client.create_opportunity(**minimal())["Id"]
            deadline = time.monotonic() + 1
            while created not in printed and time.monotonic() < deadline:
                try:
                    event = json.loads(lines.get(timeout=0.1))
                except queue.Empty:
                    continue
                assert event["detail-type"] == CREATED
                printed.add(event["detail"]["opportunity"]["identifier"])
            if created in printed:
                break
        assert created in printed
    finally:
        follower.terminate()
        follower.wait(timeout=10)
        if follower.stdout:
            follower.stdout.close()


def test_invitation_expiry_reaches_both(tmp_path):
    live, partners = start_partners(tmp_path / "data", {"alpha": ("Alpha Partner", None), "beta": ("Beta Partner", None)})
    alpha, beta = partners["alpha"], partners["beta"]
    try:
        assert cosell("accounts", "connect", alpha.account_id, beta.account_id,
                      *database_args(tmp_path / "data")).returncode == 0
        sent = _invite(alpha, _engagement(alpha), beta)
        after = cursor(live)
        cosell_json("clock", "advance", "15d1m", "--endpoint-url", live.url)
        published = events_after(live, after, expect=2)
        assert kinds(published) == sorted([(alpha.account_id, EXPIRED), (beta.account_id, EXPIRED)])
        assert {event["detail"]["engagementInvitation"]["id"] for event in published} == {sent["Id"]}
        # On the virtual clock: 15 days after the invitation.
        assert all(event["time"] > (dt.datetime.now(dt.UTC) + dt.timedelta(days=14)).strftime("%Y-%m-%dT%H:%M:%SZ")
                   for event in published)
    finally:
        live.stop()


def test_a_restart_keeps_the_log(tmp_path):
    live = LiveServer(tmp_path / "data").start()
    try:
        created = live.client().create_opportunity(**minimal())["Id"]
        [event] = events_after(live, "0", expect=1)
    finally:
        live.stop()
    live = LiveServer(tmp_path / "data").start()
    try:
        assert events_after(live, "0") == [event]
        assert event["detail"]["opportunity"]["identifier"] == created
    finally:
        live.stop()


def test_event_ids_and_times_are_shaped_as_eventbridge_s():
    from cosell.domain import events as catalogue

    ids = {catalogue.event_id() for _ in range(2000)}
    assert len(ids) == 2000
    for text in list(ids)[:200]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122
    moment = dt.datetime(2025, 2, 19, 4, 20, 25, 999000, tzinfo=dt.UTC)
    assert catalogue.event_time(moment) == "2025-02-19T04:20:25Z"
    assert catalogue.event_time(moment.astimezone(dt.timezone(dt.timedelta(hours=-8)))) == "2025-02-19T04:20:25Z"
