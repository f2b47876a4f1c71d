"""Opportunities: the document as GetOpportunity shows it, plus the columns lists filter and sort on;
the repository `tx.opportunities`, and ListOpportunities' declaration."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Index, String, Table, Text, bindparam, insert, select, update

from cosell import json_text
from cosell.store.execution import Query
from cosell.store.metadata import metadata, sortable
from cosell.store.pager import Between, ListDeclaration, OneOf
from cosell.store.transaction import repository
from cosell.timestamps import from_ms, parse_stored, to_ms

opportunities = Table(
    "opportunities",
    metadata,
    Column("catalog", String(16), primary_key=True),
    Column("id", String(24), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("number", BigInteger, nullable=False),  # the digits of the id, for sorting by Identifier
    Column("created_ms", BigInteger, nullable=False),
    Column("last_modified_ms", BigInteger, nullable=False),
    Column("stage", String(32)),
    Column("review_status", String(32)),
    Column("company_name", sortable(120)),
    Column("target_close_date", sortable(10)),
    Column("document", Text, nullable=False),  # the opportunity as GetOpportunity shows it, JSON
)
# ListOpportunities reads one of these in order: equality on the leading columns, then (sort column,
# number) ascending or descending, so a page costs its size, not the table's (store/pager.py).
Index("opportunities_by_last_modified", opportunities.c.account_id, opportunities.c.catalog,
      opportunities.c.last_modified_ms, opportunities.c.number)
Index("opportunities_by_stage_last_modified", opportunities.c.account_id, opportunities.c.catalog,
      opportunities.c.stage, opportunities.c.last_modified_ms, opportunities.c.number)
Index("opportunities_by_created", opportunities.c.account_id, opportunities.c.catalog,
      opportunities.c.created_ms, opportunities.c.number)
Index("opportunities_by_company_name", opportunities.c.account_id, opportunities.c.catalog,
      opportunities.c.company_name, opportunities.c.number)
Index("opportunities_by_target_close_date", opportunities.c.account_id, opportunities.c.catalog,
      opportunities.c.target_close_date, opportunities.c.number)
Index("opportunities_by_number", opportunities.c.account_id, opportunities.c.catalog, opportunities.c.number)
# The automatic reviewer's queue.
Index("opportunities_awaiting_review", opportunities.c.review_status, opportunities.c.last_modified_ms)

_KEY = (opportunities.c.catalog == bindparam("key_catalog"),
        opportunities.c.id == bindparam("key_id"),
        opportunities.c.account_id == bindparam("key_account"))
_INSERT = Query(insert(opportunities))
_REPLACE = Query(update(opportunities)
                 .where(*_KEY, opportunities.c.last_modified_ms == bindparam("expected_ms"))
                 .values({column: bindparam(column) for column in
                          ("last_modified_ms", "stage", "review_status", "company_name", "target_close_date",
                           "document")}))
_TRANSFER = Query(update(opportunities)
                  .where(*_KEY, opportunities.c.last_modified_ms == bindparam("expected_ms"))
                  .values({column: bindparam(column) for column in
                           ("account_id", "last_modified_ms", "stage", "review_status", "company_name",
                            "target_close_date", "document")}))
_GET = Query(select(opportunities.c.document).where(*_KEY))
_EXISTS = Query(select(opportunities.c.id).where(*_KEY))
# FOR UPDATE where rows can be locked (SQLite has no such clause: its writers take turns anyway).
_LOCK = Query(select(opportunities.c.id).where(*_KEY).with_for_update())
_AWAITING_REVIEW = Query(
    select(opportunities.c.account_id, opportunities.c.catalog, opportunities.c.id, opportunities.c.review_status,
           opportunities.c.last_modified_ms)
    .where(opportunities.c.review_status.in_([bindparam("submitted"), bindparam("in_review")]))
    .order_by(opportunities.c.last_modified_ms))


def _key(owner: str, catalog: str, opportunity_id: str) -> dict:
    return {"key_catalog": catalog, "key_id": opportunity_id, "key_account": owner}


def indexed_columns(opportunity: dict) -> dict:
    """The columns written from the document (bench/workload.py seeds rows with them too)."""
    life_cycle = opportunity.get("LifeCycle") or {}
    account = (opportunity.get("Customer") or {}).get("Account") or {}
    return {
        "stage": life_cycle.get("Stage"),
        "review_status": life_cycle.get("ReviewStatus"),
        "company_name": account.get("CompanyName"),
        "target_close_date": life_cycle.get("TargetCloseDate"),
        "document": json_text.compact(opportunity),
    }


@repository("opportunities")
class OpportunityRepository:
    """An opportunity belongs to its owner's account; every lookup names the owner."""

    def __init__(self, tx):
        self._db = tx.db

    def insert(self, owner: str, opportunity: dict, created: dt.datetime, last_modified: dt.datetime) -> None:
        self._db.execute(_INSERT, {
            "catalog": opportunity["Catalog"],
            "id": opportunity["Id"],
            "number": int(opportunity["Id"][1:]),
            "account_id": owner,
            "created_ms": to_ms(created),
            "last_modified_ms": to_ms(last_modified),
            **indexed_columns(opportunity),
        })

    def replace(self, owner: str, opportunity: dict, expected_last_modified: dt.datetime,
                last_modified: dt.datetime) -> bool:
        """Stores the new version if the stored one still has `expected_last_modified`; False if not."""
        cursor = self._db.execute(_REPLACE, {
            **_key(owner, opportunity["Catalog"], opportunity["Id"]),
            "expected_ms": to_ms(expected_last_modified),
            "last_modified_ms": to_ms(last_modified),
            **indexed_columns(opportunity),
        })
        return cursor.rowcount == 1

    def transfer(self, owner: str, new_owner: str, opportunity: dict, stored: dict, last_modified: dt.datetime) -> bool:
        """Gives the opportunity to `new_owner` as its new version, if the stored one is still `stored`."""
        cursor = self._db.execute(_TRANSFER, {
            **_key(owner, opportunity["Catalog"], opportunity["Id"]),
            "expected_ms": to_ms(parse_stored(stored["LastModifiedDate"])),
            "account_id": new_owner,
            "last_modified_ms": to_ms(last_modified),
            **indexed_columns(opportunity),
        })
        return cursor.rowcount == 1

    def get(self, owner: str, catalog: str, opportunity_id: str) -> dict | None:
        document = self._db.value(_GET, _key(owner, catalog, opportunity_id))
        return None if document is None else json_text.loads(document)

    def exists(self, owner: str, catalog: str, opportunity_id: str) -> bool:
        return self._db.value(_EXISTS, _key(owner, catalog, opportunity_id)) is not None

    def lock(self, owner: str, catalog: str, opportunity_id: str) -> bool:
        """exists, and no other transaction writes the row (or waits to) until this one ends."""
        return self._db.value(_LOCK, _key(owner, catalog, opportunity_id)) is not None

    def awaiting_review(self) -> list[tuple]:
        """(account_id, catalog, id, review_status, last modified) of every Submitted or In review
        opportunity, the least recently changed first."""
        return [(*row[:4], from_ms(row[4])) for row in
                self._db.tuples(_AWAITING_REVIEW, {"submitted": "Submitted", "in_review": "In review"})]


