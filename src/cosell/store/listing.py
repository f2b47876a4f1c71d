"""List queries (ListOpportunities, ListSolutions, ListEngagementFromOpportunityTasks): keyset pages
served from indexes.

A page is read in (sort column, tie-breaker) order, ascending or descending, starting strictly after a
position (the last row of the previous page) and limited in SQL, so each query walks one index of
schema.py and costs the page size, not the table size (filters outside the index only add the rows
they skip). An Identifier filter instead looks its few rows up by primary key and sorts only those.
Nothing here knows about tokens; positions are plain (sort value, tie-breaker) tuples.

NULL sort values (CustomerCompanyName, TargetCloseDate can be absent) sort before every value: first
when ascending, last when descending. They are read as a run of their own (`IS NULL`, ordered by the
tie-breaker), so each run is one index range, with no OR and no NULLS FIRST/LAST that PostgreSQL and
SQLite would order differently.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import Column, Table, cast, false, func, insert, or_, select, tuple_
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.util import ClauseAdapter

from cosell.store.schema import EPOCH, engagement_tasks, from_ms, opportunities, pagination_keys, solutions

PAGE_TOKEN_KEY = "next-token-hmac"

OPPORTUNITY_SORT_COLUMNS = {
    "LastModifiedDate": opportunities.c.last_modified_ms,
    "Identifier": opportunities.c.number,
    "CustomerCompanyName": opportunities.c.company_name,
    "CreatedDate": opportunities.c.created_ms,
    "TargetCloseDate": opportunities.c.target_close_date,
}
SOLUTION_SORT_COLUMNS = {
    "Identifier": solutions.c.number,
    "Name": solutions.c.name,
    "Status": solutions.c.status,
    "Category": solutions.c.category,
    "CreatedDate": solutions.c.created_ms,
}
TASK_SORT_COLUMNS = {"StartTime": engagement_tasks.c.start_ms}


class Listed(NamedTuple):
    item: dict  # what the list shows for the row
    position: tuple  # (sort value, tie-breaker): where the next page starts after this row


@dataclass(frozen=True)
class _Run:
    """One index range read in order: its conditions and its ORDER BY."""

    conditions: tuple
    order_by: tuple


def _runs(sort, tie_breaker, nullable: bool, descending: bool, after: tuple | None) -> list[_Run]:
    """The index ranges that, read one after the other, give the rows strictly after `after`."""

    def directed(column):
        return column.desc() if descending else column.asc()

    def beyond(columns, values):
        left, right = (tuple_(*columns), tuple_(*values)) if len(columns) > 1 else (columns[0], values[0])
        return left < right if descending else left > right

    if sort.name == tie_breaker.name:  # Identifier: the sort key is its own tie-breaker
        return [_Run((beyond([tie_breaker], [after[1]]),) if after else (), (directed(tie_breaker),))]
    resume_in_nulls = after is not None and after[0] is None
    value_conditions = (sort.is_not(None),) if nullable else ()
    if after is not None and not resume_in_nulls:
        value_conditions += (beyond([sort, tie_breaker], after),)
    values = _Run(value_conditions, (directed(sort), directed(tie_breaker)))
    if not nullable:
        return [values]
    null_conditions = (sort.is_(None),) + ((beyond([tie_breaker], [after[1]]),) if resume_in_nulls else ())
    nulls = _Run(null_conditions, (directed(tie_breaker),))
    runs = [values, nulls] if descending else [nulls, values]
    if after is not None:
        runs = runs[runs.index(nulls if resume_in_nulls else values):]
    return runs


def _ms_at_or_after(moment: dt.datetime) -> int:
    """The first whole millisecond not before `moment` (stored times are whole milliseconds)."""
    return -((EPOCH - moment) // dt.timedelta(milliseconds=1))


def _time_range(column: Column, after: dt.datetime | None, before: dt.datetime | None) -> list:
    # "After" is inclusive (model: "on or after"); "Before" is exclusive.
    conditions = []
    if after is not None:
        conditions.append(column >= _ms_at_or_after(after))
    if before is not None:
        conditions.append(column < _ms_at_or_after(before))
    return conditions


def _one_of(column, values) -> list:
    """`column IN values` when the filter is given; an empty or absent filter does not filter."""
    return [column.in_(values)] if values else []


class ListQueries:
    def _page(self, table: Table, selected: list, conditions: list, sort: Column, tie_breaker: Column,
              descending: bool, after: tuple | None, limit: int, identified_by: list | None = None) -> list:
        """Up to `limit` rows matching `conditions`, strictly after `after`.

        `identified_by`: primary-key conditions that name at most 20 rows (an Identifier filter). Those
        rows are looked up first, alone in a materialized CTE, and only they are sorted: left to choose,
        SQLite (without statistics) would rather walk a whole sort index than look 20 keys up."""
        source = table
        if identified_by:
            source = select(table).where(*identified_by).cte("identified")
            if self._c.dialect.name != "sqlite" or self._c.dialect.server_version_info >= (3, 35):
                source = source.prefix_with("MATERIALIZED")  # kept apart from the outer ORDER BY
            conditions = [ClauseAdapter(source).traverse(condition) for condition in conditions]
        columns = [source.c[column.name] for column in selected]
        sort_value, tie_value = source.c[sort.name], source.c[tie_breaker.name]
        rows: list = []
        for run in _runs(sort_value, tie_value, sort.nullable, descending, after):
            if len(rows) >= limit:
                break
            statement = (select(*columns, sort_value.label("sort_value"), tie_value.label("tie_breaker"))
                         .where(*conditions, *run.conditions).order_by(*run.order_by).limit(limit - len(rows)))
            rows.extend(self._c.execute(statement))
        return rows

    def _document_member(self, column: Column, member: str):
        """A top-level string member of a JSON text column, as SQL."""
        if self._c.dialect.name == "postgresql":
            return cast(column, postgresql.JSONB)[member].astext
        return func.json_extract(column, f"$.{member}")

    def pagination_key(self) -> bytes | None:
        """The key that signs this database's NextTokens, or None before the first list call."""
        secret = self._c.execute(select(pagination_keys.c.secret)
                                 .where(pagination_keys.c.name == PAGE_TOKEN_KEY)).scalar()
        return None if secret is None else bytes.fromhex(secret)

    def ensure_pagination_key(self) -> bytes:
        """The signing key, generated and stored on first use (a concurrent first use keeps one key)."""
        key = self.pagination_key()
        if key is not None:
            return key
        try:
            with self._c.begin_nested():
                self._c.execute(insert(pagination_keys).values(name=PAGE_TOKEN_KEY, secret=secrets.token_hex(32)))
        except IntegrityError:
            pass  # another transaction stored it first
        return self.pagination_key()

    def list_opportunities(self, account_id: str, catalog: str, *, sort_by: str, descending: bool,
                           after: tuple | None, limit: int, identifiers=(), stages=(), review_statuses=(),
                           company_names=(), last_modified_after=None, last_modified_before=None,
                           created_after=None, created_before=None, target_close_after=None,
                           target_close_before=None) -> list[Listed]:
        table = opportunities.c
        conditions = [
            table.account_id == account_id, table.catalog == catalog,
            *_one_of(table.id, identifiers), *_one_of(table.stage, stages),
            *_one_of(table.review_status, review_statuses),
            # CustomerCompanyName: exact, case-sensitive equality (the real matching is undocumented,
            # reference §5.3 and §11); SQLite's default BINARY collation and PostgreSQL both compare exactly.
            *_one_of(table.company_name, company_names),
            *_time_range(table.last_modified_ms, last_modified_after, last_modified_before),
            *_time_range(table.created_ms, created_after, created_before),
        ]
        # YYYY-MM-DD strings order as the dates do; After inclusive, Before exclusive, as for times.
        if target_close_after is not None:
            conditions.append(table.target_close_date >= target_close_after)
        if target_close_before is not None:
            conditions.append(table.target_close_date < target_close_before)
        rows = self._page(opportunities, [table.document], conditions, OPPORTUNITY_SORT_COLUMNS[sort_by],
                          table.number, descending, after, limit,
                          # the key is (catalog, id): account_id stays outside, or SQLite would use its indexes
                          identified_by=[table.catalog == catalog, table.id.in_(identifiers)] if identifiers else None)
        return [Listed(json.loads(row.document), (row.sort_value, row.tie_breaker)) for row in rows]

    def list_solutions(self, account_id: str, catalog: str, *, sort_by: str, descending: bool,
                       after: tuple | None, limit: int, statuses=(), identifiers=(), categories=(),
                       aws_marketplace_solution_arns=()) -> list[Listed]:
        table = solutions.c
        conditions = [table.account_id == account_id, table.catalog == catalog, *_one_of(table.status, statuses),
                      *_one_of(table.id, identifiers), *_one_of(table.category, categories)]
        if aws_marketplace_solution_arns:
            conditions.append(false())  # no stored solution has an AWS Marketplace ARN
        rows = self._page(solutions, [table.id, table.name, table.status, table.category, table.created_ms],
                          conditions, SOLUTION_SORT_COLUMNS[sort_by], table.number, descending, after, limit,
                          identified_by=[table.account_id == account_id, table.catalog == catalog,
                                         table.id.in_(identifiers)] if identifiers else None)
        return [Listed({"Catalog": catalog, "Id": row.id, "Arn": None, "Name": row.name, "Status": row.status,
                        "Category": row.category, "CreatedDate": from_ms(row.created_ms)},
                       (row.sort_value, row.tie_breaker)) for row in rows]

    def list_engagement_tasks(self, account_id: str, catalog: str, *, sort_by: str, descending: bool,
                              after: tuple | None, limit: int, statuses=(), task_ids=(), task_arns=(),
                              opportunity_ids=(), engagement_ids=(), engagement_filter: bool = False) -> list[Listed]:
        """A task ARN matches the TaskArn stored in the task; its last part is the task id, which finds it
        by key. `engagement_filter` says an EngagementIdentifier filter was given, even when none of its
        identifiers can name an engagement of this catalog (then nothing matches)."""
        table = engagement_tasks.c
        conditions = [table.account_id == account_id, table.catalog == catalog, *_one_of(table.status, statuses),
                      *_one_of(table.opportunity_id, opportunity_ids)]
        identified_by = None
        if task_ids or task_arns:
            named_ids = sorted({*task_ids, *(arn.rsplit("/", 1)[-1] for arn in task_arns)})
            identified_by = [table.account_id == account_id, table.catalog == catalog, table.id.in_(named_ids)]
            if task_arns:
                conditions.append(or_(table.id.in_(task_ids),
                                      self._document_member(table.document, "TaskArn").in_(task_arns)))
        if engagement_filter:
            conditions.append(self._document_member(table.document, "EngagementId").in_(engagement_ids))
        rows = self._page(engagement_tasks, [table.document], conditions, TASK_SORT_COLUMNS[sort_by], table.id,
                          descending, after, limit, identified_by=identified_by)
        return [Listed(json.loads(row.document), (row.sort_value, row.tie_breaker)) for row in rows]
