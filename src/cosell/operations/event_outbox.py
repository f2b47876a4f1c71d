"""Publishing events: each is written to the outbox in the transaction of the change it reports
(store/events.py), so it exists exactly when the change does, and is delivered only after that commit
(cosell/delivery/). One copy per receiving partner account; AWS, the pseudo-account `aws`, has no event
bus and gets none.

Which action emits what, and for whom (DG-ev's scenario table, events-and-tooling.md §1.4):
- CreateOpportunity: Opportunity Created (owner).
- Every change of an opportunity (update, association, assignment, submission, AWS's review):
  Opportunity Updated (owner).
- StartEngagementFromOpportunityTask: also Engagement Created, Engagement Member Added and Engagement
  Invitation Created (owner, as SENDER).
- AWS approves / rejects the submission: also Invitation Accepted and Member Added / Invitation Rejected.
- CreateEngagementInvitation: Engagement Invitation Created (sender as SENDER, receiver as RECEIVER).
- Accepting (the task or AcceptEngagementInvitation): Invitation Accepted (both), Member Added (every
  partner member); the task also Opportunity Created and Opportunity Updated (receiver).
- RejectEngagementInvitation: Invitation Rejected (both). 15 days unanswered: Invitation Expired (both).
- CreateEngagement: Engagement Created (creator). CreateEngagementContext, UpdateEngagementContext,
  StartOpportunityFromEngagementTask: Engagement Updated (every partner member); the task also
  Opportunity Created (caller).

- CreateResourceSnapshot: Engagement Resource Snapshot Created (every member it is shared with: all
  members for OpportunitySummaryView, the owner for AwsOpportunitySummaryFullView).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from cosell.domain import events as catalogue
from cosell.domain.identifiers import AWS_ACCOUNT, engagement_arn

SENDER, RECEIVER = "SENDER", "RECEIVER"


def publish(tx, account: str, catalog: str, detail_type: str, detail: Mapping[str, Any], resources: list[str],
            now: dt.datetime) -> None:
    if account == AWS_ACCOUNT:
        return
    tx.events.append(catalogue.event_id(), account, catalog, detail_type, now, resources, detail)


def opportunity_created(tx, owner: str, catalog: str, opportunity_id: str, now: dt.datetime) -> None:
    publish(tx, owner, catalog, catalogue.OPPORTUNITY_CREATED, catalogue.opportunity_detail(catalog, opportunity_id), [],
            now)


def opportunity_updated(tx, owner: str, catalog: str, opportunity_id: str, now: dt.datetime) -> None:
    publish(tx, owner, catalog, catalogue.OPPORTUNITY_UPDATED, catalogue.opportunity_detail(catalog, opportunity_id), [],
            now)


def _parties(invitation: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(SENDER, invitation["SenderAwsAccountId"]), (RECEIVER, invitation["Receiver"]["Account"]["AwsAccountId"])]


def invitation_created(tx, invitation: Mapping[str, Any], now: dt.datetime) -> None:
    for participant, account in _parties(invitation):
        publish(tx, account, invitation["Catalog"], catalogue.INVITATION_CREATED,
                catalogue.invitation_created_detail(invitation, participant), [invitation["Arn"]], now)


def invitation_answered(tx, invitation: Mapping[str, Any], detail_type: str, now: dt.datetime) -> None:
    """Engagement Invitation Accepted, Rejected or Expired, to sender and receiver."""
    for participant, account in _parties(invitation):
        publish(tx, account, invitation["Catalog"], detail_type,
                catalogue.invitation_answered_detail(invitation, participant), [invitation["Arn"]], now)


def member_added(tx, catalog: str, engagement_id: str, account_id: str, company_name: str, now: dt.datetime) -> None:
    """To every partner member, the new one included."""
    detail = catalogue.member_added_detail(catalog, engagement_id, account_id, company_name)
    for member in tx.engagements.members(catalog, engagement_id):
        publish(tx, member["AccountId"], catalog, catalogue.MEMBER_ADDED, detail, [engagement_arn(catalog, engagement_id)],
                now)


def engagement_created(tx, catalog: str, engagement: Mapping[str, Any], now: dt.datetime) -> None:
    publish(tx, engagement["CreatedBy"], catalog, catalogue.ENGAGEMENT_CREATED,
            catalogue.engagement_detail(catalog, engagement, created=True), [engagement["Arn"]], now)


def engagement_updated(tx, catalog: str, engagement: Mapping[str, Any], now: dt.datetime) -> None:
    detail = catalogue.engagement_detail(catalog, engagement, created=False)
    for member in tx.engagements.members(catalog, engagement["Id"]):
        publish(tx, member["AccountId"], catalog, catalogue.ENGAGEMENT_UPDATED, detail, [engagement["Arn"]], now)


def snapshot_created(tx, catalog: str, arn: str, engagement_id: str, resource_type: str, resource_id: str,
                     created_by: str, recipients: list[str], now: dt.datetime) -> None:
    detail = catalogue.snapshot_detail(catalog, arn, engagement_id, resource_type, resource_id, created_by)
    for account in recipients:
        publish(tx, account, catalog, catalogue.SNAPSHOT_CREATED, detail, [engagement_arn(catalog, engagement_id)], now)
