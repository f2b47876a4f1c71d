"""The partner's solution catalog: `tx.solutions`, and ListSolutions' declaration."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Index, String, Table, bindparam, insert, select

from cosell.store.execution import Query
from cosell.store.metadata import metadata, sortable
from cosell.store.pager import ListDeclaration, NoneMatch, OneOf
from cosell.store.transaction import repository
from cosell.timestamps import from_ms, to_ms

solutions = Table(
    "solutions",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("catalog", String(16), primary_key=True),
    Column("id", String(24), primary_key=True),
    Column("number", BigInteger, nullable=False),
    Column("name", sortable(255), nullable=False),
    Column("status", sortable(16), nullable=False),
    Column("category", sortable(255), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)
Index("solutions_by_number", solutions.c.account_id, solutions.c.catalog, solutions.c.number)
Index("solutions_by_name", solutions.c.account_id, solutions.c.catalog, solutions.c.name, solutions.c.number)
Index("solutions_by_status", solutions.c.account_id, solutions.c.catalog, solutions.c.status, solutions.c.number)
Index("solutions_by_category", solutions.c.account_id, solutions.c.catalog, solutions.c.category,
      solutions.c.number)
Index("solutions_by_created", solutions.c.account_id, solutions.c.catalog, solutions.c.created_ms,
      solutions.c.number)

_INSERT = Query(insert(solutions))
_GET = Query(select(solutions.c.id, solutions.c.name, solutions.c.status, solutions.c.category,
                    solutions.c.created_ms).where(
    solutions.c.account_id == bindparam("account_id"), solutions.c.catalog == bindparam("catalog"),
    solutions.c.id == bindparam("id")))


@repository("solutions")
class SolutionRepository:
    def __init__(self, tx):
        self._db = tx.db

    def insert(self, account_id: str, catalog: str, solution_id: str, name: str, status: str, category: str,
               created: dt.datetime, if_absent: bool = False) -> None:
        """`if_absent`: a solution the key names already (another process made it meanwhile) stays as it is."""
        params = {"account_id": account_id, "catalog": catalog, "id": solution_id, "number": int(solution_id[2:]),
                  "name": name, "status": status, "category": category, "created_ms": to_ms(created)}
        if if_absent:
            self._db.insert_if_absent(_INSERT, params)
        else:
            self._db.execute(_INSERT, params)

    def get(self, account_id: str, catalog: str, solution_id: str) -> dict | None:
        row = self._db.first(_GET, {"account_id": account_id, "catalog": catalog, "id": solution_id})
        if row is None:
            return None
        return {"Id": row.id, "Name": row.name, "Status": row.status, "Category": row.category,
                "CreatedDate": from_ms(row.created_ms)}


_c = solutions.c
SOLUTION_LIST = ListDeclaration(
    operation="ListSolutions",
    table=solutions,
    owner=_c.account_id,
    catalog=_c.catalog,
    tie_breaker=_c.number,
    sorts={"Identifier": _c.number, "Name": _c.name, "Status": _c.status, "Category": _c.category,
           "CreatedDate": _c.created_ms},
    default_sort="Identifier",  # reference §5.4
    columns=(_c.catalog, _c.id, _c.name, _c.status, _c.category, _c.created_ms),
    item=lambda row: {"Catalog": row[0], "Id": row[1], "Arn": None, "Name": row[2], "Status": row[3],
                      "Category": row[4], "CreatedDate": from_ms(row[5])},
    filters=(
        OneOf("Status", _c.status),
        OneOf("Identifier", _c.id, by_key=True),
        OneOf("Category", _c.category),
        NoneMatch("AwsMarketplaceSolutionArn"),  # no stored solution has an AWS Marketplace ARN
    ),
    key_columns=(_c.account_id, _c.catalog),  # the key is (account_id, catalog, id)
)
