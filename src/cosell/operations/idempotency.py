"""ClientToken idempotency (reference §4), for every operation whose model has a ClientToken.

The same token with the same body gets the first answer; with another body, ConflictException
("Conflicting client token submitted for a new request body.", the model's text). Tokens are kept per
(account, catalog, operation). What the operation locks while it runs is its own business: `lock` is
called first in the transaction (engagements lock theirs, submissions their opportunity).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from cosell import json_text
from cosell.operations.context import Context
from cosell.protocol.errors import ConflictError

CONFLICTING_CLIENT_TOKEN = "Conflicting client token submitted for a new request body."

Answer = dict[str, Any]
Remember = Callable[[Answer], None]


def request_fingerprint(request: Any) -> str:
    """Identifies a request body for ClientToken replay: same token + same fingerprint = same request.
    Computed from the validated request (canonical JSON): key order, spacing, unknown members and
    explicit nulls do not make two requests different."""
    return hashlib.sha256(json_text.canonical(request)).hexdigest()


def remembered_answer(tx, ctx: Context, operation: str, request: Any, fingerprint: str) -> Answer | None:
    """The answer the request's ClientToken already has, or None; ConflictException when the token was
    used with another body."""
    remembered = tx.client_tokens.find(ctx.account_id, request["Catalog"], operation, request["ClientToken"])
    if remembered is None:
        return None
    stored_fingerprint, answer = remembered
    if stored_fingerprint != fingerprint:
        raise ConflictError(CONFLICTING_CLIENT_TOKEN)
    return answer


class _RememberedBefore(Exception):
    """The ClientToken already has an answer: the work done for this request must be undone."""


def answer_once(ctx: Context, operation: str, request: Any, work: Callable[[Any, Remember], Answer], *,
                fingerprint: str | None = None, lock: Callable[[Any], object] | None = None,
                look_up_first: bool = True, checks_before_writes: bool = False) -> Answer:
    """`work(tx, remember)` in a write transaction, once per ClientToken: a repeat with the same body
    gets the first answer, one with another body a ConflictException, also when the two arrive at once
    (the loser of the race finds the winner's answer).

    `work` calls `remember(answer)` once, and returns the answer. When the token has an answer already,
    remember raises and everything the transaction wrote is undone.
    - `lock(tx)`: called first, so that requests about the same resource take turns (PostgreSQL; SQLite's
      writers always take turns).
    - `look_up_first`: the token is looked up before `work` starts, for an operation whose checks read
      state that the first request changed (a submission). Otherwise `work` remembers its answer as its
      first write, before it writes anything else, which spares the lookup of every new token.
    - `checks_before_writes`: `work` can only fail before its first write (remember included), so its
      transaction needs no savepoint of its own (Store.write)."""
    fingerprint = fingerprint or request_fingerprint(request)
    catalog, token = request["Catalog"], request["ClientToken"]
    try:
        with ctx.store.write(own_savepoint=not checks_before_writes) as tx:
            if lock is not None:
                lock(tx)
            if look_up_first:
                remembered = remembered_answer(tx, ctx, operation, request, fingerprint)
                if remembered is not None:
                    return remembered

            def remember(answer: Answer) -> None:
                if not tx.client_tokens.remember(ctx.account_id, catalog, operation, token, fingerprint, answer,
                                                 ctx.now):
                    raise _RememberedBefore

            return work(tx, remember)
    except _RememberedBefore:  # by an earlier request, or by one whose writes are not durable yet:
        with ctx.store.write() as tx:  # read as a writer, so that this answer waits for those writes
            answer = remembered_answer(tx, ctx, operation, request, fingerprint)
            assert answer is not None  # remember found it taken
            return answer
