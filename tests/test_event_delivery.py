"""EventBridge on cosell's endpoint (boto3's `events` client) and delivery where a partner's code listens:
an SQS queue on moto's server, a mapped Lambda handler, a signed webhook; retries, failures, duplicates,
and nothing lost by kill -9 between a commit and its delivery."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import urllib.request

import boto3
import pytest
from botocore.config import Config
from standardwebhooks import Webhook

from conftest import CREDENTIALS, LiveServer, free_port
from event_log import events_after
from opportunity_requests import minimal, update_from
from partners import cosell, cosell_json
from receivers import MotoServer, Receiver

# Rules, targets, deliveries and the outbox are written and read on SQLite and PostgreSQL.
pytestmark = pytest.mark.backend

ACCOUNT = "123456789012"  # the open-mode default account, whose events these are
LAMBDA_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:OpportunitySync"
PATTERN = {"source": ["aws.partnercentral-selling"], "detail-type": ["Opportunity Created"],
           "detail": {"catalog": ["Sandbox"]}}


def events_client(live: LiveServer):
    return boto3.client("events", endpoint_url=live.url, config=Config(retries={"total_max_attempts": 1}),
                        **CREDENTIALS)


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("delivery") / "data", extra_args=("--event-attempts", "3")).start()
    yield server
    server.stop()


def test_aws_rule_sample_runs_unmodified(live, tmp_path):
    """AWS's rule-creation sample's calls, with only AWS_ENDPOINT_URL_EVENTBRIDGE pointing at cosell."""
    sample = tmp_path / "create_rule.py"
    sample.write_text(textwrap.dedent('''
        import json
        import boto3

        client = boto3.client("events", region_name="us-east-1")
        pattern = {"source": ["aws.partnercentral-selling"], "detail-type": ["Opportunity Created"],
                   "detail": {"catalog": ["AWS"]}}
        rule = client.put_rule(Name="OpportunityCreatedRule", EventPattern=json.dumps(pattern), State="ENABLED")
        print(rule["RuleArn"])
        targets = client.put_targets(Rule="OpportunityCreatedRule", Targets=[
            {"Id": "OpportunityLambda", "Arn": "arn:aws:lambda:us-east-1:123456789012:function:OpportunitySync"}])
        print(targets["FailedEntryCount"])
    '''))
    environment = {**os.environ, "AWS_ENDPOINT_URL_EVENTBRIDGE": live.url, "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
                   "AWS_SECRET_ACCESS_KEY": "secret"}
    result = subprocess.run([sys.executable, str(sample)], capture_output=True, text=True, env=environment, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [f"arn:aws:events:us-east-1:{ACCOUNT}:rule/OpportunityCreatedRule", "0"]
    client = events_client(live)
    described = client.describe_rule(Name="OpportunityCreatedRule")
    assert described["State"] == "ENABLED" and described["EventBusName"] == "default"
    assert json.loads(described["EventPattern"])["detail"] == {"catalog": ["AWS"]}
    assert client.list_targets_by_rule(Rule="OpportunityCreatedRule")["Targets"] == [
        {"Id": "OpportunityLambda", "Arn": LAMBDA_ARN}]
    client.remove_targets(Rule="OpportunityCreatedRule", Ids=["OpportunityLambda"])
    client.delete_rule(Name="OpportunityCreatedRule")


def test_rules_api_and_its_errors(live):
    client = events_client(live)
    with pytest.raises(client.exceptions.ResourceNotFoundException) as missing:
        client.describe_rule(Name="nope")
    assert missing.value.response["Error"]["Message"] == "Rule nope does not exist on EventBus default."
    with pytest.raises(client.exceptions.InvalidEventPatternException) as invalid:
        client.put_rule(Name="bad", EventPattern=json.dumps({"source": "aws.partnercentral-selling"}))
    assert invalid.value.response["Error"]["Message"].startswith("Event pattern is not valid. Reason:")
    with pytest.raises(client.exceptions.InvalidEventPatternException):
        client.put_rule(Name="bad", EventPattern="{not json")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.put_rule(Name="bus", EventBusName="partner-bus", EventPattern=json.dumps(PATTERN))

    for name in ("pc-a", "pc-b", "pc-c"):
        client.put_rule(Name=name, EventPattern=json.dumps(PATTERN), Description=f"rule {name}")
    first = client.list_rules(NamePrefix="pc-", Limit=2)
    assert [rule["Name"] for rule in first["Rules"]] == ["pc-a", "pc-b"]
    rest = client.list_rules(NamePrefix="pc-", Limit=2, NextToken=first["NextToken"])
    assert [rule["Name"] for rule in rest["Rules"]] == ["pc-c"] and "NextToken" not in rest
    client.disable_rule(Name="pc-b")
    assert client.describe_rule(Name="pc-b")["State"] == "DISABLED"
    client.enable_rule(Name="pc-b")
    assert client.describe_rule(Name="pc-b")["State"] == "ENABLED"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.enable_rule(Name="nope")

    refused = client.put_targets(Rule="pc-a", Targets=[
        {"Id": "sns", "Arn": f"arn:aws:sns:us-east-1:{ACCOUNT}:topic"},
        {"Id": "queue", "Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:events"},
        {"Id": "both", "Arn": LAMBDA_ARN, "Input": "{}", "InputPath": "$.detail"}])
    assert refused["FailedEntryCount"] == 2
    assert [entry["TargetId"] for entry in refused["FailedEntries"]] == ["sns", "both"]
    assert [target["Id"] for target in client.list_targets_by_rule(Rule="pc-a")["Targets"]] == ["queue"]
    with pytest.raises(client.exceptions.LimitExceededException):
        client.put_targets(Rule="pc-a", Targets=[{"Id": f"t{n}", "Arn": LAMBDA_ARN} for n in range(5)])
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.put_targets(Rule="nope", Targets=[{"Id": "t", "Arn": LAMBDA_ARN}])
    with pytest.raises(client.exceptions.ClientError, match="has targets"):
        client.delete_rule(Name="pc-a")
    client.delete_rule(Name="pc-a", Force=True)
    client.delete_rule(Name="pc-a")  # a rule that is not there: nothing to do
    for name in ("pc-b", "pc-c"):
        client.delete_rule(Name=name)
    assert client.list_rules(NamePrefix="pc-")["Rules"] == []
    # EventBridge's operations cosell does not serve answer so, in EventBridge's error shape.
    with pytest.raises(client.exceptions.ClientError) as unserved:
        client.list_event_buses()
    assert unserved.value.response["Error"]["Code"] == "NotImplementedException"


def test_test_event_pattern(live):
    client = events_client(live)
    event = {"id": "1", "account": ACCOUNT, "source": "aws.partnercentral-selling", "time": "2026-01-01T00:00:00Z",
             "region": "us-east-1", "resources": [], "detail-type": "Opportunity Created",
             "detail": {"catalog": "Sandbox", "opportunity": {"identifier": "O1234567"}}}
    assert client.test_event_pattern(EventPattern=json.dumps(PATTERN), Event=json.dumps(event))["Result"] is True
    other = {"detail": {"opportunity": {"identifier": [{"prefix": "O9"}]}}}
    assert client.test_event_pattern(EventPattern=json.dumps(other), Event=json.dumps(event))["Result"] is False
    with pytest.raises(client.exceptions.ClientError, match="Event is not valid"):
        client.test_event_pattern(EventPattern=json.dumps(PATTERN), Event=json.dumps({"detail": {}}))


def test_lambda_target_calls_the_mapped_handler(live, tmp_path):
    calls = tmp_path / "calls.jsonl"
    handler = tmp_path / "sync_handler.py"
    handler.write_text(textwrap.dedent(f'''
        import json

        def lambda_handler(event, context):
            with open({str(calls)!r}, "a") as out:
                out.write(json.dumps({{"event": event, "function": context.function_name,
                                       "arn": context.invoked_function_arn,
                                       "remaining": context.get_remaining_time_in_millis()}}) + "\\n")
            return {{"statusCode": 200, "body": json.dumps(event)}}
    '''))
    mapped = cosell_json("events", "lambda", LAMBDA_ARN, f"{handler}:lambda_handler", "--endpoint-url", live.url)
    assert mapped == {"FunctionArn": LAMBDA_ARN, "Handler": f"{handler}:lambda_handler"}
    client = events_client(live)
    client.put_rule(Name="to-lambda", EventPattern=json.dumps(PATTERN))
    client.put_targets(Rule="to-lambda", Targets=[{"Id": "sync", "Arn": LAMBDA_ARN}])
    try:
        created = live.client().create_opportunity(**minimal())["Id"]
        deadline = time.monotonic() + 15
        while not calls.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        [call] = [json.loads(line) for line in calls.read_text().splitlines()]
        assert call["event"]["detail"]["opportunity"]["identifier"] == created
        assert call["event"]["detail-type"] == "Opportunity Created"
        assert call["function"] == "OpportunitySync" and call["arn"] == LAMBDA_ARN and 0 < call["remaining"] <= 3000
        # The delivery and its attempt are recorded.
        [delivery] = cosell_json("events", "deliveries", call["event"]["id"], "--endpoint-url", live.url)["Deliveries"]
        assert delivery["Status"] == "delivered" and delivery["Target"] == LAMBDA_ARN
        assert [attempt["Outcome"] for attempt in delivery["Attempts"]] == ["delivered"]
    finally:
        client.remove_targets(Rule="to-lambda", Ids=["sync"])
        client.delete_rule(Name="to-lambda")
    bad = cosell("events", "lambda", "arn:aws:sqs:us-east-1:123456789012:q", "mod:fn", "--endpoint-url", live.url)
    assert bad.returncode == 1 and "Not a Lambda function ARN" in bad.stderr


def test_webhook_signed_retried_listed_redelivered_removed(live):
    receiver = Receiver(fail_first=1)  # the first attempt fails: the second, after a backoff, is delivered
    try:
        added = cosell_json("webhooks", "add", receiver.url, "--event-pattern",
                            json.dumps({"detail-type": ["Opportunity Updated"]}), "--endpoint-url", live.url)
        assert added["Secret"].startswith("whsec_") and added["Url"] == receiver.url
        client = live.client()
        created = client.create_opportunity(**minimal())["Id"]
        client.update_opportunity(**update_from(client.get_opportunity(Catalog="Sandbox", Identifier=created)))
        [(headers, body)] = receiver.wait_for(1)
        event = json.loads(Webhook(added["Secret"]).verify(body, headers) and body)
        assert event["detail-type"] == "Opportunity Updated" and event["detail"]["opportunity"]["identifier"] == created
        assert headers["webhook-id"] == event["id"]
        with pytest.raises(Exception, match="No matching signature"):
            Webhook("whsec_" + "A" * 32).verify(body, headers)

        [delivery] = cosell_json("events", "deliveries", event["id"], "--endpoint-url", live.url)["Deliveries"]
        assert [(a["Attempt"], a["Outcome"], a["StatusCode"]) for a in delivery["Attempts"]] == [
            (1, "error", 503), (2, "delivered", 204)]

        listed = cosell_json("webhooks", "list", "--endpoint-url", live.url)["Webhooks"]
        assert [webhook["Id"] for webhook in listed] == [added["Id"]]
        again = cosell_json("webhooks", "redeliver", event["id"], "--endpoint-url", live.url)
        assert again["Webhooks"] == [added["Id"]]
        [_, (headers_again, body_again)] = receiver.wait_for(2)
        assert headers_again["webhook-id"] == event["id"] and json.loads(body_again) == event
        Webhook(added["Secret"]).verify(body_again, headers_again)

        removed = cosell_json("webhooks", "remove", added["Id"], "--endpoint-url", live.url)
        assert removed == {"Id": added["Id"], "Removed": True}
        assert cosell("webhooks", "remove", added["Id"], "--endpoint-url", live.url).returncode == 1
        assert cosell("webhooks", "redeliver", "no-such-event", "--endpoint-url", live.url).returncode == 1
        bad = cosell("webhooks", "add", "ftp://example.com", "--endpoint-url", live.url)
        assert bad.returncode == 1 and "http://" in bad.stderr
        bad = cosell("webhooks", "add", receiver.url, "--event-pattern", '{"source": "x"}', "--endpoint-url", live.url)
        assert bad.returncode == 1 and "Event pattern is not valid" in bad.stderr
    finally:
        receiver.close()


def test_an_unreachable_endpoint_is_a_recorded_failure(live):
    """--event-attempts 3 here: three attempts with backoff, each recorded, then failed; the server goes on."""
    client = events_client(live)
    dead = f"http://127.0.0.1:{free_port()}/events"  # nothing listens there once the probe socket is closed
    client.put_rule(Name="to-nowhere", EventPattern=json.dumps(PATTERN))
    client.put_targets(Rule="to-nowhere", Targets=[{"Id": "dead", "Arn": dead}])
    try:
        created = live.client().create_opportunity(**minimal())["Id"]
        [event] = [e for e in events_after(live, "0") if e["detail"].get("opportunity", {}).get("identifier") == created]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            [delivery] = cosell_json("events", "deliveries", event["id"], "--endpoint-url", live.url)["Deliveries"]
            if delivery["Status"] == "failed":
                break
            time.sleep(0.2)
        assert delivery["Status"] == "failed" and len(delivery["Attempts"]) == 3
        assert all(attempt["Outcome"] == "error" and "Connection" in attempt["Error"] for attempt in delivery["Attempts"])
        assert live.client().get_opportunity(Catalog="Sandbox", Identifier=created)["Id"] == created
    finally:
        client.remove_targets(Rule="to-nowhere", Ids=["dead"])
        client.delete_rule(Name="to-nowhere")


def test_sqs_target_on_motos_server(tmp_path):
    moto = MotoServer()
    live = LiveServer(tmp_path / "data", extra_args=("--sqs-endpoint-url", moto.url)).start()
    try:
        sqs = boto3.client("sqs", endpoint_url=moto.url, **CREDENTIALS)
        queue_url = sqs.create_queue(QueueName="partner-events")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        client = events_client(live)
        client.put_rule(Name="to-queue", EventPattern=json.dumps({"source": ["aws.partnercentral-selling"]}))
        client.put_targets(Rule="to-queue", Targets=[
            {"Id": "whole", "Arn": queue_arn},
            {"Id": "shaped", "Arn": queue_arn, "InputTransformer": {
                "InputPathsMap": {"id": "$.detail.opportunity.identifier", "type": "$.detail-type"},
                "InputTemplate": '{"opportunity": <id>, "what": "<type> for <id>"}'}}])
        created = live.client().create_opportunity(**minimal())["Id"]
        bodies: list[str] = []
        deadline = time.monotonic() + 15
        while len(bodies) < 2 and time.monotonic() < deadline:
            answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            bodies += [message["Body"] for message in answer.get("Messages", [])]
        documents = sorted((json.loads(body) for body in bodies), key=lambda document: "version" in document)
        assert documents[0] == {"opportunity": created, "what": f"Opportunity Created for {created}"}
        assert documents[1]["detail"]["opportunity"]["identifier"] == created and documents[1]["account"] == ACCOUNT
    finally:
        live.stop()
        moto.stop()


def test_kill_9_between_commit_and_delivery_loses_nothing(tmp_path):
    """Events committed while nothing delivers (--event-delivery off), and more while a slow endpoint is
    being delivered to, survive kill -9: after a restart every one reaches the webhook (at least once)."""
    receiver = Receiver(delay=0.02)
    data = tmp_path / "data"
    live = LiveServer(data, extra_args=("--event-delivery", "off"))
    try:
        live.start()
        secret = cosell_json("webhooks", "add", receiver.url, "--endpoint-url", live.url)["Secret"]
        client = live.client()
        for _ in range(10):
            client.create_opportunity(**minimal())
        live.kill()
        assert receiver.received == []

        live = LiveServer(data).start()
        client = live.client()
        for _ in range(40):
            client.create_opportunity(**minimal())
        live.kill()  # while the slow endpoint is still being delivered to
        delivered_before_kill = len(receiver.received)

        live = LiveServer(data).start()
        expected = {event["id"] for event in events_after(live, "0")}
        assert len(expected) == 50
        # What the killed worker was sending is held by its lease (20 s), then taken again.
        receiver.wait_for(len(expected), timeout=60)
        deadline = time.monotonic() + 60
        while {e["id"] for e in receiver.events()} != expected and time.monotonic() < deadline:
            time.sleep(0.1)
        assert {event["id"] for event in receiver.events()} == expected
        for headers, body in receiver.received:
            Webhook(secret).verify(body, headers)
        assert delivered_before_kill < 50
    finally:
        live.stop()
        receiver.close()


def test_duplicates_switch(tmp_path):
    """--event-duplicates: Opportunity Updated in pairs (new id, same content) and each delivery once more
    with the same id, as partners see on AWS."""
    receiver = Receiver()
    live = LiveServer(tmp_path / "data", extra_args=("--event-duplicates",)).start()
    try:
        cosell_json("webhooks", "add", receiver.url, "--endpoint-url", live.url)
        client = live.client()
        created = client.create_opportunity(**minimal())["Id"]
        client.update_opportunity(**update_from(client.get_opportunity(Catalog="Sandbox", Identifier=created)))
        receiver.wait_for(6)  # Created twice (a redelivery), two Updated each twice
        time.sleep(0.5)
        ids = [headers["webhook-id"] for headers, _body in receiver.received]
        log = events_after(live, "0")
        assert [event["detail-type"] for event in log] == ["Opportunity Created", "Opportunity Updated",
                                                           "Opportunity Updated"]
        assert log[1]["id"] != log[2]["id"] and log[1]["detail"] == log[2]["detail"]
        assert sorted(ids) == sorted([event["id"] for event in log] * 2)
    finally:
        live.stop()
        receiver.close()


def test_delivery_process_beside_the_server(tmp_path):
    receiver = Receiver()
    live = LiveServer(tmp_path / "data", extra_args=("--event-delivery", "process")).start()
    try:
        cosell_json("webhooks", "add", receiver.url, "--endpoint-url", live.url)
        created = live.client().create_opportunity(**minimal())["Id"]
        [(_headers, body)] = receiver.wait_for(1)
        assert json.loads(body)["detail"]["opportunity"]["identifier"] == created
    finally:
        live.stop()
        receiver.close()
    # The worker process stops with the server.
    time.sleep(0.5)
    workers = subprocess.run(["pgrep", "-f", f"cosell.delivery.process {live.process.pid if live.process else 0}"],
                             capture_output=True, text=True)
    assert workers.stdout.strip() == ""


def test_events_without_delivery_wait_in_the_log(tmp_path):
    live = LiveServer(tmp_path / "data", extra_args=("--event-delivery", "off")).start()
    try:
        created = live.client().create_opportunity(**minimal())["Id"]
        [event] = events_after(live, "0", expect=1)
        assert event["detail"]["opportunity"]["identifier"] == created
        with urllib.request.urlopen(f"{live.url}/_cosell/events/deliveries?event-id={event['id']}") as response:
            assert json.loads(response.read())["Deliveries"] == []
    finally:
        live.stop()
