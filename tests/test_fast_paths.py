"""The fast paths answer exactly what the plain code they shortcut answers.

Three hot spots have a fast path next to a plain implementation, and a client must not be able to
tell which one served it:

* request validation: the generated fast check (validation.fast.CheckCompiler) accepts and cleans the valid
  requests, the full validators report the errors. For any request, the validator's outcome (the
  cleaned request, member order and value types included, or the ValidationException's code, message,
  Reason and ErrorList) must be the one the full validation alone gives
  (compile_validators(..., fast_path=False));
* response bodies: awsjson.serialize_output writes the JSON straight from the output shape; its bytes
  must be those of dumps(render(shape, value)), for every output shape of the implemented operations;
* UpdateOpportunity's editability check: lifecycle.changed_paths skips equal subtrees; the changed
  paths (and so which fields an update is refused for) must be those of the plain recursive diff.

Requests: every single change of valid requests (opportunity_requests.py's and more, and valid
requests generated from the model by tests/request_strategies.py): each member or list item set
at and one past each bound of the model (length, list size, range), to other values of its kind
(other enum values, case, spaces, non-ASCII), to values of other types and null, or dropped; each
structure given an explicit null for a member it lacks, or an unknown member. That is where a fast
check most easily drifts from the full one (a bound checked off by one or not at all, a null kept).
Then hypothesis requests of request_strategies.py (valid, wild, mutated), valid requests with explicit nulls,
and two changes at once. Output values are generated from every output shape; documents for the diff
share members and subtrees. Derandomized, so CI runs the same examples every time; sized to run in
about ten seconds on two cores.
"""

from __future__ import annotations

import collections
import copy
import datetime as dt
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import request_strategies
from cosell.domain import lifecycle
from cosell.protocol import awsjson
from cosell.protocol.errors import ServiceError
from cosell.protocol.validation import compile_validators
from cosell.protocol.validation.policy import DOCUMENTED_ENUMS
from opportunity_requests import full, minimal, submittable, update_from
from request_strategies import MODEL, OPERATION_NAMES, drawn_slot, fuzz_settings, mutated, request_strategy

# Sized to run the whole file in about ten seconds on two cores.
EXAMPLES_OF_VALID_REQUESTS = 60  # each with every single change of it: some 20,000 requests
EXAMPLES_OF_REQUESTS = 600
EXAMPLES_OF_RESPONSES = 120  # per output shape
EXAMPLES_OF_DIFFS = 1000


def fixed(max_examples: int):
    """fuzz_settings (no deadline, no example database), always derandomized."""
    return settings(fuzz_settings(max_examples), derandomize=True)


# --- request validation ----------------------------------------------------------------------------

OPERATION_MODELS = [MODEL.operation_model(name) for name in OPERATION_NAMES]
WITH_FAST_PATH = compile_validators(OPERATION_MODELS)  # as the gateway builds them
FULL_VALIDATION_ONLY = compile_validators(OPERATION_MODELS, fast_path=False)

# request_strategies.known() draws identifiers from KNOWN, which has none until a test fills it: fixed
# values of the right format, so that what is generated does not depend on which tests ran before.
KNOWN_VALUES = {
    "OpportunityIdentifier": ["O1000001", "O1000002"],
    "TaggableResourceArn": ["arn:aws:partnercentral:us-east-1:111122223333:catalog/Sandbox/opportunity/O1000001"],
    "SolutionIdentifier": ["S-0000001"],
    "AssociateOpportunityRequestRelatedEntityIdentifierString": ["S-0000001"],
    "DisassociateOpportunityRequestRelatedEntityIdentifierString": ["S-0000001"],
}


def _pinned(request: dict) -> dict:
    return {**request, "ClientToken": "00000000-0000-4000-8000-000000000000"}  # not a fresh uuid4 per run


