"""NextToken for the List operations: opaque, signed, bound to one operation and one query.

A token names the position of the last row of the page it ends, (sort value, tie-breaker), so the
next page starts strictly after that row (keyset pagination: rows created or updated between pages
never shift the unchanged ones). Pure functions: no I/O; the signing key is kept by the store.

Wire format (version 1):

    token   = base64url_unpadded(payload || HMAC-SHA256(key, payload))
    payload = compact JSON [1, operation, query fingerprint, sort value, tie-breaker]

The query fingerprint is a hash of (account, catalog, filters, effective sort), so a token is
refused when replayed with other filters, another sort or another catalog. MaxResults is not
part of it: the page size may change from page to page.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from cosell import json_text

VERSION = 1
MAC_BYTES = hashlib.sha256().digest_size

SortValue = int | str | None
Position = tuple[SortValue, int | str]  # (sort value, tie-breaker) of the last row of a page


class InvalidPageToken(ValueError):
    """The token is not one this database issued for this operation and this query."""


def _canonical(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    raise TypeError(f"{type(value).__name__} has no canonical form in a query fingerprint")


# The JSON text json.dumps would write, with the encoder built once instead of on every call.
_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=_canonical)


def query_fingerprint(query: Mapping[str, Any]) -> str:
    """A short stable hash of a normalized query (lists already deduplicated and sorted)."""
    canonical = _CANONICAL_JSON.encode(query)
    digest = hashlib.sha256(canonical.encode("utf-8")).digest()[:12]
    return base64.urlsafe_b64encode(digest).decode("ascii")


def _sign(key: bytes, payload: bytes) -> bytes:
    return hmac.digest(key, payload, "sha256")


def encode_token(key: bytes, operation: str, fingerprint: str, position: Position) -> str:
    payload = json_text.compact([VERSION, operation, fingerprint, *position]).encode("utf-8")
    return base64.urlsafe_b64encode(payload + _sign(key, payload)).decode("ascii").rstrip("=")


def _is_sort_value(value) -> bool:
    return value is None or (isinstance(value, (int, str)) and not isinstance(value, bool))


def decode_token(key: bytes, token: str, operation: str, fingerprint: str) -> Position:
    """The position a token resumes after; InvalidPageToken when it is forged, damaged, or issued for
    another operation or query."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise InvalidPageToken("The NextToken is not valid.") from None
    payload, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
    if len(raw) <= MAC_BYTES or not hmac.compare_digest(mac, _sign(key, payload)):
        raise InvalidPageToken("The NextToken is not valid.")
    try:
        version, token_operation, token_fingerprint, sort_value, tie_breaker = json.loads(payload)
    except (ValueError, TypeError):
        raise InvalidPageToken("The NextToken is not valid.") from None
    if version != VERSION or not _is_sort_value(sort_value) or not _is_sort_value(tie_breaker) \
            or tie_breaker is None:
        raise InvalidPageToken("The NextToken is not valid.")
    if token_operation != operation:
        raise InvalidPageToken(f"The NextToken was issued by {token_operation}, not {operation}.")
    if token_fingerprint != fingerprint:
        raise InvalidPageToken("The NextToken was issued for a request with other filters, sort or catalog; "
                               "send the same ones with it.")
    return sort_value, tie_breaker
