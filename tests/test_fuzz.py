"""Property-based fuzzing of the one request path, with requests generated from the botocore model.

For every implemented operation, hypothesis walks the input shape: strings that honour or break
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

import copy
import datetime as dt
import json
import os
import re
import string
import uuid
from functools import cache
from pathlib import Path

import botocore.parsers
import pytest
import regex
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from conftest import database_url
from opportunity_requests import full, minimal, submittable, update_from

from cosell.gateway import Gateway, RawRequest, RawResponse
from cosell.operations.families import REGISTRY
from cosell.protocol.model import PARTNER_CENTRAL_SELLING
from cosell.protocol.model import service_model
from cosell.protocol.validation.policy import DOCUMENTED_ENUMS
from cosell.settings import Settings
from cosell.store import Store

MODEL = service_model()
OPERATION_NAMES = sorted(REGISTRY.operations(PARTNER_CENTRAL_SELLING))
VALIDATION_CODES = frozenset(MODEL.shape_for("ValidationExceptionErrorCode").enum)
VALIDATION_REASONS = frozenset(MODEL.shape_for("ValidationExceptionReason").enum)
PARSER = botocore.parsers.create_parser("json")
TARGET_PREFIX = "AWSPartnerCentralSelling."
MAX_BODY = Settings().max_body_bytes  # larger bodies never reach the gateway: the server answers 413


def fuzz_settings(max_examples: int):
    """deadline off (the first SQLite write is slow), no example database in the work tree, and
    derandomized under CI so a CI run is reproducible."""
    return settings(max_examples=max_examples, deadline=None, database=None, derandomize=bool(os.environ.get("CI")),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much, HealthCheck.large_base_example])


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


# Values that exist in the World, by shape name; filled when a World is built, read at draw time.
KNOWN: dict[str, list] = {name: [] for name in (
    "OpportunityIdentifier", "TaggableResourceArn", "SolutionIdentifier",
    "AssociateOpportunityRequestRelatedEntityIdentifierString",
    "DisassociateOpportunityRequestRelatedEntityIdentifierString")}
KNOWN["CatalogIdentifier"] = ["Sandbox"]  # the World's catalog


def known(name: str):
    pool = KNOWN[name]
    return st.integers(0, 1 << 16).filter(lambda _: bool(pool)).map(lambda i: pool[i % len(pool)])


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


# --- values ----------------------------------------------------------------------------------------

JSON_LEAVES = (st.none() | st.booleans() | st.integers(-(2 ** 63), 2 ** 63)
               | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12))
ANY_JSON = st.recursive(JSON_LEAVES, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=8)
LONE_SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
SURROGATES = re.compile("[\ud800-\udfff]")
ODD_STRINGS = st.one_of(
    st.sampled_from(["", " ", "\u0000", "\x00\x01\x1f\x7f", "\U0001F600", "\u2028\u2029", "\ufeff", "'\"\\",
                     "%s%n%x", "../../etc/passwd", "<script>alert(1)</script>", "'; DROP TABLE opportunities;--",
                     "null", "true", "0", "-1", "1e999", "NaN", "O1000000", "O" + "9" * 19, "S-1", "arn:",
                     "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0000-00-00", "Sandbox", "AWS",
                     "\u202eevil", "e\u0301", "İ", "ß", "\uffff", "\U0010FFFF"]),
    st.text(min_size=1, max_size=3).map(lambda s: s * 100),
    st.integers(256, 5000).map(lambda n: "x" * n),
    st.just("y" * 200_000),
)


@cache
def _generation_pattern(pattern: str):
    """A pattern that Python's re (and so hypothesis) understands: ASCII \\w and \\d (the regex
    module's Unicode classes differ from re's), the model's \\p{..} classes spelt out, and a leading
    length look-ahead `(?=.{a,b}$)` dropped: folded into a lone `[class]*`, else checked afterwards."""
    lookahead = re.match(r"^\(\?=\.\{(\d+),(\d+)\}\$\)", pattern)
    if lookahead:
        pattern = pattern[lookahead.end():]
        pattern = re.sub(r"^\((\[[^\]]*\])\*\)$", lambda m: f"({m.group(1)}{{{lookahead[1]},{lookahead[2]}}})", pattern)
    pattern = pattern.replace(r"\p{L}", "a-zA-Zé").replace(r"\p{Z}", " ").replace(r"\p{N}", "0-9")
    try:
        re.compile("(?a)" + pattern)
    except re.error:
        return None
    return "(?a)" + pattern


def valid_string(shape):
    values = shape.enum or DOCUMENTED_ENUMS.get(shape.name)
    pattern = shape.metadata.get("pattern")
    low, high = shape.metadata.get("min", 0), shape.metadata.get("max")
    if values:
        strategy = st.sampled_from(list(values))
    elif pattern and _generation_pattern(pattern):
        # from_regex's `.` may give lone surrogates, which are no text (a SerializationException).
        strategy = st.from_regex(_generation_pattern(pattern), fullmatch=True).map(lambda s: SURROGATES.sub("?", s))
    else:
        strategy = st.text(min_size=low, max_size=min(high or 40, 40))
    if pattern:
        matcher = regex.compile(pattern).fullmatch
        strategy = strategy.filter(lambda s: matcher(s) is not None)
    strategy = strategy.filter(lambda s: len(s) >= low and (high is None or len(s) <= high))
    if shape.name in KNOWN:
        strategy = known(shape.name) | strategy
    return strategy


def wild_string(shape):
    high = shape.metadata.get("max")
    options = [ODD_STRINGS, st.text(max_size=30)]
    if high:
        options.append(st.integers(high + 1, high + 50).map(lambda n: "z" * n))
    return st.one_of(*options)


def valid_integer(shape):
    return st.integers(shape.metadata.get("min", -(2 ** 31)), shape.metadata.get("max", 2 ** 31 - 1))


def wild_integer(shape):
    low, high = shape.metadata.get("min", 0), shape.metadata.get("max", 2 ** 31)
    return st.one_of(st.integers(high + 1, high + 10), st.integers(low - 10, low - 1), st.just(10 ** 40),
                     st.just(-(10 ** 4000)), st.floats(), st.sampled_from(["5", "", True, 1.5]))


TIMESTAMPS = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1))


def valid_timestamp(_shape):
    return TIMESTAMPS.map(lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z")


def wild_timestamp(_shape):
    return st.one_of(st.integers(-(2 ** 70), 2 ** 70), st.floats(), ODD_STRINGS,
                     st.sampled_from(["2025-13-40T25:61:61Z", "2025-01-01", "yesterday", "2025-01-01T00:00:00+99:00"]))


VALID = {"string": valid_string, "integer": valid_integer, "long": valid_integer, "timestamp": valid_timestamp}
WILD = {"string": wild_string, "integer": wild_integer, "long": wild_integer, "timestamp": wild_timestamp}

UNKNOWN_MEMBERS = st.dictionaries(st.sampled_from(["Unknown", "__type", "Id", "Arn", "constructor", "__proto__", ""])
                                  | st.text(string.ascii_letters, min_size=1, max_size=12), ANY_JSON, min_size=1, max_size=3)


@cache
def shape_strategy(shape_name: str, wild: bool, depth: int = 0):
    """Hypothesis strategy for a model shape: shape-valid values, or (wild) a mix of valid and broken."""
    shape = MODEL.shape_for(shape_name)
    kind = shape.type_name
    if kind == "structure":
        valid = structure_strategy(shape, wild, depth)
    elif kind == "list":
        member = shape_strategy(shape.member.name, wild, depth + 1)
        low, high = shape.metadata.get("min", 0), shape.metadata.get("max")
        valid = st.lists(member, min_size=low, max_size=min(high if high is not None else 4, low + 4))
        if wild:
            overflow = [st.lists(member, min_size=high + 1, max_size=high + 3)] if high is not None else []
            many = member.map(lambda item: [item] * (3000 if len(json.dumps(item)) <= 100 else 3))
            valid = st.one_of(valid, valid, *overflow, st.lists(member, max_size=0), many, member)
    elif kind == "boolean":
        valid = st.booleans()
    else:
        valid = VALID[kind](shape)
        if wild:
            valid = st.one_of(valid, valid, WILD[kind](shape))
    if wild and kind != "list":
        return st.one_of(valid, valid, valid, ANY_JSON)
    if wild:
        return st.one_of(valid, valid, ANY_JSON)
    return valid


def structure_strategy(shape, wild: bool, depth: int):
    if depth > 12:
        return st.just({})
    members = {name: member.name for name, member in shape.members.items()}
    required = set(shape.required_members)

    @st.composite
    def draw_structure(draw):
        document = {}
        for name, member_shape in members.items():
            if wild:
                present = draw(st.integers(0, 9)) >= (1 if name in required else 5)
            else:
                present = name in required or draw(st.booleans())
            if present:
                document[name] = draw(shape_strategy(member_shape, wild, depth + 1))
            elif wild and draw(st.integers(0, 9)) == 0:
                document[name] = None
        if wild and draw(st.integers(0, 7)) == 0:
            document.update(draw(UNKNOWN_MEMBERS))
        return document

    return draw_structure()


def request_strategy(operation: str, wild: bool):
    """Always an object at the top: bodies that are no object are test_mangled_bytes' business."""
    return structure_strategy(MODEL.operation_model(operation).input_shape, wild, 0)


