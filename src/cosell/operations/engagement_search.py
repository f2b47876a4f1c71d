"""SearchEngagements and ListEngagementGroups (engagements.md §1.4, §1.6): the caller's engagements
through a keyword, a filter tree and AWS's curated groups (domain/engagement_search.py has the rules;
control/groups.py how AWS curates the groups).

Both read the caller's engagements whole and pick in Python: the filter tree reaches into contexts and
interactions that no column holds, and a partner's engagements number in the thousands, not millions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cosell.control.groups import definition_of
from cosell.domain import engagement_search as search
from cosell.domain.identifiers import engagement_group_arn, identified
from cosell.domain.violations import Violation
from cosell.operations.context import Context, Response, UntypedRequest
from cosell.operations.paging import short_list_page
from cosell.operations.registry import operation
from cosell.protocol.errors import ValidationError
from cosell.timestamps import format_timestamp

DEFAULT_PAGE_SIZE = 20  # both operations: "If you omit this value, the operation returns up to 20 results"
# "If you omit this field, the operation returns groups in recommended order": cosell recommends the
# readiest groups first, then the larger, then by id.
_READINESS_ORDER = {"SalesReady": 0, "MarketingReady": 1, "LowPotential": 2, None: 3}


def _searched(tx, ctx: Context, catalog: str) -> list[search.Searched]:
    return [search.Searched(engagement, members) for engagement, members in tx.engagements.of_member(ctx.account_id, catalog)]


def _in_group(group: Mapping[str, Any], found: list[search.Searched]) -> list[search.Searched]:
    keyword, node = definition_of(group)
    return [searched for searched in found if search.selects(searched, keyword=keyword, node=node)]


def _search_summary(searched: search.Searched) -> dict:
    engagement = searched.engagement
    return {"Id": engagement["Id"], "Arn": engagement["Arn"], "Title": engagement.get("Title"),
            "Description": engagement.get("Description"), "CreatedAt": engagement["CreatedAt"],
            "CreatedBy": engagement["CreatedBy"], "MemberCount": len(searched.members),
            "ModifiedAt": engagement["ModifiedAt"], "ModifiedBy": engagement["ModifiedBy"],
            "Contexts": engagement.get("Contexts") or []}


@operation("SearchEngagements")
def search_engagements(ctx: Context, request: UntypedRequest) -> Response:
    """The caller's engagements that the Keyword, the Filter and the group's own criteria all select."""
    catalog = request["Catalog"]
    node = request.get("Filter")
    if node is not None:
        violations = search.filter_violations(node)
        if violations:
            raise ValidationError.from_violations(violations)
    group_id = request.get("GroupId")
    with ctx.store.read() as tx:
        group = tx.engagement_groups.get(catalog, group_id) if group_id is not None else None
        if group_id is not None and (group is None or not group["active"]):
            raise ValidationError.from_violations([Violation(
                "groupId", "INVALID_VALUE", f"Engagement group {group_id} is not an active group available to you "
                                            f"in catalog {catalog}.")])
        found = _searched(tx, ctx, catalog)
    if group is not None:
        found = _in_group(group, found)
    keyword = request.get("Keyword")
    selected = [searched for searched in found if search.selects(searched, keyword=keyword, node=node)]
    items = [(searched.engagement["Id"], _search_summary(searched))
             for searched in search.ordered(selected, request.get("Sort"))]
    scope = {"keyword": keyword, "filter": node, "group": group_id, "sort": request.get("Sort")}
    summaries, next_token = short_list_page(ctx, "SearchEngagements", scope, items, request, DEFAULT_PAGE_SIZE)
    return {"EngagementSearchSummaries": summaries, "NextToken": next_token}


def _group_summary(group: Mapping[str, Any], count: int) -> dict:
    return {"Id": group["id"], "Arn": engagement_group_arn(group["catalog"], group["id"]), "Catalog": group["catalog"],
            "Name": group["name"], "Description": group["description"], "Count": count,
            "ReadinessLevel": group["readiness_level"], "UpdatedAt": format_timestamp(group["updated_at"])}


def _group_ids(request: Mapping[str, Any], catalog: str) -> set[str] | None:
    """EngagementGroupIdentifiers as ids (an ARN names its last part); "Identifiers that don't match an
    active group available to you are ignored" (model)."""
    named = request.get("EngagementGroupIdentifiers")
    if not named:
        return None
    return {group_id for identifier in named if (group_id := identified(identifier, catalog, "engagement-group"))}


@operation("ListEngagementGroups")
def list_engagement_groups(ctx: Context, request: UntypedRequest) -> Response:
    """The catalog's active groups, each counting the caller's engagements in it."""
    catalog = request["Catalog"]
    wanted = _group_ids(request, catalog)
    readiness = request.get("ReadinessLevel")
    with ctx.store.read() as tx:
        groups = [group for group in tx.engagement_groups.of_catalog(catalog) if group["active"]
                  and (wanted is None or group["id"] in wanted)
                  and (readiness is None or group["readiness_level"] == readiness)]
        found = _searched(tx, ctx, catalog) if groups else []
    counted = [(group, len(_in_group(group, found))) for group in groups]
    sort = request.get("Sort")
    if sort is None:
        counted.sort(key=lambda pair: (_READINESS_ORDER[pair[0]["readiness_level"]], -pair[1], pair[0]["id"]))
    else:
        def sort_key(pair: tuple[Mapping[str, Any], int]) -> tuple:
            return (pair[1] if sort["SortBy"] == "Count" else pair[0]["updated_at"], pair[0]["id"])
        counted.sort(key=sort_key, reverse=sort["SortOrder"] == "DESCENDING")
    items = [(group["id"], _group_summary(group, count)) for group, count in counted]
    scope = {"readiness": readiness, "groups": sorted(wanted) if wanted is not None else None, "sort": sort}
    summaries, next_token = short_list_page(ctx, "ListEngagementGroups", scope, items, request, DEFAULT_PAGE_SIZE)
    return {"EngagementGroupSummaries": summaries, "NextToken": next_token}
