"""TagResource, UntagResource and ListTagsForResource, on every taggable resource the caller may see
(operations/arns.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cosell.domain.violations import Violation
from cosell.operations.arns import require_taggable
from cosell.operations.context import Context, Response
from cosell.operations.registry import operation
from cosell.protocol.errors import ValidationError
from cosell.protocol.model import list_limit

if TYPE_CHECKING:
    from mypy_boto3_partnercentral_selling.type_defs import (
        ListTagsForResourceRequestTypeDef,
        TagResourceRequestTypeDef,
        UntagResourceRequestTypeDef,
    )

MAX_TAGS_PER_RESOURCE = list_limit("TagList")  # 200 in the model


@operation("TagResource")
def tag_resource(ctx: Context, request: TagResourceRequestTypeDef) -> Response:
    arn = request["ResourceArn"]
    with ctx.store.write() as tx:
        require_taggable(tx, ctx, arn, lock=True)
        keys = {tag["Key"] for tag in tx.tags.list(arn)} | {tag["Key"] for tag in request["Tags"]}
        if len(keys) > MAX_TAGS_PER_RESOURCE:
            raise ValidationError.from_violations([Violation(
                "tags", "TOO_MANY_VALUES", f"A resource can have at most {MAX_TAGS_PER_RESOURCE} tags.")])
        tx.tags.put(arn, request["Tags"])
    return {}


@operation("UntagResource")
def untag_resource(ctx: Context, request: UntagResourceRequestTypeDef) -> Response:
    arn = request["ResourceArn"]
    with ctx.store.write() as tx:
        require_taggable(tx, ctx, arn, lock=True)
        tx.tags.remove(arn, request["TagKeys"])
    return {}


@operation("ListTagsForResource")
def list_tags_for_resource(ctx: Context, request: ListTagsForResourceRequestTypeDef) -> Response:
    arn = request["ResourceArn"]
    with ctx.store.read() as tx:
        require_taggable(tx, ctx, arn)
        return {"Tags": tx.tags.list(arn)}
