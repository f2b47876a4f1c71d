"""cosell.json_text reads and writes what the standard library's json would, with orjson.

The ClientToken fingerprint is stored, so `canonical` must write json's text to the character; request
bodies must read as json reads them (or be left to json); stored documents must come back as written.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cosell import json_text
from cosell.operations.families import REGISTRY
from cosell.protocol import awsjson
from cosell.protocol.errors import SerializationError
from cosell.protocol.model import PARTNER_CENTRAL_SELLING, service_model

NUMBER_TYPES = {"integer", "long", "float", "double", "bigInteger", "bigDecimal"}


def _member_types(shape, seen=None) -> set[str]:
    seen = set() if seen is None else seen
    if shape.name in seen:
        return set()
    seen.add(shape.name)
    if shape.type_name == "structure":
        return set().union(*(_member_types(member, seen) for member in shape.members.values()), set())
    if shape.type_name == "list":
        return _member_types(shape.member, seen)
    if shape.type_name == "map":
        return _member_types(shape.key, seen) | _member_types(shape.value, seen)
    return {shape.type_name}


def test_no_request_that_is_fingerprinted_or_document_that_is_stored_has_a_number_member():
    """What json_text.canonical and json_text.loads rely on: no float (written differently by orjson)
    in a request, no number at all in a stored document (an integer beyond 64 bits reads as a float)."""
    model = service_model()
    for name in sorted(REGISTRY.operations(PARTNER_CENTRAL_SELLING)):
        assert not {"float", "double"} & _member_types(model.operation_model(name).input_shape), name
    stored = [model.operation_model("GetOpportunity").output_shape,  # opportunity documents
              model.operation_model("CreateOpportunity").output_shape,  # remembered ClientToken answers
              model.operation_model("StartEngagementFromOpportunityTask").output_shape,
              model.shape_for("ListEngagementFromOpportunityTaskSummary")]  # engagement task documents
    for shape in stored:
        assert not NUMBER_TYPES & _member_types(shape), shape.name


_texts = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12)
_values_without_floats = st.recursive(
    st.none() | st.booleans() | st.integers() | _texts
    | st.datetimes(timezones=st.just(dt.UTC)) | st.dates(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_texts, children, max_size=4),
    max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(_values_without_floats)
def test_canonical_is_the_text_json_writes(value):
    assert json_text.canonical(value) == json.dumps(value, sort_keys=True, separators=(",", ":"),
                                                   default=str).encode("utf-8")


@pytest.mark.parametrize("text", ["plain", "Café", "\x7f", "\x00\x1f\b\f\n\r\t\"\\/", "😀", "\u2028"])
def test_canonical_escapes_as_json_does(text):
    value = {"b": text, "a": [text, 10 ** 30]}
    assert json_text.canonical(value) == json.dumps(value, sort_keys=True, separators=(",", ":"),
                                                   default=str).encode("utf-8")


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _texts,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_texts, children, max_size=4),
    max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(_json_values, st.booleans())
def test_a_body_reads_as_json_reads_it(value, ascii_only):
    data = json.dumps({"v": value}, ensure_ascii=ascii_only).encode("utf-8")
    read = json_text.read_if_plain(data)
    expected = json.loads(data)
    assert read is None or read == expected and repr(read) == repr(expected)  # 1 and 1.0, 0.0 and -0.0 differ


@pytest.mark.parametrize("body", [b'{"a":NaN}', b'{"a":Infinity}', b'{"a":1e999}', b'{"a":"\\ud800"}',
                                  b'{"a":"\xed\xa0\x80"}', b'{"a":"\xff"}', b'{"a":1}x', b'{"a":1,}'])
def test_what_json_refuses_is_left_to_json(body):
    assert json_text.read_if_plain(body) is None
    with pytest.raises(SerializationError):
        awsjson.parse_body(body)


def test_an_integer_beyond_64_bits_reads_as_an_integer():
    body = b'{"MaxResults": 123456789012345678901234567890}'
    assert json_text.read_if_plain(body) is None  # orjson would read a float
    assert awsjson.parse_body(body) == {"MaxResults": 123456789012345678901234567890}


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_texts, st.recursive(st.none() | st.booleans() | _texts,
                                            lambda c: st.lists(c, max_size=3) | st.dictionaries(_texts, c, max_size=3),
                                            max_leaves=12), max_size=6))
def test_a_stored_document_comes_back_as_written(document):
    text = json_text.compact(document)
    assert json_text.loads(text) == document == json.loads(text)
