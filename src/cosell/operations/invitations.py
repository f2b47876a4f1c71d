"""Engagement invitation operations, one function each: CreateEngagementInvitation,
GetEngagementInvitation, ListEngagementInvitations, AcceptEngagementInvitation,
RejectEngagementInvitation, StartEngagementByAcceptingInvitationTask,
ListEngagementByAcceptingInvitationTasks. Behaviour: shared/reference/engagements.md §1.8-1.14, §2.1.

An invitation is seen by its sender and its receiver; only the receiver answers it, and only while it is
PENDING (15 days). Choices where the sources are silent, each beside its rule:
- answering an invitation that is not PENDING (answered, or expired) is a ConflictException: AWS's
  samples check `Status == PENDING` before acting (§1.11); the sender answering its own invitation is
  an AccessDeniedException; an account that is neither sender nor receiver gets ResourceNotFoundException;
- AcceptEngagementInvitation is the documented path for a LeadInvitation; on an OpportunityInvitation it
  makes the receiver a member without an opportunity of its own (the task makes one, §8-27);
- StartEngagementByAcceptingInvitationTask on a LeadInvitation completes as a FAILED task
  (InvitationValidationFailed): leads are accepted with AcceptEngagementInvitation (DG-lead);
- a rejected or expired invitation stays listed and readable by its receiver, without its payload
  (domain/engagement.py receiver_sees_payload).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cosell.domain import engagement as rules
from cosell.domain import lifecycle
from cosell.domain.identifiers import (
    AWS_ACCOUNT,
    ENGAGEMENT_BY_ACCEPTING_INVITATION_TASK,
    identified,
)
from cosell.domain.violations import Violation
from cosell.operations import access, engagement_records, event_outbox
from cosell.operations.context import Context, Response
from cosell.operations.engagements import ENGAGEMENT
from cosell.operations.idempotency import answer_once
from cosell.operations.opportunity_records import create_owned_opportunity, hand_over
from cosell.operations.paging import list_page
from cosell.operations.registry import operation
from cosell.operations.snapshot_records import share_opportunity
from cosell.protocol.errors import AccessDeniedError, ConflictError, ServiceQuotaExceededError, ValidationError
from cosell.settings import InvitedReview
from cosell.store.engagement_tasks import ENGAGEMENT_BY_ACCEPTING_INVITATION_TASK_LIST
from cosell.store.invitations import RECEIVED_INVITATION_LIST, SENT_INVITATION_LIST

if TYPE_CHECKING:
    from mypy_boto3_partnercentral_selling.type_defs import (
        AcceptEngagementInvitationRequestTypeDef,
        CreateEngagementInvitationRequestTypeDef,
        GetEngagementInvitationRequestTypeDef,
        ListEngagementByAcceptingInvitationTasksRequestTypeDef,
        ListEngagementInvitationsRequestTypeDef,
        RejectEngagementInvitationRequestTypeDef,
        StartEngagementByAcceptingInvitationTaskRequestTypeDef,
    )

INVITATION = "EngagementInvitation"
NOT_PERMITTED = "ACTION_NOT_PERMITTED"


@access.finder(INVITATION)
def _find_invitation(tx, account_id: str, catalog: str, identifier: str, lock: bool) -> dict | None:
    """An invitation, for its sender and its receiver; an ARN names it as its id does."""
    invitation_id = identified(identifier, catalog, "engagement-invitation")
    invitation = None if invitation_id is None else tx.invitations.get(catalog, invitation_id)
    if invitation is None or account_id not in (invitation["SenderAccount"], invitation["ReceiverAccount"]):
        return None
    return invitation


def _received(tx, ctx: Context, catalog: str, identifier: str) -> dict:
    """The invitation, if the caller is the one who may answer it."""
    invitation = access.visible(tx, ctx, INVITATION, catalog, identifier)
    if invitation["ReceiverAccount"] != ctx.account_id:
        raise AccessDeniedError(f"Engagement invitation {invitation['Id']} was sent by this account: only its "
                                "receiver can accept or reject it.")
    return invitation


# --- sending ---------------------------------------------------------------------------------------------

def _receiver_violation(tx, ctx: Context, receiver: str) -> Violation | None:
    field = "invitation.receiver.account.awsAccountId"
    if receiver == ctx.account_id:
        return Violation(field, NOT_PERMITTED, "An account cannot invite itself to an engagement.")
    if receiver == AWS_ACCOUNT:
        return Violation(field, NOT_PERMITTED, "AWS is invited by submitting the opportunity "
                                               "(StartEngagementFromOpportunityTask), not by an invitation.")
    if not tx.accounts.connected(ctx.account_id, receiver):
        # "partners must first be connected in Partner Central before inviting" (DG-mp)
        return Violation(field, NOT_PERMITTED, f"Account {receiver} is not a connected partner of account "
                                               f"{ctx.account_id}: connect them first (cosell accounts connect).")
    return None


@operation("CreateEngagementInvitation")
def create_engagement_invitation(ctx: Context, request: CreateEngagementInvitationRequestTypeDef) -> Response:
    catalog, invitation = request["Catalog"], request["Invitation"]
    receiver = invitation["Receiver"]["Account"]["AwsAccountId"]
    payload = dict(invitation["Payload"])

    def create(tx, remember) -> Response:
        engagement = access.visible(tx, ctx, ENGAGEMENT, catalog, request["EngagementIdentifier"], lock=True)
        violation = _receiver_violation(tx, ctx, receiver)
        contexts = rules.context_types(engagement)
        if (violation is None and rules.payload_type(payload) == rules.OPPORTUNITY_INVITATION
                and rules.LEAD in contexts and rules.CUSTOMER_PROJECT not in contexts):
            # "Partner collaboration (inviting other partners) can only occur after the lead is converted
            # to an opportunity" (S-lead README)
            violation = Violation("engagementIdentifier", NOT_PERMITTED,
                                  f"Engagement {engagement['Id']} is a lead not yet converted to an opportunity "
                                  "(StartOpportunityFromEngagementTask): partners are invited after that.")
        if violation is not None:
            raise ValidationError.from_violations([violation])
        if tx.engagements.is_member(catalog, engagement["Id"], receiver):
            raise ConflictError(f"Account {receiver} is already a member of engagement {engagement['Id']}.")
        if engagement_records.pending_or_accepted_to(tx, catalog, engagement["Id"], receiver, ctx.now):
            raise ConflictError(f"Account {receiver} is already invited to engagement {engagement['Id']}.")
        waiting = sum(1 for sent in tx.invitations.of_engagement(catalog, engagement["Id"])
                      if rules.effective_status(sent["Status"], sent["ExpirationDate"], ctx.now) == rules.PENDING)
        if tx.engagements.member_count(catalog, engagement["Id"]) + waiting >= rules.MAX_MEMBERS:
            raise ServiceQuotaExceededError(f"Engagement {engagement['Id']} has {rules.MAX_MEMBERS} members and "
                                            "invitations awaiting an answer, the most it can have.")
        sent = engagement_records.invite(tx, catalog, engagement, ctx.account_id, receiver, invitation["Message"],
                                         payload, ctx.now, receiver_alias=invitation["Receiver"]["Account"].get("Alias"))
        answer = {"Id": sent["Id"], "Arn": sent["Arn"]}
        remember(answer)
        return answer

    return answer_once(ctx, "CreateEngagementInvitation", request, create)


# --- reading ---------------------------------------------------------------------------------------------

@operation("GetEngagementInvitation")
def get_engagement_invitation(ctx: Context, request: GetEngagementInvitationRequestTypeDef) -> Response:
    with ctx.store.read() as tx:
        invitation = access.visible(tx, ctx, INVITATION, request["Catalog"], request["Identifier"])
        return engagement_records.shown_invitation(tx, invitation, ctx.account_id, ctx.now)


@operation("ListEngagementInvitations")
def list_engagement_invitations(ctx: Context, request: ListEngagementInvitationsRequestTypeDef) -> Response:
    participant = request["ParticipantType"]
    declaration = RECEIVED_INVITATION_LIST if participant == rules.RECEIVER else SENT_INVITATION_LIST
    summaries, next_token = list_page(ctx, declaration, request)
    return {"EngagementInvitationSummaries": [
        {**summary, "Status": engagement_records.status_now(summary, ctx.now), "ParticipantType": participant}
        for summary in summaries], "NextToken": next_token}


# --- answering -------------------------------------------------------------------------------------------

@operation("AcceptEngagementInvitation")
def accept_engagement_invitation(ctx: Context, request: AcceptEngagementInvitationRequestTypeDef) -> None:
    """Accepts the invitation: "adds the partner to the engagement and grants access to full lead
    details" (DG-lead)."""
    with ctx.store.write() as tx:
        invitation = _received(tx, ctx, request["Catalog"], request["Identifier"])
        engagement_records.answer(tx, invitation, rules.ACCEPTED, ctx.now)
    return None


