"""awsJson 1.0 and 1.1: request bodies in, response and error bodies out.

partnercentral-selling speaks awsJson1_0; EventBridge, which may be served beside it, awsJson1_1. They
read the same; what differs, the media types and the error header, is a service's `Wire`.

Responses follow what the real service sends (reference §1.5–1.7, §2.3): `application/json`,
`x-amzn-RequestId`, every member of the output shape present with unset optional members as
`null`, keys in alphabetical order, timestamps in ISO 8601 with milliseconds. Errors carry
`__type` in the body and the `x-amzn-ErrorType` header.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from array import array
from dataclasses import dataclass
from functools import cache
from itertools import accumulate
from json.encoder import encode_basestring

from botocore.model import Shape

from cosell import json_text
from cosell.protocol.errors import SerializationError, ServiceError
from cosell.protocol.model import Service
from cosell.timestamps import format_timestamp

# The namespace the real service puts after the error name in x-amzn-ErrorType (reference §1.5).
ERROR_TYPE_NAMESPACE = "http://internal.amazon.com/coral/com.amazon.partnerintegrationapi.common/"


@dataclass(frozen=True)
class Wire:
    """What a service's responses carry besides their body, and which request media types it takes."""

    content_type: str
    accepted_content_types: tuple[str, ...]
    error_type_suffix: str  # after the error name in x-amzn-ErrorType
    message_member: str = "Message"  # EventBridge writes "message"
    # partnercentral-selling's ValidationException carries Reason and ErrorList; other services' the message alone.
    error_members: bool = True

    def response_headers(self, request_id: str, body: bytes) -> dict[str, str]:
        return {"Content-Type": self.content_type, "x-amzn-RequestId": request_id, "Content-Length": str(len(body))}

    def serialize_error(self, error: ServiceError, request_id: str) -> tuple[int, dict[str, str], bytes]:
        members = error.members() if self.error_members else {}
        body = dumps({"__type": error.code, self.message_member: error.message, **members})
        headers = self.response_headers(request_id, body)
        headers["x-amzn-ErrorType"] = error.code + self.error_type_suffix
        return error.status, headers, body


# partnercentral-selling answers application/json (reference §1.5) and takes awsJson 1.0's media type
# or plain JSON, as Postman sends it (§1.4).
PARTNER_CENTRAL_WIRE = Wire("application/json", ("application/x-amz-json-1.0", "application/json"),
                            ":" + ERROR_TYPE_NAMESPACE)
# Other awsJson services answer in their own media type (botocore reads x-amzn-ErrorType's name).
_STANDARD_WIRES = {
    "1.0": Wire("application/x-amz-json-1.0", ("application/x-amz-json-1.0",), ""),
    "1.1": Wire("application/x-amz-json-1.1", ("application/x-amz-json-1.1",), ""),
}
CONTENT_TYPE = PARTNER_CENTRAL_WIRE.content_type
ACCEPTED_CONTENT_TYPES = PARTNER_CENTRAL_WIRE.accepted_content_types


# EventBridge's errors: {"__type": "ResourceNotFoundException", "message": "Rule r does not exist on EventBus default."}
EVENTBRIDGE_WIRE = Wire("application/x-amz-json-1.1", ("application/x-amz-json-1.1",), "", message_member="message",
                        error_members=False)


def wire_of(served: Service) -> Wire:
    if served.name == "partnercentral-selling":
        return PARTNER_CENTRAL_WIRE
    if served.name == "events":
        return EVENTBRIDGE_WIRE
    return _STANDARD_WIRES[served.json_version]


# Hostile bodies (tests/test_hostile_input.py) must cost bounded time and memory and end as a 4xx.
# Nesting: the deepest input shape of the model is 9 levels, so 64 is far beyond any valid request;
# the limit is checked on the bytes before json.loads recurses into them.
MAX_DEPTH = 64
UTF8_BOM = b"\xef\xbb\xbf"
# A string literal, or what is left of an unterminated one. Possessive and unable to fail, so that
# no `"` inside a string is ever tried as the start of another: linear on any input, where the usual
# '"[^"\\]*(?:\\.[^"\\]*)*"' is quadratic on an unterminated '"\\"\\"\\"...'.
_JSON_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_BRACKET_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 / -1 as signed bytes
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


