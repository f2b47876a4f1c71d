"""Opportunity operations, one function each, reading like the API reference.

No SQL and no HTTP here: requests arrive validated against the model (wire names, nulls removed),
storage is reached through ctx.store, and errors are raised as ServiceErrors.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Callable
from functools import lru_cache

from cosell import json_text
from cosell.domain import lifecycle, rules
from cosell.domain.associations import solution_like
from cosell.domain.identifiers import opportunity_arn, opportunity_id
from cosell.domain.opportunity import new_opportunity, updated_opportunity
from cosell.domain.picklists import OPPORTUNITY_OWNER
from cosell.domain.violations import Violation
from cosell.protocol.errors import ConflictError, FieldError, NotFoundError, ValidationError
from cosell.protocol.json10 import format_timestamp
from cosell.protocol.validate import parse_timestamp

CONFLICTING_CLIENT_TOKEN = "Conflicting client token submitted for a new request body."


def business_error(violations: list[Violation]) -> ValidationError:
    return ValidationError.from_errors(
        ValidationError.BUSINESS, [FieldError(v.field, v.code, v.message) for v in violations])


def request_fingerprint(request: dict) -> str:
    """Identifies a request body for ClientToken replay: same token + same fingerprint = same request."""
    return hashlib.sha256(json_text.canonical(request)).hexdigest()


def remembered_response(tx, ctx, catalog: str, operation: str, token: str, fingerprint: str):
    remembered = tx.find_client_token(ctx.account_id, catalog, operation, token)
    if remembered is None:
        return None
    stored_fingerprint, response = remembered
    if stored_fingerprint != fingerprint:
        raise ConflictError(CONFLICTING_CLIENT_TOKEN)
    return response


class _RememberedBefore(Exception):
    """The ClientToken already has an answer: the work done for this request must be undone."""


def answer_once(ctx, operation: str, request: dict, fingerprint: str, work: Callable, *,
                look_up_first: bool = True, lock_opportunity: str | None = None,
                checks_before_writes: bool = False) -> dict:
    """`work(tx, remember)` in a write transaction, once per ClientToken (reference §4): a repeat with
    the same body gets the first answer, one with another body a ConflictException, also when the two
    arrive at once (the loser of the race finds the winner's answer).

    `work` calls `remember(answer)` once, and returns the answer. When the token has an answer already,
    remember raises and everything the transaction wrote is undone. `look_up_first`: the token is
    looked up before `work` starts, for an operation whose checks read state that the first request
    changed (StartEngagementFromOpportunityTask). Otherwise `work` remembers its answer as its first
    write, before it writes anything else (CreateOpportunity), which spares the lookup of every new token. `lock_opportunity`:
    requests about that opportunity take turns from the start (PostgreSQL; SQLite's writers always
    take turns). `checks_before_writes`: `work` can only fail before its first write (remember
    included), so its transaction needs no savepoint of its own (Store.write)."""
    catalog, token = request["Catalog"], request["ClientToken"]

    try:
        with ctx.store.write(own_savepoint=not checks_before_writes) as tx:
            if lock_opportunity is not None:
                tx.lock_opportunity(ctx.account_id, catalog, lock_opportunity)
            if look_up_first:
                remembered = remembered_response(tx, ctx, catalog, operation, token, fingerprint)
                if remembered is not None:
                    return remembered

            def remember(answer: dict) -> None:
                if not tx.remember_client_token(ctx.account_id, catalog, operation, token, fingerprint, answer,
                                                ctx.now):
                    raise _RememberedBefore

            return work(tx, remember)
    except _RememberedBefore:  # by an earlier request, or by one whose writes are not durable yet:
        with ctx.store.write() as tx:  # read as a writer, so that this answer waits for those writes
            return remembered_response(tx, ctx, catalog, operation, token, fingerprint)


def create_opportunity(ctx, request: dict) -> dict:
    catalog = request["Catalog"]
    token = request["ClientToken"]
    fingerprint = request_fingerprint(request)
    violations = rules.create_violations(request, rules.RuleContext(catalog, ctx.now.date()))
    if violations:
        with ctx.store.read() as tx:  # a replay of an accepted request still gets its answer
            remembered = remembered_response(tx, ctx, catalog, "CreateOpportunity", token, fingerprint)
        if remembered is not None:
            return remembered
        raise business_error(violations)

    def create(tx, remember) -> dict:
        # Every check before the first write (answer_once's checks_before_writes). The parent is looked
        # up before the token is: opportunities are never deleted, so a repeat finds it as the first did.
        parent = (request.get("Project") or {}).get("RelatedOpportunityIdentifier")
        if parent is not None and not tx.opportunity_exists(ctx.account_id, catalog, parent):
            raise NotFoundError(f"Project.RelatedOpportunityIdentifier {parent} was not found in catalog {catalog}.")
        new_id = opportunity_id(tx.next_number(f"opportunity/{catalog}"))
        now = format_timestamp(ctx.now)
        answer = {"Id": new_id, "LastModifiedDate": now,
                  "PartnerOpportunityIdentifier": request.get("PartnerOpportunityIdentifier")}
        remember(answer)  # the first write; raises, having written nothing, when the token has an answer
        opportunity = new_opportunity(
            request,
            opportunity_id=new_id,
            arn=opportunity_arn(ctx.account_id, catalog, new_id),
            account_id=ctx.account_id,
            now=now,
        )
        tx.insert_opportunity(ctx.account_id, opportunity, ctx.now, ctx.now)
        if request.get("Tags"):
            tx.put_tags(opportunity["Arn"], request["Tags"])
        return answer

    return answer_once(ctx, "CreateOpportunity", request, fingerprint, create, look_up_first=False,
                       checks_before_writes=True)


def visible_opportunity(tx, ctx, catalog: str, identifier: str) -> dict:
    """The caller's opportunity, or ResourceNotFoundException (never a hint that another account's exists)."""
    opportunity = tx.get_opportunity(ctx.account_id, catalog, identifier)
    if opportunity is None:
        raise NotFoundError(f"Opportunity {identifier} was not found in catalog {catalog}.")
    return opportunity


def get_opportunity(ctx, request: dict) -> dict:
    with ctx.store.read() as tx:
        return visible_opportunity(tx, ctx, request["Catalog"], request["Identifier"])


@lru_cache(maxsize=256)
def _parsed_timestamp(text: str) -> dt.datetime:
    return parse_timestamp(text)


def stored_last_modified(stored: dict) -> dt.datetime:
    """The stored LastModifiedDate as a datetime. An update reads it three times (its lock check,
    next_modified, save): parsed once."""
    return _parsed_timestamp(stored["LastModifiedDate"])


def next_modified(stored: dict, now: dt.datetime) -> dt.datetime:
    """A LastModifiedDate later than the stored one, so that the optimistic lock always sees a change."""
    previous = stored_last_modified(stored)
    return max(now, previous + dt.timedelta(milliseconds=1))


def save(tx, account_id: str, stored: dict, changed: dict, when: dt.datetime) -> dict:
    """Store a new version of `stored`; ConflictException if another write got there first."""
    changed = {**changed, "LastModifiedDate": format_timestamp(when)}
    if not tx.replace_opportunity(account_id, changed, stored_last_modified(stored), when):
        raise ConflictError(f"Opportunity {stored['Id']} was modified by another request; "
                            "fetch it with GetOpportunity and retry with its LastModifiedDate.")
    return changed


def _review_request(ctx, catalog: str, stored: dict, request: dict) -> str | None:
    """The review decision an UpdateOpportunity carries, if any. In the Sandbox the caller may play
    AWS's reviewer by setting LifeCycle.ReviewStatus (DG-sbx; AWS's simulate-approval samples); in
    the AWS catalog a ReviewStatus other than the current one is refused."""
    sent = (request.get("LifeCycle") or {}).get("ReviewStatus")
    current = stored["LifeCycle"]["ReviewStatus"]
    if sent is None or sent == current:
        return None
    if catalog != "Sandbox":
        raise business_error([Violation("lifeCycle.reviewStatus", lifecycle.ACTION_NOT_PERMITTED,
                                        "LifeCycle.ReviewStatus is set by AWS; only the Sandbox catalog simulates review.")])
    return sent


def update_opportunity(ctx, request: dict) -> dict:
    catalog, identifier = request["Catalog"], request["Identifier"]
    with ctx.store.write() as tx:
        stored = visible_opportunity(tx, ctx, catalog, identifier)
        if stored_last_modified(stored) != request["LastModifiedDate"]:
            raise ConflictError(f"LastModifiedDate does not match opportunity {identifier}'s; fetch it with "
                                "GetOpportunity and retry with its LastModifiedDate.")
        when = next_modified(stored, ctx.now)
        decision = _review_request(ctx, catalog, stored, request)
        updated = updated_opportunity(stored, request, format_timestamp(when))

        if decision is not None:
            # The update plays AWS's reviewer, and is applied whole as AWS's reviewer applies it: what
            # else it changes (Stage moving to Qualified with Approved, as AWS's simulate-approval
            # Postman template sends) is AWS's change, so the partner's edit locks of a Submitted or
            # In review opportunity do not apply to it; the review transition and the business rules do.
            violations = lifecycle.review_violations(stored["LifeCycle"]["ReviewStatus"], decision)
        else:
            violations = lifecycle.editability_violations(stored, updated)
            if stored["LifeCycle"]["ReviewStatus"] == lifecycle.ACTION_REQUIRED and not violations:
                # "After updates, the opportunity re-enters the validation phase" (seed, Action Required).
                updated = lifecycle.reviewed(updated, lifecycle.SUBMITTED, None, None)
        solutions = solution_like(stored["RelatedEntityIdentifiers"])
        violations += rules.update_violations(updated, rules.RuleContext(catalog, ctx.now.date(), previous=stored))
        violations += lifecycle.stage_violations(updated, solutions) if _stage_changed(stored, updated) else []
        if violations:
            raise business_error(violations)
        if decision is not None:
            life_cycle = request["LifeCycle"]
            updated = lifecycle.reviewed(updated, decision, life_cycle.get("ReviewComments"),
                                         life_cycle.get("ReviewStatusReason"))

        parent = (updated.get("Project") or {}).get("RelatedOpportunityIdentifier")
        if parent and parent != (stored.get("Project") or {}).get("RelatedOpportunityIdentifier"):
            if not tx.opportunity_exists(ctx.account_id, catalog, parent):
                raise NotFoundError(f"Project.RelatedOpportunityIdentifier {parent} was not found in catalog {catalog}.")
        saved = save(tx, ctx.account_id, stored, updated, when)
    return {"Id": identifier, "LastModifiedDate": saved["LastModifiedDate"]}


def _stage_changed(stored: dict, updated: dict) -> bool:
    before, after = stored.get("LifeCycle") or {}, updated.get("LifeCycle") or {}
    return (before.get("Stage"), before.get("ClosedLostReason")) != (after.get("Stage"), after.get("ClosedLostReason"))


def assign_opportunity(ctx, request: dict) -> None:
    """Replaces the OpportunityOwner with the assignee (model: AssignOpportunity)."""
    catalog, identifier = request["Catalog"], request["Identifier"]
    with ctx.store.write() as tx:
        stored = visible_opportunity(tx, ctx, catalog, identifier)
        owner = {**request["Assignee"], "BusinessTitle": OPPORTUNITY_OWNER}
        team = [m for m in stored.get("OpportunityTeam") or [] if m.get("BusinessTitle") != OPPORTUNITY_OWNER]
        save(tx, ctx.account_id, stored, {**stored, "OpportunityTeam": team + [owner]}, next_modified(stored, ctx.now))
    return None
