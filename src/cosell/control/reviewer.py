"""The automatic AWS reviewer (`cosell serve --review auto`), on the job runner and cosell's clock: an
opportunity that is submitted (or re-enters validation after Action Required) is taken In review after
the review delay, and decided after another: by the first review rule that matches (domain/review.py),
else Approved. Decisions go through control/review.py like every other review; a step finds the
opportunity as it is then, so a partner's edit or a manual review that came first wins."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

from cosell.control.review import review_opportunity
from cosell.domain import lifecycle
from cosell.domain.review import ReviewRule, decide, load_rules
from cosell.jobs import Job, job_handler, schedule
from cosell.operations import access
from cosell.settings import ReviewMode

REVIEW_STEP = "aws.review"


def _key(account_id: str, catalog: str, identifier: str) -> str:
    return f"{REVIEW_STEP}/{account_id}/{catalog}/{identifier}"


def submitted(tx, settings, account_id: str, catalog: str, identifier: str, now: dt.datetime) -> None:
    """The opportunity is now Submitted: with the automatic reviewer on, AWS's next step is scheduled."""
    if settings.review is ReviewMode.AUTO:
        schedule(tx, REVIEW_STEP, now + dt.timedelta(seconds=settings.review_delay_seconds),
                 {"AccountId": account_id, "Catalog": catalog, "Identifier": identifier}, now,
                 key=_key(account_id, catalog, identifier))


@lru_cache(maxsize=8)
def _rules(path: Path | None) -> tuple[ReviewRule, ...]:
    return load_rules(path) if path else ()


@job_handler(REVIEW_STEP)
def review_step(tx, job: Job) -> None:
    if job.settings.review is not ReviewMode.AUTO:
        return  # the server now runs the manual reviewer: reviews come from the tester
    account_id, catalog, identifier = job.payload["AccountId"], job.payload["Catalog"], job.payload["Identifier"]
    opportunity = access.find(tx, account_id, "Opportunity", catalog, identifier)
    status = None if opportunity is None else opportunity["LifeCycle"]["ReviewStatus"]
    if status == lifecycle.SUBMITTED:
        review_opportunity(tx, account_id, catalog, identifier, lifecycle.IN_REVIEW, None, None, job.now)
        # The decision, one delay later.
        schedule(tx, REVIEW_STEP, job.now + dt.timedelta(seconds=job.settings.review_delay_seconds),
                 job.payload, job.now, key=_key(account_id, catalog, identifier))
    elif status == lifecycle.IN_REVIEW:
        decision = decide(opportunity, _rules(job.settings.review_rules))
        review_opportunity(tx, account_id, catalog, identifier, decision.status, decision.comments, decision.reason,
                           job.now)
    # Otherwise the opportunity has moved on (a manual review, a partner's edit): nothing to do.


def catch_up(store, settings, now: dt.datetime) -> int:
    """Schedules AWS's next step for the opportunities awaiting review that have none (submitted while
    the reviewer was manual, or before this database had jobs): each one delay after its last change."""
    if settings.review is not ReviewMode.AUTO:
        return 0
    scheduled = 0
    delay = dt.timedelta(seconds=settings.review_delay_seconds)
    with store.read() as tx:
        waiting = tx.opportunities.awaiting_review()
    with store.write() as tx:
        for account_id, catalog, identifier, _status, last_modified in waiting:
            scheduled += schedule(tx, REVIEW_STEP, max(now, last_modified + delay),
                                  {"AccountId": account_id, "Catalog": catalog, "Identifier": identifier}, now,
                                  key=_key(account_id, catalog, identifier))
    return scheduled
