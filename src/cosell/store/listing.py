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
import secrets
from dataclasses import dataclass
from typing import Callable, NamedTuple

from sqlalchemy import Column, ColumnElement, Table, bindparam, cast, false, func, or_, select, tuple_
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.util import ClauseAdapter

from cosell import json_text
from cosell.store.execution import Query
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

_GET_PAGINATION_KEY = Query(select(pagination_keys.c.secret).where(pagination_keys.c.name == bindparam("name")))
_PUT_PAGINATION_KEY = Query(pagination_keys.insert())


class Listed(NamedTuple):
    item: dict  # what the list shows for the row
    position: tuple  # (sort value, tie-breaker): where the next page starts after this row


@dataclass(frozen=True)
class _Run:
    """One index range read in order: its conditions and its ORDER BY."""

    conditions: tuple
    order_by: tuple


def _runs(sort, tie_breaker, nullable: bool, descending: bool, after: tuple | None) -> list[_Run]:
    """The index ranges that, read one after the other, give the rows strictly after `after` (whose
    values are the bindparams `after_sort` and `after_tie`)."""

    def directed(column):
        return column.desc() if descending else column.asc()

    def beyond(columns, names):
        values = [bindparam(name) for name in names]
        left, right = (tuple_(*columns), tuple_(*values)) if len(columns) > 1 else (columns[0], values[0])
        return left < right if descending else left > right

    if sort.name == tie_breaker.name:  # Identifier: the sort key is its own tie-breaker
        return [_Run((beyond([tie_breaker], ["after_tie"]),) if after else (), (directed(tie_breaker),))]
    resume_in_nulls = after is not None and after[0] is None
    value_conditions = (sort.is_not(None),) if nullable else ()
    if after is not None and not resume_in_nulls:
        value_conditions += (beyond([sort, tie_breaker], ["after_sort", "after_tie"]),)
    values = _Run(value_conditions, (directed(sort), directed(tie_breaker)))
    if not nullable:
        return [values]
    null_conditions = (sort.is_(None),) + ((beyond([tie_breaker], ["after_tie"]),) if resume_in_nulls else ())
    nulls = _Run(null_conditions, (directed(tie_breaker),))
    runs = [values, nulls] if descending else [nulls, values]
    if after is not None:
        runs = runs[runs.index(nulls if resume_in_nulls else values):]
    return runs