BASES = [
    ("CreateOpportunity", _pinned(minimal())),
    ("CreateOpportunity", _pinned(submittable())),
    ("CreateOpportunity", _pinned(full("O1000002"))),
    ("UpdateOpportunity", update_from({**_pinned(full("O1000002")), "Id": "O1000001",
                                       "LastModifiedDate": "2025-01-01T00:00:00.000Z"})),
    ("AssignOpportunity", {"Catalog": "Sandbox", "Identifier": "O1000001", "Assignee": {
        "BusinessTitle": "OpportunityOwner", "Email": "owner@example.com", "FirstName": "Ann", "LastName": "Lee"}}),
    ("TagResource", {"ResourceArn": KNOWN_VALUES["TaggableResourceArn"][0], "Tags": [{"Key": "k", "Value": "v"}]}),
    ("ListOpportunities", {"Catalog": "Sandbox", "MaxResults": 2,
                           "Sort": {"SortBy": "LastModifiedDate", "SortOrder": "DESCENDING"}}),
    ("ListOpportunities", {"Catalog": "Sandbox", "Identifier": ["O1000001", "O1000002"], "LifeCycleStage": ["Prospect"],
                           "LifeCycleReviewStatus": ["Approved"], "CustomerCompanyName": ["Example Corp"]}),
    ("ListSolutions", {"Catalog": "Sandbox", "Identifier": ["S-0000001"], "Status": ["Active"]}),
    ("ListEngagementFromOpportunityTasks", {"Catalog": "Sandbox", "OpportunityIdentifier": ["O1000001"],
                                            "TaskStatus": ["COMPLETE"], "MaxResults": 10}),
    ("UntagResource", {"ResourceArn": KNOWN_VALUES["TaggableResourceArn"][0], "TagKeys": ["k"]}),
]


def _ordered(value):
    """`value` with what == overlooks made part of it: dict member order, and the leaves' types
    (True == 1 == 1.0, and aware datetimes in different zones compare equal)."""
    if isinstance(value, dict):
        return "dict", [(key, _ordered(item)) for key, item in value.items()]
    if isinstance(value, list):
        return "list", [_ordered(item) for item in value]
    return type(value).__name__, repr(value)


def validation_outcome(validators, operation: str, request):
    """What the client gets from validation: the cleaned request, or the error it is answered."""
    try:
        return "accepted", _ordered(validators[operation](copy.deepcopy(request)))
    except ServiceError as error:
        return "refused", error.code, error.message, error.members()


# --- requests one change away from a valid one

def _length_bounds(shape) -> list[tuple[int, int | None]]:
    """(low, high) of a string: its min and max, and the repetitions its pattern bounds (`(?s).{1,255}`,
    the look-ahead `(?=.{1,1000}$)`, `O[0-9]{1,19}`)."""
    meta = shape.metadata
    found = [(meta.get("min", 0), meta.get("max"))] if "min" in meta or "max" in meta else []
    return found + [(int(low), int(high)) for low, high in re.findall(r"\{(\d+),(\d+)\}", meta.get("pattern", ""))]


def _edges(bounds, current: int) -> list[int]:
    """At each bound and one past it; without bounds, 0 and one more than now."""
    edges = {n for low, high in bounds for n in (low - 1, low, high, None if high is None else high + 1)}
    return sorted(n for n in edges if n is not None and n >= 0) or [0, current + 1]


def _kind_of_change(shape) -> str:
    """What the fast check tests of a member: enum, length, pattern, type..."""
    if shape.type_name != "string":
        return shape.type_name
    if shape.enum or shape.name in DOCUMENTED_ENUMS:
        return "enum"
    pattern = shape.metadata.get("pattern", "")
    if re.fullmatch(r"\(\?s\)\.\{\d+,\d+\}", pattern) or "min" in shape.metadata or "max" in shape.metadata:
        return "bounded string"
    return "pattern" if pattern else "string"


OF_KIND = {"string": str, "integer": int, "long": int, "list": list, "boolean": bool}
OTHER_TYPES = [None, True, 0, 1.5, "", "1", [], {}]


def candidates(shape, value) -> list:
    """Values to put in place of `value` (valid for `shape`, unless an earlier change made it otherwise):
    at each edge of what the model allows (length, size or range: at each bound and one past it),
    other values of the kind, values of other types."""
    others = [*OTHER_TYPES, [value], {"Value": value}]
    kind, meta = shape.type_name, shape.metadata
    # (a value the first of two changes made of another type has no edges of this kind: only other values)
    if kind in ("integer", "long") and (isinstance(value, bool) or not isinstance(value, int)):
        return others
    if kind not in ("integer", "long") and not isinstance(value, OF_KIND.get(kind, object)):
        return others
    if kind == "string":
        # cut, or grown by repeating its last character, which keeps most of the model's patterns
        # matching while the length moves (`O[0-9]{1,19}`: more digits)
        edges = [value[:n] + (value[-1:] or "a") * (n - len(value)) for n in _edges(_length_bounds(shape), len(value))]
        return [*edges, *(shape.enum or DOCUMENTED_ENUMS.get(shape.name) or ()), value.lower(), value.upper(),
                value + " ", " " + value, value + "\u00e9", value + "\U0001F600", value + "\n", value + "\x00", *others]
    if kind in ("integer", "long"):
        edges = _edges([(meta.get("min", 0), meta.get("max"))], value) if "min" in meta or "max" in meta else []
        return [*edges, -1, 2 ** 31, 2 ** 63, float(value), str(value), False, *others]
    if kind == "list":
        sizes = _edges([(meta.get("min", 0), meta.get("max"))], len(value))
        edges = [value[:n] + value[-1:] * (n - len(value)) for n in sizes if n <= len(value) or value]
        return [*edges, value + [None], [None, *value], [[]], [{}], *others]
    if kind == "timestamp":
        return ["2025-01-31T12:00:00Z", "2025-01-31T12:00:00.123+02:00", "2025-01-31", "2025-01-31T12:00:00",
                "2025-02-30T00:00:00Z", "20250131T120000Z", 1738324800, 1738324800.5, 1e300, -1e20, *others]
    if kind == "boolean":
        return [not value, 1, "true", *others]
    if kind in ("float", "double"):
        return [-0.0, 1e308, 2 ** 80, *others]
    return [{}, *others]  # structures, maps


