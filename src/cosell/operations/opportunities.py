"""Opportunity operations, one function each, reading like the API reference: CreateOpportunity,
GetOpportunity, UpdateOpportunity, AssignOpportunity, ListOpportunities.

No SQL and no HTTP here: requests arrive validated against the model (wire names, nulls removed),
storage is reached through the transaction's repositories, and errors are raised as ServiceErrors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cosell.control import aws, reviewer
from cosell.domain import lifecycle, opportunity_rules
from cosell.domain.associations import solution_like
from cosell.domain.identifiers import AWS_ACCOUNT, opportunity_arn, opportunity_id
from cosell.domain.opportunity import last_modified, new_opportunity, next_modified, updated_opportunity
from cosell.domain.picklists import OPPORTUNITY_OWNER
from cosell.domain.violations import Violation
from cosell.operations import access, arns, engagement_records, event_outbox
from cosell.operations.context import Context, Response
from cosell.operations.idempotency import answer_once, remembered_answer, request_fingerprint
from cosell.operations.opportunity_versions import save
from cosell.operations.paging import list_page
from cosell.operations.registry import operation
from cosell.protocol.errors import ConflictError, NotFoundError, ValidationError
from cosell.protocol.facts import SANDBOX_CATALOG
from cosell.store.opportunities import OPPORTUNITY_LIST
from cosell.timestamps import format_timestamp

if TYPE_CHECKING:
    from mypy_boto3_partnercentral_selling.type_defs import (
        AssignOpportunityRequestTypeDef,
        CreateOpportunityRequestTypeDef,
        GetOpportunityRequestTypeDef,
        ListOpportunitiesRequestTypeDef,
        UpdateOpportunityRequestTypeDef,
    )

OPPORTUNITY = "Opportunity"
AWS_REFERRAL = "AWS Referral"


@access.finder(OPPORTUNITY)
def _find_opportunity(tx, account_id: str, catalog: str, identifier: str, lock: bool) -> dict | bool | None:
    """An opportunity is its owner's alone. Locking returns whether it exists (tag writes lock it)."""
    if lock:
        return tx.opportunities.lock(account_id, catalog, identifier) or None
    return tx.opportunities.get(account_id, catalog, identifier)


arns.taggable("opportunity", OPPORTUNITY)


def _check_parent(tx, ctx: Context, catalog: str, parent: str | None) -> None:
    if parent is not None and not tx.opportunities.exists(ctx.account_id, catalog, parent):
        raise NotFoundError(f"Project.RelatedOpportunityIdentifier {parent} was not found in catalog {catalog}.")


@operation("CreateOpportunity")
def create_opportunity(ctx: Context, request: CreateOpportunityRequestTypeDef) -> Response:
    catalog = request["Catalog"]
    fingerprint = request_fingerprint(request)
    violations = opportunity_rules.create_violations(request, opportunity_rules.RuleContext(catalog, ctx.now.date()))
    if violations:
        with ctx.store.read() as tx:  # a replay of an accepted request still gets its answer
            remembered = remembered_answer(tx, ctx, "CreateOpportunity", request, fingerprint)
        if remembered is not None:
            return remembered
        raise ValidationError.from_violations(violations)

    def create(tx, remember) -> Response:
        # Every check before the first write (answer_once's checks_before_writes). The parent is looked
        # up before the token is: opportunities are never deleted, so a repeat finds it as the first did.
        _check_parent(tx, ctx, catalog, (request.get("Project") or {}).get("RelatedOpportunityIdentifier"))
        new_id = opportunity_id(tx.counters.next(f"opportunity/{catalog}"))
        now = format_timestamp(ctx.now)
        answer = {"Id": new_id, "LastModifiedDate": now,
                  "PartnerOpportunityIdentifier": request.get("PartnerOpportunityIdentifier")}
        remember(answer)  # the first write; raises, having written nothing, when the token has an answer
        opportunity = new_opportunity(request, opportunity_id=new_id, arn=opportunity_arn(ctx.account_id, catalog, new_id),
                                      account_id=ctx.account_id, now=now)
        if catalog == SANDBOX_CATALOG and request.get("Origin") == AWS_REFERRAL:
            # The Sandbox's simulated AWS referral (DG-sbx): the opportunity is AWS's, invisible to the
            # caller until it accepts the invitation that follows (control/aws.py). Choice: whether the
            # real Sandbox shows it before acceptance is not recorded; an AWS opportunity is not the
            # partner's to read, and the accepted one keeps this one's CreatedDate and fields (observed).
            tx.opportunities.insert(AWS_ACCOUNT, opportunity, ctx.now, ctx.now)
            aws.referral_requested(tx, ctx.settings, catalog, new_id, ctx.account_id, ctx.now)
        else:
            tx.opportunities.insert(ctx.account_id, opportunity, ctx.now, ctx.now)
            event_outbox.opportunity_created(tx, ctx.account_id, catalog, new_id, ctx.now)
        if request.get("Tags"):
            tx.tags.put(opportunity["Arn"], request["Tags"])
        return answer

    return answer_once(ctx, "CreateOpportunity", request, create, fingerprint=fingerprint, look_up_first=False,
                       checks_before_writes=True)


