"""Property-based fuzzing of the one request path, with requests generated from the botocore model.

For every implemented operation, hypothesis walks the input shape (tests/request_strategies.py): strings that honour or break
enums, patterns and lengths; lists within and past their bounds; nested structures with optional
members present or absent; wrong types, nulls and unknown members. Valid requests from
opportunity_requests.py are mutated too, and their bytes mangled. Each request goes through the
in-process gateway (the same `Gateway.handle` the server calls) and every answer must be:

* status 200 or 4xx, never 5xx, with an x-amzn-RequestId;
* a 200 body that botocore's own JSON parser reads with the operation's output shape (empty for
  operations without output);
* an error body with `__type` and `Message` (and the x-amzn-ErrorType header), that botocore reads
  as that error code; a ValidationException with a Reason and an ErrorList whose Codes are values
  of the model's ValidationExceptionErrorCode.

Sized for CI (well under a minute on two cores); under CI=true the examples are derandomized, so a
run is reproducible. bench/fuzz.py runs the same properties for as long as you like.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import botocore.parsers
import pytest
from hypothesis import assume, event, given
from hypothesis import strategies as st

from conftest import database_url
from cosell.gateway import Gateway, RawRequest, RawResponse
from cosell.settings import Settings
from cosell.store import Store
from opportunity_requests import full, minimal, submittable, update_from
from request_strategies import KNOWN, MODEL, OPERATION_NAMES, fuzz_settings, mutated, request_strategy

VALIDATION_CODES = frozenset(MODEL.shape_for("ValidationExceptionErrorCode").enum)
VALIDATION_REASONS = frozenset(MODEL.shape_for("ValidationExceptionReason").enum)
PARSER = botocore.parsers.create_parser("json")
TARGET_PREFIX = "AWSPartnerCentralSelling."
MAX_BODY = Settings().max_body_bytes  # larger bodies never reach the gateway: the server answers 413


# --- the world the requests aim at ---------------------------------------------------------------

class World:
    """A gateway on its own SQLite file, holding a few opportunities that generated identifiers can
    hit, so that requests get past "not found" into the operations."""

    def __init__(self, data_dir: Path):
        self.store = Store(database_url(data_dir))
        self.gateway = Gateway(Settings(data_dir=data_dir), self.store)
        for make in (minimal, submittable, minimal):
            self.call("CreateOpportunity", make())
        KNOWN["OpportunityIdentifier"][:] = [s["Id"] for s in self.call(
            "ListOpportunities", {"Catalog": "Sandbox"})["OpportunitySummaries"]]
        KNOWN["TaggableResourceArn"][:] = [s["Arn"] for s in self.call(
            "ListOpportunities", {"Catalog": "Sandbox"})["OpportunitySummaries"] if s.get("Arn")]
        solutions = [s["Id"] for s in self.call("ListSolutions", {"Catalog": "Sandbox"})["SolutionSummaries"]]
        for name in ("AssociateOpportunityRequestRelatedEntityIdentifierString",
                     "DisassociateOpportunityRequestRelatedEntityIdentifierString", "SolutionIdentifier"):
            KNOWN[name][:] = solutions
        self.opportunity = KNOWN["OpportunityIdentifier"][0]
        # Mutations are drawn from fixed documents (hypothesis replays draws, so their shape must
        # not change between runs); an update gets the current LastModifiedDate just before it is sent.
        self.update_template = update_from(self.get_opportunity())
        self.bases = [
            ("CreateOpportunity", minimal()),
            ("CreateOpportunity", submittable()),
            ("CreateOpportunity", full(self.opportunity)),
            ("UpdateOpportunity", self.update_template),
            ("AssignOpportunity", {"Catalog": "Sandbox", "Identifier": self.opportunity, "Assignee": {
                "BusinessTitle": "OpportunityOwner", "Email": "owner@example.com", "FirstName": "Ann", "LastName": "Lee"}}),
            ("TagResource", {"ResourceArn": KNOWN["TaggableResourceArn"][0], "Tags": [{"Key": "k", "Value": "v"}]}),
            ("ListOpportunities", {"Catalog": "Sandbox", "MaxResults": 2,
                                   "Sort": {"SortBy": "LastModifiedDate", "SortOrder": "DESCENDING"}}),
        ]
        self.template_tokens = {document["ClientToken"] for _, document in self.bases if "ClientToken" in document}

    def get_opportunity(self) -> dict:
        return self.call("GetOpportunity", {"Catalog": "Sandbox", "Identifier": self.opportunity})

    def fresh(self, operation: str, document: dict) -> dict:
        """`document` with an unmutated LastModifiedDate of the update template made current, and a
        new ClientToken, so that a request meant to succeed is not refused as stale or a replay."""
        if operation == "UpdateOpportunity" and document.get("LastModifiedDate") == self.update_template["LastModifiedDate"]:
            document = {**document, "LastModifiedDate": self.get_opportunity()["LastModifiedDate"]}
        if isinstance(document.get("ClientToken"), str) and document["ClientToken"] in self.template_tokens:
            document = {**document, "ClientToken": str(uuid.uuid4())}
        return document

    def send(self, operation: str, body: bytes, headers: dict | None = None) -> RawResponse:
        all_headers = {"content-type": "application/x-amz-json-1.0", "x-amz-target": TARGET_PREFIX + operation,
                       "host": "cosell"}
        all_headers.update(headers or {})
        return self.gateway.handle(RawRequest("POST", "/", all_headers, body))

    def call(self, operation: str, document: dict) -> dict:
        response = self.send(operation, json.dumps(document).encode())
        assert response.status == 200, response.body
        return json.loads(response.body) if response.body else {}

    def close(self):
        self.store.close()


# --- what every answer must be -------------------------------------------------------------------

def send_and_check(world: World, operation: str, document) -> str:
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    assume(len(body) <= MAX_BODY)
    return check_answer(operation, world.send(operation, body), document)


def check_answer(operation: str, response: RawResponse, sent) -> str:
    """The invariants of the module docstring; `sent` is shown when one fails. Returns what the
    answer was ("200", "400 ValidationException"), also noted as a hypothesis event."""
    where = f"{operation} answered {response.status} {response.body[:2000]!r} to {str(sent)[:2000]}"
    assert response.status == 200 or 400 <= response.status < 500, where
    headers = {key.lower(): value for key, value in response.headers.items()}
    assert headers.get("x-amzn-requestid"), where
    output_shape = MODEL.operation_model(operation).output_shape
    wire = {"status_code": response.status, "headers": headers, "body": response.body}
    if response.status == 200:
        event("200")
        if output_shape is None:
            assert response.body == b"", where
            return "200"
        document = json.loads(response.body)
        assert isinstance(document, dict), where
        assert set(document) == set(output_shape.members), where
        PARSER.parse(wire, output_shape)
        return "200"
    body = json.loads(response.body)
    assert isinstance(body, dict), where
    assert isinstance(body.get("__type"), str) and body["__type"], where
    assert isinstance(body.get("Message"), str) and body["Message"], where
    label = f"{response.status} {body['__type']}"
    event(label)
    assert headers["x-amzn-errortype"].split(":", 1)[0] == body["__type"], where
    assert PARSER.parse(wire, output_shape)["Error"]["Code"] == body["__type"], where
    if body["__type"] == "ValidationException":
        assert body.get("Reason") in VALIDATION_REASONS, where
        assert isinstance(body.get("ErrorList"), list) and body["ErrorList"], where
        for entry in body["ErrorList"]:
            assert isinstance(entry, dict), where
            assert entry.get("Code") in VALIDATION_CODES, where
            assert isinstance(entry.get("Message"), str), where
            assert entry.get("FieldName") is None or isinstance(entry["FieldName"], str), where
    return label


def valid_requests(world: World):
    """(operation, document) of valid requests of several operations."""
    return st.sampled_from(world.bases)


# --- mangled bytes ---------------------------------------------------------------------------------

@st.composite
def mangled(draw, body: bytes) -> bytes:
    data = bytearray(body)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["cut", "insert", "flip", "delete", "repeat"]))
        if action == "cut":
            del data[at:]
        elif action == "insert":
            data[at:at] = draw(st.sampled_from([b"\x00", b"\xff", b"\xef\xbb\xbf", b"\\ud800", b'"', b"\\", b"{", b"[",
                                                 b"]}", b",", b":", b"1e999999", b"9" * 5000, b"[" * 70, b"\xed\xa0\x80",
                                                 b'"\\u0000"', b"\r\n", b"NaN"]) | st.binary(max_size=8))
        elif action == "flip" and data:
            index = min(at, len(data) - 1)
            data[index] ^= 1 << draw(st.integers(0, 7))
        elif action == "delete":
            del data[at:at + draw(st.integers(1, 16))]
        else:
            data[at:at] = data[at:at + 64] * 100
    return bytes(data)


# --- the properties: plain functions of (world, data), run here and by bench/fuzz.py ---------------

def model_request(world: World, data, operation: str, wild: bool) -> str:
    document = data.draw(request_strategy(operation, wild), label="request")
    return send_and_check(world, operation, document)


def mutated_request(world: World, data) -> str:
    operation, document = data.draw(valid_requests(world), label="valid request")
    document = data.draw(mutated(document), label="mutated")
    return send_and_check(world, operation, world.fresh(operation, document))


def mangled_request(world: World, data) -> str:
    operation, document = data.draw(valid_requests(world), label="valid request")
    body = data.draw(mangled(json.dumps(world.fresh(operation, document)).encode()), label="bytes")
    return send_and_check(world, operation, body)


CONTENT_TYPES = st.sampled_from(["application/x-amz-json-1.0", "application/json; charset=utf-8", "text/plain", "",
                                 "application/x-amz-json-1.1", "APPLICATION/JSON", "application/json;;;"])
TARGETS = st.sampled_from([None, "", TARGET_PREFIX, TARGET_PREFIX + "Nope", "awspartnercentralselling.GetOpportunity",
                           "Other.GetOpportunity", TARGET_PREFIX + "ListSolutions"]) | st.text(max_size=40)
PATHS = st.sampled_from(["/", "//", "/GetOpportunity", "/ListSolutions/", "/../", "/%00", "/?a=b"]) \
    | st.text(max_size=30).map(lambda s: "/" + s)
METHODS = st.sampled_from(["POST", "GET", "PUT", "DELETE", "HEAD", "OPTIONS", "FOO"])


def odd_route(world: World, data) -> str:
    method, path, target = data.draw(METHODS), data.draw(PATHS), data.draw(TARGETS)
    headers = {"content-type": data.draw(CONTENT_TYPES), "host": "cosell"}
    if target is not None:
        headers["x-amz-target"] = target
    body = json.dumps({"Catalog": "Sandbox"}).encode()
    response = world.gateway.handle(RawRequest(method, path, headers, body))
    # The operation whose output a 200 must have: the target's, else the path's. An error body is
    # the same whatever the operation.
    if target is not None:
        routed = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else None
    else:
        routed = path.rstrip("/")[1:]
    if response.status == 200:
        assert routed in OPERATION_NAMES, (response.body, method, path, headers)
    return check_answer(routed if routed in OPERATION_NAMES else "GetOpportunity", response, (method, path, headers))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = World(tmp_path_factory.mktemp("fuzz"))
    yield built
    built.close()


@pytest.mark.backend  # valid requests reach the store: its limits must not turn one into a 500
@pytest.mark.parametrize("operation", OPERATION_NAMES)
@fuzz_settings(max_examples=40)
@given(data=st.data())
def test_model_valid_requests(world, operation, data):
    model_request(world, data, operation, wild=False)


@pytest.mark.parametrize("operation", OPERATION_NAMES)
@fuzz_settings(max_examples=60)
@given(data=st.data())
def test_model_wild_requests(world, operation, data):
    model_request(world, data, operation, wild=True)


@pytest.mark.backend  # valid requests reach the store: its limits must not turn one into a 500
@fuzz_settings(max_examples=500)
@given(data=st.data())
def test_mutated_valid_requests(world, data):
    mutated_request(world, data)


@fuzz_settings(max_examples=400)
@given(data=st.data())
def test_mangled_bytes(world, data):
    mangled_request(world, data)


@fuzz_settings(max_examples=200)
@given(data=st.data())
def test_odd_routes_and_headers(world, data):
    odd_route(world, data)
