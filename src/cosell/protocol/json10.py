"""awsJson1_0: request bodies in, response and error bodies out.

Responses follow what the real service sends (reference §1.5–1.7, §2.3): `application/json`,
`x-amzn-RequestId`, every member of the output shape present with unset optional members as
`null`, keys in alphabetical order, timestamps in ISO 8601 with milliseconds. Errors carry
`__type` in the body and the `x-amzn-ErrorType` header.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache

from botocore.model import Shape

from cosell.protocol.errors import SerializationError, ServiceError

CONTENT_TYPE = "application/json"
ACCEPTED_CONTENT_TYPES = ("application/x-amz-json-1.0", "application/json")
# The namespace the real service puts after the error name in x-amzn-ErrorType (reference §1.5).
ERROR_TYPE_NAMESPACE = "http://internal.amazon.com/coral/com.amazon.partnerintegrationapi.common/"


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def parse_body(body: bytes) -> dict:
    """The request document; SerializationException when it is not one JSON object."""
    if not body.strip():
        return {}
    try:
        document = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise SerializationError("The request body is not valid UTF-8.") from None
    except RecursionError:
        raise SerializationError("The request body is nested too deeply.") from None
    except ValueError as exc:
        raise SerializationError(f"The request body is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise SerializationError("The request body must be a JSON object.")
    return document


def format_timestamp(value: dt.datetime) -> str:
    value = value.astimezone(dt.timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _identity(value):
    return value


def _structure_renderer(shape: Shape):
    members = [(name, renderer(member)) for name, member in shape.members.items()]

    def render_structure(value):
        return {name: (None if (item := value.get(name)) is None else render_member(item))
                for name, render_member in members}

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
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def response_headers(request_id: str, body: bytes) -> dict[str, str]:
    return {"Content-Type": CONTENT_TYPE, "x-amzn-RequestId": request_id, "Content-Length": str(len(body))}


def serialize_error(error: ServiceError, request_id: str) -> tuple[int, dict[str, str], bytes]:
    body = dumps({"__type": error.code, "Message": error.message, **error.members()})
    headers = response_headers(request_id, body)
    headers["x-amzn-ErrorType"] = f"{error.code}:{ERROR_TYPE_NAMESPACE}"
    return error.status, headers, body
