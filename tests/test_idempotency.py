"""ClientToken: replay returns the original answer, a different body conflicts, and many identical
requests at once, to one server process or several, make exactly one opportunity."""

from __future__ import annotations

import asyncio
import copy
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.config import Config

from conftest import CREDENTIALS, LiveServer
from cosell.gateway import RawRequest
from opportunity_requests import minimal, submittable

# ClientTokens are rows claimed in the database: replays, conflicts and races between requests and
# processes are decided by its constraints and locks.
pytestmark = pytest.mark.backend


def test_same_token_same_body_replays_the_original(client):
    request = minimal()
    first = client.create_opportunity(**request)
    again = client.create_opportunity(**copy.deepcopy(request))
    assert again["Id"] == first["Id"]
    assert again["LastModifiedDate"] == first["LastModifiedDate"]
    following = client.create_opportunity(**minimal())
    assert int(following["Id"][1:]) == int(first["Id"][1:]) + 1  # the replay made no record


def test_same_token_different_body_conflicts(client):
    request = minimal()
    client.create_opportunity(**request)
    changed = copy.deepcopy(request)
    changed["Customer"]["Account"]["CompanyName"] = "Another Corp"
    with pytest.raises(client.exceptions.ConflictException) as raised:
        client.create_opportunity(**changed)
    assert raised.value.response["Error"]["Message"] == "Conflicting client token submitted for a new request body."
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_token_is_scoped_to_the_catalog(client):
    sandbox = minimal(catalog="Sandbox")
    aws = minimal(catalog="AWS", ClientToken=sandbox["ClientToken"])
    first = client.create_opportunity(**sandbox)
    second = client.create_opportunity(**aws)
    in_sandbox = client.get_opportunity(Catalog="Sandbox", Identifier=first["Id"])
    in_aws = client.get_opportunity(Catalog="AWS", Identifier=second["Id"])
    assert (in_sandbox["Id"], in_sandbox["Catalog"]) == (first["Id"], "Sandbox")
    assert (in_aws["Id"], in_aws["Catalog"]) == (second["Id"], "AWS")  # a create of its own, not a replay


def test_concurrent_identical_requests_make_one_opportunity(server, client):
    request = minimal()
    callers = 24
    clients = [boto3.client("partnercentral-selling", endpoint_url=server.url,
                            config=Config(retries={"total_max_attempts": 1}), **CREDENTIALS) for _ in range(callers)]
    with ThreadPoolExecutor(max_workers=callers) as pool:
        answers = list(pool.map(lambda c: c.create_opportunity(**copy.deepcopy(request)), clients))
    assert len({(a["Id"], a["LastModifiedDate"]) for a in answers}) == 1
    following = client.create_opportunity(**minimal())
    assert int(following["Id"][1:]) == int(answers[0]["Id"][1:]) + 1


def test_concurrent_different_bodies_with_one_token_one_wins(server, client):
    token = minimal()["ClientToken"]
    bodies = [minimal(ClientToken=token, PartnerOpportunityIdentifier=f"crm-{i}") for i in range(12)]
    clients = [server.client() for _ in bodies]

    def attempt(pair):
        c, body = pair
        try:
            return c.create_opportunity(**body)["Id"]
        except c.exceptions.ConflictException:
            return "conflict"

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        outcomes = list(pool.map(attempt, zip(clients, bodies, strict=True)))
    winners = [o for o in outcomes if o != "conflict"]
    assert len(winners) == 1 and outcomes.count("conflict") == len(bodies) - 1



@pytest.fixture
def two_processes(tmp_path):
    """Clients of two server processes on one database, alternately (PostgreSQL runs their
    transactions side by side: the requests that lose a race for a token must still be replays)."""
    servers = [LiveServer(tmp_path / "data").start()]
    servers.append(LiveServer(tmp_path / "data").start())
    yield [servers[i % 2].client() for i in range(16)]
    for server in servers:
        server.stop()


def all_at_once(clients, call) -> list:
    together = threading.Barrier(len(clients))

    def run(c):
        together.wait()
        return call(c)

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        return list(pool.map(run, clients))


def test_identical_requests_to_two_processes_at_once_make_one_opportunity(two_processes):
    request = minimal()
    answers = all_at_once(two_processes, lambda c: c.create_opportunity(**copy.deepcopy(request)))
    assert len({(a["Id"], a["LastModifiedDate"]) for a in answers}) == 1
    following = two_processes[0].create_opportunity(**minimal())
    assert int(following["Id"][1:]) == int(answers[0]["Id"][1:]) + 1


def test_identical_submissions_to_two_processes_at_once_make_one_task(two_processes):
    client = two_processes[0]
    opportunity_id = client.create_opportunity(**submittable())["Id"]
    client.associate_opportunity(Catalog="Sandbox", OpportunityIdentifier=opportunity_id,
                                 RelatedEntityType="Solutions", RelatedEntityIdentifier="S-1234567")
    request = {"Catalog": "Sandbox", "Identifier": opportunity_id, "ClientToken": minimal()["ClientToken"],
               "AwsSubmission": {"InvolvementType": "Co-Sell"}}
    answers = all_at_once(two_processes, lambda c: c.start_engagement_from_opportunity_task(**request))
    assert {(a["TaskId"], a["TaskStatus"]) for a in answers} == {(answers[0]["TaskId"], "COMPLETE")}


def _create(body: dict) -> RawRequest:
    return RawRequest("POST", "/", {"x-amz-target": "AWSPartnerCentralSelling.CreateOpportunity",
                                    "content-type": "application/x-amz-json-1.0"}, json.dumps(body).encode())


@pytest.mark.parametrize("same_body", [True, False])
def test_a_repeat_in_the_same_group_commit_gets_the_first_answer(in_process, same_body):
    """Requests on one event loop share a group commit: a repeat of a token whose first request is in
    that batch, not yet committed, still gets its answer (or the conflict), never an empty one."""
    gateway, _client = in_process
    first = minimal()
    repeat = copy.deepcopy(first) if same_body else minimal(ClientToken=first["ClientToken"],
                                                             PartnerOpportunityIdentifier="crm-other")

    async def both():
        return await asyncio.gather(gateway.handle_async(_create(first)), gateway.handle_async(_create(repeat)))

    answers = [(response.status, json.loads(response.body)) for response in asyncio.run(both())]
    assert answers[0][0] == 200 and answers[0][1]["Id"].startswith("O")
    if same_body:
        assert answers[1] == answers[0]
    else:
        assert answers[1][0] == 400 and answers[1][1]["__type"] == "ConflictException"
