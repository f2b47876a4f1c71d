"""ListOpportunities, ListSolutions and ListEngagementFromOpportunityTasks, one function each.

Each turns its request into store filters and a sort, reads one page plus one row (to know whether
another page follows), and ends the page with a NextToken signed by the database's key
(domain/pagination.py). A token that does not verify is a ValidationException on `nextToken`.
No SQL and no HTTP here; every query is scoped to the caller's account and the request's catalog.
"""

from __future__ import annotations

from cosell.domain.pagination import InvalidPageToken, decode_token, encode_token, query_fingerprint
from cosell.protocol.errors import FieldError, ValidationError

# MaxResults when absent: the model says "Default: 20" for ListOpportunities and ListSolutions. It gives
# ListEngagementFromOpportunityTasks (1–1000) no default; cosell uses the same 20 there.
DEFAULT_PAGE_SIZE = 20


def _values(request: dict, member: str) -> tuple:
    """A list filter, normalized (order and repeats do not change its meaning); () when absent."""
    return tuple(sorted(set(request.get(member) or ())))


def _sort(request: dict, default_sort_by: str) -> dict:
    # Every list defaults to DESCENDING (model: "Default: Descending"; reference §5.3, §5.4).
    sort = request.get("Sort") or {}
    return {"sort_by": sort.get("SortBy", default_sort_by),
            "descending": sort.get("SortOrder", "DESCENDING") == "DESCENDING"}


def _page(ctx, operation: str, request: dict, query: dict, read) -> tuple[list, str | None]:
    """The items of one page, read by `read(tx, after=position, limit=n)`, and the NextToken that follows
    it (None on the last page). `query` is everything that selects and orders the rows."""
    key = ctx.store.pagination_key()
    fingerprint = query_fingerprint({"account": ctx.account_id, "catalog": request["Catalog"], **query})
    after = None
    if request.get("NextToken"):  # an empty NextToken asks for the first page, like an absent one
        try:
            after = decode_token(key, request["NextToken"], operation, fingerprint)
        except InvalidPageToken as error:
            raise ValidationError.from_errors(
                ValidationError.REQUEST, [FieldError("nextToken", "INVALID_VALUE", str(error))]) from None
    limit = request.get("MaxResults", DEFAULT_PAGE_SIZE)
    with ctx.store.read() as tx:
        rows = read(tx, after=after, limit=limit + 1)
    next_token = encode_token(key, operation, fingerprint, rows[limit - 1].position) if len(rows) > limit else None
    return [row.item for row in rows[:limit]], next_token


def list_opportunities(ctx, request: dict) -> dict:
    catalog = request["Catalog"]
    last_modified = request.get("LastModifiedDate") or {}
    created = request.get("CreatedDate") or {}
    target_close = request.get("TargetCloseDate") or {}
    query = {
        **_sort(request, "LastModifiedDate"),
        "identifiers": _values(request, "Identifier"),
        "stages": _values(request, "LifeCycleStage"),
        "review_statuses": _values(request, "LifeCycleReviewStatus"),
        "company_names": _values(request, "CustomerCompanyName"),
        "last_modified_after": last_modified.get("AfterLastModifiedDate"),
        "last_modified_before": last_modified.get("BeforeLastModifiedDate"),
        "created_after": created.get("AfterCreatedDate"),
        "created_before": created.get("BeforeCreatedDate"),
        "target_close_after": target_close.get("AfterTargetCloseDate"),
        "target_close_before": target_close.get("BeforeTargetCloseDate"),
    }
    summaries, next_token = _page(ctx, "ListOpportunities", request, query,
                                  lambda tx, **page: tx.list_opportunities(ctx.account_id, catalog, **query, **page))
    # Each summary is the stored opportunity; the OpportunitySummary output shape keeps its members.
    return {"OpportunitySummaries": summaries, "NextToken": next_token}


def list_solutions(ctx, request: dict) -> dict:
    catalog = request["Catalog"]
    query = {
        **_sort(request, "Identifier"),
        "statuses": _values(request, "Status"),
        "identifiers": _values(request, "Identifier"),
        "categories": _values(request, "Category"),
        "aws_marketplace_solution_arns": _values(request, "AwsMarketplaceSolutionArn"),
    }
    summaries, next_token = _page(ctx, "ListSolutions", request, query,
                                  lambda tx, **page: tx.list_solutions(ctx.account_id, catalog, **query, **page))
    return {"SolutionSummaries": summaries, "NextToken": next_token}


def _engagement_id(identifier: str, catalog: str) -> str | None:
    """The engagement id an EngagementIdentifier names: the id itself, or the last part of an ARN
    `arn:aws:partnercentral:<region>::catalog/<Catalog>/engagement/<id>` of this catalog (else None)."""
    if not identifier.startswith("arn:"):
        return identifier
    resource = identifier.split(":", 5)[-1].split("/")
    if len(resource) == 4 and resource[:3] == ["catalog", catalog, "engagement"]:
        return resource[3]
    return None


def list_engagement_from_opportunity_tasks(ctx, request: dict) -> dict:
    catalog = request["Catalog"]
    task_identifiers = _values(request, "TaskIdentifier")  # task ids or task ARNs
    engagement_ids = {_engagement_id(identifier, catalog) for identifier in _values(request, "EngagementIdentifier")}
    query = {
        **_sort(request, "StartTime"),
        "statuses": _values(request, "TaskStatus"),
        "task_ids": tuple(i for i in task_identifiers if not i.startswith("arn:")),
        "task_arns": tuple(i for i in task_identifiers if i.startswith("arn:")),
        "opportunity_ids": _values(request, "OpportunityIdentifier"),
        "engagement_ids": tuple(sorted(engagement_ids - {None})),
        "engagement_filter": bool(request.get("EngagementIdentifier")),
    }
    summaries, next_token = _page(
        ctx, "ListEngagementFromOpportunityTasks", request, query,
        lambda tx, **page: tx.list_engagement_tasks(ctx.account_id, catalog, **query, **page))
    return {"TaskSummaries": summaries, "NextToken": next_token}
