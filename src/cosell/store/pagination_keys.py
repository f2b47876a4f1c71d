"""The HMAC key that signs NextTokens (domain/pagination.py): made once per database, on first use:
`tx.pagination_keys`."""

from __future__ import annotations

import secrets

from sqlalchemy import Column, String, Table, bindparam, insert, select

from cosell.store.execution import Query
from cosell.store.metadata import metadata
from cosell.store.transaction import repository

PAGE_TOKEN_KEY = "next-token-hmac"

pagination_keys = Table(
    "pagination_keys",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("secret", String(64), nullable=False),  # hex of 32 random bytes
)

_GET = Query(select(pagination_keys.c.secret).where(pagination_keys.c.name == bindparam("name")))
_PUT = Query(insert(pagination_keys))


@repository("pagination_keys")
class PaginationKeyRepository:
    def __init__(self, tx):
        self._db = tx.db

    def get(self) -> bytes | None:
        """The key that signs this database's NextTokens, or None before the first list call."""
        secret = self._db.value(_GET, {"name": PAGE_TOKEN_KEY})
        return None if secret is None else bytes.fromhex(secret)

    def ensure(self) -> bytes:
        """The signing key, generated and stored on first use (a concurrent first use keeps one key)."""
        key = self.get()
        if key is not None:
            return key
        self._db.insert_if_absent(_PUT, {"name": PAGE_TOKEN_KEY, "secret": secrets.token_hex(32)})
        key = self.get()
        assert key is not None
        return key