class _Refused(ValueError):
    """Raised by the json.loads hooks; its message is the SerializationException's."""


def _reject_constant(name: str):
    raise _Refused(f"The request body is not valid JSON: {name} is not a JSON value.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"The number {text[:20]}{'...' if len(text) > 20 else ''} is out of range.")
    return value


# json.loads(text, parse_constant=..., parse_float=...) would build this decoder on every call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float)


def _nesting_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether arrays and objects nest deeper than `limit`, counting brackets outside strings.
    Cheap: two counts for ordinary bodies, C-speed passes over the bytes otherwise."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    if len(brackets) <= limit:
        return False
    return max(accumulate(array("b", brackets.translate(_BRACKET_STEPS)))) > limit


def parse_body(body: bytes) -> dict:
    """The request document; SerializationException when it is not one JSON object.

    Accepted like Jackson and RFC 8259 §8.1 allow: a leading UTF-8 byte order mark. Refused as
    SerializationException: invalid UTF-8, nesting deeper than MAX_DEPTH, numbers out of range
    (1e999999, integers of more than 4300 digits), and lone UTF-16 surrogates (`"\\ud800"`), which
    are no Unicode text and could be neither stored nor echoed. Duplicate keys: the last one wins.
    """
    if body.startswith(UTF8_BOM):
        body = body[len(UTF8_BOM):]
    if not body.strip():
        return {}
    if _nesting_depth_exceeds(body, MAX_DEPTH):
        raise SerializationError(f"The request body nests arrays and objects more than {MAX_DEPTH} levels deep.")
    document = json_text.read_if_plain(body)
    if isinstance(document, dict):
        return document  # read as json would, with no lone surrogate in it
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SerializationError("The request body is not valid UTF-8.") from None
    try:
        document = _DECODER.decode(text)
    except RecursionError:
        raise SerializationError("The request body is nested too deeply.") from None
    except _Refused as exc:
        raise SerializationError(str(exc)) from None
    except json.JSONDecodeError as exc:
        raise SerializationError(f"The request body is not valid JSON: {exc}") from None
    except ValueError:  # int() of more digits than sys.get_int_max_str_digits() (4300)
        raise SerializationError("A number in the request body has too many digits.") from None
    if not isinstance(document, dict):
        raise SerializationError("The request body must be a JSON object.")
    if _SURROGATE_ESCAPE.search(body) and _has_lone_surrogate(document):
        raise SerializationError("The request body has a string with a lone UTF-16 surrogate (\\ud800-\\udfff), "
                                 "which is not Unicode text.")
    return document


def _has_lone_surrogate(document) -> bool:
    """json.loads joins escaped surrogate pairs into one character, so any surrogate left is alone."""
    try:
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _identity(value):
    return value


def _structure_renderer(shape: Shape):
    members = [(name, renderer(member)) for name, member in shape.members.items()]
    plain = tuple(name for name, render_member in members if render_member is _identity)
    shaped = tuple((name, render_member) for name, render_member in members if render_member is not _identity)

    def render_structure(value):
        rendered = {name: value.get(name) for name in plain}  # strings, numbers, enums: as stored
        for name, render_member in shaped:
            item = value.get(name)
            rendered[name] = None if item is None else render_member(item)
        return rendered

    return render_structure


def _list_renderer(shape: Shape):
    render_item = renderer(shape.member)
    if render_item is _identity:
        return list
    return lambda value: [render_item(item) for item in value]


def _map_renderer(shape: Shape):
    render_value = renderer(shape.value)
    return lambda value: {key: render_value(item) for key, item in value.items()}


def _timestamp_renderer(_shape: Shape):
    return lambda value: format_timestamp(value) if isinstance(value, dt.datetime) else value


_RENDERER_BUILDERS = {
    "structure": _structure_renderer,
    "list": _list_renderer,
    "map": _map_renderer,
    "timestamp": _timestamp_renderer,
}


@cache
def renderer(shape: Shape):
    """A function that shapes a value for the wire: every structure member present, unset ones null.
    Built once per shape."""
    build = _RENDERER_BUILDERS.get(shape.type_name)
    return build(shape) if build else _identity


def render(shape: Shape, value):
    return None if value is None else renderer(shape)(value)


def dumps(document) -> bytes:
    # A lone surrogate cannot be UTF-8; backslashreplace writes it as the JSON escape \udXXX, inside the
    # string it came from, so a stray one in an error message never turns the answer into a crash.
    return json.dumps(document, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8", "backslashreplace")


# --- Responses: JSON text written straight from the output shape --------------------------------
#
# serialize_output(shape, value) gives exactly the bytes of dumps(render(shape, value)), in a fraction of
# the time on a List page: instead of building the rendered dicts and having json sort and encode
# them, one function per structure shape, generated from the model once, writes the members' JSON in
# alphabetical order with their keys as constant text. Strings go through the json module's own C
# string encoder; any other value (and every map) through the same JSONEncoder settings as dumps.

_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_encode_string = encode_basestring  # what _ENCODER uses for every str (ensure_ascii=False)


def _value_json(value) -> str:
    """JSON of a value that is not a str (those take the inline fast path), as _ENCODER writes it."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value.__class__ is int:
        return int.__repr__(value)
    return _ENCODER.encode(value)


def _plain_list_json(value) -> str:
    return "[" + ",".join([_encode_string(item) if item.__class__ is str else _value_json(item)
                           for item in value]) + "]"


def _timestamp_json(value) -> str:
    if isinstance(value, dt.datetime):
        return _encode_string(format_timestamp(value))
    return _encode_string(value) if value.__class__ is str else _value_json(value)


def _list_writer(shape: Shape):
    if renderer(shape.member) is _identity:
        return _plain_list_json
    write_item = writer(shape.member)
    return lambda value: "[" + ",".join([write_item(item) for item in value]) + "]"


def _rendered_writer(shape: Shape):
    """Maps, and any shape without a writer of its own: rendered, then encoded like dumps."""
    render_shape = renderer(shape)
    return lambda value: _ENCODER.encode(render_shape(value))


def _structure_writer(shape: Shape):
    """A generated function writing the structure's members in alphabetical order, unset ones null:

        def write_OpportunitySummary(value):
            get = value.get
            v0 = get('Arn')
            ...
            return f'''{"Arn":{NULL if v0 is None else ENCODE(v0) if v0.__class__ is str else VALUE(v0)},...}'''

    Nested shapes and timestamps call their own writer (w3 for member 3); everything else is inline."""
    names = sorted(shape.members)
    if not all(name.isidentifier() for name in [shape.name, *names]):  # the model's names always are
        return _rendered_writer(shape)
    scope = {"NULL": "null", "ENCODE": _encode_string, "VALUE": _value_json}
    lines = [f"def write_{shape.name}(value):", "    get = value.get"]
    fields = []
    for index, name in enumerate(names):
        member, local = shape.members[name], f"v{index}"
        lines.append(f"    {local} = get({name!r})")
        if renderer(member) is _identity:
            written = f"ENCODE({local}) if {local}.__class__ is str else VALUE({local})"
        else:
            scope[f"w{index}"] = writer(member)
            written = f"w{index}({local})"
        fields.append(f"{json.dumps(name)}:{{NULL if {local} is None else {written}}}")
    lines.append("    return f'''{{" + ",".join(fields) + "}}'''")
    exec("\n".join(lines), scope)  # noqa: S102 - source built above from the model's member names
    return scope[f"write_{shape.name}"]


_WRITER_BUILDERS = {
    "structure": _structure_writer,
    "list": _list_writer,
    "timestamp": lambda _shape: _timestamp_json,
}


@cache
def writer(shape: Shape):
    """A function from a value of the shape to its JSON text, as dumps(render(shape, value)) decodes."""
    if renderer(shape) is _identity:
        return lambda value: _encode_string(value) if value.__class__ is str else _value_json(value)
    return _WRITER_BUILDERS.get(shape.type_name, _rendered_writer)(shape)


def serialize_output(shape: Shape, value) -> bytes:
    """The response body: the same bytes as dumps(render(shape, value))."""
    text = "null" if value is None else writer(shape)(value)
    return text.encode("utf-8", "backslashreplace")


def response_headers(request_id: str, body: bytes) -> dict[str, str]:
    return PARTNER_CENTRAL_WIRE.response_headers(request_id, body)


def serialize_error(error: ServiceError, request_id: str) -> tuple[int, dict[str, str], bytes]:
    return PARTNER_CENTRAL_WIRE.serialize_error(error, request_id)
