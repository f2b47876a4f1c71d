"""Playing AWS: referrals, leads and AWS's edits of its summary of a submitted opportunity, which only AWS
makes (engagements.md §7). Used by `cosell aws refer|lead|summary`, the /_cosell/aws/* endpoints, and the
Sandbox's own trigger, a CreateOpportunity with `Origin: "AWS Referral"` (DG-sbx).

A referral is an AWS opportunity offered to a partner: AWS holds the opportunity (owner `aws`, invisible
to partners), makes an engagement for it with a CustomerProject context, and sends the partner an
OpportunityInvitation as observed (SenderCompanyName "AWS", the PDM contact, the fixed message,
ReceiverResponsibilities). Accepting it hands AWS's opportunity to the partner, Approved
(operations/invitations.py). A lead is an AWS engagement with a Lead context and a LeadInvitation that
shows the customer without its contacts until accepted (DG-lead). An edit of AWS's summary is what DG-ev
lists as "AWS updates opportunity": Opportunity Updated, and an AwsOpportunitySummaryFullView revision for
the owner alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from cosell.control.aws_payloads import default_lead, default_referral
from cosell.domain import aws_summary as summaries
from cosell.domain import engagement as rules
from cosell.domain.identifiers import AWS_ACCOUNT
from cosell.domain.opportunity import next_modified
from cosell.domain.opportunity_rules import RuleContext, create_violations
from cosell.domain.snapshots import AWS_FULL_VIEW, OPPORTUNITY, snapshot_arn
from cosell.jobs import Job, job_handler, schedule
from cosell.operations import engagement_records
from cosell.operations.opportunity_records import create_owned_opportunity
from cosell.operations.opportunity_versions import save
from cosell.operations.snapshot_records import write_snapshot
from cosell.protocol.errors import FieldError, NotFoundError, ValidationError
from cosell.protocol.facts import SANDBOX_CATALOG
from cosell.protocol.validation import shape_validator
from cosell.protocol.validation.full import lower_camel
from cosell.timestamps import format_timestamp

REFERRAL = "aws.referral"


def referral_requested(tx, settings, catalog: str, opportunity_id: str, receiver: str, now: dt.datetime) -> None:
    """A Sandbox CreateOpportunity with Origin "AWS Referral" made AWS's opportunity: its invitation
    reaches the caller after the referral delay ("~5 s after the simulated create", observed)."""
    schedule(tx, REFERRAL, now + dt.timedelta(seconds=settings.referral_delay_seconds),
             {"Catalog": catalog, "OpportunityId": opportunity_id, "Receiver": receiver}, now,
             key=f"{REFERRAL}/{catalog}/{opportunity_id}")


@job_handler(REFERRAL)
def send_referral(tx, job: Job) -> None:
    catalog, receiver = job.payload["Catalog"], job.payload["Receiver"]
    opportunity = tx.opportunities.get(AWS_ACCOUNT, catalog, job.payload["OpportunityId"])
    if opportunity is not None:
        refer(tx, catalog, opportunity, receiver, job.now)


def refer(tx, catalog: str, opportunity: Mapping[str, Any], receiver: str, now: dt.datetime) -> dict:
    """AWS's engagement for its opportunity, and the OpportunityInvitation to `receiver`."""
    project = opportunity.get("Project") or {}
    engagement = engagement_records.create_engagement(
        tx, catalog, AWS_ACCOUNT, (project.get("Title") or "")[:40] or None,
        (project.get("CustomerBusinessProblem") or "")[:255] or None,
        [rules.customer_project_context(opportunity)], now)
    engagement_records.associate(tx, catalog, engagement["Id"], opportunity["Id"], AWS_ACCOUNT, now)
    payload = {rules.OPPORTUNITY_INVITATION: rules.invitation_payload_from_opportunity(
        opportunity, [rules.AWS_SENDER_CONTACT], rules.AWS_REFERRAL_RESPONSIBILITIES)}
    invitation = engagement_records.invite(
        tx, catalog, engagement, AWS_ACCOUNT, receiver, rules.AWS_REFERRAL_MESSAGE, payload, now,
        receiver_alias=engagement_records.profile(tx, receiver)[0])
    return {"InvitationId": invitation["Id"], "InvitationArn": invitation["Arn"], "EngagementId": engagement["Id"],
            "OpportunityId": opportunity["Id"], "Catalog": catalog, "ReceiverAccountId": receiver}


def _checked_referral(body: Mapping[str, Any], catalog: str, today: dt.date) -> dict:
    """A referral body: CreateOpportunity's shape and rules, as the Sandbox would check it."""
    request = shape_validator("CreateOpportunityRequest")({**body, "Catalog": catalog, "ClientToken": "cosell-aws-refer",
                                                           "Origin": "AWS Referral"})
    violations = create_violations(request, RuleContext(SANDBOX_CATALOG, today))
    if violations:
        raise ValidationError.from_violations(violations)
    return {key: value for key, value in request.items() if key not in ("Catalog", "ClientToken")}


def create_referral(store, account_id: str, catalog: str, body: Mapping[str, Any] | None, now: dt.datetime) -> dict:
    """`cosell aws refer`: AWS refers an opportunity (`body`, a CreateOpportunity body, or a realistic
    default) to the account now."""
    request = _checked_referral(body if body is not None else default_referral(now.date()), catalog, now.date())
    with store.write() as tx:
        opportunity = create_owned_opportunity(tx, AWS_ACCOUNT, catalog, request, now, arn_account=account_id)
        return refer(tx, catalog, opportunity, account_id, now)


