"""AssociateOpportunity and DisassociateOpportunity: link solutions, AWS products and Marketplace
offers to an opportunity. Both answer HTTP 200 with an empty body, as the real service does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cosell.domain import associations
from cosell.domain.opportunity import next_modified
from cosell.operations import access
from cosell.operations.context import Context
from cosell.operations.opportunities import OPPORTUNITY
from cosell.operations.opportunity_versions import save
from cosell.operations.registry import operation
from cosell.protocol.errors import NotFoundError, ValidationError

if TYPE_CHECKING:
    from mypy_boto3_partnercentral_selling.type_defs import (
        AssociateOpportunityRequestTypeDef,
        DisassociateOpportunityRequestTypeDef,
    )


def _check_entity_exists(tx, ctx: Context, catalog: str, kind: str, identifier: str) -> None:
    """Solutions come from the partner's catalog (ListSolutions); other kinds are AWS's and not modelled."""
    if kind == "Solutions" and tx.solutions.get(ctx.account_id, catalog, identifier) is None:
        raise NotFoundError(f"Solution {identifier} was not found in catalog {catalog}.")


@operation("AssociateOpportunity")
def associate_opportunity(ctx: Context, request: AssociateOpportunityRequestTypeDef) -> None:
    catalog, kind, identifier = request["Catalog"], request["RelatedEntityType"], request["RelatedEntityIdentifier"]
    with ctx.store.write() as tx:
        stored = access.visible(tx, ctx, OPPORTUNITY, catalog, request["OpportunityIdentifier"])
        violations = associations.identifier_violations(kind, identifier) or associations.state_violations(stored)
        if violations:
            raise ValidationError.from_violations(violations)
        _check_entity_exists(tx, ctx, catalog, kind, identifier)
        related = stored["RelatedEntityIdentifiers"]
        violations = associations.associate_violations(related, kind, identifier)
        if violations:
            raise ValidationError.from_violations(violations)
        if identifier not in (related.get(kind) or []):
            changed = {**stored, "RelatedEntityIdentifiers": associations.with_entity(related, kind, identifier)}
            save(tx, ctx.account_id, stored, changed, next_modified(stored, ctx.now))
    return None


@operation("DisassociateOpportunity")
def disassociate_opportunity(ctx: Context, request: DisassociateOpportunityRequestTypeDef) -> None:
    catalog, kind, identifier = request["Catalog"], request["RelatedEntityType"], request["RelatedEntityIdentifier"]
    with ctx.store.write() as tx:
        stored = access.visible(tx, ctx, OPPORTUNITY, catalog, request["OpportunityIdentifier"])
        related = stored["RelatedEntityIdentifiers"]
        if identifier not in (related.get(kind) or []):
            raise NotFoundError(f"{identifier} is not associated with opportunity {stored['Id']} as {kind}.")
        violations = associations.state_violations(stored) or associations.disassociate_violations(stored, kind, identifier)
        if violations:
            raise ValidationError.from_violations(violations)
        changed = {**stored, "RelatedEntityIdentifiers": associations.without_entity(related, kind, identifier)}
        save(tx, ctx.account_id, stored, changed, next_modified(stored, ctx.now))
    return None
