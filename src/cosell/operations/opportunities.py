"""Opportunity operations, one function each, reading like the API reference.

No SQL and no HTTP here: requests arrive validated against the model (wire names, nulls removed),
storage is reached through ctx.store, and errors are raised as ServiceErrors.
"""

from __future__ import annotations

import hashlib
import json

from cosell.domain import rules
from cosell.domain.identifiers import opportunity_arn, opportunity_id
from cosell.domain.opportunity import new_opportunity
from cosell.protocol.errors import ConflictError, FieldError, NotFoundError, ValidationError
from cosell.protocol.json10 import format_timestamp
from cosell.protocol.model import service_model

CONFLICTING_CLIENT_TOKEN = "Conflicting client token submitted for a new request body."


def _business_error(violations) -> ValidationError:
    return ValidationError.from_errors(
        ValidationError.BUSINESS, [FieldError(v.field, v.code, v.message) for v in violations])


def request_fingerprint(request: dict) -> str:
    """Identifies a request body for ClientToken replay: same token + same fingerprint = same request."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _remembered_response(tx, ctx, catalog: str, operation: str, token: str, fingerprint: str):
    remembered = tx.find_client_token(ctx.account_id, catalog, operation, token)
    if remembered is None:
        return None
    stored_fingerprint, response = remembered
    if stored_fingerprint != fingerprint:
        raise ConflictError(CONFLICTING_CLIENT_TOKEN)
    return response


def create_opportunity(ctx, request: dict) -> dict:
    catalog = request["Catalog"]
    token = request["ClientToken"]
    fingerprint = request_fingerprint(request)
    violations = rules.create_violations(request, rules.RuleContext(catalog, ctx.now.date()))
    if violations:
        with ctx.store.read() as tx:  # a replay of an accepted request still gets its answer
            remembered = _remembered_response(tx, ctx, catalog, "CreateOpportunity", token, fingerprint)
        if remembered is not None:
            return remembered
        raise _business_error(violations)

    with ctx.store.write() as tx:
        remembered = _remembered_response(tx, ctx, catalog, "CreateOpportunity", token, fingerprint)
        if remembered is not None:
            return remembered
        parent = (request.get("Project") or {}).get("RelatedOpportunityIdentifier")
        if parent is not None and not tx.opportunity_exists(ctx.account_id, catalog, parent):
            raise NotFoundError(f"Project.RelatedOpportunityIdentifier {parent} was not found in catalog {catalog}.")
        new_id = opportunity_id(tx.next_number(f"opportunity/{catalog}"))
        now = format_timestamp(ctx.now)
        opportunity = new_opportunity(
            request,
            opportunity_id=new_id,
            arn=opportunity_arn(ctx.account_id, catalog, new_id),
            account_id=ctx.account_id,
            now=now,
            related_entity_kinds=tuple(service_model().shape_for("RelatedEntityIdentifiers").members),
        )
        tx.insert_opportunity(ctx.account_id, opportunity, ctx.now, ctx.now)
        response = {
            "Id": new_id,
            "LastModifiedDate": now,
            "PartnerOpportunityIdentifier": request.get("PartnerOpportunityIdentifier"),
        }
        tx.remember_client_token(ctx.account_id, catalog, "CreateOpportunity", token, fingerprint, response, ctx.now)
    return response


def get_opportunity(ctx, request: dict) -> dict:
    catalog, identifier = request["Catalog"], request["Identifier"]
    with ctx.store.read() as tx:
        opportunity = tx.get_opportunity(ctx.account_id, catalog, identifier)
    if opportunity is None:
        raise NotFoundError(f"Opportunity {identifier} was not found in catalog {catalog}.")
    return opportunity
