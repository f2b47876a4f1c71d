"""CreateResourceSnapshot, GetResourceSnapshot, ListResourceSnapshots (engagements.md §0.5, §1.19–1.21).

A snapshot is a revision of an opportunity's view under a template, in an engagement: written by the
opportunity's owner (a member of the engagement), read by the members it is shared with — every member
for OpportunitySummaryView, the owner alone for AwsOpportunitySummaryFullView. Writing one associates the
opportunity with the engagement, as AWS's lead guide says CreateResourceSnapshot links them. On a lead's
engagement it also adds the CustomerProject context the opportunity gives, as the lead guide's
"Alternative: CreateOpportunity + CreateResourceSnapshot, which automatically adds a CustomerProject
context" (DG-lead; engagements.md §0.9) has it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cosell.domain import engagement as rules
from cosell.domain import snapshots as views
from cosell.operations import access, engagement_records, event_outbox
from cosell.operations.context import Context, Response
from cosell.operations.engagements import ENGAGEMENT, MAX_CONTEXTS
from cosell.operations.idempotency import answer_once
from cosell.operations.paging import short_list_page
from cosell.operations.registry import operation
from cosell.operations.snapshot_records import write_snapshot
from cosell.protocol.errors import NotFoundError
from cosell.timestamps import format_timestamp

if TYPE_CHECKING:
    from mypy_boto3_partnercentral_selling.type_defs import (
        CreateResourceSnapshotRequestTypeDef,
        GetResourceSnapshotRequestTypeDef,
        ListResourceSnapshotsRequestTypeDef,
    )

DEFAULT_PAGE_SIZE = 20  # the model gives ListResourceSnapshots' MaxResults (1–1000) no default


def _template(name: str) -> str:
    if name not in views.TEMPLATES:
        raise NotFoundError(f"Resource snapshot template {name} does not exist for resource type Opportunity "
                            f"(templates: {', '.join(views.TEMPLATES)}).")
    return name


def snapshot_subject(tx, ctx: Context, request: Mapping[str, Any]) -> tuple[dict, str, dict]:
    """(engagement, template, opportunity) that a snapshot or a snapshot job is about: an engagement the
    caller is a member of, a template of the resource type, and the caller's own opportunity ("only its
    owner snapshots it"); ResourceNotFoundException otherwise."""
    catalog = request["Catalog"]
    engagement = access.visible(tx, ctx, ENGAGEMENT, catalog, request["EngagementIdentifier"])
    template = _template(request["ResourceSnapshotTemplateIdentifier"])
    opportunity = tx.opportunities.get(ctx.account_id, catalog, request["ResourceIdentifier"])
    if opportunity is None:
        raise NotFoundError(f"Opportunity {request['ResourceIdentifier']} does not exist in your catalog "
                            f"{catalog}: only its owner snapshots it.")
    return engagement, template, opportunity


def _lead_gets_customer_project(tx, ctx: Context, catalog: str, engagement: dict, opportunity: dict) -> None:
    """A lead's engagement without a CustomerProject context gets the one the snapshotted opportunity gives
    (DG-lead: CreateOpportunity + CreateResourceSnapshot "automatically adds a CustomerProject context"), as
    StartOpportunityFromEngagementTask adds it: the next context id, an Engagement Updated event. An
    engagement that already has the most contexts keeps them (choice: the snapshot is still written)."""
    contexts = list(engagement.get("Contexts") or [])
    kinds = rules.context_types(engagement)
    if rules.LEAD not in kinds or rules.CUSTOMER_PROJECT in kinds or len(contexts) >= MAX_CONTEXTS:
        return
    added = {**rules.customer_project_context(opportunity), "Id": rules.next_context_id(engagement)}
    changed = engagement_records.changed(tx, catalog, engagement, {**engagement, "Contexts": [*contexts, added]},
                                         ctx.account_id, ctx.now)
    event_outbox.engagement_updated(tx, catalog, changed, ctx.now)


