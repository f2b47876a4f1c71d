"""Submitting an opportunity to AWS: StartEngagementFromOpportunityTask, SubmitOpportunity,
ListEngagementFromOpportunityTasks, and the AWS-side view GetAwsOpportunitySummary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cosell.control import reviewer
from cosell.domain import lifecycle
from cosell.domain.associations import solution_like
from cosell.domain.aws_summary import aws_summary
from cosell.domain.engagement import (
    CUSTOMER_PROJECT,
    OPPORTUNITY_INVITATION,
    context_types,
    customer_project_context,
    invitation_payload_from_opportunity,
)
from cosell.domain.identifiers import AWS_ACCOUNT, ENGAGEMENT_FROM_OPPORTUNITY_TASK
from cosell.domain.opportunity import next_modified
from cosell.domain.violations import Violation
from cosell.operations import access, engagement_records
from cosell.operations.context import Context, Response
from cosell.operations.idempotency import answer_once
from cosell.operations.opportunities import OPPORTUNITY
from cosell.operations.opportunity_versions import save
from cosell.operations.paging import list_page
from cosell.operations.registry import operation
from cosell.operations.snapshot_records import share_opportunity
from cosell.protocol.errors import ConflictError, NotFoundError, ValidationError
from cosell.store.engagement_tasks import ENGAGEMENT_FROM_OPPORTUNITY_TASK_LIST

if TYPE_CHECKING:
    from mypy_boto3_partnercentral_selling.type_defs import (
        GetAwsOpportunitySummaryRequestTypeDef,
        ListEngagementFromOpportunityTasksRequestTypeDef,
        StartEngagementFromOpportunityTaskRequestTypeDef,
        SubmitOpportunityRequestTypeDef,
    )

START_TASK = "StartEngagementFromOpportunityTask"
# What a submission asks of AWS, among the model's ReceiverResponsibilities.
CO_SELL_FACILITATOR = "Co-Sell Facilitator"


def _submitted(opportunity: dict, involvement_type: str, visibility: str, engagement_id: str | None) -> dict:
    submission = {"InvolvementType": involvement_type, "Visibility": visibility, "EngagementId": engagement_id}
    return lifecycle.reviewed({**opportunity, "AwsSubmission": submission}, lifecycle.SUBMITTED, None, None)


def _missing_fields_message(violations) -> str:
    return "The opportunity cannot be submitted: " + "; ".join(v.message for v in violations)


def _engagement_of(tx, ctx: Context, opportunity: dict) -> dict:
    """The opportunity's engagement: the one it already belongs to (a lead's engagement is reused,
    observed), else a new one titled and described by the opportunity, with its CustomerProject context
    ("CreateEngagement (if it doesn't exist)", model)."""
    catalog = opportunity["Catalog"]
    existing = engagement_records.engagement_of_opportunity(tx, catalog, opportunity["Id"])
    if existing is not None:
        return tx.engagements.get(catalog, existing)
    project = opportunity.get("Project") or {}
    engagement = engagement_records.create_engagement(
        tx, catalog, ctx.account_id, (project.get("Title") or "")[:40] or None,
        (project.get("CustomerBusinessProblem") or "")[:255] or None, [customer_project_context(opportunity)], ctx.now,
        announce_creator=True)
    engagement_records.associate(tx, catalog, engagement["Id"], opportunity["Id"], ctx.account_id, ctx.now)
    return engagement


def _invitation_to_aws(tx, ctx: Context, engagement: dict, opportunity: dict) -> str:
    """The engagement's invitation to AWS: a new one unless AWS is invited already or accepted
    ("CreateEngagementInvitation (if not already invited/accepted)", model)."""
    catalog = opportunity["Catalog"]
    existing = engagement_records.pending_or_accepted_to(tx, catalog, engagement["Id"], AWS_ACCOUNT, ctx.now)
    if existing is not None:
        return existing["Id"]
    contacts = [{key: member[key] for key in ("Email", "FirstName", "LastName", "BusinessTitle", "Phone") if member.get(key)}
                for member in opportunity.get("OpportunityTeam") or []][:3]
    payload = {OPPORTUNITY_INVITATION: invitation_payload_from_opportunity(opportunity, contacts, [CO_SELL_FACILITATOR])}
    invitation = engagement_records.invite(
        tx, catalog, engagement, ctx.account_id, AWS_ACCOUNT,
        f"Opportunity {opportunity['Id']} is submitted to AWS for co-selling.", payload, ctx.now)
    return invitation["Id"]


@operation(START_TASK)
def start_engagement_from_opportunity_task(ctx: Context, request: StartEngagementFromOpportunityTaskRequestTypeDef) -> Response:
    catalog = request["Catalog"]
    submission = request["AwsSubmission"]
    involvement, visibility = submission["InvolvementType"], submission.get("Visibility", "Full")

    def start(tx, remember) -> Response:
        stored = access.visible(tx, ctx, OPPORTUNITY, catalog, request["Identifier"])
        status = stored["LifeCycle"]["ReviewStatus"]
        if status != lifecycle.PENDING_SUBMISSION:
            raise ConflictError(f"Opportunity {stored['Id']} has already been submitted (review status {status}).")
        task = engagement_records.new_task(catalog, ENGAGEMENT_FROM_OPPORTUNITY_TASK, ctx.now, OpportunityId=stored["Id"])
        violations = lifecycle.submission_violations(stored, solution_like(stored["RelatedEntityIdentifiers"]), involvement)
        if violations:
            task.update(TaskStatus="FAILED", ReasonCode="OpportunitySubmissionFailed",
                        Message=_missing_fields_message(violations))
        else:
            engagement = _engagement_of(tx, ctx, stored)
            if CUSTOMER_PROJECT not in context_types(engagement):
                task.update(TaskStatus="FAILED", ReasonCode="EngagementValidationFailed",
                            Message=f"Engagement {engagement['Id']} has no CustomerProject context: \"The engagement "
                                    "must have a CustomerProject context before submission\".")
            else:
                invitation = _invitation_to_aws(tx, ctx, engagement, stored)
                task.update(TaskStatus="COMPLETE", EngagementId=engagement["Id"], EngagementInvitationId=invitation)
                submitted = save(tx, ctx.account_id, stored,
                                 _submitted(stored, involvement, visibility, task["EngagementId"]),
                                 next_modified(stored, ctx.now))
                task["ResourceSnapshotJobId"] = share_opportunity(tx, ctx.account_id, catalog, engagement["Id"],
                                                                  submitted, ctx.now)
                reviewer.submitted(tx, ctx.settings, ctx.account_id, catalog, stored["Id"], ctx.now)
        tx.engagement_tasks.insert(ctx.account_id, catalog, ENGAGEMENT_FROM_OPPORTUNITY_TASK, task, ctx.now)
        remember(task)
        return task

    # Requests submitting one opportunity take turns, so that a repeat of this token finds its answer
    # rather than the opportunity changed under it.
    return answer_once(ctx, START_TASK, request, start,
                       lock=lambda tx: access.find(tx, ctx.account_id, OPPORTUNITY, catalog, request["Identifier"],
                                                   lock=True))


@operation("SubmitOpportunity")
def submit_opportunity(ctx: Context, request: SubmitOpportunityRequestTypeDef) -> None:
    catalog = request["Catalog"]
    involvement, visibility = request["InvolvementType"], request.get("Visibility", "Full")
    with ctx.store.write() as tx:
        stored = access.visible(tx, ctx, OPPORTUNITY, catalog, request["Identifier"])
        status = stored["LifeCycle"]["ReviewStatus"]
        if status != lifecycle.PENDING_SUBMISSION:
            raise ValidationError.from_violations([Violation(
                "identifier", lifecycle.INVALID_RESOURCE_STATE,
                f"Opportunity {stored['Id']} has already been submitted (review status {status}).")])
        violations = lifecycle.submission_violations(stored, solution_like(stored["RelatedEntityIdentifiers"]), involvement)
        if violations:
            raise ValidationError.from_violations(violations)
        engagement = (stored.get("AwsSubmission") or {}).get("EngagementId")
        save(tx, ctx.account_id, stored, _submitted(stored, involvement, visibility, engagement), next_modified(stored, ctx.now))
        reviewer.submitted(tx, ctx.settings, ctx.account_id, catalog, stored["Id"], ctx.now)
    return None


@operation("ListEngagementFromOpportunityTasks")
def list_engagement_from_opportunity_tasks(ctx: Context, request: ListEngagementFromOpportunityTasksRequestTypeDef) -> Response:
    summaries, next_token = list_page(ctx, ENGAGEMENT_FROM_OPPORTUNITY_TASK_LIST, request)
    return {"TaskSummaries": summaries, "NextToken": next_token}


@operation("GetAwsOpportunitySummary")
def get_aws_opportunity_summary(ctx: Context, request: GetAwsOpportunitySummaryRequestTypeDef) -> Response:
    """AWS's side of a submitted opportunity. Before submission AWS has no view of it, so the real
    service answers ResourceNotFoundException. LifeCycle and Insights are null, as observed in the
    Sandbox (reference §9)."""
    catalog, identifier = request["Catalog"], request["RelatedOpportunityIdentifier"]
    with ctx.store.read() as tx:
        stored = access.visible(tx, ctx, OPPORTUNITY, catalog, identifier)
    summary = aws_summary(stored)
    if summary is None:
        raise NotFoundError(f"AWS has no summary of opportunity {identifier}: it has not been submitted.")
    return {"Catalog": catalog, **summary}
