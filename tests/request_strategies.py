"""Hypothesis strategies for requests generated from the botocore model, shared by tests/test_fuzz.py
(which sends them through the gateway) and tests/test_fast_paths.py (which validates them twice):

* `request_strategy(operation, wild)`: an operation's input shape walked member by member, with values
  that honour the model (enums, patterns, lengths, list bounds) or, `wild`, a mix of those and broken
  ones (wrong types, nulls, values past a bound, unknown members);
* `mutated(document)`: a valid request with a few members replaced by hostile values, dropped,
  wrapped or emptied;
* `fuzz_settings`: the hypothesis settings both use.

Identifiers that must exist to get past "not found" are drawn from KNOWN, by shape name: a test fills
it (test_fuzz's World with what it created, test_fast_paths with fixed values); it is read at draw time.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
import string
from functools import cache

import regex
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from cosell.operations.families import REGISTRY
from cosell.protocol.model import PARTNER_CENTRAL_SELLING, service_model
from cosell.protocol.validation.policy import DOCUMENTED_ENUMS

MODEL = service_model()
OPERATION_NAMES = sorted(REGISTRY.operations(PARTNER_CENTRAL_SELLING))


def fuzz_settings(max_examples: int):
    """deadline off (the first SQLite write is slow), no example database in the work tree, and
    derandomized under CI so a CI run is reproducible."""
    return settings(max_examples=max_examples, deadline=None, database=None, derandomize=bool(os.environ.get("CI")),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much, HealthCheck.large_base_example])



# Values that exist where the requests are sent, by shape name (see the module docstring).
KNOWN: dict[str, list] = {name: [] for name in (
    "OpportunityIdentifier", "TaggableResourceArn", "SolutionIdentifier",
    "AssociateOpportunityRequestRelatedEntityIdentifierString",
    "DisassociateOpportunityRequestRelatedEntityIdentifierString")}
KNOWN["CatalogIdentifier"] = ["Sandbox"]  # the World's catalog


def known(name: str):
    """A value of KNOWN[name], looked up when it is drawn: shape_strategy caches the strategies it builds,
    so a pool captured when one was built would outlive a test's own values (monkeypatch.setitem)."""
    return (st.integers(0, 1 << 16).filter(lambda _: bool(KNOWN[name]))
            .map(lambda i: KNOWN[name][i % len(KNOWN[name])]))


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
HOSTILE_VALUES = st.one_of(ANY_JSON, ODD_STRINGS, WITH_LONE_SURROGATE, st.none(), st.builds(list), st.builds(dict),
                           st.just(10 ** 400),
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