def _ms_at_or_after(moment: dt.datetime) -> int:
    """The first whole millisecond not before `moment` (stored times are whole milliseconds)."""
    return -((EPOCH - moment) // dt.timedelta(milliseconds=1))


class _Filters:
    """A list query's conditions as a shape (which conditions, how many values each) and the values
    to bind: queries of the same shape share one compiled statement, whatever their values."""

    def __init__(self, prefix: str):
        self._prefix = prefix  # keeps the bindparam names of two _Filters of one query apart
        self.shape: list[tuple] = []
        self.values: dict = {}

    def add(self, label: str, values: list, build: Callable[[list], ColumnElement]) -> "_Filters":
        """A condition named `label` on `values`: build(bindparams of those values) makes it."""
        names = [f"{self._prefix}{len(self.shape)}_{i}" for i in range(len(values))]
        self.values.update(zip(names, values))
        self.shape.append((label, names, build))
        return self

    def equal(self, column: Column, value) -> "_Filters":
        return self.add(f"{column.name} =", [value], lambda binds: column == binds[0])

    def one_of(self, column: Column, values) -> "_Filters":
        """`column IN values` when the filter is given; an empty or absent filter does not filter."""
        return self.add(f"{column.name} in", list(values), column.in_) if values else self

    def at_least(self, column: Column, value) -> "_Filters":
        return self if value is None else self.add(f"{column.name} >=", [value], lambda binds: column >= binds[0])

    def below(self, column: Column, value) -> "_Filters":
        return self if value is None else self.add(f"{column.name} <", [value], lambda binds: column < binds[0])

    def time_range(self, column: Column, after: dt.datetime | None, before: dt.datetime | None) -> "_Filters":
        # "After" is inclusive (model: "on or after"); "Before" is exclusive.
        return (self.at_least(column, None if after is None else _ms_at_or_after(after))
                .below(column, None if before is None else _ms_at_or_after(before)))

    def key(self) -> tuple:
        return tuple((label, len(names)) for label, names, _build in self.shape)

    def conditions(self) -> list:
        return [build([bindparam(name) for name in names]) for _label, names, build in self.shape]


# Compiled statements per query shape; bounded, as callers choose the shapes.
_PAGE_STATEMENTS: dict[tuple, list[Query]] = {}
_MAX_SHAPES = 512


class ListQueries:
    def _page(self, table: Table, selected: list, filters: _Filters, sort: Column, tie_breaker: Column,
              descending: bool, after: tuple | None, limit: int, identified_by: _Filters | None = None) -> list:
        """Up to `limit` rows matching `filters`, strictly after `after`, as (*selected, sort value,
        tie-breaker) tuples.

        `identified_by`: primary-key conditions that name at most 20 rows (an Identifier filter). Those
        rows are looked up first, alone in a materialized CTE, and only they are sorted: left to choose,
        SQLite (without statistics) would rather walk a whole sort index than look 20 keys up."""
        after_kind = None if after is None else ("null" if after[0] is None else "value")
        shape = (self._db.dialect.name, table.name, tuple(column.name for column in selected), filters.key(),
                 identified_by.key() if identified_by else None, sort.name, tie_breaker.name, descending, after_kind)
        statements = _PAGE_STATEMENTS.get(shape)
        if statements is None:
            statements = self._page_statements(table, selected, filters, sort, tie_breaker, descending, after,
                                               identified_by)
            if len(_PAGE_STATEMENTS) >= _MAX_SHAPES:
                _PAGE_STATEMENTS.clear()
            _PAGE_STATEMENTS[shape] = statements
        values = {**filters.values, **(identified_by.values if identified_by else {})}
        if after is not None:
            values["after_sort"], values["after_tie"] = after
        rows: list = []
        for statement in statements:
            if len(rows) >= limit:
                break
            values["limit"] = limit - len(rows)
            rows.extend(self._db.tuples(statement, values))
        return rows

    def _page_statements(self, table: Table, selected: list, filters: _Filters, sort: Column, tie_breaker: Column,
                         descending: bool, after: tuple | None, identified_by: _Filters | None) -> list[Query]:
        source = table
        conditions = filters.conditions()
        if identified_by:
            source = select(table).where(*identified_by.conditions()).cte("identified")
            dialect = self._db.dialect
            if dialect.name != "sqlite" or dialect.server_version_info >= (3, 35):
                source = source.prefix_with("MATERIALIZED")  # kept apart from the outer ORDER BY
            conditions = [ClauseAdapter(source).traverse(condition) for condition in conditions]
        columns = [source.c[column.name] for column in selected]
        sort_value, tie_value = source.c[sort.name], source.c[tie_breaker.name]
        return [Query(select(*columns, sort_value.label("sort_value"), tie_value.label("tie_breaker"))
                      .where(*conditions, *run.conditions).order_by(*run.order_by).limit(bindparam("limit")))
                for run in _runs(sort_value, tie_value, sort.nullable, descending, after)]

    def _document_member(self, column: Column, member: str):
        """A top-level string member of a JSON text column, as SQL."""
        if self._db.dialect.name == "postgresql":
            return cast(column, postgresql.JSONB)[member].astext
        return func.json_extract(column, f"$.{member}")

    def pagination_key(self) -> bytes | None:
        """The key that signs this database's NextTokens, or None before the first list call."""
        secret = self._db.value(_GET_PAGINATION_KEY, {"name": PAGE_TOKEN_KEY})
        return None if secret is None else bytes.fromhex(secret)

    def ensure_pagination_key(self) -> bytes:
        """The signing key, generated and stored on first use (a concurrent first use keeps one key)."""
        key = self.pagination_key()
        if key is not None:
            return key
        self._db.insert_if_absent(_PUT_PAGINATION_KEY, {"name": PAGE_TOKEN_KEY, "secret": secrets.token_hex(32)})
        return self.pagination_key()

    def list_opportunities(self, account_id: str, catalog: str, *, sort_by: str, descending: bool,
                           after: tuple | None, limit: int, identifiers=(), stages=(), review_statuses=(),
                           company_names=(), last_modified_after=None, last_modified_before=None,
                           created_after=None, created_before=None, target_close_after=None,
                           target_close_before=None) -> list[Listed]:
        table = opportunities.c
        filters = (_Filters("f").equal(table.account_id, account_id).equal(table.catalog, catalog)
                   .one_of(table.id, identifiers).one_of(table.stage, stages)
                   .one_of(table.review_status, review_statuses)
                   # CustomerCompanyName: exact, case-sensitive equality (the real matching is undocumented,
                   # reference §5.3 and §11); SQLite's default BINARY collation and PostgreSQL both compare exactly.
                   .one_of(table.company_name, company_names)
                   .time_range(table.last_modified_ms, last_modified_after, last_modified_before)
                   .time_range(table.created_ms, created_after, created_before)
                   # YYYY-MM-DD strings order as the dates do; After inclusive, Before exclusive, as for times.
                   .at_least(table.target_close_date, target_close_after)
                   .below(table.target_close_date, target_close_before))
        # the key is (catalog, id): account_id stays outside, or SQLite would use its indexes
        identified_by = _Filters("k").equal(table.catalog, catalog).one_of(table.id, identifiers) if identifiers else None
        rows = self._page(opportunities, [table.document], filters, OPPORTUNITY_SORT_COLUMNS[sort_by], table.number,
                          descending, after, limit, identified_by)
        loads = json_text.loads
        return [Listed(loads(document), (sort_value, tie_breaker)) for document, sort_value, tie_breaker in rows]

    def list_solutions(self, account_id: str, catalog: str, *, sort_by: str, descending: bool,
                       after: tuple | None, limit: int, statuses=(), identifiers=(), categories=(),
                       aws_marketplace_solution_arns=()) -> list[Listed]:
        table = solutions.c
        filters = (_Filters("f").equal(table.account_id, account_id).equal(table.catalog, catalog)
                   .one_of(table.status, statuses).one_of(table.id, identifiers).one_of(table.category, categories))
        if aws_marketplace_solution_arns:
            filters.add("no marketplace solutions", [], lambda _binds: false())  # no stored solution has an AWS Marketplace ARN
        identified_by = (_Filters("k").equal(table.account_id, account_id).equal(table.catalog, catalog)
                         .one_of(table.id, identifiers)) if identifiers else None
        rows = self._page(solutions, [table.id, table.name, table.status, table.category, table.created_ms],
                          filters, SOLUTION_SORT_COLUMNS[sort_by], table.number, descending, after, limit,
                          identified_by)
        return [Listed({"Catalog": catalog, "Id": solution_id, "Arn": None, "Name": name, "Status": status,
                        "Category": category, "CreatedDate": from_ms(created_ms)}, (sort_value, tie_breaker))
                for solution_id, name, status, category, created_ms, sort_value, tie_breaker in rows]

    def list_engagement_tasks(self, account_id: str, catalog: str, *, sort_by: str, descending: bool,
                              after: tuple | None, limit: int, statuses=(), task_ids=(), task_arns=(),
                              opportunity_ids=(), engagement_ids=(), engagement_filter: bool = False) -> list[Listed]:
        """A task ARN matches the TaskArn stored in the task; its last part is the task id, which finds it
        by key. `engagement_filter` says an EngagementIdentifier filter was given, even when none of its
        identifiers can name an engagement of this catalog (then nothing matches)."""
        table = engagement_tasks.c
        filters = (_Filters("f").equal(table.account_id, account_id).equal(table.catalog, catalog)
                   .one_of(table.status, statuses).one_of(table.opportunity_id, opportunity_ids))
        identified_by = None
        if task_ids or task_arns:
            named_ids = sorted({*task_ids, *(arn.rsplit("/", 1)[-1] for arn in task_arns)})
            identified_by = (_Filters("k").equal(table.account_id, account_id).equal(table.catalog, catalog)
                             .one_of(table.id, named_ids))
            if task_arns:
                task_arn = self._document_member(table.document, "TaskArn")
                ids = len(task_ids)  # the shape's label counts them: the values hold ids, then arns
                filters.add(f"id in {ids} task ids or TaskArn in task arns", [*task_ids, *task_arns],
                            lambda binds: or_(table.id.in_(binds[:ids]) if ids else false(), task_arn.in_(binds[ids:])))
        if engagement_filter:
            engagement_id = self._document_member(table.document, "EngagementId")
            filters.add("EngagementId in", list(engagement_ids),
                        lambda binds: engagement_id.in_(binds) if binds else false())
        rows = self._page(engagement_tasks, [table.document], filters, TASK_SORT_COLUMNS[sort_by], table.id,
                          descending, after, limit, identified_by=identified_by)
        return [Listed(json_text.loads(document), (sort_value, tie_breaker)) for document, sort_value, tie_breaker in rows]