@operation("RejectEngagementInvitation")
def reject_engagement_invitation(ctx: Context, request: RejectEngagementInvitationRequestTypeDef) -> None:
    """Rejects the invitation, keeping the RejectionReason (optional in the model, though DG-aws says
    "You must provide a RejectionReason": the model decides)."""
    with ctx.store.write() as tx:
        invitation = _received(tx, ctx, request["Catalog"], request["Identifier"])
        engagement_records.answer(tx, invitation, rules.REJECTED, ctx.now,
                                  rejection_reason=request.get("RejectionReason"))
    return None


ACCEPT_TASK = "StartEngagementByAcceptingInvitationTask"


def _invited_review_status(tx, ctx: Context, invitation: dict) -> str:
    """The review status of the invited partner's new opportunity: Approved, as observed (2025-02-15), or,
    with `--invited-review inherit`, Submitted until the sender's opportunity is Approved (DG-mp)."""
    if invitation["SenderAccount"] == AWS_ACCOUNT or ctx.settings.invited_review is InvitedReview.APPROVED:
        return lifecycle.APPROVED
    catalog = invitation["Catalog"]
    for resource_type, resource_id, owner in tx.engagements.resources(catalog, invitation["EngagementId"]):
        if resource_type == engagement_records.OPPORTUNITY_RESOURCE and owner == invitation["SenderAccount"]:
            senders = tx.opportunities.get(owner, catalog, resource_id)
            if senders is not None and senders["LifeCycle"]["ReviewStatus"] == lifecycle.APPROVED:
                return lifecycle.APPROVED
    return lifecycle.SUBMITTED