@operation("GetOpportunity")
def get_opportunity(ctx: Context, request: GetOpportunityRequestTypeDef) -> Response:
    with ctx.store.read() as tx:
        return access.visible(tx, ctx, OPPORTUNITY, request["Catalog"], request["Identifier"])


def _review_request(catalog: str, stored: dict, request: UpdateOpportunityRequestTypeDef) -> str | None:
    """The review decision an UpdateOpportunity carries, if any. In the Sandbox the caller may play
    AWS's reviewer by setting LifeCycle.ReviewStatus (DG-sbx; AWS's simulate-approval samples); in
    the AWS catalog a ReviewStatus other than the current one is refused."""
    sent = (request.get("LifeCycle") or {}).get("ReviewStatus")
    current = stored["LifeCycle"]["ReviewStatus"]
    if sent is None or sent == current:
        return None
    if catalog != SANDBOX_CATALOG:
        raise ValidationError.from_violations([Violation(
            "lifeCycle.reviewStatus", lifecycle.ACTION_NOT_PERMITTED,
            "LifeCycle.ReviewStatus is set by AWS; only the Sandbox catalog simulates review.")])
    return sent


def _stage_changed(stored: dict, updated: dict) -> bool:
    before, after = stored.get("LifeCycle") or {}, updated.get("LifeCycle") or {}
    return (before.get("Stage"), before.get("ClosedLostReason")) != (after.get("Stage"), after.get("ClosedLostReason"))


@operation("UpdateOpportunity")
def update_opportunity(ctx: Context, request: UpdateOpportunityRequestTypeDef) -> Response:
    catalog, identifier = request["Catalog"], request["Identifier"]
    with ctx.store.write() as tx:
        stored = access.visible(tx, ctx, OPPORTUNITY, catalog, identifier)
        if last_modified(stored) != request["LastModifiedDate"]:
            raise ConflictError(f"LastModifiedDate does not match opportunity {identifier}'s; fetch it with "
                                "GetOpportunity and retry with its LastModifiedDate.")
        when = next_modified(stored, ctx.now)
        decision = _review_request(catalog, stored, request)
        updated = updated_opportunity(stored, request, format_timestamp(when))

        resubmitted = False
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
                resubmitted = True
        solutions = solution_like(stored["RelatedEntityIdentifiers"])
        violations += opportunity_rules.update_violations(
            updated, opportunity_rules.RuleContext(catalog, ctx.now.date(), previous=stored))
        violations += lifecycle.stage_violations(updated, solutions) if _stage_changed(stored, updated) else []
        if violations:
            raise ValidationError.from_violations(violations)
        if decision is not None:
            life_cycle = request["LifeCycle"]
            updated = lifecycle.reviewed(updated, decision, life_cycle.get("ReviewComments"),
                                         life_cycle.get("ReviewStatusReason"))

        parent = (updated.get("Project") or {}).get("RelatedOpportunityIdentifier")
        if parent != (stored.get("Project") or {}).get("RelatedOpportunityIdentifier"):
            _check_parent(tx, ctx, catalog, parent)
        saved = save(tx, ctx.account_id, stored, updated, when)
        if decision is not None:
            engagement_records.aws_reviewed(tx, catalog, ctx.account_id, saved, ctx.now)
        if resubmitted:
            reviewer.submitted(tx, ctx.settings, ctx.account_id, catalog, identifier, ctx.now)
    return {"Id": identifier, "LastModifiedDate": saved["LastModifiedDate"]}


@operation("AssignOpportunity")
def assign_opportunity(ctx: Context, request: AssignOpportunityRequestTypeDef) -> None:
    """Replaces the OpportunityOwner with the assignee (model: AssignOpportunity)."""
    catalog, identifier = request["Catalog"], request["Identifier"]
    with ctx.store.write() as tx:
        stored = access.visible(tx, ctx, OPPORTUNITY, catalog, identifier)
        owner = {**request["Assignee"], "BusinessTitle": OPPORTUNITY_OWNER}
        team = [m for m in stored.get("OpportunityTeam") or [] if m.get("BusinessTitle") != OPPORTUNITY_OWNER]
        save(tx, ctx.account_id, stored, {**stored, "OpportunityTeam": team + [owner]}, next_modified(stored, ctx.now))
    return None


@operation("ListOpportunities")
def list_opportunities(ctx: Context, request: ListOpportunitiesRequestTypeDef) -> Response:
    # Each summary is the stored opportunity; the OpportunitySummary output shape keeps its members.
    summaries, next_token = list_page(ctx, OPPORTUNITY_LIST, request)
    return {"OpportunitySummaries": summaries, "NextToken": next_token}
