"""GetSellingSystemSettings and PutSellingSystemSettings: the IAM role an account's resource snapshot jobs
run as, per catalog (engagements.md §0.5, §1.28–1.29). Without it a snapshot job records its failure
instead of writing revisions ("Without this role, any updates you make to your opportunity will not be
visible to other partners", AWS's multi-partner guide)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cosell.operations.context import Context, Response
from cosell.operations.registry import operation

if TYPE_CHECKING:
    from mypy_boto3_partnercentral_selling.type_defs import (
        GetSellingSystemSettingsRequestTypeDef,
        PutSellingSystemSettingsRequestTypeDef,
    )


def role_arn(identifier: str, account_id: str) -> str:
    """The model takes a role ARN or a bare role name, and answers an ARN: a name is the caller's role."""
    return identifier if identifier.startswith("arn:") else f"arn:aws:iam::{account_id}:role/{identifier}"


@operation("GetSellingSystemSettings")
def get_selling_system_settings(ctx: Context, request: GetSellingSystemSettingsRequestTypeDef) -> Response:
    """An account that never put a role gets its catalog and no ResourceSnapshotJobRoleArn (the member is
    optional; whether AWS answers ResourceNotFound instead is not recorded, engagements.md §1.28)."""
    with ctx.store.read() as tx:
        role = tx.selling_settings.job_role(ctx.account_id, request["Catalog"])
    return {"Catalog": request["Catalog"], "ResourceSnapshotJobRoleArn": role}


@operation("PutSellingSystemSettings")
def put_selling_system_settings(ctx: Context, request: PutSellingSystemSettingsRequestTypeDef) -> Response:
    """Sets (or, without ResourceSnapshotJobRoleIdentifier, clears) the role; the answer echoes it as an ARN."""
    identifier = request.get("ResourceSnapshotJobRoleIdentifier")
    role = role_arn(identifier, ctx.account_id) if identifier else None
    with ctx.store.write() as tx:
        tx.selling_settings.put_job_role(ctx.account_id, request["Catalog"], role, ctx.now)
    return {"Catalog": request["Catalog"], "ResourceSnapshotJobRoleArn": role}
