"""Submitting an opportunity to AWS: StartEngagementFromOpportunityTask, SubmitOpportunity,
ListEngagementFromOpportunityTasks, and the AWS-side view GetAwsOpportunitySummary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cosell.control import reviewer
from cosell.domain import lifecycle
from cosell.domain.associations import solution_like
from cosell.domain.identifiers import random_identifier, task_arn
from cosell.domain.opportunity import next_modified
from cosell.domain.violations import Violation
from cosell.operations import access
from cosell.operations.context import Context, Response
from cosell.operations.idempotency import answer_once
from cosell.operations.opportunities import OPPORTUNITY
from cosell.operations.opportunity_versions import save
from cosell.operations.paging import list_page
from cosell.operations.registry import operation
from cosell.protocol.errors import ConflictError, NotFoundError, ValidationError
from cosell.store.engagement_tasks import ENGAGEMENT_FROM_OPPORTUNITY_TASK_LIST
from cosell.timestamps import format_timestamp

if TYPE_CHECKING:
    from mypy_boto3_partnercentral_selling.type_defs import (
        GetAwsOpportunitySummaryRequestTypeDef,
        ListEngagementFromOpportunityTasksRequestTypeDef,
        StartEngagementFromOpportunityTaskRequestTypeDef,
        SubmitOpportunityRequestTypeDef,
    )

START_TASK = "StartEngagementFromOpportunityTask"


def _submitted(opportunity: dict, involvement_type: str, visibility: str, engagement_id: str | None) -> dict:
    submission = {"InvolvementType": involvement_type, "Visibility": visibility, "EngagementId": engagement_id}
    return lifecycle.reviewed({**opportunity, "AwsSubmission": submission}, lifecycle.SUBMITTED, None, None)


def _missing_fields_message(violations) -> str:
    return "The opportunity cannot be submitted: " + "; ".join(v.message for v in violations)


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
        task_id = random_identifier("task-", 13)
        task = {
            "TaskId": task_id,
            "TaskArn": task_arn(catalog, task_id),
            "StartTime": format_timestamp(ctx.now),
            "OpportunityId": stored["Id"],
        }
        violations = lifecycle.submission_violations(stored, solution_like(stored["RelatedEntityIdentifiers"]), involvement)
        if violations:
            task.update(TaskStatus="FAILED", ReasonCode="OpportunitySubmissionFailed",
                        Message=_missing_fields_message(violations))
        else:
            task.update(TaskStatus="COMPLETE",
                        EngagementId=random_identifier("eng-", 14),
                        EngagementInvitationId=random_identifier("engi-", 13),
                        ResourceSnapshotJobId=random_identifier("job-", 13))
            save(tx, ctx.account_id, stored, _submitted(stored, involvement, visibility, task["EngagementId"]),
                 next_modified(stored, ctx.now))
            reviewer.submitted(tx, ctx.settings, ctx.account_id, catalog, stored["Id"], ctx.now)
        tx.engagement_tasks.insert(ctx.account_id, catalog, task, ctx.now)
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


# The AWS team member a partner sees once AWS has taken the opportunity on (observed: "PDM").
AWS_PARTNER_DEVELOPMENT_MANAGER = {"BusinessTitle": "PDM", "FirstName": "AWS", "LastName": "Partner Development Manager",
                                   "Email": "pdm@amazon.example"}


@operation("GetAwsOpportunitySummary")
def get_aws_opportunity_summary(ctx: Context, request: GetAwsOpportunitySummaryRequestTypeDef) -> Response:
    """AWS's side of a submitted opportunity. Before submission AWS has no view of it, so the real
    service answers ResourceNotFoundException. LifeCycle and Insights are null, as observed in the
    Sandbox (reference §9)."""
    catalog, identifier = request["Catalog"], request["RelatedOpportunityIdentifier"]
    with ctx.store.read() as tx:
        stored = access.visible(tx, ctx, OPPORTUNITY, catalog, identifier)
    submission = stored.get("AwsSubmission")
    if submission is None:
        raise NotFoundError(f"AWS has no summary of opportunity {identifier}: it has not been submitted.")
    related = stored["RelatedEntityIdentifiers"]
    approved = stored["LifeCycle"]["ReviewStatus"] == lifecycle.APPROVED
    project = stored.get("Project") or {}
    return {
        "Catalog": catalog,
        "RelatedOpportunityId": identifier,
        "Origin": stored.get("Origin", "Partner Referral"),
        "InvolvementType": submission["InvolvementType"],
        "Visibility": submission["Visibility"],
        "OpportunityTeam": [AWS_PARTNER_DEVELOPMENT_MANAGER] if approved else [],
        "RelatedEntityIds": {kind: related.get(kind, []) for kind in
                             ("AwsProducts", "Solutions", "AwsMarketplaceSolutions", "AwsMarketplaceProducts")},
        "Customer": {"Contacts": []},
        "Project": {"ExpectedCustomerSpend": project.get("ExpectedCustomerSpend"),
                    "AwsPartition": project.get("AwsPartition")},
    }
