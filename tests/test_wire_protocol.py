"""The awsJson1_0 wire as raw HTTP sees it: routing, content types, error shapes, nulls, limits."""

from __future__ import annotations

import http.client
import importlib.metadata
import json
import uuid

import pytest

from cosell.operations.families import REGISTRY
from opportunity_requests import minimal
from wire_helpers import assert_aws_error, call


def test_target_header_routing(server):
    status, headers, data = call(server, minimal(), target="CreateOpportunity")
    assert status == 200
    assert headers["content-type"] == "application/json"
    request_id = uuid.UUID(headers["x-amzn-requestid"])  # a version-4 UUID in its canonical form
    assert (str(request_id), request_id.version, request_id.variant) == (headers["x-amzn-requestid"], 4, uuid.RFC_4122)
    body = json.loads(data)
    assert set(body) == {"Id", "LastModifiedDate", "PartnerOpportunityIdentifier"}
    assert body["PartnerOpportunityIdentifier"] is None  # unset optional members are null (reference §1.7)
    assert body["LastModifiedDate"].endswith("Z")


def test_request_ids_are_random_uuids(server):
    """As AWS's are: consecutive requests share no part of their ids (a counter would tell one account how
    many requests the others made)."""
    ids = [uuid.UUID(call(server, {"Catalog": "Sandbox", "Identifier": "O1"}, target="GetOpportunity")[1]["x-amzn-requestid"])
           for _ in range(40)]
    assert all((request_id.version, request_id.variant) == (4, uuid.RFC_4122) for request_id in ids)
    assert len({request_id.hex[:8] for request_id in ids}) == 40  # random leading digits
    assert len({request_id.hex[-12:] for request_id in ids}) == 40  # random trailing digits
    trailing = sorted(int(request_id.hex[-12:], 16) for request_id in ids)
    assert trailing[-1] - trailing[0] > 40  # not a run of consecutive numbers


def test_path_routing_with_plain_json_as_postman_sends(server):
    status, _, data = call(server, minimal(), path="/CreateOpportunity", content_type="application/json; charset=UTF-8")
    assert status == 200
    opportunity_id = json.loads(data)["Id"]
    status, _, data = call(server, {"Catalog": "Sandbox", "Identifier": opportunity_id}, path="/GetOpportunity")
    assert status == 200
    got = json.loads(data)
    assert got["Id"] == opportunity_id
    assert got["SoftwareRevenue"] is None and got["PrimaryNeedsFromAws"] is None
    assert got["Customer"]["Account"]["Address"]["City"] is None
    assert got["LifeCycle"]["NextStepsHistory"] is None
    assert got["RelatedEntityIdentifiers"]["Solutions"] == []
    assert list(got) == sorted(got)  # keys in alphabetical order, as the real service writes them
    assert "Origin" not in got and "Tags" not in got  # not members of GetOpportunity's output
    assert_keys_sorted_at_every_level(data)
    status, _, data = call(server, {"Catalog": "Sandbox", "MaxResults": 2}, target="ListOpportunities")
    assert status == 200 and json.loads(data)["OpportunitySummaries"]
    assert_keys_sorted_at_every_level(data)
    assert data.count(b'"LifeCycle":{"ClosedLostReason":null,') >= 1


def assert_keys_sorted_at_every_level(data: bytes):
    def keys_in_order(pairs):
        keys = [key for key, _ in pairs]
        assert keys == sorted(keys), keys
        return dict(pairs)

    json.loads(data, object_pairs_hook=keys_in_order)


def test_unknown_members_are_ignored_and_nulls_accepted(server):
    request = minimal()
    request["CreatedDate"] = "2025-01-01T00:00:00Z"
    request["PartnerId"] = "ignored"
    request["Customer"]["Account"]["Address"]["City"] = None
    request["LifeCycle"]["ClosedLostReason"] = None
    request["Marketing"] = None
    status, _, data = call(server, request, target="CreateOpportunity")
    assert status == 200, data


def test_unknown_operation(server):
    status, headers, data = call(server, {}, target="DeleteOpportunity")
    assert_aws_error(status, headers, data, 400, "UnknownOperationException")
    status, headers, data = call(server, {}, headers={"X-Amz-Target": "SomeOtherService.CreateOpportunity"})
    assert_aws_error(status, headers, data, 400, "UnknownOperationException")


