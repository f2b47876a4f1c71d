"""Opportunities that cosell makes, rather than a partner's CreateOpportunity: the draft a lead becomes,
the invited partner's own opportunity, and AWS's referred opportunity handed to the partner who accepts
it. Each is made as CreateOpportunity makes one (domain/opportunity.py): the same id sequence, defaults
and ARN.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from cosell.domain import lifecycle
from cosell.domain.identifiers import opportunity_arn, opportunity_id
from cosell.domain.opportunity import new_opportunity, next_modified
from cosell.operations import event_outbox
from cosell.protocol.errors import ConflictError
from cosell.timestamps import format_timestamp


def create_owned_opportunity(tx, owner: str, catalog: str, request: Mapping[str, Any], now: dt.datetime, *,
                             tags: Sequence | None = None, review_status: str | None = None,
                             arn_account: str | None = None) -> dict:
    """A new opportunity of `owner` from a CreateOpportunity-shaped `request`, as stored. `review_status`:
    another status than Pending Submission (an accepted invitation's Approved). `arn_account`: the account
    its ARN names when the owner is AWS holding it for a partner."""
    new_id = opportunity_id(tx.counters.next(f"opportunity/{catalog}"))
    opportunity = new_opportunity({**request, "Catalog": catalog}, opportunity_id=new_id,
                                  arn=opportunity_arn(arn_account or owner, catalog, new_id),
                                  account_id=arn_account or owner, now=format_timestamp(now))
    if review_status is not None:
        opportunity = lifecycle.reviewed(opportunity, review_status, None, None)
    tx.opportunities.insert(owner, opportunity, now, now)
    if tags:
        tx.tags.put(opportunity["Arn"], tags)
    event_outbox.opportunity_created(tx, owner, catalog, new_id, now)
    return opportunity


def hand_over(tx, catalog: str, opportunity_id_: str, held_by: str, to: str, review_status: str, now: dt.datetime,
              tags: Sequence | None = None) -> dict:
    """The opportunity `held_by` AWS becomes `to`'s, with `review_status` (an accepted AWS referral: "the
    opportunity had the simulated create's CreatedDate, all its fields ... and ReviewStatus Approved",
    observed 2025-01-24)."""
    stored = tx.opportunities.get(held_by, catalog, opportunity_id_)
    if stored is None:
        raise ConflictError(f"Opportunity {opportunity_id_} is no longer held for this invitation.")
    when = next_modified(stored, now)
    handed = {**lifecycle.reviewed(stored, review_status, None, None), "Origin": "AWS Referral",
              "Arn": opportunity_arn(to, catalog, opportunity_id_), "LastModifiedDate": format_timestamp(when)}
    if not tx.opportunities.transfer(held_by, to, handed, stored, when):
        raise ConflictError(f"Opportunity {opportunity_id_} was modified by another request.")
    if tags:
        tx.tags.put(handed["Arn"], tags)
    event_outbox.opportunity_created(tx, to, catalog, opportunity_id_, when)
    return handed
