"""AssociateOpportunity and DisassociateOpportunity: link solutions, AWS products and Marketplace
offers to an opportunity. Both answer HTTP 200 with an empty body, as the real service does."""

from __future__ import annotations

from cosell.domain import associations
from cosell.operations.opportunities import business_error, next_modified, save, visible_opportunity
from cosell.protocol.errors import NotFoundError


def _check_entity_exists(tx, ctx, catalog: str, kind: str, identifier: str) -> None:
    """Solutions come from the partner's catalog (ListSolutions); other kinds are AWS's and not modelled."""
    if kind == "Solutions" and tx.get_solution(ctx.account_id, catalog, identifier) is None:
        raise NotFoundError(f"Solution {identifier} was not found in catalog {catalog}.")


def associate_opportunity(ctx, request: dict) -> None:
    catalog, kind, identifier = request["Catalog"], request["RelatedEntityType"], request["RelatedEntityIdentifier"]
    with ctx.store.write() as tx:
        stored = visible_opportunity(tx, ctx, catalog, request["OpportunityIdentifier"])
        violations = associations.identifier_violations(kind, identifier) or associations.state_violations(stored)
        if violations:
            raise business_error(violations)
        _check_entity_exists(tx, ctx, catalog, kind, identifier)
        related = stored["RelatedEntityIdentifiers"]
        violations = associations.associate_violations(related, kind, identifier)
        if violations:
            raise business_error(violations)
        if identifier not in (related.get(kind) or []):
            changed = {**stored, "RelatedEntityIdentifiers": associations.with_entity(related, kind, identifier)}
            save(tx, ctx.account_id, stored, changed, next_modified(stored, ctx.now))
    return None


def disassociate_opportunity(ctx, request: dict) -> None:
    catalog, kind, identifier = request["Catalog"], request["RelatedEntityType"], request["RelatedEntityIdentifier"]
    with ctx.store.write() as tx:
        stored = visible_opportunity(tx, ctx, catalog, request["OpportunityIdentifier"])
        related = stored["RelatedEntityIdentifiers"]
        if identifier not in (related.get(kind) or []):
            raise NotFoundError(f"{identifier} is not associated with opportunity {stored['Id']} as {kind}.")
        violations = associations.state_violations(stored) or associations.disassociate_violations(stored, kind, identifier)
        if violations:
            raise business_error(violations)
        changed = {**stored, "RelatedEntityIdentifiers": associations.without_entity(related, kind, identifier)}
        save(tx, ctx.account_id, stored, changed, next_modified(stored, ctx.now))
    return None
