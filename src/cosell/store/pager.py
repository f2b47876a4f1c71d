"""List operations as declarations, served by one keyset pager.

A list is declared beside its table (store/opportunities.py, store/solutions.py ...): which table, which
columns scope it to the caller (owner and catalog), which request members filter it and how, what it
sorts by, and what an item looks like. `ListDeclaration.query(request)` turns a request into a `ListQuery`
(the normalized filters, which NextTokens are bound to); `tx.pager.page(query, scope, after, limit)`
reads one page. A new list is a declaration, not a query function.

A page is read in (sort column, tie-breaker) order, ascending or descending, starting strictly after a
position (the last row of the previous page) and limited in SQL, so each query walks one index and
costs the page size, not the table size (filters outside the index only add the rows they skip). A
filter on the table's key (an Identifier filter) instead looks its few rows up by key and sorts only
those. Positions are plain (sort value, tie-breaker) tuples; tokens are the operations' business
(domain/pagination.py).

NULL sort values (CustomerCompanyName, TargetCloseDate can be absent) sort before every value: first
when ascending, last when descending. They are read as a run of their own (`IS NULL`, ordered by the
tie-breaker), so each run is one index range, with no OR and no NULLS FIRST/LAST that PostgreSQL and
SQLite would order differently.

Statements are compiled once per query shape (which filters, how many values each, which sort), not per
call.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import Column, ColumnElement, FromClause, bindparam, cast, false, func, select, tuple_
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.util import ClauseAdapter

from cosell.store.execution import Query
from cosell.store.transaction import repository
from cosell.timestamps import ms_at_or_after


class Listed(NamedTuple):
    item: dict  # what the list shows for the row
    position: tuple  # (sort value, tie-breaker): where the next page starts after this row


# --- Filters: one request member each ----------------------------------------------------------------

@dataclass(frozen=True)
class QueryContext:
    """What a filter may need besides its value when it builds SQL: the database, and cosell's time (an
    invitation's PENDING status ends at its expiration, whether or not the sweeper has run)."""

    dialect_name: str
    now: dt.datetime | None


class Filter(ABC):
    """Reads its request member; `normalized` is what NextTokens are bound to (None: not filtering);
    `conditions` adds its SQL to a query."""

    member: str

    @abstractmethod
    def normalized(self, request: Mapping[str, Any]) -> Any: ...

    @abstractmethod
    def conditions(self, conditions: Conditions, value: Any, query: QueryContext) -> None: ...

    def key_lookup(self, value: Any) -> tuple[Column, list] | None:
        """(key column, values) when the filter names its rows by the table's key: they are looked up
        first (at most a few: the model bounds such lists)."""
        return None


def _values(request: Mapping[str, Any], member: str) -> tuple | None:
    """A list filter, normalized (order and repeats do not change its meaning); None when absent or empty."""
    values = request.get(member)
    return tuple(sorted(set(values))) if values else None


@dataclass(frozen=True)
class OneOf(Filter):
    """`column IN (the member's values)`. `by_key`: the column with the scope's columns is the table's key."""

    member: str
    column: Column
    by_key: bool = False

    def normalized(self, request):
        return _values(request, self.member)

    def conditions(self, conditions, value, query):
        conditions.add(f"{self.column.name} in", list(value), self.column.in_)

    def key_lookup(self, value):
        return (self.column, list(value)) if self.by_key else None


@dataclass(frozen=True)
class Equal(Filter):
    """`column = the member's value`, for a member that is one value rather than a list."""

    member: str
    column: Column

    def normalized(self, request):
        return request.get(self.member)

    def conditions(self, conditions, value, query):
        column = self.column
        conditions.add(f"{column.name} =", [value], lambda binds: column == binds[0])


@dataclass(frozen=True)
class Between(Filter):
    """A {After…, Before…} member: After inclusive (model: "on or after"), Before exclusive. `millis`: the
    column holds epoch milliseconds and the bounds are timestamps; otherwise the bounds compare as
    they are (YYYY-MM-DD dates order as their text does)."""

    member: str
    after: str
    before: str
    column: Column
    millis: bool = True

    def normalized(self, request):
        bounds = request.get(self.member) or {}
        after, before = bounds.get(self.after), bounds.get(self.before)
        return None if after is None and before is None else (after, before)

    def conditions(self, conditions, value, query):
        after, before = value
        if self.millis:
            after = None if after is None else ms_at_or_after(after)
            before = None if before is None else ms_at_or_after(before)
        column = self.column
        if after is not None:
            conditions.add(f"{column.name} >=", [after], lambda binds: column >= binds[0])
        if before is not None:
            conditions.add(f"{column.name} <", [before], lambda binds: column < binds[0])


