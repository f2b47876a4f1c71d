"""Seed scenarios and event triggers (`cosell seed`, `cosell trigger`; POST /_cosell/seed, /_cosell/trigger):
realistic data built through the real operations, as partners and AWS would have made it.

Scenarios, for one account (`count` of each thing, content chosen by `seed`, so the same seed gives the
same customers, amounts and outcomes; ids and times are the server's):
- `pipeline`: opportunities; a third left in Prospect, a third submitted to AWS, a third submitted and
  approved by AWS's reviewer.
- `aws-referral`: AWS referrals to the account; every other one accepted (the opportunity is the
  partner's, Approved), the rest left pending.
- `lead`: AWS leads; every other one accepted (contacts visible), the rest pending.
- `multi-partner`: a second partner (made, and connected); the account submits opportunities and invites
  it to each; it accepts every other invitation.

A trigger makes the records that cause one detail-type, for one account, and so its event — never a bare
event (TRIGGERS lists what each does).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from cosell.control import aws
from cosell.control.accounts import connect, create_account
from cosell.control.actors import Actor, token
from cosell.control.aws_payloads import CUSTOMER_COUNT, default_lead, default_referral
from cosell.control.review import review_opportunity
from cosell.domain import engagement as rules
from cosell.domain import events as catalogue
from cosell.domain import lifecycle
from cosell.domain.engagement import INVITATION_LIFETIME
from cosell.jobs import Job
from cosell.operations.engagement_records import INVITATION_EXPIRY, expire_invitation
from cosell.protocol.errors import ValidationError
from cosell.protocol.facts import CATALOGS, SANDBOX_CATALOG

SCENARIOS = ("pipeline", "aws-referral", "lead", "multi-partner")
SEEDED_SENDER = {"Email": "alliances@partner.example", "FirstName": "Sam", "LastName": "Rivera",
                 "BusinessTitle": "Alliance Lead"}  # who sends the multi-partner scenario's invitations
MAX_COUNT = 10_000


def partner_opportunity(rng: random.Random, today: dt.date) -> dict:
    """A partner's CreateOpportunity body, complete enough to submit, about one of the invented customers."""
    body = default_referral(today, rng, rng.randrange(CUSTOMER_COUNT))
    body["Origin"] = "Partner Referral"
    body["Project"] = {**body["Project"], "OtherSolutionDescription": "Managed platform built by the partner"}
    body["LifeCycle"] = {**body["LifeCycle"], "NextSteps": rng.choice((
        "Schedule the architecture workshop.", "Send the proposal.", "Agree the proof-of-concept scope."))}
    return body


def _created(actor: Actor, rng: random.Random, today: dt.date, catalog: str) -> str:
    return actor.call("CreateOpportunity", Catalog=catalog, ClientToken=token(), **partner_opportunity(rng, today))["Id"]


def _submitted(actor: Actor, opportunity_id: str, catalog: str) -> dict:
    task = actor.call("StartEngagementFromOpportunityTask", Catalog=catalog, Identifier=opportunity_id,
                      ClientToken=token(), AwsSubmission={"InvolvementType": "Co-Sell", "Visibility": "Full"})
    if task["TaskStatus"] != "COMPLETE":
        raise RuntimeError(f"seeding could not submit {opportunity_id}: {task.get('Message')}")
    return task


