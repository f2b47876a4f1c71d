"""Submitting an opportunity to AWS: StartEngagementFromOpportunityTask, SubmitOpportunity, and the
AWS-side view GetAwsOpportunitySummary."""

from __future__ import annotations

from cosell.domain import lifecycle
from cosell.domain.associations import solution_like
from cosell.domain.identifiers import random_identifier, task_arn
from cosell.domain.violations import Violation
from cosell.operations.opportunities import (
    answer_once,
    business_error,
    next_modified,
    request_fingerprint,
    save,
    visible_opportunity,
)
from cosell.protocol.errors import ConflictError, NotFoundError
from cosell.protocol.json10 import format_timestamp

START_TASK = "StartEngagementFromOpportunityTask"


def _submitted(opportunity: dict, involvement_type: str, visibility: str, engagement_id: str | None) -> dict:
    submission = {"InvolvementType": involvement_type, "Visibility": visibility, "EngagementId": engagement_id}
    return lifecycle.reviewed({**opportunity, "AwsSubmission": submission}, lifecycle.SUBMITTED, None, None)


def _missing_fields_message(violations) -> str:
    return "The opportunity cannot be submitted: " + "; ".join(v.message for v in violations)


def start_engagement_from_opportunity_task(ctx, request: dict) -> dict:
    catalog = request["Catalog"]
    fingerprint = request_fingerprint(request)
    submission = request["AwsSubmission"]
    involvement, visibility = submission["InvolvementType"], submission.get("Visibility", "Full")

    def start(tx, remember) -> dict:
        stored = visible_opportunity(tx, ctx, catalog, request["Identifier"])
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
        tx.insert_engagement_task(ctx.account_id, catalog, task, ctx.now)
        remember(task)
        return task

    # Requests submitting one opportunity take turns, so that a repeat of this token finds its answer
    # rather than the opportunity changed under it.
    return answer_once(ctx, START_TASK, request, fingerprint, start, lock_opportunity=request["Identifier"])


def submit_opportunity(ctx, request: dict) -> None:
    catalog = request["Catalog"]
    involvement, visibility = request["InvolvementType"], request.get("Visibility", "Full")
    with ctx.store.write() as tx:
        stored = visible_opportunity(tx, ctx, catalog, request["Identifier"])
        status = stored["LifeCycle"]["ReviewStatus"]
        if status != lifecycle.PENDING_SUBMISSION:
            raise business_error([Violation(
                "identifier", lifecycle.INVALID_RESOURCE_STATE,
                f"Opportunity {stored['Id']} has already been submitted (review status {status}).")])
        violations = lifecycle.submission_violations(stored, solution_like(stored["RelatedEntityIdentifiers"]), involvement)
        if violations:
            raise business_error(violations)
        engagement = (stored.get("AwsSubmission") or {}).get("EngagementId")
        save(tx, ctx.account_id, stored, _submitted(stored, involvement, visibility, engagement), next_modified(stored, ctx.now))
    return None


# The AWS team member a partner sees once AWS has taken the opportunity on (observed: "PDM").
AWS_PARTNER_DEVELOPMENT_MANAGER = {"BusinessTitle": "PDM", "FirstName": "AWS", "LastName": "Partner Development Manager",
                                   "Email": "pdm@amazon.example"}


def get_aws_opportunity_summary(ctx, request: dict) -> dict:
    """AWS's side of a submitted opportunity. Before submission AWS has no view of it, so the real
    service answers ResourceNotFoundException. LifeCycle and Insights are null, as observed in the
    Sandbox (reference §9)."""
    catalog, identifier = request["Catalog"], request["RelatedOpportunityIdentifier"]
    with ctx.store.read() as tx:
        stored = visible_opportunity(tx, ctx, catalog, identifier)
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
