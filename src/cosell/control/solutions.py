"""The partner's solution catalog (ListSolutions, AssociateOpportunity): `cosell solutions add`, and the
Sandbox's test solution every account has."""

from __future__ import annotations

import datetime as dt

from cosell.domain.identifiers import solution_id
from cosell.protocol.facts import SANDBOX_CATALOG

# "Use the default solution S-1234567 for testing AssociateOpportunity" (DG-sbx).
SANDBOX_TEST_SOLUTION = {"Id": "S-1234567", "Name": "Sandbox test solution", "Category": "Software Product",
                         "Status": "Active"}


def ensure_default_solutions(tx, account_id: str, now: dt.datetime) -> None:
    """The Sandbox's test solution, in the account's Sandbox catalog. Servers starting together on a new
    PostgreSQL database each find it missing; the first one's insert wins, the others keep it."""
    if tx.solutions.get(account_id, SANDBOX_CATALOG, SANDBOX_TEST_SOLUTION["Id"]) is None:
        tx.solutions.insert(account_id, SANDBOX_CATALOG, SANDBOX_TEST_SOLUTION["Id"], SANDBOX_TEST_SOLUTION["Name"],
                            SANDBOX_TEST_SOLUTION["Status"], SANDBOX_TEST_SOLUTION["Category"], now, if_absent=True)


def add_solution(tx, account_id: str, catalog: str, name: str, category: str, status: str, now: dt.datetime) -> dict:
    """A new solution with the next S-number of the catalog."""
    new_id = solution_id(tx.counters.next(f"solution/{catalog}"))
    tx.solutions.insert(account_id, catalog, new_id, name, status, category, now)
    return {"Catalog": catalog, "Id": new_id, "Name": name, "Category": category, "Status": status}
