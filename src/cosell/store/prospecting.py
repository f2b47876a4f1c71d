"""Prospecting tasks (`tx.prospecting_tasks`) and the declaration of ListProspectingFromEngagementTasks;
the engagements a tester marks for prospecting to fail (`tx.prospecting_marks`). A task is its caller's
("Lists all prospecting tasks initiated by the caller's account", model)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text, bindparam, delete, insert, select, update

from cosell import json_text
from cosell.domain.prospecting import COMPLETED, FAILED, IN_PROGRESS, PENDING
from cosell.store.execution import Query
from cosell.store.metadata import metadata, sortable
from cosell.store.pager import Conditions, Custom, ListDeclaration, OneOf, QueryContext
from cosell.store.transaction import repository
from cosell.timestamps import to_ms

prospecting_tasks = Table(
    "prospecting_tasks",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("catalog", String(16), primary_key=True),
    Column("id", sortable(32), primary_key=True),
    Column("task_name", sortable(128), nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("failed_count", Integer, nullable=False),
    Column("document", Text, nullable=False),  # the task as GetProspectingFromEngagementTask shows it, and more, JSON
)
Index("prospecting_tasks_by_start", prospecting_tasks.c.account_id, prospecting_tasks.c.catalog,
      prospecting_tasks.c.start_ms, prospecting_tasks.c.id)

prospecting_marks = Table(
    "prospecting_marks",
    metadata,
    Column("catalog", String(16), primary_key=True),
    Column("engagement_id", String(32), primary_key=True),
    Column("reason_code", String(64), nullable=False),
    Column("message", Text, nullable=False),
)

_t, _m = prospecting_tasks.c, prospecting_marks.c
_KEY = (_t.account_id == bindparam("account_id"), _t.catalog == bindparam("catalog"), _t.id == bindparam("id"))
_INSERT = Query(insert(prospecting_tasks))
_GET = Query(select(_t.document).where(*_KEY))
_UPDATE = Query(update(prospecting_tasks).where(*_KEY).values(
    status=bindparam("status"), failed_count=bindparam("failed_count"), document=bindparam("document")))
_UNFINISHED = Query(select(_t.document).where(_t.account_id == bindparam("account_id"),
                                              _t.catalog == bindparam("catalog"),
                                              _t.status.in_([bindparam("pending"), bindparam("in_progress")])))
_MARK_KEY = (_m.catalog == bindparam("catalog"), _m.engagement_id == bindparam("engagement_id"))
_INSERT_MARK = Query(insert(prospecting_marks))
_DELETE_MARK = Query(delete(prospecting_marks).where(*_MARK_KEY))
_MARK = Query(select(_m.reason_code, _m.message).where(*_MARK_KEY))
_MARKS = Query(select(_m.catalog, _m.engagement_id, _m.reason_code, _m.message).order_by(_m.catalog, _m.engagement_id))


def _row(account_id: str, catalog: str, task: dict) -> dict:
    return {"account_id": account_id, "catalog": catalog, "id": task["TaskId"], "status": task["TaskStatus"],
            "failed_count": sum(1 for result in task["Engagements"] if result["Status"] == FAILED),
            "document": json_text.compact(task)}


@repository("prospecting_tasks")
class ProspectingTaskRepository:
    def __init__(self, tx):
        self._db = tx.db

    def insert(self, account_id: str, catalog: str, task: dict, start: dt.datetime) -> None:
        self._db.execute(_INSERT, {**_row(account_id, catalog, task), "task_name": task["TaskName"],
                                   "start_ms": to_ms(start)})

    def get(self, account_id: str, catalog: str, task_id: str) -> dict | None:
        document = self._db.value(_GET, {"account_id": account_id, "catalog": catalog, "id": task_id})
        return None if document is None else json_text.loads(document)

    def replace(self, account_id: str, catalog: str, task: dict) -> None:
        self._db.execute(_UPDATE, _row(account_id, catalog, task))

    def unfinished(self, account_id: str, catalog: str) -> list[dict]:
        """The account's tasks still PENDING or IN_PROGRESS."""
        return [json_text.loads(document) for (document,) in
                self._db.tuples(_UNFINISHED, {"account_id": account_id, "catalog": catalog, "pending": PENDING,
                                              "in_progress": IN_PROGRESS})]


@repository("prospecting_marks")
class ProspectingMarkRepository:
    """Engagements whose prospecting fails, as a tester asked: (ReasonCode, Message)."""

    def __init__(self, tx):
        self._db = tx.db

    def mark(self, catalog: str, engagement_id: str, reason_code: str, message: str) -> None:
        self._db.execute(_DELETE_MARK, {"catalog": catalog, "engagement_id": engagement_id})
        self._db.execute(_INSERT_MARK, {"catalog": catalog, "engagement_id": engagement_id, "reason_code": reason_code,
                                        "message": message})

    def unmark(self, catalog: str, engagement_id: str) -> bool:
        return self._db.execute(_DELETE_MARK, {"catalog": catalog, "engagement_id": engagement_id}).rowcount > 0

    def of(self, catalog: str, engagement_id: str) -> tuple[str, str] | None:
        rows = self._db.tuples(_MARK, {"catalog": catalog, "engagement_id": engagement_id})
        return (rows[0][0], rows[0][1]) if rows else None

    def all(self) -> list[dict]:
        return [{"Catalog": catalog, "EngagementId": engagement_id, "ReasonCode": reason_code, "Message": message}
                for catalog, engagement_id, reason_code, message in self._db.tuples(_MARKS)]


# --- ListProspectingFromEngagementTasks ---------------------------------------------------------------------

def _started(member: str):
    def read(request) -> int | None:
        value = request.get(member)
        return None if value is None else to_ms(value)
    return read


def _started_after(conditions: Conditions, value: int, _query: QueryContext) -> None:
    """StartAfter: "tasks ... that started after the specified timestamp" (model), strictly."""
    conditions.add("start_ms >", [value], lambda binds: _t.start_ms > binds[0])


def _started_before(conditions: Conditions, value: int, _query: QueryContext) -> None:
    conditions.add("start_ms <", [value], lambda binds: _t.start_ms < binds[0])


def _summary(row: tuple) -> dict:
    task = json_text.loads(row[0])
    results = task["Engagements"]
    return {"TaskId": task["TaskId"], "TaskArn": task["TaskArn"], "TaskName": task["TaskName"],
            "StartTime": task["StartTime"], "EndTime": task.get("EndTime"), "TotalEngagementCount": len(results),
            "CompletedEngagementCount": sum(1 for result in results if result["Status"] == COMPLETED),
            "FailedEngagementCount": sum(1 for result in results if result["Status"] == FAILED)}


PROSPECTING_TASK_LIST = ListDeclaration(
    operation="ListProspectingFromEngagementTasks",
    table=prospecting_tasks,
    owner=_t.account_id,
    catalog=_t.catalog,
    tie_breaker=_t.id,
    sorts={"StartTime": _t.start_ms, "TaskName": _t.task_name, "FailedEngagementCount": _t.failed_count},
    # "If omitted, tasks are returned in the default sort order" (model): newest first, as the other task lists.
    default_sort="StartTime",
    columns=(_t.document,),
    item=_summary,
    filters=(
        OneOf("TaskIdentifier", _t.id, by_key=True),
        OneOf("TaskName", _t.task_name),
        Custom("StartAfter", _started("StartAfter"), _started_after),
        Custom("StartBefore", _started("StartBefore"), _started_before),
    ),
)
