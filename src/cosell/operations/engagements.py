"""Engagement operations, one function each: CreateEngagement, GetEngagement, ListEngagements,
ListEngagementMembers, CreateEngagementContext, UpdateEngagementContext, StartOpportunityFromEngagementTask,
ListOpportunityFromEngagementTasks, ListEngagementResourceAssociations.

An engagement exists only for its members (AWS among them as `aws` when it takes part): anyone else
gets ResourceNotFoundException, as the model's error says ("might not exist, or isn't visible with the
current credentials"). Behaviour: shared/reference/engagements.md §1.1-1.7, 1.15-1.18.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cosell.domain import engagement as rules
from cosell.domain.identifiers import OPPORTUNITY_FROM_ENGAGEMENT_TASK, identified
from cosell.domain.violations import Violation
from cosell.operations import access, engagement_records, event_outbox
from cosell.operations.context import Context, Response
from cosell.operations.idempotency import answer_once
from cosell.operations.opportunity_records import create_owned_opportunity
from cosell.operations.paging import list_page, short_list_page
from cosell.operations.registry import operation
from cosell.operations.snapshot_records import share_opportunity
from cosell.protocol.errors import ConflictError, NotFoundError, ServiceQuotaExceededError, ValidationError
from cosell.store.engagement_tasks import OPPORTUNITY_FROM_ENGAGEMENT_TASK_LIST
from cosell.store.engagements import ENGAGEMENT_LIST, RESOURCE_ASSOCIATION_LIST
from cosell.timestamps import parse_stored

if TYPE_CHECKING:
    from mypy_boto3_partnercentral_selling.type_defs import (
        CreateEngagementContextRequestTypeDef,
        CreateEngagementRequestTypeDef,
        GetEngagementRequestTypeDef,
        ListEngagementMembersRequestTypeDef,
        ListEngagementResourceAssociationsRequestTypeDef,
        ListEngagementsRequestTypeDef,
        ListOpportunityFromEngagementTasksRequestTypeDef,
        StartOpportunityFromEngagementTaskRequestTypeDef,
        UpdateEngagementContextRequestTypeDef,
    )

ENGAGEMENT = "Engagement"
MAX_CONTEXTS = 5  # the model's EngagementContexts: at most 5


@access.finder(ENGAGEMENT)
def _find_engagement(tx, account_id: str, catalog: str, identifier: str, lock: bool) -> dict | None:
    """An engagement, for its members only; an ARN names it as its id does."""
    engagement_id = identified(identifier, catalog, "engagement")
    if engagement_id is None:
        return None
    if lock:
        tx.engagements.lock(catalog, engagement_id)
    return tx.engagements.get(catalog, engagement_id, member=account_id)


def _context_violations(contexts: list[dict], path: str) -> list[Violation]:
    """A context's Type names its payload's kind, and context ids are unique."""
    violations, seen = [], set()
    for index, context in enumerate(contexts):
        payload = context.get("Payload")
        if payload is not None and rules.payload_type(payload) != context["Type"]:
            violations.append(Violation(f"{path}[{index}].type", "INVALID_VALUE",
                                        f"Context type {context['Type']} does not match its payload, a "
                                        f"{rules.payload_type(payload)}."))
        if context.get("Id") is not None:
            if context["Id"] in seen:
                violations.append(Violation(f"{path}[{index}].id", "INVALID_VALUE",
                                            f"Context id {context['Id']} is given twice."))
            seen.add(context["Id"])
    return violations


@operation("CreateEngagement")
def create_engagement(ctx: Context, request: CreateEngagementRequestTypeDef) -> Response:
    catalog = request["Catalog"]
    contexts = [dict(context) for context in request.get("Contexts") or []]
    violations = _context_violations(contexts, "contexts")
    if violations:
        raise ValidationError.from_violations(violations)

    def create(tx, remember) -> Response:
        engagement = engagement_records.create_engagement(tx, catalog, ctx.account_id, request.get("Title"),
                                                          request.get("Description"), contexts, ctx.now)
        answer = {"Id": engagement["Id"], "Arn": engagement["Arn"], "ModifiedAt": engagement["ModifiedAt"]}
        remember(answer)
        return answer

    return answer_once(ctx, "CreateEngagement", request, create)


@operation("GetEngagement")
def get_engagement(ctx: Context, request: GetEngagementRequestTypeDef) -> Response:
    catalog = request["Catalog"]
    with ctx.store.read() as tx:
        engagement = access.visible(tx, ctx, ENGAGEMENT, catalog, request["Identifier"])
        return engagement_records.with_member_count(tx, catalog, engagement)


@operation("ListEngagements")
def list_engagements(ctx: Context, request: ListEngagementsRequestTypeDef) -> Response:
    summaries, next_token = list_page(ctx, ENGAGEMENT_LIST, request)
    return {"EngagementSummaryList": summaries, "NextToken": next_token}


@operation("ListEngagementMembers")
def list_engagement_members(ctx: Context, request: ListEngagementMembersRequestTypeDef) -> Response:
    """"This operation can only be invoked by members of the Engagement" (model): others get
    ResourceNotFoundException, as for the engagement itself. The model caps pages at 10 members (cosell's
    default page) and an engagement at 10 partners."""
    catalog = request["Catalog"]
    with ctx.store.read() as tx:
        engagement = access.visible(tx, ctx, ENGAGEMENT, catalog, request["Identifier"])
        members = tx.engagements.members(catalog, engagement["Id"])
    members_page, next_token = short_list_page(ctx, "ListEngagementMembers", {"engagement": engagement["Id"]},
                                               [(member["AccountId"], member) for member in members], request, 10)
    return {"EngagementMemberList": members_page, "NextToken": next_token}


@operation("ListEngagementResourceAssociations")
def list_engagement_resource_associations(ctx: Context, request: ListEngagementResourceAssociationsRequestTypeDef) -> Response:
    """The resources of the engagements the caller is a member of (model: "where the caller is a member")."""
    summaries, next_token = list_page(ctx, RESOURCE_ASSOCIATION_LIST, request)
    return {"EngagementResourceAssociationSummaries": summaries, "NextToken": next_token}


# --- contexts ---------------------------------------------------------------------------------------------

def _context_answer(engagement: dict, context_id: str) -> Response:
    return {"EngagementId": engagement["Id"], "EngagementArn": engagement["Arn"],
            "EngagementLastModifiedAt": engagement["ModifiedAt"], "ContextId": context_id}


@operation("CreateEngagementContext")
def create_engagement_context(ctx: Context, request: CreateEngagementContextRequestTypeDef) -> Response:
    catalog = request["Catalog"]
    context = {"Type": request["Type"], "Payload": dict(request["Payload"])}
    violations = _context_violations([context], "contexts")
    if violations:
        raise ValidationError.from_violations([Violation("type", v.code, v.message) for v in violations])

    def create(tx, remember) -> Response:
        stored = access.visible(tx, ctx, ENGAGEMENT, catalog, request["EngagementIdentifier"], lock=True)
        contexts = list(stored.get("Contexts") or [])
        if len(contexts) >= MAX_CONTEXTS:
            raise ServiceQuotaExceededError(f"Engagement {stored['Id']} has {MAX_CONTEXTS} contexts, the most an "
                                            "engagement can have.")
        context_id = rules.next_context_id(stored)
        added = rules.with_context_ids([{**context, "Id": context_id}], ctx.now)
        engagement = engagement_records.changed(tx, catalog, stored, {**stored, "Contexts": contexts + added},
                                                ctx.account_id, ctx.now)
        event_outbox.engagement_updated(tx, catalog, engagement, ctx.now)
        answer = _context_answer(engagement, context_id)
        remember(answer)
        return answer

    return answer_once(ctx, "CreateEngagementContext", request, create)


@operation("UpdateEngagementContext")
def update_engagement_context(ctx: Context, request: UpdateEngagementContextRequestTypeDef) -> Response:
    """Changes one context, if the engagement is still as the caller last read it: EngagementLastModifiedAt
    must be its ModifiedAt ("used for optimistic concurrency control", model), else ConflictException."""
    catalog, context_id = request["Catalog"], request["ContextIdentifier"]
    payload = dict(request["Payload"])
    if rules.payload_type(payload) != request["Type"]:
        raise ValidationError.from_violations([Violation(
            "type", "INVALID_VALUE", f"Context type {request['Type']} does not match its payload, a "
                                     f"{rules.payload_type(payload)}.")])
    with ctx.store.write() as tx:
        stored = access.visible(tx, ctx, ENGAGEMENT, catalog, request["EngagementIdentifier"], lock=True)
        if parse_stored(stored["ModifiedAt"]) != request["EngagementLastModifiedAt"]:
            raise ConflictError(f"EngagementLastModifiedAt does not match engagement {stored['Id']}'s ModifiedAt "
                                f"({stored['ModifiedAt']}); fetch it with GetEngagement and retry.")
        context = rules.context_of(stored, context_id)
        if context is None:
            raise NotFoundError(f"Engagement {stored['Id']} has no context {context_id}.")
        if context["Type"] != request["Type"]:
            raise ValidationError.from_violations([Violation(
                "type", "INVALID_VALUE", f"Context {context_id} is a {context['Type']} context, not {request['Type']}.")])
        contexts = [rules.updated_context(context, payload, ctx.now) if context.get("Id") == context_id else context
                    for context in stored.get("Contexts") or []]
        engagement = engagement_records.changed(tx, catalog, stored, {**stored, "Contexts": contexts},
                                                ctx.account_id, ctx.now)
        event_outbox.engagement_updated(tx, catalog, engagement, ctx.now)
    return _context_answer(engagement, context_id)


# --- a lead becomes an opportunity -------------------------------------------------------------------------

START_OPPORTUNITY_TASK = "StartOpportunityFromEngagementTask"


def _lead_refusal(engagement: dict, context: dict | None, context_id: str) -> tuple[str, str] | None:
    """(ReasonCode, Message) of a task that cannot make an opportunity of this context, or None."""
    if context is None:
        return "ContextNotFound", f"Engagement {engagement['Id']} has no context {context_id}."
    if context["Type"] != rules.LEAD:
        return ("CustomerProjectContextNotPermitted",
                f"Context {context_id} is a {context['Type']} context: an opportunity is made from a Lead context.")
    qualification = ((context.get("Payload") or {}).get(rules.LEAD) or {}).get("QualificationStatus")
    if qualification == "Disqualified":
        return "DisqualifiedLeadNotPermitted", f"The lead of context {context_id} is Disqualified."
    if rules.CUSTOMER_PROJECT in rules.context_types(engagement):
        return "OpportunityConflict", f"Engagement {engagement['Id']} already has an opportunity made from its lead."
    return None


@operation(START_OPPORTUNITY_TASK)
def start_opportunity_from_engagement_task(ctx: Context, request: StartOpportunityFromEngagementTaskRequestTypeDef) -> Response:
    """Makes the caller's draft opportunity from a lead (DG-lead): "1. Creates a draft opportunity with
    preliminary information from the lead context 2. Links the opportunity to the source engagement ...
    3. Adds the CustomerProject context to the engagement". The answer's ContextId is that new context
    (observed: "1" in, "2" out). Completes at once, as every observed call did."""
    catalog, context_id = request["Catalog"], request["ContextIdentifier"]

    def start(tx, remember) -> Response:
        stored = access.visible(tx, ctx, ENGAGEMENT, catalog, request["Identifier"], lock=True)
        task = engagement_records.new_task(catalog, OPPORTUNITY_FROM_ENGAGEMENT_TASK, ctx.now, EngagementId=stored["Id"])
        context = rules.context_of(stored, context_id)
        refusal = _lead_refusal(stored, context, context_id)
        if refusal is not None:
            task.update(TaskStatus="FAILED", ReasonCode=refusal[0], Message=refusal[1])
        else:
            assert context is not None
            draft = rules.opportunity_from_lead(context["Payload"][rules.LEAD], ctx.now.date())
            opportunity = create_owned_opportunity(tx, ctx.account_id, catalog, draft, ctx.now, tags=request.get("Tags"))
            engagement_records.associate(tx, catalog, stored["Id"], opportunity["Id"], ctx.account_id, ctx.now)
            project_context = rules.customer_project_context(opportunity)
            new_context_id = rules.next_context_id(stored)
            contexts = [*(stored.get("Contexts") or []), {**project_context, "Id": new_context_id}]
            engagement = engagement_records.changed(tx, catalog, stored, {**stored, "Contexts": contexts}, ctx.account_id,
                                                    ctx.now)
            event_outbox.engagement_updated(tx, catalog, engagement, ctx.now)
            task.update(TaskStatus="COMPLETE", OpportunityId=opportunity["Id"], ContextId=new_context_id,
                        ResourceSnapshotJobId=share_opportunity(tx, ctx.account_id, catalog, stored["Id"], opportunity,
                                                                ctx.now))
        tx.engagement_tasks.insert(ctx.account_id, catalog, OPPORTUNITY_FROM_ENGAGEMENT_TASK, task, ctx.now)
        remember(task)
        return task

    return answer_once(ctx, START_OPPORTUNITY_TASK, request, start,
                       lock=lambda tx: access.find(tx, ctx.account_id, ENGAGEMENT, catalog, request["Identifier"],
                                                   lock=True))


@operation("ListOpportunityFromEngagementTasks")
def list_opportunity_from_engagement_tasks(ctx: Context, request: ListOpportunityFromEngagementTasksRequestTypeDef) -> Response:
    summaries, next_token = list_page(ctx, OPPORTUNITY_FROM_ENGAGEMENT_TASK_LIST, request)
    return {"TaskSummaries": summaries, "NextToken": next_token}