def seed(gateway, scenario: str, *, account_id: str | None = None, count: int = 10, seed_value: int = 0,
         start: int = 0, partner_account_id: str | None = None, catalog: str = SANDBOX_CATALOG) -> dict[str, Any]:
    """Runs a scenario's items `start` to `start + count` (each item's content comes from the seed and its
    index, so a scenario run in batches makes what one run makes); what it made. The multi-partner
    scenario makes its second partner unless given one (`partner_account_id`, from an earlier batch)."""
    if scenario not in SCENARIOS:
        raise ValidationError.of_field("Scenario", f"Scenario must be one of {', '.join(SCENARIOS)}.")
    if not 1 <= count <= MAX_COUNT or not 0 <= start <= MAX_COUNT:
        raise ValidationError.of_field("Count", f"Count must be from 1 to {MAX_COUNT}, and Start from 0 to {MAX_COUNT}.")
    if catalog not in CATALOGS:
        raise ValidationError.of_field("Catalog", f"Catalog must be one of {', '.join(CATALOGS)}.")
    account_id = account_id or gateway.settings.account_id
    actor = Actor(gateway, account_id)
    made: dict[str, Any] = {"Scenario": scenario, "AccountId": account_id, "Catalog": catalog, "Seed": seed_value,
                            "Start": start, "Count": count}
    if partner_account_id is not None:
        made["PartnerAccountId"] = partner_account_id
    for index in range(start, start + count):
        rng = random.Random(f"{seed_value}/{index}")
        now = gateway.clock.now()
        if scenario == "pipeline":
            opportunity_id = _created(actor, rng, now.date(), catalog)
            made.setdefault("OpportunityIds", []).append(opportunity_id)
            if index % 3:
                _submitted(actor, opportunity_id, catalog)
            if index % 3 == 2:
                with gateway.store.write() as tx:
                    review_opportunity(tx, account_id, catalog, opportunity_id, lifecycle.APPROVED, None, None,
                                       gateway.clock.now())
        elif scenario == "aws-referral":
            body = default_referral(now.date(), rng, rng.randrange(CUSTOMER_COUNT))
            referral = aws.create_referral(gateway.store, account_id, catalog, body, now)
            made.setdefault("InvitationIds", []).append(referral["InvitationId"])
            if index % 2 == 0:
                task = actor.call("StartEngagementByAcceptingInvitationTask", Catalog=catalog, ClientToken=token(),
                                  Identifier=referral["InvitationId"])
                made.setdefault("OpportunityIds", []).append(task["OpportunityId"])
        elif scenario == "lead":
            lead = aws.create_lead(gateway.store, account_id, catalog,
                                   default_lead(now, rng, rng.randrange(CUSTOMER_COUNT)), now)
            made.setdefault("EngagementIds", []).append(lead["EngagementId"])
            if index % 2 == 0:
                actor.call("AcceptEngagementInvitation", Catalog=catalog, Identifier=lead["InvitationId"])
        else:
            partner = made.get("PartnerAccountId")
            if partner is None:
                key = create_account(gateway.store, f"Seeded Partner {seed_value}", CATALOGS, False, now,
                                     f"https://partner-{seed_value}.example")
                partner = made["PartnerAccountId"] = key.account_id
                connect(gateway.store, account_id, partner, now)
            other = Actor(gateway, partner)
            opportunity_id = _created(actor, rng, now.date(), catalog)
            task = _submitted(actor, opportunity_id, catalog)
            body = partner_opportunity(rng, now.date())
            invitation = actor.call("CreateEngagementInvitation", Catalog=catalog, ClientToken=token(),
                                    EngagementIdentifier=task["EngagementId"], Invitation={
                                        "Message": "Let's co-sell this one.",
                                        "Receiver": {"Account": {"AwsAccountId": partner}},
                                        "Payload": {"OpportunityInvitation": rules.invitation_payload_from_opportunity(
                                            body, [SEEDED_SENDER], ["Software Partner"])}})
            made.setdefault("EngagementIds", []).append(task["EngagementId"])
            if index % 2 == 0:
                other.call("StartEngagementByAcceptingInvitationTask", Catalog=catalog, ClientToken=token(),
                           Identifier=invitation["Id"])
    return made


# --- triggers -----------------------------------------------------------------------------------------------

def _opportunity(gateway, actor: Actor, catalog: str) -> dict:
    return {"OpportunityId": _created(actor, random.Random(), gateway.clock.now().date(), catalog)}


def _updated(gateway, actor: Actor, catalog: str) -> dict:
    made = _opportunity(gateway, actor, catalog)
    stored = actor.call("GetOpportunity", Catalog=catalog, Identifier=made["OpportunityId"])
    request = {key: value for key, value in stored.items()
               if key not in ("Id", "Arn", "CreatedDate", "OpportunityTeam", "RelatedEntityIdentifiers")}
    request["LifeCycle"] = {**request["LifeCycle"], "NextSteps": "Follow up with the customer's IT director."}
    actor.call("UpdateOpportunity", Identifier=made["OpportunityId"], **request)
    return made


def _engagement(gateway, actor: Actor, catalog: str) -> dict:
    answer = actor.call("CreateEngagement", Catalog=catalog, ClientToken=token(), Title="Triggered engagement",
                        Description="Made by cosell trigger")
    return {"EngagementId": answer["Id"]}


