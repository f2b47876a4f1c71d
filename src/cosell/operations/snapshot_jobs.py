"""Resource snapshot jobs (engagements.md §1.22–1.27, §2.4): CreateResourceSnapshotJob (Stopped),
Start (Running: it runs at once, then after each change of its opportunity), Stop, Delete (only when
Stopped: ConflictException otherwise), Get and List, for the job's owner only.

Choices where the sources are silent: stopping a Stopped job and starting a Running one change nothing
(both operations are marked idempotent, and StopResourceSnapshotJob lists no ConflictException); a second
job for the same engagement, opportunity and template is a ConflictException.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cosell.domain.identifiers import ARN_NAMESPACE, REGION, opportunity_arn, resource_snapshot_job_id
from cosell.operations import access, arns
from cosell.operations.context import Context, Response
from cosell.operations.idempotency import answer_once
from cosell.operations.paging import short_list_page
from cosell.operations.registry import operation
from cosell.operations.snapshot_records import run_job
from cosell.operations.snapshots import snapshot_subject
from cosell.protocol.errors import ConflictError, NotFoundError
from cosell.store.snapshot_jobs import RUNNING, STOPPED
from cosell.timestamps import format_timestamp

if TYPE_CHECKING:
    from mypy_boto3_partnercentral_selling.type_defs import (
        CreateResourceSnapshotJobRequestTypeDef,
        DeleteResourceSnapshotJobRequestTypeDef,
        GetResourceSnapshotJobRequestTypeDef,
        ListResourceSnapshotJobsRequestTypeDef,
        StartResourceSnapshotJobRequestTypeDef,
        StopResourceSnapshotJobRequestTypeDef,
    )

SNAPSHOT_JOB = "ResourceSnapshotJob"
DEFAULT_PAGE_SIZE = 50  # "If omitted, defaults to 50" (model)


def job_arn(account_id: str, catalog: str, job_id: str) -> str:
    """With the owner's account, unlike the other engagement ARNs: a job is taggable (model)."""
    return f"arn:aws:{ARN_NAMESPACE}:{REGION}:{account_id}:catalog/{catalog}/resource-snapshot-job/{job_id}"


@access.finder(SNAPSHOT_JOB)
def _find_job(tx, account_id: str, catalog: str, identifier: str, lock: bool) -> dict | None:
    job = tx.snapshot_jobs.get(account_id, identifier)
    return job if job is not None and job["catalog"] == catalog else None


arns.taggable("resource-snapshot-job", SNAPSHOT_JOB)


def _job(tx, ctx: Context, request: Mapping[str, Any]) -> dict:
    job = _find_job(tx, ctx.account_id, request["Catalog"], request["ResourceSnapshotJobIdentifier"], False)
    if job is None:
        raise NotFoundError(f"Resource snapshot job {request['ResourceSnapshotJobIdentifier']} was not found.")
    return job


@operation("CreateResourceSnapshotJob")
def create_resource_snapshot_job(ctx: Context, request: CreateResourceSnapshotJobRequestTypeDef) -> Response:
    catalog = request["Catalog"]

    def create(tx, remember):
        engagement, template, opportunity = snapshot_subject(tx, ctx, request)
        opportunity_id = opportunity["Id"]
        for job in tx.snapshot_jobs.of_resource(ctx.account_id, catalog, opportunity_id):
            if job["engagement_id"] == engagement["Id"] and job["template"] == template:
                raise ConflictError(f"Resource snapshot job {job['id']} already snapshots {opportunity_id} with "
                                    f"{template} in engagement {engagement['Id']}.")
        job_id = resource_snapshot_job_id()
        tx.snapshot_jobs.add(ctx.account_id, job_id, catalog, engagement["Id"], request["ResourceType"],
                             opportunity_id, template, ctx.now)
        arn = job_arn(ctx.account_id, catalog, job_id)
        if request.get("Tags"):
            tx.tags.put(arn, request["Tags"])
        answer = {"Id": job_id, "Arn": arn}
        remember(answer)
        return answer

    return answer_once(ctx, "CreateResourceSnapshotJob", request, create)