def members_and_items(shape, value, path=()):
    """(path, shape) of every member and list item of a request `value` of `shape`."""
    found = []
    if shape.type_name == "structure" and isinstance(value, dict):
        children = [(name, shape.members[name], item) for name, item in value.items() if name in shape.members]
    elif shape.type_name == "list" and isinstance(value, list):
        children = [(index, shape.member, item) for index, item in enumerate(value)]
    elif shape.type_name == "map" and isinstance(value, dict):
        children = [(key, shape.value, item) for key, item in value.items()]
    else:
        children = []
    for part, child_shape, item in children:
        found.append((path + (part,), child_shape))
        found += members_and_items(child_shape, item, path + (part,))
    return found


DROP = object()


def with_change(request, path, value):
    """A copy of `request` (copied along `path` only) with the member or item at `path` set to
    `value`, or removed (DROP)."""
    copied = request.copy()
    if len(path) > 1:
        copied[path[0]] = with_change(request[path[0]], path[1:], value)
    elif value is DROP:
        del copied[path[0]]
    else:
        copied[path[0]] = value
    return copied


def single_changes(operation: str, request: dict):
    """Every request one change away from `request`: each member or item set to each of its candidates,
    or dropped; each structure given an explicit null for each member it lacks, or an unknown member."""
    input_shape = MODEL.operation_model(operation).input_shape
    for path, shape in [((), input_shape), *members_and_items(input_shape, request)]:
        parent = request
        for part in path[:-1]:
            parent = parent[part]
        value = parent[path[-1]] if path else request
        if path:
            for candidate in candidates(shape, value) + ([DROP] if isinstance(parent, dict) else []):
                yield with_change(request, path, copy.deepcopy(candidate))
        if shape.type_name == "structure" and isinstance(value, dict):
            for name in [*(name for name in shape.members if name not in value), "UnknownMember"]:
                yield with_change(request, path + (name,), None if name in shape.members else "x")


@st.composite
def changed(draw, operation: str, request: dict):
    """`request` with a member or item changed to one of its candidates, or dropped; the member picked
    by kind (so that the few lists and numbers are picked as often as the many strings)."""
    by_kind = collections.defaultdict(list)
    for path, shape in members_and_items(MODEL.operation_model(operation).input_shape, request):
        by_kind[_kind_of_change(shape)].append((path, shape))
    if not by_kind:
        return request
    path, shape = draw(st.sampled_from(by_kind[draw(st.sampled_from(sorted(by_kind)))]))
    parent = request
    for part in path[:-1]:
        parent = parent[part]
    value = draw(st.sampled_from(candidates(shape, parent[path[-1]]) + ([DROP] if isinstance(parent, dict) else [])))
    return with_change(request, path, copy.deepcopy(value))


@st.composite
def with_nulls(draw, operation: str, request: dict):
    """`request` with explicit nulls for some of its structures' optional members, sent or not (the
    service drops them, but keeps those whose null means something: validation.policy.NULL_IS_MEANINGFUL)."""
    request = copy.deepcopy(request)

    def visit(shape, value):
        if shape.type_name == "structure" and isinstance(value, dict):
            for name, member in shape.members.items():
                if name in value:
                    visit(member, value[name])
                if name not in shape.required_members and draw(st.integers(0, 3)) == 0:
                    value[name] = None
        elif shape.type_name == "list" and isinstance(value, list):
            for item in value:
                visit(shape.member, item)

    visit(MODEL.operation_model(operation).input_shape, request)
    return request


@pytest.fixture
def known_identifiers(monkeypatch):
    for name, values in KNOWN_VALUES.items():
        monkeypatch.setitem(request_strategies.KNOWN, name, values)


