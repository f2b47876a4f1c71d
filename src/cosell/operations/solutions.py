"""ListSolutions: the partner's solution catalog (filled by `cosell solutions add`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cosell.operations.context import Context, Response
from cosell.operations.paging import list_page
from cosell.operations.registry import operation
from cosell.store.solutions import SOLUTION_LIST

if TYPE_CHECKING:
    from mypy_boto3_partnercentral_selling.type_defs import ListSolutionsRequestTypeDef


@operation("ListSolutions")
def list_solutions(ctx: Context, request: ListSolutionsRequestTypeDef) -> Response:
    summaries, next_token = list_page(ctx, SOLUTION_LIST, request)
    return {"SolutionSummaries": summaries, "NextToken": next_token}