@operation("GetResourceSnapshotJob")
def get_resource_snapshot_job(ctx: Context, request: GetResourceSnapshotJobRequestTypeDef) -> Response:
    with ctx.store.read() as tx:
        job = _job(tx, ctx, request)
    return {"Catalog": job["catalog"], "Id": job["id"], "Arn": job_arn(ctx.account_id, job["catalog"], job["id"]),
            "EngagementId": job["engagement_id"], "ResourceType": job["resource_type"], "ResourceId": job["resource_id"],
            "ResourceArn": opportunity_arn(ctx.account_id, job["catalog"], job["resource_id"]),
            "ResourceSnapshotTemplateName": job["template"], "CreatedAt": format_timestamp(job["created_at"]),
            "Status": job["status"],
            "LastSuccessfulExecutionDate": job["last_success"] and format_timestamp(job["last_success"]),
            "LastFailure": job["last_failure"]}


@operation("ListResourceSnapshotJobs")
def list_resource_snapshot_jobs(ctx: Context, request: ListResourceSnapshotJobsRequestTypeDef) -> Response:
    """The caller's jobs, newest first unless Sort says otherwise (model)."""
    catalog = request["Catalog"]
    engagement_id, status = request.get("EngagementIdentifier"), request.get("Status")
    ascending = (request.get("Sort") or {}).get("SortOrder") == "ASCENDING"
    with ctx.store.read() as tx:
        jobs = tx.snapshot_jobs.of_account(ctx.account_id, catalog)
    chosen = [job for job in jobs if (engagement_id is None or job["engagement_id"] == engagement_id)
              and (status is None or job["status"] == status)]
    chosen.sort(key=lambda job: (job["created_ms"], job["id"]), reverse=not ascending)
    items = [(job["id"], {"Id": job["id"], "Arn": job_arn(ctx.account_id, catalog, job["id"]),
                          "EngagementId": job["engagement_id"], "Status": job["status"]}) for job in chosen]
    scope = {"engagement": engagement_id, "status": status, "ascending": ascending}
    summaries, next_token = short_list_page(ctx, "ListResourceSnapshotJobs", scope, items, request, DEFAULT_PAGE_SIZE)
    return {"ResourceSnapshotJobSummaries": summaries, "NextToken": next_token}


@operation("StartResourceSnapshotJob")
def start_resource_snapshot_job(ctx: Context, request: StartResourceSnapshotJobRequestTypeDef) -> None:
    """Running, and it runs now: a first revision (or none when the view has not changed since the last)."""
    with ctx.store.write() as tx:
        job = _job(tx, ctx, request)
        if job["status"] == RUNNING:
            return
        tx.snapshot_jobs.set_status(ctx.account_id, job["id"], RUNNING)
        opportunity = tx.opportunities.get(ctx.account_id, job["catalog"], job["resource_id"])
        if opportunity is not None:
            run_job(tx, job, opportunity, ctx.now)


@operation("StopResourceSnapshotJob")
def stop_resource_snapshot_job(ctx: Context, request: StopResourceSnapshotJobRequestTypeDef) -> None:
    with ctx.store.write() as tx:
        job = _job(tx, ctx, request)
        if job["status"] == RUNNING:
            tx.snapshot_jobs.set_status(ctx.account_id, job["id"], STOPPED)


@operation("DeleteResourceSnapshotJob")
def delete_resource_snapshot_job(ctx: Context, request: DeleteResourceSnapshotJobRequestTypeDef) -> None:
    """Only a Stopped job ("The job must be in a stopped state before it can be deleted", model); its
    snapshots stay ("Once shared, snapshots remain permanently accessible", AWS's guide)."""
    with ctx.store.write() as tx:
        job = _job(tx, ctx, request)
        if job["status"] != STOPPED:
            raise ConflictError(f"Resource snapshot job {job['id']} is {job['status']}: stop it before deleting it.")
        tx.snapshot_jobs.delete(ctx.account_id, job["id"])
        arn = job_arn(ctx.account_id, job["catalog"], job["id"])
        tx.tags.remove(arn, [tag["Key"] for tag in tx.tags.list(arn)])
