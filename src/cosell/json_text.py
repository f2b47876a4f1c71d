"""JSON text in and out, with orjson wherever it reads or writes exactly what the standard library's
json module would; json stays the reference, and the fallback everywhere else.

orjson is much cheaper than json on the documents cosell handles (a CreateOpportunity encodes its
request for the ClientToken fingerprint and its document for the store; bench/README.md, "Measurements
behind the code"). Where the two differ:
orjson reads an integer beyond 64 bits as a float (json: an int), and writes text other than
printable ASCII as it is (json: `\\u` escapes, \\x7f too). Floats could be written differently too;
no operation's input or stored document has a number member (tests/test_json_text.py checks the
model).
"""

from __future__ import annotations

import json
from typing import Any

import orjson

# Nineteen digits in a row may be an integer orjson would read as a float: json reads those. Found by
# mapping digits to "1" and the rest to "0" (cheaper than a regular expression's search).
_DIGITS_AS_ONES = bytes(0x31 if 0x30 <= byte <= 0x39 else 0x30 for byte in range(256))
_NINETEEN_DIGITS = b"1" * 19
# What json would hand to default=str, orjson must too (it would write datetimes and dataclasses itself).
_CANONICAL_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_STANDARD_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)
_STANDARD_COMPACT = json.JSONEncoder(separators=(",", ":"))


def loads(text: str) -> Any:
    """json.loads(text), for the documents cosell stores. None of them has a number member
    (tests/test_json_text.py checks the model), so orjson reads them exactly as json would."""
    return orjson.loads(text)


def read_if_plain(data: bytes) -> Any:
    """What json.loads reads from UTF-8 `data`, when orjson reads the same; None when orjson refuses
    `data` (not JSON, or NaN, Infinity, a lone surrogate, a number out of range) or may read it
    otherwise (a long integer). For request bodies: awsjson.parse_body leaves the refusals to json."""
    if _NINETEEN_DIGITS in data.translate(_DIGITS_AS_ONES):
        return None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return None


def compact(value: Any) -> str:
    """JSON text of a document of dicts, lists, strings, integers, booleans and None, without spaces
    (non-ASCII characters as they are)."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:  # an integer beyond 64 bits, a key that is not a string
        return _STANDARD_COMPACT.encode(value)


def canonical(value: Any) -> bytes:
    """Exactly json.dumps(value, sort_keys=True, separators=(",", ":"), default=str), in UTF-8: what
    ClientToken fingerprints are made of (stored: this text must never change). `value` must not
    hold floats."""
    try:
        text = orjson.dumps(value, default=str, option=_CANONICAL_OPTIONS)
    except TypeError:
        return _STANDARD_CANONICAL.encode(value).encode("utf-8")
    if not text.isascii() or b"\x7f" in text:  # json writes these as \u escapes (both escape the rest alike)
        return _STANDARD_CANONICAL.encode(value).encode("utf-8")
    return text
