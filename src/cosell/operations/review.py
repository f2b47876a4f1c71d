"""AWS's review of submitted opportunities, simulated: one function used by `cosell review`, the
/_cosell/review admin endpoint and the automatic reviewer. (The Sandbox's own way, an
UpdateOpportunity that sets LifeCycle.ReviewStatus, lives in update_opportunity and checks the same
transitions.)"""

from __future__ import annotations

import datetime as dt

from cosell.domain import lifecycle
from cosell.operations.opportunities import business_error, next_modified, save
from cosell.protocol.errors import NotFoundError


def review_opportunity(store, account_id: str, catalog: str, identifier: str, decision: str,
                       comments: str | None, reason: str | None, now: dt.datetime) -> dict:
    with store.write() as tx:
        stored = tx.get_opportunity(account_id, catalog, identifier)
        if stored is None:
            raise NotFoundError(f"Opportunity {identifier} was not found in catalog {catalog}.")
        violations = lifecycle.review_violations(stored["LifeCycle"]["ReviewStatus"], decision)
        if violations:
            raise business_error(violations)
        return save(tx, account_id, stored, lifecycle.reviewed(stored, decision, comments, reason),
                    next_modified(stored, now))
