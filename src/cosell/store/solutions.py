"""The partner's solution catalog (what ListSolutions shows and AssociateOpportunity links)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert, select

from cosell.store.schema import from_ms, solutions, to_ms


def _solution(row) -> dict:
    return {"Id": row.id, "Name": row.name, "Status": row.status, "Category": row.category,
            "CreatedDate": from_ms(row.created_ms)}


class SolutionQueries:
    def insert_solution(self, account_id: str, catalog: str, solution_id: str, name: str, status: str,
                        category: str, created: dt.datetime) -> None:
        self._db.execute(insert(solutions).values(
            account_id=account_id, catalog=catalog, id=solution_id, number=int(solution_id[2:]), name=name,
            status=status, category=category, created_ms=to_ms(created)))

    def get_solution(self, account_id: str, catalog: str, solution_id: str) -> dict | None:
        row = self._db.first(select(solutions).where(
            solutions.c.account_id == account_id, solutions.c.catalog == catalog, solutions.c.id == solution_id,
        ))
        return None if row is None else _solution(row)
