"""cosell's own admin surface, behind /_cosell/* and the `cosell` subcommands: what AWS does not
offer testers (a solution catalog to fill, a reviewer to call). Not AWS operations; JSON in and out,
errors in the AWS error shape."""

from __future__ import annotations

import datetime as dt
import re

from cosell.domain.identifiers import solution_id
from cosell.operations.review import review_opportunity
from cosell.protocol.errors import FieldError, ValidationError
from cosell.protocol.model import enum_values
from cosell.store import Store

# "Use the default solution S-1234567 for testing AssociateOpportunity" (DG-sbx).
SANDBOX_TEST_SOLUTION = {"Id": "S-1234567", "Name": "Sandbox test solution", "Category": "Software Product",
                         "Status": "Active"}
REVIEW_ACTIONS = {"approve": "Approved", "reject": "Rejected", "action-required": "Action Required",
                  "start-review": "In review"}


def target_account(body: dict, default_account_id: str) -> str:
    """The account an admin request acts on: its AccountId, or the server's default account."""
    account_id = body.get("AccountId") or default_account_id
    if not isinstance(account_id, str) or not re.fullmatch(r"[0-9]{12}", account_id):
        raise ValidationError.from_errors(ValidationError.REQUEST, [
            FieldError("AccountId", "INVALID_STRING_FORMAT", "AccountId must be 12 digits.")])
    return account_id


def ensure_default_solutions(store: Store, account_id: str, now: dt.datetime) -> None:
    with store.write() as tx:
        if tx.get_solution(account_id, "Sandbox", SANDBOX_TEST_SOLUTION["Id"]) is None:
            tx.insert_solution(account_id, "Sandbox", SANDBOX_TEST_SOLUTION["Id"], SANDBOX_TEST_SOLUTION["Name"],
                               SANDBOX_TEST_SOLUTION["Status"], SANDBOX_TEST_SOLUTION["Category"], now)


def _required(body: dict, name: str, allowed: tuple[str, ...] | None = None) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ValidationError.from_errors(ValidationError.REQUEST, [
            FieldError(name, "REQUIRED_FIELD_MISSING", f"{name} is required.")])
    if allowed is not None and value not in allowed:
        raise ValidationError.from_errors(ValidationError.REQUEST, [
            FieldError(name, "INVALID_ENUM_VALUE", f"{name} must be one of {', '.join(allowed)}.")])
    return value


def add_solution(store: Store, account_id: str, body: dict, now: dt.datetime) -> dict:
    """{Catalog, Name, Category, Status?} → the new solution, with an S-number id."""
    catalog = _required(body, "Catalog", ("AWS", "Sandbox"))
    name, category = _required(body, "Name"), _required(body, "Category")
    status = body.get("Status") or "Active"
    _required({"Status": status}, "Status", enum_values("SolutionStatus"))
    with store.write() as tx:
        new_id = solution_id(tx.next_number(f"solution/{catalog}"))
        tx.insert_solution(account_id, catalog, new_id, name, status, category, now)
    return {"Catalog": catalog, "Id": new_id, "Name": name, "Category": category, "Status": status}


def review(store: Store, account_id: str, body: dict, now: dt.datetime) -> dict:
    """{Catalog, Identifier, ReviewStatus, ReviewComments?, ReviewStatusReason?} → the review as stored."""
    catalog = _required(body, "Catalog", ("AWS", "Sandbox"))
    identifier = _required(body, "Identifier")
    decision = _required(body, "ReviewStatus", tuple(REVIEW_ACTIONS.values()))
    opportunity = review_opportunity(store, account_id, catalog, identifier, decision,
                                     body.get("ReviewComments"), body.get("ReviewStatusReason"), now)
    return {"Id": identifier, "LifeCycle": opportunity["LifeCycle"], "LastModifiedDate": opportunity["LastModifiedDate"]}
