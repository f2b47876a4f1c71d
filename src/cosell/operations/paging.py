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


def list_page(ctx: Context, declaration: ListDeclaration, request: Mapping[str, Any]) -> tuple[list[dict], str | None]:
    """The items of the caller's page, and the NextToken of the next one (None on the last page)."""
    catalog = request["Catalog"]
    query = declaration.query(request)
    key = ctx.store.pagination_key()
    fingerprint = query_fingerprint({"account": ctx.account_id, "catalog": catalog, **query.fingerprint()})
    after = None
    if request.get("NextToken"):
        try:
            after = decode_token(key, request["NextToken"], declaration.operation, fingerprint)
        except InvalidPageToken as error:
            raise ValidationError.from_errors(
                ValidationError.REQUEST, [FieldError("nextToken", "INVALID_VALUE", str(error))]) from None
    limit = request.get("MaxResults", declaration.default_page_size)
    with ctx.store.read() as tx:
        rows = tx.pager.page(query, ctx.account_id, catalog, after, limit + 1, ctx.now)
    next_token = encode_token(key, declaration.operation, fingerprint, rows[limit - 1].position) if len(rows) > limit else None
    return [row.item for row in rows[:limit]], next_token
