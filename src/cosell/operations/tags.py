"""TagResource, UntagResource and ListTagsForResource on the caller's opportunity ARNs."""

from __future__ import annotations

import re

from cosell.operations.opportunities import business_error
from cosell.domain.violations import Violation
from cosell.protocol.errors import NotFoundError

OPPORTUNITY_ARN = re.compile(r"arn:aws:partnercentral:us-east-1:([0-9]{12}):catalog/([A-Za-z]+)/opportunity/(O[0-9]+)")
MAX_TAGS_PER_RESOURCE = 200  # model: TagList max 200


def _check_resource(tx, ctx, arn: str, *, lock: bool = False) -> None:
    """ResourceNotFoundException for anything that is not one of the caller's opportunities. `lock`:
    the tag writes of concurrent transactions on the opportunity wait for this one's."""
    match = OPPORTUNITY_ARN.fullmatch(arn)
    exists = tx.lock_opportunity if lock else tx.opportunity_exists
    if match is None or match.group(1) != ctx.account_id or not exists(ctx.account_id, match.group(2), match.group(3)):
        raise NotFoundError(f"Resource {arn} was not found.")


def tag_resource(ctx, request: dict) -> dict:
    arn = request["ResourceArn"]
    with ctx.store.write() as tx:
        _check_resource(tx, ctx, arn, lock=True)
        keys = {tag["Key"] for tag in tx.list_tags(arn)} | {tag["Key"] for tag in request["Tags"]}
        if len(keys) > MAX_TAGS_PER_RESOURCE:
            raise business_error([Violation("tags", "TOO_MANY_VALUES",
                                            f"A resource can have at most {MAX_TAGS_PER_RESOURCE} tags.")])
        tx.put_tags(arn, request["Tags"])
    return {}


def untag_resource(ctx, request: dict) -> dict:
    arn = request["ResourceArn"]
    with ctx.store.write() as tx:
        _check_resource(tx, ctx, arn, lock=True)
        tx.remove_tags(arn, request["TagKeys"])
    return {}


def list_tags_for_resource(ctx, request: dict) -> dict:
    arn = request["ResourceArn"]
    with ctx.store.read() as tx:
        _check_resource(tx, ctx, arn)
        return {"Tags": tx.list_tags(arn)}