def check_validation(operation: str, request, source: str, seen: collections.Counter) -> None:
    expected = validation_outcome(FULL_VALIDATION_ONLY, operation, request)
    assert validation_outcome(WITH_FAST_PATH, operation, request) == expected, (operation, request)
    seen[source, expected[0]] += 1


def assert_both_outcomes_seen(seen: collections.Counter, sources) -> None:
    """The comparison means something only if requests both pass and fail validation, from each source."""
    for source, minimum in sources.items():
        assert min(seen[source, "accepted"], seen[source, "refused"]) >= minimum, sorted(seen.items())


def test_valid_bases_are_accepted_as_is():
    """The starting points of the changes are valid: each change is the only thing wrong, if anything."""
    for operation, request in BASES:
        assert validation_outcome(FULL_VALIDATION_ONLY, operation, request)[0] == "accepted", operation
        assert validation_outcome(WITH_FAST_PATH, operation, request) == \
            validation_outcome(FULL_VALIDATION_ONLY, operation, request)


def test_every_single_change_of_the_valid_requests():
    seen: collections.Counter = collections.Counter()
    for operation, request in BASES:
        for changed_request in single_changes(operation, request):
            check_validation(operation, changed_request, operation, seen)
    assert_both_outcomes_seen(seen, {operation: 10 for operation, _ in BASES})


def test_every_single_change_of_generated_valid_requests(known_identifiers):
    seen: collections.Counter = collections.Counter()

    @fixed(max_examples=EXAMPLES_OF_VALID_REQUESTS)
    @given(st.data())
    def same_outcomes(data):
        operation = data.draw(st.sampled_from(OPERATION_NAMES))
        for changed_request in single_changes(operation, data.draw(request_strategy(operation, wild=False))):
            check_validation(operation, changed_request, "model", seen)

    same_outcomes()
    assert_both_outcomes_seen(seen, {"model": 1000})


def test_generated_requests(known_identifiers):
    seen: collections.Counter = collections.Counter()

    @fixed(max_examples=EXAMPLES_OF_REQUESTS)
    @given(st.data())
    def same_outcome(data):
        source = data.draw(st.sampled_from(["valid", "wild", "mutated", "nulls", "two changes"]))
        if source in ("mutated", "two changes") or (source == "nulls" and data.draw(st.booleans())):
            operation, request = data.draw(st.sampled_from(BASES))
        else:
            operation = data.draw(st.sampled_from(OPERATION_NAMES))
            request = data.draw(request_strategy(operation, wild=source == "wild"))
        if source == "mutated":
            request = data.draw(mutated(request))
        elif source == "nulls":
            request = data.draw(with_nulls(operation, request))
        elif source == "two changes":
            request = data.draw(changed(operation, data.draw(changed(operation, request))))
        check_validation(operation, request, source, seen)

    same_outcome()
    # (a valid request is never refused, a wild one hardly ever accepted)
    assert seen["valid", "accepted"] >= 50 and seen["wild", "refused"] >= 50, sorted(seen.items())
    assert seen["nulls", "accepted"] >= 50, sorted(seen.items())
    assert_both_outcomes_seen(seen, {"mutated": 5, "two changes": 10})


# --- response bodies -------------------------------------------------------------------------------

# Any code point, with the ones JSON escapes or UTF-8 cannot encode (lone surrogates, which dumps writes
# as \ud800 escapes) often enough to be met. Joined lists, not st.text: st.text never draws a surrogate.
TEXT = st.lists(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
                | st.sampled_from("\ud800\udfff\x00\x1f\x7f\"\\/\u2028\u00e9\U0001F600"), max_size=8).map("".join)
ODD = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT,
                st.datetimes(timezones=st.just(dt.UTC)), st.lists(TEXT, max_size=2),
                st.dictionaries(TEXT, st.integers(), max_size=3))
OUTPUT_SHAPES = {name: MODEL.operation_model(name).output_shape for name in OPERATION_NAMES
                 if MODEL.operation_model(name).output_shape is not None}


def output_values(shape) -> st.SearchStrategy:
    """Values of an output shape as operations return them (structures with any members set, unset
    ones absent or None), with leaves of any type (strings with lone surrogates included)."""
    kind = shape.type_name
    if kind == "structure":
        members = {name: st.one_of(st.none(), output_values(member))
                   for name, member in shape.members.items()}
        return st.fixed_dictionaries({}, optional=members) | st.fixed_dictionaries(members)
    if kind == "list":
        return st.lists(output_values(shape.member), max_size=3)
    if kind == "map":
        return st.dictionaries(TEXT, output_values(shape.value), max_size=3)
    if kind == "timestamp":
        return st.one_of(st.datetimes(timezones=st.just(dt.UTC)), TEXT, ODD)
    return st.one_of(TEXT, ODD) if kind == "string" else ODD


