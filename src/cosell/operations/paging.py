"""One page of a declared list (store/pager.py), and the NextToken that follows it.

The token is signed by the database's key and bound to the operation and to the query (caller,
catalog, filters, sort: domain/pagination.py); one that does not verify is a ValidationException on
`nextToken`. An empty NextToken asks for the first page, like an absent one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cosell.domain.pagination import InvalidPageToken, decode_token, encode_token, query_fingerprint
from cosell.operations.context import Context
from cosell.protocol.errors import FieldError, ValidationError
from cosell.store.pager import ListDeclaration


def _after(ctx: Context, operation: str, fingerprint: str, request: Mapping[str, Any]):
    if not request.get("NextToken"):
        return None
    try:
        return decode_token(ctx.store.pagination_key(), request["NextToken"], operation, fingerprint)
    except InvalidPageToken as error:
        raise ValidationError.from_errors(
            ValidationError.REQUEST, [FieldError("nextToken", "INVALID_VALUE", str(error))]) from None


def short_list_page(ctx: Context, operation: str, scope: Mapping[str, Any], items: list[tuple[str, dict]],
                    request: Mapping[str, Any], default_page_size: int) -> tuple[list[dict], str | None]:
    """A page of a list read whole (a few items: an engagement's members), as (key, item) pairs in their
    order, keys unique; its NextToken resumes after the last key shown."""
    key = ctx.store.pagination_key()
    fingerprint = query_fingerprint({"account": ctx.account_id, "catalog": request["Catalog"], **scope})
    after = _after(ctx, operation, fingerprint, request)
    start = 0
    if after is not None:
        keys = [item_key for item_key, _item in items]
        start = keys.index(after[1]) + 1 if after[1] in keys else len(items)
    limit = request.get("MaxResults", default_page_size)
    shown = items[start:start + limit]
    more = start + limit < len(items)
    next_token = encode_token(key, operation, fingerprint, (start + limit - 1, shown[-1][0])) if more and shown else None
    return [item for _key, item in shown], next_token


def list_page(ctx: Context, declaration: ListDeclaration, request: Mapping[str, Any]) -> tuple[list[dict], str | None]:
    """The items of the caller's page, and the NextToken of the next one (None on the last page)."""
    catalog = request["Catalog"]
    query = declaration.query(request)
    key = ctx.store.pagination_key()
    fingerprint = query_fingerprint({"account": ctx.account_id, "catalog": catalog, **query.fingerprint()})
    after = _after(ctx, declaration.operation, fingerprint, request)
    limit = request.get("MaxResults", declaration.default_page_size)
    with ctx.store.read() as tx:
        rows = tx.pager.page(query, ctx.account_id, catalog, after, limit + 1, ctx.now)
    next_token = encode_token(key, declaration.operation, fingerprint, rows[limit - 1].position) if len(rows) > limit else None
    return [row.item for row in rows[:limit]], next_token
