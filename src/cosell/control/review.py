"""AWS's review of submitted opportunities, simulated: one function used by `cosell review`, the
/_cosell/review endpoint and the automatic reviewer. (The Sandbox's own way, an UpdateOpportunity that
sets LifeCycle.ReviewStatus, lives in operations/opportunities.py and checks the same transitions.)"""

from __future__ import annotations

import datetime as dt

from cosell.domain import lifecycle
from cosell.domain.opportunity import next_modified
from cosell.operations import access, engagement_records
from cosell.operations.opportunity_versions import save
from cosell.protocol.errors import NotFoundError, ValidationError

# `cosell review <action>`: the decision each takes.
REVIEW_ACTIONS = {"approve": lifecycle.APPROVED, "reject": lifecycle.REJECTED,
                  "action-required": lifecycle.ACTION_REQUIRED, "start-review": lifecycle.IN_REVIEW}


def review_opportunity(tx, account_id: str, catalog: str, identifier: str, decision: str, comments: str | None,
                       reason: str | None, now: dt.datetime) -> dict:
    """Takes AWS's `decision` on the account's opportunity; the opportunity as saved."""
    stored = access.find(tx, account_id, "Opportunity", catalog, identifier)
    if stored is None:
        raise NotFoundError(f"Opportunity {identifier} was not found in catalog {catalog}.")
    violations = lifecycle.review_violations(stored["LifeCycle"]["ReviewStatus"], decision)
    if violations:
        raise ValidationError.from_violations(violations)
    saved = save(tx, account_id, stored, lifecycle.reviewed(stored, decision, comments, reason), next_modified(stored, now))
    engagement_records.aws_reviewed(tx, catalog, account_id, saved, now)
    return saved