def body_or_error(write, shape, value):
    try:
        return write(shape, value)
    except Exception as error:  # the response would be a 500: the same one, whichever way it is written
        return type(error)


def _rendered_then_dumped(shape, value) -> bytes:
    return awsjson.dumps(awsjson.render(shape, value))


@pytest.mark.parametrize("operation", sorted(OUTPUT_SHAPES))
def test_response_body_is_dumps_of_render(operation):
    shape = OUTPUT_SHAPES[operation]

    @fixed(max_examples=EXAMPLES_OF_RESPONSES)
    @given(st.one_of(st.none(), output_values(shape)))
    def same_bytes(value):
        expected = body_or_error(_rendered_then_dumped, shape, value)
        assert body_or_error(awsjson.serialize_output, shape, value) == expected, value

    same_bytes()


# --- UpdateOpportunity's changed paths --------------------------------------------------------------

def plain_changed_paths(old, new, prefix: str = "") -> set[str]:
    """lifecycle.changed_paths without its shortcut for equal subtrees: every leaf of both compared."""
    if isinstance(old, dict) or isinstance(new, dict):
        old, new = old if isinstance(old, dict) else {}, new if isinstance(new, dict) else {}
        out: set[str] = set()
        for key in old.keys() | new.keys():
            out |= plain_changed_paths(old.get(key), new.get(key), f"{prefix}.{key}" if prefix else key)
        return out
    if _list_of_objects(old) or _list_of_objects(new):
        old, new = old or [], new or []
        out = set()
        for index in range(max(len(old), len(new))):
            out |= plain_changed_paths(old[index] if index < len(old) else {},
                                       new[index] if index < len(new) else {}, prefix)
        return out
    return set() if old == new else {prefix}


def _list_of_objects(value) -> bool:
    return isinstance(value, list) and bool(value) and isinstance(value[0], dict)


def paths_or_error(diff, old, new):
    """The changed paths, or the error: a member that is a list of objects on one side and a scalar
    on the other (which validated requests never give) fails both ways alike."""
    try:
        return diff(old, new)
    except Exception as error:
        return type(error)


# JSON values (no NaN: parse_body refuses it) over few keys and leaves, so that two documents share
# members, equal subtrees and values equal across types (1, 1.0, True).
LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from([0.0, 1.0, 2.5]),
                   st.sampled_from(["a", "b", ""]))
KEYS = st.sampled_from(["A", "B", "C"])
DOCUMENTS = st.recursive(LEAVES, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
                         max_leaves=12)


@st.composite
def stored_and_updated(draw):
    """Two documents: unrelated, equal, or the second a few changes away from the first (an update)."""
    old = draw(DOCUMENTS)
    how = draw(st.sampled_from(["unrelated", "equal", "changed"]))
    if how == "unrelated":
        return old, draw(DOCUMENTS)
    if how == "equal" or not isinstance(old, (dict, list)) or not old:
        return old, copy.deepcopy(old)
    new = copy.deepcopy(old)
    for _ in range(draw(st.integers(1, 3))):
        slot = drawn_slot(draw, new)
        if slot is None:
            break
        parent, last = slot
        if draw(st.booleans()) and isinstance(parent, dict):
            del parent[last]
        else:
            parent[last] = draw(DOCUMENTS)
    return old, new


@fixed(max_examples=EXAMPLES_OF_DIFFS)
@given(stored_and_updated())
def test_changed_paths_are_the_plain_diffs(documents):
    old, new = documents
    assert paths_or_error(lifecycle.changed_paths, old, new) == paths_or_error(plain_changed_paths, old, new)
    assert paths_or_error(lifecycle.changed_paths, new, old) == paths_or_error(plain_changed_paths, new, old)


def test_changed_paths_of_an_update():
    stored = {"Customer": {"Account": {"CompanyName": "Example Corp", "Address": {"CountryCode": "US"}}},
              "Project": {"ExpectedCustomerSpend": [{"Amount": "1", "TargetCompany": "AWS"}], "Title": "T"}}
    updated = copy.deepcopy(stored)
    updated["Customer"]["Account"]["Address"]["CountryCode"] = "DE"
    updated["Project"]["ExpectedCustomerSpend"].append({"Amount": "2", "TargetCompany": "Self"})
    expected = {"Customer.Account.Address.CountryCode", "Project.ExpectedCustomerSpend.Amount",
                "Project.ExpectedCustomerSpend.TargetCompany"}
    assert lifecycle.changed_paths(stored, updated) == plain_changed_paths(stored, updated) == expected