def create_lead(store, account_id: str, catalog: str, lead: Mapping[str, Any] | None, now: dt.datetime) -> dict:
    """`cosell aws lead`: AWS shares a lead (`lead`, a Lead context payload, or a realistic default) with the
    account: an engagement created by AWS with the Lead context, and a LeadInvitation to the account."""
    checked = shape_validator("LeadContext")(dict(lead) if lead is not None else default_lead(now))
    company = checked["Customer"]["CompanyName"]
    with store.write() as tx:
        engagement = engagement_records.create_engagement(
            tx, catalog, AWS_ACCOUNT, company[:40], f"AWS lead: {company}"[:255],
            [{"Type": rules.LEAD, "Payload": {rules.LEAD: checked}}], now)
        stored_lead = engagement["Contexts"][0]["Payload"][rules.LEAD]
        invitation = engagement_records.invite(
            tx, catalog, engagement, AWS_ACCOUNT, account_id, rules.AWS_LEAD_MESSAGE,
            {rules.LEAD_INVITATION: rules.lead_invitation_payload(stored_lead)}, now,
            receiver_alias=engagement_records.profile(tx, account_id)[0])
    return {"InvitationId": invitation["Id"], "InvitationArn": invitation["Arn"], "EngagementId": engagement["Id"],
            "Catalog": catalog, "ReceiverAccountId": account_id}


# Members of AWS's summary that are not AWS's to edit: the partner's opportunity, its origin and its
# associations (GetAwsOpportunitySummary shows them from the partner's side), and the catalog.
NOT_AWS_OWNED = ("RelatedOpportunityId", "Origin", "Catalog", "RelatedEntityIds")


def _checked_summary_changes(changes: Mapping[str, Any]) -> dict:
    """AWS's changes to its summary: members of the model's AwsOpportunitySummaryFullView, not those AWS
    does not own, nor LifeCycle.NextStepsHistory (kept from the NextSteps AWS sets)."""
    refused = [FieldError(lower_camel(name), "INVALID_VALUE", f"{name} is not AWS's to edit in its summary.")
               for name in NOT_AWS_OWNED if name in changes]
    if isinstance(changes.get("LifeCycle"), Mapping) and "NextStepsHistory" in changes["LifeCycle"]:
        refused.append(FieldError("lifeCycle.nextStepsHistory", "INVALID_VALUE",
                                  "LifeCycle.NextStepsHistory is kept from LifeCycle.NextSteps: set NextSteps."))
    if refused:
        raise ValidationError.from_errors(ValidationError.REQUEST, refused)
    checked = shape_validator(AWS_FULL_VIEW)(dict(changes))
    if not checked:
        raise ValidationError.of_field(None, f"The summary changes nothing: give members of {AWS_FULL_VIEW} "
                                             "(LifeCycle, OpportunityTeam, Insights...).", "REQUIRED_FIELD_MISSING")
    return checked


def edit_summary(store, account_id: str, catalog: str, opportunity_id: str, changes: Mapping[str, Any],
                 now: dt.datetime) -> dict:
    """`cosell aws summary`: AWS edits its summary of the account's submitted opportunity (engagements.md §7,
    "AWS updates AWS-side summary"). The edits are merged over AWS's earlier ones and saved as a change of
    the opportunity (Opportunity Updated, and the owner's snapshot jobs run); AWS's view is then written as
    an AwsOpportunitySummaryFullView revision for the owner in the submission's engagement (DG-ev: "AWS
    updates opportunity" → Opportunity Updated + Engagement Resource Snapshot Created), unless a job of the
    owner's wrote that view in this change already. Before submission AWS has no summary: not found, as
    GetAwsOpportunitySummary answers."""
    checked = _checked_summary_changes(changes)
    with store.write() as tx:
        stored = tx.opportunities.get(account_id, catalog, opportunity_id)
        if stored is None:
            raise NotFoundError(f"Opportunity {opportunity_id} was not found in catalog {catalog}.")
        if summaries.aws_summary(stored) is None:
            raise NotFoundError(f"AWS has no summary of opportunity {opportunity_id}: it has not been submitted.")
        when = next_modified(stored, now)
        edits = summaries.edited(stored.get(summaries.EDITS), checked, format_timestamp(when))
        engagement_id = (stored.get("AwsSubmission") or {}).get("EngagementId")
        key = (catalog, engagement_id or "", OPPORTUNITY, stored["Id"], AWS_FULL_VIEW)
        before = tx.snapshots.latest_revision(*key) if engagement_id else 0
        saved = save(tx, account_id, stored, {**stored, summaries.EDITS: edits}, when)
        answer = {"Catalog": catalog, "OpportunityId": saved["Id"], "EngagementId": engagement_id,
                  "Summary": summaries.aws_summary(saved), "ResourceSnapshotArn": None, "Revision": None}
        if engagement_id:
            revision = tx.snapshots.latest_revision(*key)
            if revision > before:  # the owner's Running job on AWS's view wrote this change's revision
                written = {"Arn": snapshot_arn(*key, revision), "Revision": revision}
            else:
                written = write_snapshot(tx, catalog, engagement_id, saved, AWS_FULL_VIEW, account_id, when)
            answer.update(ResourceSnapshotArn=written["Arn"], Revision=written["Revision"])
    return answer
