"""StartEngagementFromOpportunityTask's tasks: `tx.engagement_tasks`, and
ListEngagementFromOpportunityTasks' declaration."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Index, String, Table, Text, false, insert, or_

from cosell import json_text
from cosell.store.execution import Query
from cosell.store.metadata import metadata, sortable
from cosell.store.pager import Conditions, Custom, ListDeclaration, OneOf, QueryContext, document_member
from cosell.store.transaction import repository
from cosell.timestamps import to_ms

engagement_tasks = Table(
    "engagement_tasks",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("catalog", String(16), primary_key=True),
    Column("id", sortable(32), primary_key=True),  # the tie-breaker of task lists
    Column("opportunity_id", String(24), nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("document", Text, nullable=False),  # the task summary as the list operation shows it, JSON
)
Index("engagement_tasks_by_start", engagement_tasks.c.account_id, engagement_tasks.c.catalog,
      engagement_tasks.c.start_ms)
Index("engagement_tasks_by_start_and_id", engagement_tasks.c.account_id, engagement_tasks.c.catalog,
      engagement_tasks.c.start_ms, engagement_tasks.c.id)

_INSERT = Query(insert(engagement_tasks))


@repository("engagement_tasks")
class EngagementTaskRepository:
    def __init__(self, tx):
        self._db = tx.db

    def insert(self, account_id: str, catalog: str, task: dict, start: dt.datetime) -> None:
        self._db.execute(_INSERT, {"account_id": account_id, "catalog": catalog, "id": task["TaskId"],
                                   "opportunity_id": task["OpportunityId"], "start_ms": to_ms(start),
                                   "status": task["TaskStatus"], "document": json_text.compact(task)})


_c = engagement_tasks.c


def _task_identifiers(request) -> tuple | None:
    """TaskIdentifier: task ids and task ARNs, apart: (ids, arns)."""
    named = sorted(set(request.get("TaskIdentifier") or ()))
    if not named:
        return None
    return (tuple(i for i in named if not i.startswith("arn:")), tuple(i for i in named if i.startswith("arn:")))


def _tasks_named(conditions: Conditions, value: tuple, query: QueryContext) -> None:
    """A task id names the task with that id; a task ARN, the task whose TaskArn it is."""
    ids, task_arns = value
    if not task_arns:
        conditions.add("id in", list(ids), _c.id.in_)
        return
    task_arn = document_member(_c.document, "TaskArn", query)
    count = len(ids)  # the shape's label counts them: the values hold ids, then arns
    conditions.add(f"id in {count} task ids or TaskArn in task arns", [*ids, *task_arns],
                   lambda binds: or_(_c.id.in_(binds[:count]) if count else false(), task_arn.in_(binds[count:])))


def _engagement_id(identifier: str, catalog: str) -> str | None:
    """The engagement id an EngagementIdentifier names: the id itself, or the last part of an ARN
    `arn:aws:partnercentral:<region>::catalog/<Catalog>/engagement/<id>` of this catalog (else None)."""
    if not identifier.startswith("arn:"):
        return identifier
    resource = identifier.split(":", 5)[-1].split("/")
    if len(resource) == 4 and resource[:3] == ["catalog", catalog, "engagement"]:
        return resource[3]
    return None


def _engagement_ids(request) -> tuple | None:
    """EngagementIdentifier: the engagement ids it names in the request's catalog; () when it names none
    there (then nothing matches)."""
    named = request.get("EngagementIdentifier")
    if not named:
        return None
    return tuple(sorted({_engagement_id(identifier, request["Catalog"]) for identifier in named} - {None}))


def _of_engagements(conditions: Conditions, value: tuple, query: QueryContext) -> None:
    engagement_id = document_member(_c.document, "EngagementId", query)
    conditions.add("EngagementId in", list(value), lambda binds: engagement_id.in_(binds) if binds else false())


ENGAGEMENT_FROM_OPPORTUNITY_TASK_LIST = ListDeclaration(
    operation="ListEngagementFromOpportunityTasks",
    table=engagement_tasks,
    owner=_c.account_id,
    catalog=_c.catalog,
    tie_breaker=_c.id,
    sorts={"StartTime": _c.start_ms},
    default_sort="StartTime",
    # The model gives MaxResults (1–1000) no default; cosell uses the other lists' 20.
    columns=(_c.document,),
    item=lambda row: json_text.loads(row[0]),
    filters=(
        OneOf("TaskStatus", _c.status),
        Custom("TaskIdentifier", _task_identifiers, _tasks_named,
               keys=lambda value: (_c.id, sorted({*value[0], *(arn.rsplit("/", 1)[-1] for arn in value[1])}))),
        OneOf("OpportunityIdentifier", _c.opportunity_id),
        Custom("EngagementIdentifier", _engagement_ids, _of_engagements),
    ),
    key_columns=(_c.account_id, _c.catalog),  # the key is (account_id, catalog, id)
)
