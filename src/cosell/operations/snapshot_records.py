"""Writing resource snapshots, for every caller: CreateResourceSnapshot, and the snapshot jobs that write
a revision after each change of their opportunity (called from `opportunity_versions.save`, in the
change's transaction, so the revision and its event follow the Opportunity Updated that caused them, as
observed).

A job runs only when its owner has put a ResourceSnapshotJobRole in its selling-system settings; without
one it records its failure ("Without this role, any updates you make to your opportunity will not be
visible to other partners", AWS's multi-partner guide). A job writes a revision only when its
template's view changed ("creates a new snapshot only if the resource state has changed", model).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from cosell.domain import snapshots as views
from cosell.domain.aws_summary import aws_summary
from cosell.domain.identifiers import resource_snapshot_job_id
from cosell.operations import event_outbox
from cosell.protocol.errors import NotFoundError
from cosell.store.snapshot_jobs import RUNNING

NO_ROLE_FAILURE = ("No ResourceSnapshotJobRole is registered for this catalog: put one with "
                   "PutSellingSystemSettings, and the job writes the next change.")


def view_of(opportunity: Mapping[str, Any], template: str) -> dict[str, Any] | None:
    """The template's view of the opportunity; None for AWS's view of an opportunity AWS has not seen."""
    if template == views.AWS_FULL_VIEW:
        return aws_summary(opportunity)
    return views.opportunity_summary_view(opportunity)


def write_snapshot(tx, catalog: str, engagement_id: str, opportunity: Mapping[str, Any], template: str, owner: str,
                   now: dt.datetime, view: dict[str, Any] | None = None) -> dict[str, Any]:
    """The next revision of the opportunity's view under `template` in the engagement, shared and announced:
    {Arn, Revision}. Writing one associates the opportunity with the engagement (AWS's lead guide)."""
    view = view if view is not None else view_of(opportunity, template)
    if view is None:
        raise NotFoundError(f"AWS has no summary of opportunity {opportunity['Id']}: it has not been submitted.")
    resource_id = opportunity["Id"]
    revision = tx.snapshots.latest_revision(catalog, engagement_id, views.OPPORTUNITY, resource_id, template) + 1
    members = [member["AccountId"] for member in tx.engagements.members(catalog, engagement_id)]
    shared_with = [owner] if template in views.OWNER_ONLY else members
    tx.snapshots.add(catalog, engagement_id, views.OPPORTUNITY, resource_id, template, revision, owner, shared_with,
                     view, now)
    tx.engagements.associate(catalog, engagement_id, views.OPPORTUNITY, resource_id, owner, now)
    arn = views.snapshot_arn(catalog, engagement_id, views.OPPORTUNITY, resource_id, template, revision)
    event_outbox.snapshot_created(tx, catalog, arn, engagement_id, views.OPPORTUNITY, resource_id, owner, shared_with, now)
    return {"Arn": arn, "Revision": revision}


def run_job(tx, job: Mapping[str, Any], opportunity: Mapping[str, Any], now: dt.datetime) -> None:
    """One execution of a Running job: a revision when the view changed, or its failure recorded."""
    catalog, owner = job["catalog"], job["account_id"]
    if tx.selling_settings.job_role(owner, catalog) is None:
        tx.snapshot_jobs.record(owner, job["id"], None, NO_ROLE_FAILURE)
        return
    view = view_of(opportunity, job["template"])
    if view is None:
        tx.snapshot_jobs.record(owner, job["id"], None, "AWS has no summary of the opportunity yet: it has not "
                                                         "been submitted.")
        return
    key = (catalog, job["engagement_id"], views.OPPORTUNITY, opportunity["Id"], job["template"])
    latest = tx.snapshots.latest_revision(*key)
    if latest == 0 or tx.snapshots.get(*key, latest)["view"] != view:
        write_snapshot(tx, catalog, job["engagement_id"], opportunity, job["template"], owner, now, view)
    tx.snapshot_jobs.record(owner, job["id"], now, None)


def run_jobs_of(tx, owner: str, opportunity: Mapping[str, Any], now: dt.datetime) -> None:
    """Every Running job of the opportunity, after a change of it."""
    for job in tx.snapshot_jobs.running_for(owner, opportunity["Catalog"], opportunity["Id"]):
        run_job(tx, job, opportunity, now)


def share_opportunity(tx, owner: str, catalog: str, engagement_id: str, opportunity: Mapping[str, Any],
                      now: dt.datetime) -> str:
    """What the engagement tasks do with the caller's opportunity (model: "CreateResourceSnapshot,
    CreateResourceSnapshotJob … StartResourceSnapshotJob"): a first OpportunitySummaryView revision, and a
    Running job for the later changes (the account's job on it, started again if it was stopped). The job's id."""
    write_snapshot(tx, catalog, engagement_id, opportunity, views.SUMMARY_VIEW, owner, now)
    for job in tx.snapshot_jobs.of_resource(owner, catalog, opportunity["Id"]):
        if job["engagement_id"] == engagement_id and job["template"] == views.SUMMARY_VIEW:
            tx.snapshot_jobs.set_status(owner, job["id"], RUNNING)
            return job["id"]
    job_id = resource_snapshot_job_id()
    tx.snapshot_jobs.add(owner, job_id, catalog, engagement_id, views.OPPORTUNITY, opportunity["Id"],
                         views.SUMMARY_VIEW, now)
    tx.snapshot_jobs.set_status(owner, job_id, RUNNING)
    return job_id