# --- mutations of valid requests -----------------------------------------------------------------

# Built afresh for every draw (st.builds): a mutation must never change a value a later example reuses.
# Lone surrogates only here (and in test_mangled_bytes): one anywhere makes the whole request a
# SerializationException, which in model-wild requests of forty strings would hide everything else.
WITH_LONE_SURROGATE = st.builds(lambda a, s, b: a + s + b, st.text(max_size=4), LONE_SURROGATES, st.text(max_size=4))
HOSTILE_VALUES = st.one_of(ANY_JSON, ODD_STRINGS, WITH_LONE_SURROGATE, st.none(), st.builds(list), st.builds(dict), st.just(10 ** 400),
                           st.builds(lambda: [{"Key": "k", "Value": "v"} for _ in range(2000)]),
                           st.builds(lambda: json.loads("[" * 60 + "]" * 60)))


def paths(document, prefix=()):
    """Every (path) to a member or list item of a JSON document."""
    found = [prefix] if prefix else []
    if isinstance(document, dict):
        for key, value in document.items():
            found += paths(value, prefix + (key,))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += paths(value, prefix + (index,))
    return found


def drawn_slot(draw, document):
    """(container, key or index) of a member or list item of `document` drawn at random; None when
    it has none."""
    targets = paths(document)
    if not targets:
        return None
    path = draw(st.sampled_from(targets))
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    return parent, path[-1]


@st.composite
def mutated(draw, document: dict):
    document = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 4))):
        slot = drawn_slot(draw, document)
        if slot is None:
            break
        parent, last = slot
        action = draw(st.sampled_from(["replace", "replace", "drop", "unknown", "wrap", "empty"]))
        if action == "drop":
            del parent[last]
        elif action == "unknown" and isinstance(parent, dict):
            parent[str(last) + draw(st.sampled_from(["X", "_", " ", "\u0000"]))] = draw(HOSTILE_VALUES)
        elif action == "wrap":
            parent[last] = draw(st.sampled_from([lambda v: [v], lambda v: {"Value": v}, lambda v: str(v)]))(parent[last])
        elif action == "empty":
            parent[last] = type(parent[last])() if isinstance(parent[last], (str, list, dict)) else 0
        else:
            parent[last] = draw(HOSTILE_VALUES)
    return document


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