def test_missing_target_on_root(server):
    status, headers, data = call(server, minimal())
    assert_aws_error(status, headers, data, 400, "UnknownOperationException")


def test_unknown_path(server):
    status, headers, data = call(server, {}, path="/NoSuchOperation")
    assert_aws_error(status, headers, data, 404, "UnknownOperationException")
    status, headers, data = call(server, {}, path="/CreateOpportunity/extra")
    assert_aws_error(status, headers, data, 404, "UnknownOperationException")


def test_wrong_method(server):
    status, headers, data = call(server, b"", method="GET", path="/CreateOpportunity", content_type=None)
    assert_aws_error(status, headers, data, 405, "MethodNotAllowedException")
    status, headers, data = call(server, minimal(), method="PUT", target="CreateOpportunity")
    assert_aws_error(status, headers, data, 405, "MethodNotAllowedException")


@pytest.mark.parametrize("payload", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe{}", b'{"Catalog": NaN}'])
def test_malformed_body_is_a_serialization_exception(server, payload):
    status, headers, data = call(server, payload, target="CreateOpportunity")
    assert_aws_error(status, headers, data, 400, "SerializationException")


def test_deeply_nested_body_is_a_serialization_exception(server):
    payload = b'{"Catalog":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    status, headers, data = call(server, payload, target="CreateOpportunity")
    assert_aws_error(status, headers, data, 400, "SerializationException")


def test_body_over_one_mebibyte_is_refused(server):
    request = minimal()
    request["Padding"] = "x" * (1024 * 1024)
    status, headers, data = call(server, request, target="CreateOpportunity")
    assert_aws_error(status, headers, data, 413, "RequestEntityTooLargeException")
    status, _, _ = call(server, minimal(), target="CreateOpportunity")
    assert status == 200  # and the server keeps serving


def test_wrong_content_type(server):
    status, headers, data = call(server, minimal(), target="CreateOpportunity", content_type="text/plain")
    assert_aws_error(status, headers, data, 415, "UnsupportedMediaTypeException")


def test_operation_not_served_yet(server):
    status, headers, data = call(server, {"Catalog": "Sandbox", "MaxResults": 10}, target="ListCustomerAccountBulkJobs")
    assert_aws_error(status, headers, data, 501, "NotImplementedException")


def test_validation_error_body_shape(server):
    status, headers, data = call(server, {"Catalog": "Sandbox"}, target="CreateOpportunity")
    body = assert_aws_error(status, headers, data, 400, "ValidationException")
    assert body["Reason"] == "REQUEST_VALIDATION_FAILED"
    assert body["ErrorList"] == [{"FieldName": "clientToken", "Code": "REQUIRED_FIELD_MISSING",
                                  "Message": "clientToken is required."}]


def test_wrong_json_types_are_validation_errors(server):
    """What boto3 never sends but a hand-written client might: a string for a list, a list for an object."""
    request = minimal(PrimaryNeedsFromAws="Co-Sell - Deal Support", Marketing=["None"])
    status, headers, data = call(server, request, target="CreateOpportunity")
    body = assert_aws_error(status, headers, data, 400, "ValidationException")
    assert sorted((e["FieldName"], e["Code"]) for e in body["ErrorList"]) == [
        ("marketing", "INVALID_VALUE"), ("primaryNeedsFromAws", "INVALID_VALUE")]


def test_noop_answers_an_empty_document(server):
    """The benchmarks' baseline: a POST that reads its body and answers without doing any work."""
    status, headers, data = call(server, {"Catalog": "Sandbox", "Identifier": "O1"}, path="/_cosell/noop")
    assert (status, data, headers["content-type"]) == (200, b"{}", "application/x-amz-json-1.0")


def test_health(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request("GET", "/_cosell/health")
        response = connection.getresponse()
        status, health = response.status, json.loads(response.read())
    finally:
        connection.close()
    assert status == 200
    # What a user checks first when a call answers 501: which model, and how much of it cosell serves.
    assert health == {"status": "ok", "botocore": importlib.metadata.version("botocore"), "model": {
        "service": "partnercentral-selling", "apiVersion": "2022-07-26", "operations": 63,
        "implemented": len(REGISTRY.operations("partnercentral-selling")),
        "notYetImplemented": 63 - len(REGISTRY.operations("partnercentral-selling"))}}
    assert health["model"]["implemented"] >= 15
