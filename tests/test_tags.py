"""Tags on opportunities: at create, TagResource, UntagResource, ListTagsForResource."""

from __future__ import annotations

import pytest

from opportunity_requests import minimal


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