@dataclass(frozen=True)
class NoneMatch(Filter):
    """A filter on something no stored row has (ListSolutions' AwsMarketplaceSolutionArn): given, it
    matches nothing."""

    member: str

    def normalized(self, request):
        return _values(request, self.member)

    def conditions(self, conditions, value, query):
        conditions.add(f"no {self.member}", [], lambda _binds: false())


@dataclass(frozen=True)
class Custom(Filter):
    """A filter whose reading and SQL are the list's own: `read(request)` normalizes the member (None when
    not filtering), `build(conditions, value, query)` adds its conditions, `keys(value)` names
    its rows by key when it can."""

    member: str
    read: Callable[[Mapping[str, Any]], Any]
    build: Callable[[Conditions, Any, QueryContext], None]
    keys: Callable[[Any], tuple[Column, list] | None] | None = None

    def normalized(self, request):
        return self.read(request)

    def conditions(self, conditions, value, query):
        self.build(conditions, value, query)

    def key_lookup(self, value):
        return self.keys(value) if self.keys else None


def document_member(column: Column, member: str, query: QueryContext) -> ColumnElement:
    """A top-level string member of a JSON text column, as SQL."""
    if query.dialect_name == "postgresql":
        return cast(column, postgresql.JSONB)[member].astext
    return func.json_extract(column, f"$.{member}")


# --- Declarations and queries ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ListDeclaration:
    """One list operation's query, declared once beside its table."""

    operation: str  # the operation's name: NextTokens are bound to it
    table: FromClause  # a table, or a join (then no filter may look rows up by key)
    owner: Column  # the caller's account
    catalog: Column
    tie_breaker: Column  # unique within (owner, catalog), sortable: the numeric id, or the id
    sorts: Mapping[str, Column]  # Sort.SortBy value → column
    default_sort: str
    columns: Sequence[ColumnElement]  # what a row selects
    item: Callable[[tuple], dict]  # the list's item, from the selected columns
    filters: Sequence[Filter] = ()
    default_page_size: int = 20
    key_columns: Sequence[Column] = field(default=())  # scope columns of the key, when not (owner, catalog)
    fixed: Sequence[tuple[Column, Any]] = ()  # conditions every query of the list has: (column, value)

    def query(self, request: Mapping[str, Any]) -> ListQuery:
        """The request's filters and sort, normalized (every list defaults to DESCENDING: model "Default:
        Descending")."""
        sort = request.get("Sort") or {}
        values = tuple((f, value) for f in self.filters if (value := f.normalized(request)) is not None)
        return ListQuery(self, sort.get("SortBy", self.default_sort), sort.get("SortOrder", "DESCENDING") == "DESCENDING",
                         values)


@dataclass(frozen=True)
class ListQuery:
    declaration: ListDeclaration
    sort_by: str
    descending: bool
    filters: tuple[tuple[Filter, Any], ...]

    def fingerprint(self) -> dict:
        """Everything that selects and orders the rows, for binding NextTokens to it (not the page size)."""
        return {"sort_by": self.sort_by, "descending": self.descending,
                **{f.member: _jsonable(value) for f, value in self.filters}}


def _jsonable(value):
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [_jsonable(item) for item in value]
    return value


class Conditions:
    """A query's conditions as a shape (which conditions, how many values each) and the values to
    bind: queries of the same shape share one compiled statement, whatever their values."""

    def __init__(self, prefix: str):
        self._prefix = prefix  # keeps the bindparam names of two Conditions of one query apart
        self.shape: list[tuple] = []
        self.values: dict = {}

    def add(self, label: str, values: list, build: Callable[[list], ColumnElement]) -> Conditions:
        """A condition named `label` on `values`: build(bindparams of those values) makes it."""
        names = [f"{self._prefix}{len(self.shape)}_{i}" for i in range(len(values))]
        self.values.update(zip(names, values, strict=True))
        self.shape.append((label, names, build))
        return self

    def equal(self, column: Column, value) -> Conditions:
        return self.add(f"{column.name} =", [value], lambda binds: column == binds[0])

    def key(self) -> tuple:
        return tuple((label, len(names)) for label, names, _build in self.shape)

    def built(self) -> list:
        return [build([bindparam(name) for name in names]) for _label, names, build in self.shape]


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


