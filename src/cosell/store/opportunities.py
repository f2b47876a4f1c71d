"""Opportunity rows: the document as GetOpportunity shows it, plus the columns lists filter and sort on."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, insert, select, update

from cosell import json_text
from cosell.store.execution import Query
from cosell.store.schema import opportunities, to_ms

_OPPORTUNITY_KEY = (opportunities.c.catalog == bindparam("key_catalog"),
                    opportunities.c.id == bindparam("key_id"),
                    opportunities.c.account_id == bindparam("key_account"))
_INSERT = Query(insert(opportunities))
_REPLACE = Query(update(opportunities)
                 .where(*_OPPORTUNITY_KEY, opportunities.c.last_modified_ms == bindparam("expected_ms"))
                 .values({column: bindparam(column) for column in
                          ("last_modified_ms", "stage", "review_status", "company_name", "target_close_date",
                           "document")}))
_GET = Query(select(opportunities.c.document).where(*_OPPORTUNITY_KEY))
_EXISTS = Query(select(opportunities.c.id).where(*_OPPORTUNITY_KEY))
# FOR UPDATE where rows can be locked (SQLite has no such clause: its writers take turns anyway).
_LOCK = Query(select(opportunities.c.id).where(*_OPPORTUNITY_KEY).with_for_update())
_AWAITING_REVIEW = Query(
    select(opportunities.c.account_id, opportunities.c.catalog, opportunities.c.id, opportunities.c.review_status)
    .where(opportunities.c.review_status.in_([bindparam("submitted"), bindparam("in_review")]),
           opportunities.c.last_modified_ms <= bindparam("modified_before_ms"))
    .order_by(opportunities.c.last_modified_ms).limit(bindparam("limit")))


def _key(account_id: str, catalog: str, opportunity_id: str) -> dict:
    return {"key_catalog": catalog, "key_id": opportunity_id, "key_account": account_id}


def _indexed_columns(opportunity: dict) -> dict:
    life_cycle = opportunity.get("LifeCycle") or {}
    account = (opportunity.get("Customer") or {}).get("Account") or {}
    return {
        "stage": life_cycle.get("Stage"),
        "review_status": life_cycle.get("ReviewStatus"),
        "company_name": account.get("CompanyName"),
        "target_close_date": life_cycle.get("TargetCloseDate"),
        "document": json_text.compact(opportunity),
    }


class OpportunityQueries:
    def insert_opportunity(self, account_id: str, opportunity: dict, created: dt.datetime,
                           last_modified: dt.datetime) -> None:
        self._db.execute(_INSERT, {
            "catalog": opportunity["Catalog"],
            "id": opportunity["Id"],
            "number": int(opportunity["Id"][1:]),
            "account_id": account_id,
            "created_ms": to_ms(created),
            "last_modified_ms": to_ms(last_modified),
            **_indexed_columns(opportunity),
        })

    def replace_opportunity(self, account_id: str, opportunity: dict, expected_last_modified: dt.datetime,
                            last_modified: dt.datetime) -> bool:
        """Store the new version if the stored one still has `expected_last_modified`; False if not."""
        cursor = self._db.execute(_REPLACE, {
            **_key(account_id, opportunity["Catalog"], opportunity["Id"]),
            "expected_ms": to_ms(expected_last_modified),
            "last_modified_ms": to_ms(last_modified),
            **_indexed_columns(opportunity),
        })
        return cursor.rowcount == 1

    def get_opportunity(self, account_id: str, catalog: str, opportunity_id: str) -> dict | None:
        document = self._db.value(_GET, _key(account_id, catalog, opportunity_id))
        return None if document is None else json_text.loads(document)

    def opportunity_exists(self, account_id: str, catalog: str, opportunity_id: str) -> bool:
        return self._db.value(_EXISTS, _key(account_id, catalog, opportunity_id)) is not None

    def lock_opportunity(self, account_id: str, catalog: str, opportunity_id: str) -> bool:
        """opportunity_exists, and no other transaction writes the row (or waits to) until this one ends."""
        return self._db.value(_LOCK, _key(account_id, catalog, opportunity_id)) is not None

    def opportunities_awaiting_review(self, modified_before: dt.datetime, limit: int = 100) -> list[tuple]:
        """(account_id, catalog, id, review_status) of Submitted / In review opportunities untouched since
        `modified_before`, oldest first."""
        return self._db.tuples(_AWAITING_REVIEW, {"submitted": "Submitted", "in_review": "In review",
                                                  "modified_before_ms": to_ms(modified_before), "limit": limit})
