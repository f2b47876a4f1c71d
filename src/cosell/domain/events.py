"""The events Partner Central publishes on EventBridge, as pure functions: their names, the envelope as
observed, and each detail-type's `detail`. Which action emits which event for whom is decided where the
action happens (operations/event_outbox.py lists it); this module only says what an event looks like.

Source: shared/reference/events-and-tooling.md §1 (the observed envelope beats the documentation's
example where they differ, §1.2) and engagements.md §5.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

from cosell.domain.identifiers import REGION

SOURCE = "aws.partnercentral-selling"
# Observed "0" on every type; DG-ev's opportunity examples say "1" (events-and-tooling.md §1.2).
ENVELOPE_VERSION = "0"

OPPORTUNITY_CREATED = "Opportunity Created"
OPPORTUNITY_UPDATED = "Opportunity Updated"
INVITATION_CREATED = "Engagement Invitation Created"
INVITATION_ACCEPTED = "Engagement Invitation Accepted"
INVITATION_REJECTED = "Engagement Invitation Rejected"
INVITATION_EXPIRED = "Engagement Invitation Expired"
MEMBER_ADDED = "Engagement Member Added"
ENGAGEMENT_CREATED = "Engagement Created"
ENGAGEMENT_UPDATED = "Engagement Updated"
SNAPSHOT_CREATED = "Engagement Resource Snapshot Created"
# Named by EventBridge's reference but with no example or trigger anywhere, so not emitted (§1.1):
# Opportunity Accepted, Opportunity Rejected, Engagement Member Joined, Resource Snapshot Created.


def event_time(now: dt.datetime) -> str:
    """Whole seconds, as observed: 2025-02-19T04:20:25Z. (Formatted by hand: strftime costs a publish
    more than the rest of its envelope.)"""
    if now.tzinfo is not dt.UTC:
        now = now.astimezone(dt.UTC)
    return f"{now.year:04d}-{now.month:02d}-{now.day:02d}T{now.hour:02d}:{now.minute:02d}:{now.second:02d}Z"


def event_id() -> str:
    """A random (version 4) UUID, as EventBridge's ids are; the same as str(uuid.uuid4()), at a third of
    its cost."""
    hexits = os.urandom(16).hex()
    return (f"{hexits[:8]}-{hexits[8:12]}-4{hexits[13:16]}-{'89ab'[int(hexits[16], 16) & 3]}{hexits[17:20]}-"
            f"{hexits[20:]}")


def envelope(detail_type: str, account: str, now: dt.datetime, resources: list[str], detail: Mapping[str, Any],
             identifier: str | None = None) -> dict:
    """An event as EventBridge delivers it, members in the observed order."""
    return {"version": ENVELOPE_VERSION, "id": identifier or event_id(), "detail-type": detail_type,
            "source": SOURCE, "account": account, "time": event_time(now), "region": REGION,
            "resources": resources, "detail": dict(detail)}


# --- details ----------------------------------------------------------------------------------------------

def opportunity_detail(catalog: str, opportunity_id: str) -> dict:
    """Opportunity Created / Updated: thin, the identifier only (observed; schemaVersion "1", not "1.0")."""
    return {"schemaVersion": "1", "catalog": catalog, "opportunity": {"identifier": opportunity_id}}


def invitation_created_detail(invitation: Mapping[str, Any], participant: str) -> dict:
    """Engagement Invitation Created (observed 2026-03-09): upper-case participantType, the sender's company
    name and the expiration."""
    return {"catalog": invitation["Catalog"], "schemaVersion": "1.0", "engagementInvitation": {
        "arn": invitation["Arn"], "id": invitation["Id"], "engagementId": invitation["EngagementId"],
        "senderAccountId": invitation["SenderAwsAccountId"],
        "receiverAccountId": invitation["Receiver"]["Account"]["AwsAccountId"],
        "senderCompanyName": invitation.get("SenderCompanyName"), "expirationDate": invitation.get("ExpirationDate"),
        "participantType": participant, "payloadType": invitation["PayloadType"]}}


def invitation_answered_detail(invitation: Mapping[str, Any], participant: str) -> dict:
    """Engagement Invitation Accepted / Rejected / Expired (DG-ev's shape: no company name, no expiration;
    schemaVersion "1.0" as on Created, a guess)."""
    return {"catalog": invitation["Catalog"], "schemaVersion": "1.0", "engagementInvitation": {
        "arn": invitation["Arn"], "id": invitation["Id"], "engagementId": invitation["EngagementId"],
        "participantType": participant, "senderAccountId": invitation["SenderAwsAccountId"],
        "receiverAccountId": invitation["Receiver"]["Account"]["AwsAccountId"],
        "payloadType": invitation["PayloadType"]}}


def member_added_detail(catalog: str, engagement_id: str, account_id: str, company_name: str) -> dict:
    """Engagement Member Added (DG-ev)."""
    return {"catalog": catalog, "schemaVersion": "1.0", "engagement": {"id": engagement_id},
            "engagementMember": {"accountId": account_id, "companyName": company_name}}


def engagement_detail(catalog: str, engagement: Mapping[str, Any], created: bool) -> dict:
    """Engagement Created / Updated (DG-ev), with its PascalCase keys inside a camelCase detail, verbatim."""
    contexts = [context["Type"] for context in engagement.get("Contexts") or []]
    if created:
        about = {"CreatedAt": engagement["CreatedAt"], "CreatedBy": engagement["CreatedBy"]}
    else:
        about = {"LastModifiedAt": engagement["ModifiedAt"], "LastModifiedBy": engagement["ModifiedBy"]}
    return {"catalog": catalog, "schemaVersion": "1.0", "engagement": {
        "engagementArn": engagement["Arn"], "engagementId": engagement["Id"], **about, "ContextTypes": contexts}}


def snapshot_detail(catalog: str, arn: str, engagement_id: str, resource_type: str, resource_id: str,
                    created_by: str) -> dict:
    """Engagement Resource Snapshot Created, as observed (2025-02-19): schemaVersion "1", no
    targetMemberAccounts or template name (DG-ev's example has both)."""
    return {"schemaVersion": "1", "catalog": catalog, "resourceSnapshot": {
        "arn": arn, "engagementId": engagement_id, "resourceId": resource_id, "resourceType": resource_type,
        "createdBy": created_by}}