_c = opportunities.c
OPPORTUNITY_LIST = ListDeclaration(
    operation="ListOpportunities",
    table=opportunities,
    owner=_c.account_id,
    catalog=_c.catalog,
    tie_breaker=_c.number,
    sorts={"LastModifiedDate": _c.last_modified_ms, "Identifier": _c.number, "CustomerCompanyName": _c.company_name,
           "CreatedDate": _c.created_ms, "TargetCloseDate": _c.target_close_date},
    default_sort="LastModifiedDate",  # model: "Default: LastModifiedDate"
    columns=(_c.document,),
    item=lambda row: json_text.loads(row[0]),
    filters=(
        # the key is (catalog, id): account_id stays outside the lookup, or SQLite would use its indexes
        OneOf("Identifier", _c.id, by_key=True),
        OneOf("LifeCycleStage", _c.stage),
        OneOf("LifeCycleReviewStatus", _c.review_status),
        # CustomerCompanyName: exact, case-sensitive equality (the real matching is undocumented, reference
        # §5.3 and §11); SQLite's default BINARY collation and PostgreSQL both compare exactly.
        OneOf("CustomerCompanyName", _c.company_name),
        Between("LastModifiedDate", "AfterLastModifiedDate", "BeforeLastModifiedDate", _c.last_modified_ms),
        Between("CreatedDate", "AfterCreatedDate", "BeforeCreatedDate", _c.created_ms),
        # YYYY-MM-DD strings order as the dates do.
        Between("TargetCloseDate", "AfterTargetCloseDate", "BeforeTargetCloseDate", _c.target_close_date, millis=False),
    ),
)
