"""Resource ARNs: which resource an ARN names, and whether the caller may tag it.

Taggable ARNs carry the owner's 12-digit account (reference §5.1, §9): arn:aws:partnercentral:us-east-1:
<account>:catalog/<Catalog>/<resource type>/<id>. Each taggable resource type is declared beside its
operations (`taggable("opportunity", "Opportunity")`); the record is then looked up through access.py, so
an ARN of a resource the caller cannot see is not found, like an ARN of nothing.
"""

from __future__ import annotations

import re

from cosell.domain.identifiers import ARN_NAMESPACE, REGION
from cosell.operations import access
from cosell.operations.context import Context
from cosell.protocol.errors import NotFoundError

_RESOURCE_ARN = re.compile(rf"arn:aws:{ARN_NAMESPACE}:{REGION}:([0-9]{{12}}):catalog/([A-Za-z]+)/([a-z-]+)/([^/]+)")
_TAGGABLE: dict[str, str] = {}  # ARN resource type → access kind


def taggable(arn_type: str, kind: str) -> None:
    """Records of `kind`, whose ARNs say `arn_type`, take tags (TagResource, UntagResource, ListTagsForResource)."""
    _TAGGABLE[arn_type] = kind


def require_taggable(tx, ctx: Context, arn: str, *, lock: bool = False) -> None:
    """ResourceNotFoundException unless `arn` names a taggable resource the caller may see. `lock`: tag
    writes of concurrent transactions on the resource wait for this one's."""
    match = _RESOURCE_ARN.fullmatch(arn)
    kind = _TAGGABLE.get(match.group(3)) if match else None
    if (match is None or kind is None or match.group(1) != ctx.account_id
            or access.find(tx, ctx.account_id, kind, match.group(2), match.group(4), lock=lock) is None):
        raise NotFoundError(f"Resource {arn} was not found.")
