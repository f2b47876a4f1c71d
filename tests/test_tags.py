"""Tags on opportunities: at create, TagResource, UntagResource, ListTagsForResource."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import LiveServer
from opportunity_requests import minimal

# Tags are rows of their own, written beside the opportunity, concurrently too.
pytestmark = pytest.mark.backend


def arn_of(client, opportunity_id: str, catalog: str = "Sandbox") -> str:
    return client.get_opportunity(Catalog=catalog, Identifier=opportunity_id)["Arn"]


def test_tags_from_create_then_tag_and_untag(client):
    opportunity_id = client.create_opportunity(**minimal(Tags=[{"Key": "team", "Value": "sync"},
                                                               {"Key": "env", "Value": "test"}]))["Id"]
    arn = arn_of(client, opportunity_id)
    assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "test"},
                                                                       {"Key": "team", "Value": "sync"}]
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "crm"}, {"Key": "owner", "Value": "ana"}])
    client.untag_resource(ResourceArn=arn, TagKeys=["env", "not-there"])
    assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "owner", "Value": "ana"},
                                                                       {"Key": "team", "Value": "crm"}]


def test_untagged_opportunity_lists_no_tags(client):
    opportunity_id = client.create_opportunity(**minimal())["Id"]
    assert client.list_tags_for_resource(ResourceArn=arn_of(client, opportunity_id))["Tags"] == []


@pytest.mark.parametrize("arn", [
    "arn:aws:partnercentral:us-east-1:123456789012:catalog/Sandbox/opportunity/O999999999",  # unknown
    "arn:aws:partnercentral:us-east-1:210987654321:catalog/Sandbox/opportunity/{id}",  # another account
    "arn:aws:partnercentral:us-east-1:123456789012:catalog/AWS/opportunity/{id}",  # another catalog
    "arn:aws:partnercentral:us-east-1:123456789012:catalog/Sandbox/solution/S-1234567",  # not taggable here
])
def test_unknown_or_foreign_arns_are_not_found(client, arn):
    opportunity_id = client.create_opportunity(**minimal())["Id"]
    arn = arn.format(id=opportunity_id)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "v"}])
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.untag_resource(ResourceArn=arn, TagKeys=["k"])
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.list_tags_for_resource(ResourceArn=arn)


def test_one_key_tagged_from_two_processes_at_once_keeps_one_value(tmp_path):
    """Two server processes on one database (PostgreSQL runs their transactions side by side)."""
    servers = [LiveServer(tmp_path / "data").start()]
    servers.append(LiveServer(tmp_path / "data").start())
    try:
        clients = [servers[i % 2].client() for i in range(16)]
        arn = arn_of(clients[0], clients[0].create_opportunity(**minimal(Tags=[{"Key": "team", "Value": "old"}]))["Id"])
        together = threading.Barrier(len(clients))

        def tag(numbered):
            number, c = numbered
            together.wait()
            c.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": f"v{number}"}, {"Key": f"k{number}", "Value": "x"}])

        with ThreadPoolExecutor(max_workers=len(clients)) as pool:
            list(pool.map(tag, enumerate(clients)))
        tags = clients[1].list_tags_for_resource(ResourceArn=arn)["Tags"]
        assert [tag["Key"] for tag in tags] == sorted(["team", *(f"k{n}" for n in range(len(clients)))])
        assert {tag["Value"] for tag in tags if tag["Key"] == "team"} <= {f"v{n}" for n in range(len(clients))}
    finally:
        for server in servers:
            server.stop()