@operation("CreateResourceSnapshot")
def create_resource_snapshot(ctx: Context, request: CreateResourceSnapshotRequestTypeDef) -> Response:
    """Only the opportunity's owner snapshots it; another member's or an unknown opportunity is not found.
    On a lead's engagement the snapshot also adds the opportunity's CustomerProject context (DG-lead)."""
    catalog = request["Catalog"]

    def create(tx, remember):
        engagement, template, opportunity = snapshot_subject(tx, ctx, request)
        answer = write_snapshot(tx, catalog, engagement["Id"], opportunity, template, ctx.account_id, ctx.now)
        _lead_gets_customer_project(tx, ctx, catalog, engagement, opportunity)
        remember(answer)
        return answer

    return answer_once(ctx, "CreateResourceSnapshot", request, create)


def _readable(snapshot: dict, account_id: str) -> bool:
    """AWS's view is its owner's; a summary view every member's, also one who joined after it was written
    ("Once shared, snapshots remain permanently accessible to engagement members", AWS's guide)."""
    return snapshot["template"] not in views.OWNER_ONLY or snapshot["created_by"] == account_id


@operation("GetResourceSnapshot")
def get_resource_snapshot(ctx: Context, request: GetResourceSnapshotRequestTypeDef) -> Response:
    """A revision (the latest when Revision is omitted), for the members it is shared with."""
    catalog = request["Catalog"]
    with ctx.store.read() as tx:
        engagement = access.visible(tx, ctx, ENGAGEMENT, catalog, request["EngagementIdentifier"])
        template = _template(request["ResourceSnapshotTemplateIdentifier"])
        key = (catalog, engagement["Id"], request["ResourceType"], request["ResourceIdentifier"], template)
        revision = request.get("Revision") or tx.snapshots.latest_revision(*key)
        snapshot = tx.snapshots.get(*key, revision) if revision else None
    if snapshot is None or not _readable(snapshot, ctx.account_id):
        raise NotFoundError(f"No revision {request.get('Revision') or ''} of the {template} snapshot of "
                            f"{request['ResourceIdentifier']} in engagement {engagement['Id']}.".replace("  ", " "))
    return {"Catalog": catalog, "Arn": views.snapshot_arn(*key, snapshot["revision"]),
            "CreatedBy": snapshot["created_by"], "CreatedAt": format_timestamp(snapshot["created_at"]),
            "EngagementId": engagement["Id"], "ResourceType": snapshot["resource_type"],
            "ResourceId": snapshot["resource_id"], "ResourceSnapshotTemplateName": template,
            "Revision": snapshot["revision"], "Payload": views.payload(template, snapshot["view"]),
            "TargetMemberAccounts": snapshot["target_members"]}


_FILTERS = (("ResourceType", "resource_type"), ("ResourceIdentifier", "resource_id"),
            ("ResourceSnapshotTemplateIdentifier", "template"), ("CreatedBy", "created_by"))


@operation("ListResourceSnapshots")
def list_resource_snapshots(ctx: Context, request: ListResourceSnapshotsRequestTypeDef) -> Response:
    """The engagement's revisions the caller may read, by resource, template and revision."""
    catalog = request["Catalog"]
    with ctx.store.read() as tx:
        engagement = access.visible(tx, ctx, ENGAGEMENT, catalog, request["EngagementIdentifier"])
        found = tx.snapshots.of_engagement(catalog, engagement["Id"])
    asked: Mapping[str, Any] = request
    wanted = {column: asked[member] for member, column in _FILTERS if asked.get(member)}
    items = []
    for snapshot in found:
        if not _readable(snapshot, ctx.account_id) or any(snapshot[key] != value for key, value in wanted.items()):
            continue
        arn = views.snapshot_arn(catalog, engagement["Id"], snapshot["resource_type"], snapshot["resource_id"],
                                 snapshot["template"], snapshot["revision"])
        items.append((arn, {"Arn": arn, "Revision": snapshot["revision"], "ResourceType": snapshot["resource_type"],
                            "ResourceId": snapshot["resource_id"], "ResourceSnapshotTemplateName": snapshot["template"],
                            "CreatedBy": snapshot["created_by"]}))
    scope = {"engagement": engagement["Id"], **wanted}
    summaries, next_token = short_list_page(ctx, "ListResourceSnapshots", scope, items, request, DEFAULT_PAGE_SIZE)
    return {"ResourceSnapshotSummaries": summaries, "NextToken": next_token}