def _receivers_opportunity(tx, ctx: Context, invitation: dict, tags: Sequence | None) -> dict:
    """The receiver's own opportunity: AWS's referred opportunity handed over whole, or one made from the
    invitation's payload (DG-mp; observed 2025-02-15, §0.8)."""
    catalog, engagement_id = invitation["Catalog"], invitation["EngagementId"]
    if invitation["SenderAccount"] == AWS_ACCOUNT:
        for resource_type, resource_id, owner in tx.engagements.resources(catalog, engagement_id):
            if resource_type == engagement_records.OPPORTUNITY_RESOURCE and owner == AWS_ACCOUNT:
                handed = hand_over(tx, catalog, resource_id, AWS_ACCOUNT, ctx.account_id, lifecycle.APPROVED,
                                   ctx.now, tags)
                tx.engagements.set_resource_owner(catalog, engagement_records.OPPORTUNITY_RESOURCE, resource_id,
                                                  ctx.account_id)
                return handed
    draft = rules.opportunity_from_invitation(invitation["Payload"][rules.OPPORTUNITY_INVITATION])
    if invitation["SenderAccount"] == AWS_ACCOUNT:
        draft["Origin"] = "AWS Referral"
    opportunity = create_owned_opportunity(tx, ctx.account_id, catalog, draft, ctx.now, tags=tags,
                                           review_status=_invited_review_status(tx, ctx, invitation))
    engagement_records.associate(tx, catalog, engagement_id, opportunity["Id"], ctx.account_id, ctx.now)
    return opportunity


@operation(ACCEPT_TASK)
def start_engagement_by_accepting_invitation_task(ctx: Context,
                                                  request: StartEngagementByAcceptingInvitationTaskRequestTypeDef) -> Response:
    """Accepts an OpportunityInvitation and makes the receiver's own opportunity in the engagement
    ("accept invitation, create opportunity in the caller's account, start a snapshot job", model).
    Completes at once, as every observed call did (§2.3); the same ClientToken gives the same task back
    ("call ... again with the same payload to check the latest status", DG-aws)."""
    catalog = request["Catalog"]

    def start(tx, remember) -> Response:
        invitation = _received(tx, ctx, catalog, request["Identifier"])
        task = engagement_records.new_task(catalog, ENGAGEMENT_BY_ACCEPTING_INVITATION_TASK, ctx.now,
                                           EngagementInvitationId=invitation["Id"])
        if invitation["PayloadType"] != rules.OPPORTUNITY_INVITATION:
            task.update(TaskStatus="FAILED", ReasonCode="InvitationValidationFailed",
                        Message=f"Engagement invitation {invitation['Id']} is a {invitation['PayloadType']}: accept it "
                                "with AcceptEngagementInvitation.")
        else:
            engagement_records.answer(tx, invitation, rules.ACCEPTED, ctx.now)
            opportunity = _receivers_opportunity(tx, ctx, invitation, request.get("Tags"))
            # DG-ev: the task is "Opportunity Created, Opportunity Updated" for the receiver.
            event_outbox.opportunity_updated(tx, ctx.account_id, catalog, opportunity["Id"], ctx.now)
            task.update(TaskStatus="COMPLETE", OpportunityId=opportunity["Id"],
                        ResourceSnapshotJobId=share_opportunity(tx, ctx.account_id, catalog, invitation["EngagementId"],
                                                                opportunity, ctx.now))
        tx.engagement_tasks.insert(ctx.account_id, catalog, ENGAGEMENT_BY_ACCEPTING_INVITATION_TASK, task, ctx.now)
        remember(task)
        return task

    return answer_once(ctx, ACCEPT_TASK, request, start)


@operation("ListEngagementByAcceptingInvitationTasks")
def list_engagement_by_accepting_invitation_tasks(ctx: Context,
                                                  request: ListEngagementByAcceptingInvitationTasksRequestTypeDef) -> Response:
    summaries, next_token = list_page(ctx, ENGAGEMENT_BY_ACCEPTING_INVITATION_TASK_LIST, request)
    return {"TaskSummaries": summaries, "NextToken": next_token}