# Compiled statements per query shape; bounded, as callers choose the shapes.
_PAGE_STATEMENTS: dict[tuple, list[Query]] = {}
_MAX_SHAPES = 512


@repository("pager")
class Pager:
    """`tx.pager`: reads the pages of declared lists."""

    def __init__(self, tx):
        self._db = tx.db

    def page(self, query: ListQuery, owner: str, catalog: str, after: tuple | None, limit: int,
             now: dt.datetime | None = None) -> list[Listed]:
        """Up to `limit` items matching the query in the caller's (owner, catalog), strictly after `after`."""
        declaration = query.declaration
        context = QueryContext(self._db.dialect.name, now)
        filters = Conditions("f").equal(declaration.owner, owner).equal(declaration.catalog, catalog)
        for column, value in declaration.fixed:
            filters.equal(column, value)
        identified_by = None
        for filter_, value in query.filters:
            filter_.conditions(filters, value, context)
            named = filter_.key_lookup(value)
            if named is not None:
                # The key names the rows: its scope columns (catalog; the account only when it is part of
                # the key, else SQLite would rather use the account's indexes) and the named ids.
                key_column, ids = named
                identified_by = Conditions("k")
                for column in declaration.key_columns or (declaration.catalog,):
                    identified_by.equal(column, owner if column is declaration.owner else catalog)
                identified_by.add(f"{key_column.name} in", ids, key_column.in_)
        sort = declaration.sorts[query.sort_by]
        rows = self._rows(declaration, filters, sort, query.descending, after, limit, identified_by)
        item = declaration.item
        return [Listed(item(row), (row[-2], row[-1])) for row in rows]

    def _rows(self, declaration: ListDeclaration, filters: Conditions, sort: Column, descending: bool,
              after: tuple | None, limit: int, identified_by: Conditions | None) -> list:
        """Up to `limit` rows as (*columns, sort value, tie-breaker) tuples.

        `identified_by`: key conditions that name at most a few rows (an Identifier filter). Those rows
        are looked up first, alone in a materialized CTE, and only they are sorted: left to choose,
        SQLite (without statistics) would rather walk a whole sort index than look 20 keys up."""
        after_kind = None if after is None else ("null" if after[0] is None else "value")
        shape = (self._db.dialect.name, declaration.operation, filters.key(),
                 identified_by.key() if identified_by else None, sort.name, descending, after_kind)
        statements = _PAGE_STATEMENTS.get(shape)
        if statements is None:
            statements = self._statements(declaration, filters, sort, descending, after, identified_by)
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

    def _statements(self, declaration: ListDeclaration, filters: Conditions, sort: Column, descending: bool,
                    after: tuple | None, identified_by: Conditions | None) -> list[Query]:
        conditions = filters.built()
        columns: list = list(declaration.columns)
        sort_value: Any = sort
        tie_value: Any = declaration.tie_breaker
        if identified_by:  # a single table: its named rows, looked up by key first
            source = select(declaration.table).where(*identified_by.built()).cte("identified")
            dialect = self._db.dialect
            if dialect.name != "sqlite" or dialect.server_version_info >= (3, 35):
                source = source.prefix_with("MATERIALIZED")  # kept apart from the outer ORDER BY
            conditions = [ClauseAdapter(source).traverse(condition) for condition in conditions]
            columns = [source.c[column.name] for column in declaration.columns]
            sort_value, tie_value = source.c[sort.name], source.c[declaration.tie_breaker.name]
        return [Query(select(*columns, sort_value.label("sort_value"), tie_value.label("tie_breaker"))
                      .select_from(declaration.table if not identified_by else source)
                      .where(*conditions, *run.conditions).order_by(*run.order_by).limit(bindparam("limit")))
                for run in _runs(sort_value, tie_value, bool(sort.nullable), descending, after)]
