"""SQLAlchemy Core statements run straight on a DBAPI connection, each compiled once per dialect.

SQLAlchemy builds the SQL and compiles it for the database in use (so SQLite and PostgreSQL each get
their own); executing skips its Connection and Result machinery and goes to the driver's cursor. That
machinery cost more than the statement itself on a GetOpportunity. A `Query` is a statement built once
(at import) and compiled once per dialect; any other statement is compiled where it is run.

Columns here are strings, integers, floats and booleans, which sqlite3 and psycopg bind and return as
they are, so there is no type processing. SQLite returns a boolean column as 0 or 1: wrap it in bool().
PostgreSQL text cannot hold NUL, which a request's JSON can: there, a NUL in a value is bound as
U+FFFD (JSON documents are unaffected: json.dumps writes NUL as \\u0000).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from typing import Any, NamedTuple, cast

from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler


class Compiled(NamedTuple):
    sql: str
    positions: tuple[str, ...] | None  # parameter names in order, for drivers that bind by position
    fixed: dict[str, Any]  # values the statement carries itself (literals, LIMIT's OFFSET 0, ...)
    row: Any  # the named tuple class that rows come back as


_ROW_TYPES: dict[tuple[str, ...], type] = {}


def _row_type(statement: ClauseElement) -> type:
    columns = getattr(statement, "selected_columns", None)
    if columns is None:
        columns = getattr(statement, "exported_columns", ())  # an INSERT/UPDATE ... RETURNING
    keys = tuple(columns.keys()) if columns else ()
    row = _ROW_TYPES.get(keys)
    if row is None:
        row = _ROW_TYPES[keys] = namedtuple("Row", keys, rename=True)
    return row


def compile_statement(statement: ClauseElement, dialect: Dialect, *, with_values: bool = False) -> Compiled:
    """`with_values`: the statement holds all its values (IN lists of literals are expanded then);
    otherwise its parameters are bindparams given at each execution."""
    compiled = cast(SQLCompiler, statement.compile(
        dialect=dialect, compile_kwargs={"render_postcompile": True} if with_values else {}))
    if with_values:
        fixed = dict(compiled.construct_params())
    else:
        fixed = {name: bind.value for name, bind in compiled.binds.items()
                 if not bind.required and bind.callable is None}
    positions = tuple(compiled.positiontup or ()) if compiled.positional else None
    return Compiled(compiled.string, positions, fixed, _row_type(statement))


class Query:
    """A statement built once, compiled the first time it runs on each dialect. Its parameters are
    bindparams, given by name when it runs."""

    __slots__ = ("statement", "_compiled")

    def __init__(self, statement: ClauseElement):
        self.statement = statement
        self._compiled: dict[str, Compiled] = {}

    def compiled(self, dialect: Dialect) -> Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = compile_statement(self.statement, dialect)
        return compiled


def _arguments(compiled: Compiled, params: dict | None):
    if not compiled.fixed:
        values = params or {}
    else:
        values = {**compiled.fixed, **params} if params else compiled.fixed
    if compiled.positions is None:
        return values
    return [values[name] for name in compiled.positions]


NUL_STAND_IN = "\ufffd"  # bound in place of NUL where text cannot hold it (PostgreSQL)


def _without_nul(value):
    return value.replace("\x00", NUL_STAND_IN) if type(value) is str else value


def _arguments_without_nul(compiled: Compiled, params: dict | None):
    arguments = _arguments(compiled, params)
    values = arguments.values() if isinstance(arguments, dict) else arguments
    if not any(type(value) is str and "\x00" in value for value in values):
        return arguments
    if isinstance(arguments, dict):
        return {name: _without_nul(value) for name, value in arguments.items()}
    return [_without_nul(value) for value in arguments]


_savepoint_numbers = count(1)


class Database:
    """One DBAPI connection, inside a transaction that its owner begins and ends."""

    __slots__ = ("connection", "dialect", "integrity_error", "_arguments")

    def __init__(self, connection, dialect: Dialect):
        self.connection = connection
        self.dialect = dialect
        self.integrity_error = dialect.loaded_dbapi.IntegrityError
        self._arguments = _arguments_without_nul if dialect.name == "postgresql" else _arguments

    def _compiled(self, statement) -> Compiled:
        if type(statement) is Query:
            return statement.compiled(self.dialect)
        return compile_statement(statement, self.dialect, with_values=True)

    def _run(self, statement: Query | ClauseElement, params: dict | None) -> tuple[Compiled, Any]:
        compiled = self._compiled(statement)
        cursor = self.connection.cursor()
        cursor.execute(compiled.sql, self._arguments(compiled, params))
        return compiled, cursor

    def execute(self, statement: Query | ClauseElement, params: dict | None = None):
        """Runs the statement; the driver's cursor, for its rowcount."""
        return self._run(statement, params)[1]

    def execute_many(self, statement: Query | ClauseElement, rows: list[dict]) -> None:
        compiled = self._compiled(statement)
        self.connection.cursor().executemany(compiled.sql, [self._arguments(compiled, row) for row in rows])

    def all(self, statement: Query | ClauseElement, params: dict | None = None) -> list:
        """Every row, as named tuples."""
        compiled, cursor = self._run(statement, params)
        make = compiled.row._make
        return [make(row) for row in cursor.fetchall()]

    def tuples(self, statement: Query | ClauseElement, params: dict | None = None) -> list[tuple]:
        """Every row, as plain tuples (the cheapest form, for the hot paths)."""
        return self._run(statement, params)[1].fetchall()

    def first(self, statement: Query | ClauseElement, params: dict | None = None):
        """The first row as a named tuple, or None."""
        compiled, cursor = self._run(statement, params)
        row = cursor.fetchone()
        cursor.close()  # ends the statement (an UPDATE ... RETURNING has done its work by its first row)
        return None if row is None else compiled.row._make(row)

    def value(self, statement: Query | ClauseElement, params: dict | None = None):
        """The first column of the first row, or None when there is no row."""
        cursor = self._run(statement, params)[1]
        row = cursor.fetchone()
        cursor.close()
        return None if row is None else row[0]

    def insert_if_absent(self, statement: Query | ClauseElement, params: dict | None = None) -> bool:
        """Runs an INSERT in a savepoint; False (and nothing written) when its key is already taken."""
        try:
            with self.savepoint():
                self.execute(statement, params)
        except self.integrity_error:
            return False
        return True

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Undoes the block's statements, and only them, when it raises."""
        name = f"sp{next(_savepoint_numbers)}"
        cursor = self.connection.cursor()
        cursor.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            cursor.execute(f"ROLLBACK TO SAVEPOINT {name}")
            cursor.execute(f"RELEASE SAVEPOINT {name}")
            raise
        cursor.execute(f"RELEASE SAVEPOINT {name}")
