"""The writes the engagement family shares: making an engagement, adding a member, sending, accepting,
rejecting and expiring an invitation, and AWS's answer to a submission. The engagement operations, the
submission task, AWS's review and cosell's AWS controls (control/aws.py) all write through here, so an
engagement changes one way whoever changes it.

Every change of an engagement goes through `changed`: its ModifiedAt moves on (strictly, so the
optimistic lock of UpdateEngagementContext always sees it) and ModifiedBy names who changed it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from cosell.domain import engagement as rules
from cosell.domain import events, lifecycle
from cosell.domain.identifiers import (
    AWS_ACCOUNT,
    engagement_arn,
    engagement_id,
    invitation_arn,
    invitation_id,
    task_arn,
    task_id,
)
from cosell.domain.opportunity import next_modified
from cosell.domain.snapshots import AWS_FULL_VIEW, OPPORTUNITY
from cosell.jobs import Job, job_handler, schedule
from cosell.operations import event_outbox
from cosell.operations.opportunity_versions import save
from cosell.operations.snapshot_records import write_snapshot
from cosell.protocol.errors import ConflictError
from cosell.timestamps import format_timestamp, parse_stored

OPPORTUNITY_RESOURCE = OPPORTUNITY  # the model's EngagementResourceType: the only kind there is
INVITATION_EXPIRY = "engagement.invitation-expiry"


def profile(tx, account_id: str) -> tuple[str, str | None]:
    """(CompanyName, WebsiteUrl) as member lists and invitations show an account: AWS's observed record,
    the name and website given to `cosell accounts create`, or a placeholder for an account never created
    (the server's default account in open mode)."""
    if account_id == AWS_ACCOUNT:
        return rules.AWS_MEMBER["CompanyName"], rules.AWS_MEMBER["WebsiteUrl"]
    return tx.accounts.profile(account_id) or (f"AWS Partner {account_id}", None)


# --- engagements ------------------------------------------------------------------------------------------

def create_engagement(tx, catalog: str, creator: str, title: str | None, description: str | None,
                      contexts: list[dict], now: dt.datetime, announce_creator: bool = False) -> dict:
    """A new engagement with its creator as its first member ("automatically adds the caller's AWS account
    as an active member", model). `announce_creator`: the creator's joining is an Engagement Member Added
    event too (the submission's, per DG-ev's table; CreateEngagement's is Engagement Created alone)."""
    new_id = engagement_id()
    engagement = rules.new_engagement(engagement_id=new_id, arn=engagement_arn(catalog, new_id), title=title,
                                      description=description, contexts=contexts, creator=creator, now=now)
    tx.engagements.insert(catalog, engagement, now)
    event_outbox.engagement_created(tx, catalog, engagement, now)
    join(tx, catalog, engagement, creator, now, announce=announce_creator)
    return engagement


def join(tx, catalog: str, engagement: Mapping[str, Any], account_id: str, now: dt.datetime,
         announce: bool = True) -> None:
    company, website = profile(tx, account_id)
    tx.engagements.add_member(catalog, engagement, account_id, company, website, now)
    if announce:
        event_outbox.member_added(tx, catalog, engagement["Id"], account_id, company, now)


def changed(tx, catalog: str, stored: Mapping[str, Any], updated: Mapping[str, Any], by: str,
            now: dt.datetime) -> dict:
    """Saves a new version of an engagement, modified by `by`; ConflictException when another request
    changed it since `stored` was read."""
    before = parse_stored(stored["ModifiedAt"])
    modified = max(now, before + dt.timedelta(milliseconds=1))
    document = {**updated, "ModifiedAt": format_timestamp(modified), "ModifiedBy": by}
    if not tx.engagements.replace(catalog, document, before, modified):
        raise ConflictError(f"Engagement {stored['Id']} was modified by another request; fetch it with "
                            "GetEngagement and retry.")
    return document


def with_member_count(tx, catalog: str, engagement: dict) -> dict:
    return {**engagement, "MemberCount": tx.engagements.member_count(catalog, engagement["Id"])}


def associate(tx, catalog: str, engagement_id_: str, opportunity_id: str, owner: str, now: dt.datetime) -> None:
    tx.engagements.associate(catalog, engagement_id_, OPPORTUNITY_RESOURCE, opportunity_id, owner, now)


def engagement_of_opportunity(tx, catalog: str, opportunity_id: str) -> str | None:
    """The engagement an opportunity already belongs to (a lead's, or the one that invited its owner)."""
    engagements = tx.engagements.engagements_of(catalog, OPPORTUNITY_RESOURCE, opportunity_id)
    return engagements[0][0] if engagements else None


# --- tasks --------------------------------------------------------------------------------------------------

def new_task(catalog: str, kind: str, now: dt.datetime, **members: str) -> dict:
    """An engagement task of `kind` (its ARN's resource type) starting now, with `members` (what it is about)."""
    new_id = task_id()
    return {"TaskId": new_id, "TaskArn": task_arn(catalog, new_id, kind), "StartTime": format_timestamp(now), **members}


# --- invitations ------------------------------------------------------------------------------------------

def invite(tx, catalog: str, engagement: Mapping[str, Any], sender: str, receiver: str, message: str | None,
           payload: Mapping[str, Any], now: dt.datetime, receiver_alias: str | None = None) -> dict:
    """Sends an invitation (PENDING; it expires 15 days on, by the sweeper job or when read)."""
    new_id = invitation_id()
    invitation = rules.new_invitation(
        invitation_id=new_id, arn=invitation_arn(catalog, new_id), catalog=catalog, engagement=engagement,
        sender=sender, sender_company=profile(tx, sender)[0], receiver=receiver, receiver_alias=receiver_alias,
        message=message, payload=payload, now=now)
    expiration = parse_stored(invitation["ExpirationDate"])
    tx.invitations.insert(catalog, invitation, sender, receiver, now, expiration)
    event_outbox.invitation_created(tx, invitation, now)
    schedule(tx, INVITATION_EXPIRY, expiration, {"Catalog": catalog, "Id": new_id}, now,
             key=f"{INVITATION_EXPIRY}/{catalog}/{new_id}")
    return invitation


def status_now(invitation: Mapping[str, Any], now: dt.datetime) -> str:
    expiration = invitation.get("ExpirationDate")
    return rules.effective_status(invitation["Status"], parse_stored(expiration) if expiration else None, now)


def shown_invitation(tx, invitation: Mapping[str, Any], viewer: str, now: dt.datetime) -> dict:
    """An invitation as `viewer` sees it now: its status as of now, the engagement's members, and no payload
    for a receiver whose invitation was rejected or expired ("all related data will become inaccessible")."""
    status = status_now(invitation, now)
    shown = {key: value for key, value in invitation.items() if key not in ("SenderAccount", "ReceiverAccount")}
    shown["Status"] = status
    if viewer == invitation["ReceiverAccount"] and not rules.receiver_sees_payload(status):
        shown["Payload"] = None
    members = tx.engagements.members(invitation["Catalog"], invitation["EngagementId"])
    shown["ExistingMembers"] = [{"CompanyName": member["CompanyName"], "WebsiteUrl": member["WebsiteUrl"]}
                                for member in members][:rules.MAX_MEMBERS]
    return shown


def answer(tx, invitation: Mapping[str, Any], status: str, now: dt.datetime,
           rejection_reason: str | None = None) -> dict:
    """The receiver's answer (ACCEPTED or REJECTED) to a PENDING invitation; accepting adds the receiver to
    the engagement. ConflictException when the invitation is no longer PENDING (answered, or expired)."""
    catalog, receiver = invitation["Catalog"], invitation["ReceiverAccount"]
    refusal = rules.refusal_of(status_now(invitation, now))
    if refusal is not None:
        raise ConflictError(f"Engagement invitation {invitation['Id']} {refusal}.")
    answered = {**invitation, "Status": status}
    if rejection_reason is not None:
        answered["RejectionReason"] = rejection_reason
    if not tx.invitations.set_status(catalog, answered, expected=rules.PENDING):
        raise ConflictError(f"Engagement invitation {invitation['Id']} was answered by another request.")
    event_outbox.invitation_answered(
        tx, answered, events.INVITATION_ACCEPTED if status == rules.ACCEPTED else events.INVITATION_REJECTED, now)
    if status == rules.ACCEPTED:
        engagement = tx.engagements.get(catalog, invitation["EngagementId"])
        if not tx.engagements.is_member(catalog, engagement["Id"], receiver):
            join(tx, catalog, engagement, receiver, now)
        # Observed: accepting moves the engagement's ModifiedAt to the acceptance, ModifiedBy to the acceptor.
        changed(tx, catalog, engagement, engagement, receiver, now)
    return answered


@job_handler(INVITATION_EXPIRY)
def expire_invitation(tx, job: Job) -> None:
    """Records EXPIRED on an invitation still PENDING at its expiration (reads already show it EXPIRED)."""
    invitation = tx.invitations.get(job.payload["Catalog"], job.payload["Id"])
    if invitation is None or invitation["Status"] != rules.PENDING or status_now(invitation, job.now) != rules.EXPIRED:
        return  # answered in time (or the clock was moved back: then it is due again when read)
    if tx.invitations.set_status(job.payload["Catalog"], {**invitation, "Status": rules.EXPIRED}, expected=rules.PENDING):
        event_outbox.invitation_answered(tx, invitation, events.INVITATION_EXPIRED, job.now)


def pending_or_accepted_to(tx, catalog: str, engagement_id_: str, receiver: str, now: dt.datetime) -> dict | None:
    """The engagement's invitation to `receiver` that is still open or was accepted, if any."""
    for summary in tx.invitations.of_engagement(catalog, engagement_id_):
        if summary["Receiver"] != receiver:
            continue
        expiration = summary["ExpirationDate"]
        if rules.effective_status(summary["Status"], expiration, now) in (rules.PENDING, rules.ACCEPTED):
            return summary
    return None


# --- AWS's answer to a submission -------------------------------------------------------------------------

def aws_reviewed(tx, catalog: str, owner: str, opportunity: Mapping[str, Any], now: dt.datetime) -> None:
    """AWS's review decision on a submitted opportunity answers the submission's invitation to AWS:
    Approved accepts it (AWS joins the engagement), Rejected rejects it, and either writes AWS's view of
    the opportunity as a new AwsOpportunitySummaryFullView revision, for the owner alone (DG-ev scenario
    table: "AWS approves / rejects … Snapshot Created"; the template holds "updates made specifically by
    AWS"). Other decisions leave the invitation open."""
    status = opportunity["LifeCycle"]["ReviewStatus"]
    engagement = (opportunity.get("AwsSubmission") or {}).get("EngagementId")
    if status not in (lifecycle.APPROVED, lifecycle.REJECTED) or engagement is None:
        return
    open_invitation = pending_or_accepted_to(tx, catalog, engagement, AWS_ACCOUNT, now)
    if open_invitation is not None and open_invitation["Status"] == rules.PENDING:
        invitation = tx.invitations.get(catalog, open_invitation["Id"])
        if status == lifecycle.APPROVED:
            answer(tx, invitation, rules.ACCEPTED, now)
        else:
            reason = opportunity["LifeCycle"].get("ReviewStatusReason")
            answer(tx, invitation, rules.REJECTED, now, rejection_reason=reason[:80] if reason else None)
    write_snapshot(tx, catalog, engagement, opportunity, AWS_FULL_VIEW, owner, now)
    if status == lifecycle.APPROVED:
        _approve_waiting_partners(tx, catalog, engagement, opportunity["Id"], now)


def _approve_waiting_partners(tx, catalog: str, engagement_id_: str, approved_id: str, now: dt.datetime) -> None:
    """With `--invited-review inherit` (DG-mp: "The Submitted status remains until the sending partner's
    opportunity is Approved"), the invited partners' opportunities wait Submitted, never submitted by
    their owners (no AwsSubmission): the sender's approval approves them."""
    for resource_type, resource_id, owner in tx.engagements.resources(catalog, engagement_id_):
        if resource_type != OPPORTUNITY_RESOURCE or resource_id == approved_id:
            continue
        waiting = tx.opportunities.get(owner, catalog, resource_id)
        if (waiting is not None and waiting["LifeCycle"]["ReviewStatus"] == lifecycle.SUBMITTED
                and not waiting.get("AwsSubmission")):
            save(tx, owner, waiting, lifecycle.reviewed(waiting, lifecycle.APPROVED, None, None),
                 next_modified(waiting, now))