def _engagement_updated(gateway, actor: Actor, catalog: str) -> dict:
    made = _engagement(gateway, actor, catalog)
    context = rules.customer_project_context(partner_opportunity(random.Random(), gateway.clock.now().date()))
    actor.call("CreateEngagementContext", Catalog=catalog, ClientToken=token(), EngagementIdentifier=made["EngagementId"],
               Type=context["Type"], Payload=context["Payload"])
    return made


def _invited(gateway, actor: Actor, catalog: str) -> dict:
    return aws.create_lead(gateway.store, actor.account_id, catalog, None, gateway.clock.now())


def _accepted(gateway, actor: Actor, catalog: str) -> dict:
    lead = _invited(gateway, actor, catalog)
    actor.call("AcceptEngagementInvitation", Catalog=catalog, Identifier=lead["InvitationId"])
    return lead


def _rejected(gateway, actor: Actor, catalog: str) -> dict:
    referral = aws.create_referral(gateway.store, actor.account_id, catalog, None, gateway.clock.now())
    actor.call("RejectEngagementInvitation", Catalog=catalog, Identifier=referral["InvitationId"],
               RejectionReason="Customer problem unclear")
    return {key: value for key, value in referral.items() if key != "OpportunityId"}  # AWS's, never the partner's


def _expired(gateway, actor: Actor, catalog: str) -> dict:
    """An AWS lead sent fifteen days ago (by cosell's clock) and never answered: it expires now."""
    now = gateway.clock.now()
    lead = aws.create_lead(gateway.store, actor.account_id, catalog, None, now - INVITATION_LIFETIME - dt.timedelta(seconds=1))
    with gateway.store.write() as tx:
        expire_invitation(tx, Job(0, INVITATION_EXPIRY, {"Catalog": catalog, "Id": lead["InvitationId"]}, now, now,
                                  gateway.settings))
    return lead


def _snapshot(gateway, actor: Actor, catalog: str) -> dict:
    made = {**_opportunity(gateway, actor, catalog), **_engagement(gateway, actor, catalog)}
    actor.call("CreateResourceSnapshot", Catalog=catalog, ClientToken=token(), EngagementIdentifier=made["EngagementId"],
               ResourceType="Opportunity", ResourceIdentifier=made["OpportunityId"],
               ResourceSnapshotTemplateIdentifier="OpportunitySummaryView")
    return made


# What `cosell trigger` does for each detail-type cosell emits.
TRIGGERS: dict[str, Callable[[Any, Actor, str], dict]] = {
    catalogue.OPPORTUNITY_CREATED: _opportunity,  # CreateOpportunity
    catalogue.OPPORTUNITY_UPDATED: _updated,  # CreateOpportunity, then UpdateOpportunity
    catalogue.ENGAGEMENT_CREATED: _engagement,  # CreateEngagement
    catalogue.ENGAGEMENT_UPDATED: _engagement_updated,  # CreateEngagement, then CreateEngagementContext
    catalogue.INVITATION_CREATED: _invited,  # AWS shares a lead
    catalogue.INVITATION_ACCEPTED: _accepted,  # AWS shares a lead; AcceptEngagementInvitation
    catalogue.MEMBER_ADDED: _accepted,  # the same: the account joins AWS's engagement
    catalogue.INVITATION_REJECTED: _rejected,  # AWS refers an opportunity; RejectEngagementInvitation
    catalogue.INVITATION_EXPIRED: _expired,  # AWS's lead, sent 15 days ago, unanswered
    catalogue.SNAPSHOT_CREATED: _snapshot,  # CreateOpportunity, CreateEngagement, CreateResourceSnapshot
}


def trigger(gateway, detail_type: str, *, account_id: str | None = None, catalog: str = SANDBOX_CATALOG) -> dict[str, Any]:
    make = TRIGGERS.get(detail_type)
    if make is None:
        raise ValidationError.of_field("DetailType", f"cosell emits no {detail_type!r}; it triggers "
                                                     f"{', '.join(sorted(TRIGGERS))}.")
    if catalog not in CATALOGS:
        raise ValidationError.of_field("Catalog", f"Catalog must be one of {', '.join(CATALOGS)}.")
    actor = Actor(gateway, account_id or gateway.settings.account_id)
    return {"DetailType": detail_type, "AccountId": actor.account_id, "Catalog": catalog,
            **make(gateway, actor, catalog)}
