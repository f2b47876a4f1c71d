"""The engagement tasks, of three kinds (StartEngagementFromOpportunityTask,
StartEngagementByAcceptingInvitationTask, StartOpportunityFromEngagementTask): `tx.engagement_tasks`, and
the declarations of their three lists. A task is its caller's ("tasks initiated by the caller's account",
model)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Column, Index, String, Table, Text, false, insert, or_

from cosell import json_text
from cosell.domain.identifiers import (
    ENGAGEMENT_BY_ACCEPTING_INVITATION_TASK,
    ENGAGEMENT_FROM_OPPORTUNITY_TASK,
    OPPORTUNITY_FROM_ENGAGEMENT_TASK,
    identified,
)
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
    Column("kind", String(48), nullable=False),  # the task ARN's resource type (domain/identifiers.py)
    Column("opportunity_id", String(24)),  # none when the task failed before it had one
    Column("start_ms", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("document", Text, nullable=False),  # the task summary as the list operation shows it, JSON
)
Index("engagement_tasks_by_kind_and_start", engagement_tasks.c.account_id, engagement_tasks.c.catalog,
      engagement_tasks.c.kind, engagement_tasks.c.start_ms, engagement_tasks.c.id)

_INSERT = Query(insert(engagement_tasks))


@repository("engagement_tasks")
class EngagementTaskRepository:
    def __init__(self, tx):
        self._db = tx.db

    def insert(self, account_id: str, catalog: str, kind: str, task: dict, start: dt.datetime) -> None:
        self._db.execute(_INSERT, {"account_id": account_id, "catalog": catalog, "id": task["TaskId"], "kind": kind,
                                   "opportunity_id": task.get("OpportunityId"), "start_ms": to_ms(start),
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


def _named(member: str, resource: str | None):
    """A filter's values as ids: an ARN names its last part when it is an ARN of `resource` in the
    request's catalog; () when none of them names one there (then nothing matches)."""
    def read(request) -> tuple | None:
        named = request.get(member)
        if not named:
            return None
        if resource is None:
            return tuple(sorted(set(named)))
        return tuple(sorted({identified(identifier, request["Catalog"], resource) for identifier in named} - {None}))
    return read


def _document_member_in(document_member_name: str):
    def build(conditions: Conditions, value: tuple, query: QueryContext) -> None:
        member = document_member(_c.document, document_member_name, query)
        conditions.add(f"{document_member_name} in", list(value), lambda binds: member.in_(binds) if binds else false())
    return build


def _task_list(operation: str, kind: str, *filters) -> ListDeclaration:
    return ListDeclaration(
        operation=operation,
        table=engagement_tasks,
        owner=_c.account_id,
        catalog=_c.catalog,
        tie_breaker=_c.id,
        sorts={"StartTime": _c.start_ms},
        default_sort="StartTime",
        # The model gives these lists' MaxResults (1–1000) no default; cosell uses the other lists' 20.
        columns=(_c.document,),
        item=lambda row: json_text.loads(row[0]),
        filters=(
            OneOf("TaskStatus", _c.status),
            Custom("TaskIdentifier", _task_identifiers, _tasks_named,
                   keys=lambda value: (_c.id, sorted({*value[0], *(arn.rsplit("/", 1)[-1] for arn in value[1])}))),
            OneOf("OpportunityIdentifier", _c.opportunity_id),
            *filters,
        ),
        key_columns=(_c.account_id, _c.catalog),  # the key is (account_id, catalog, id)
        fixed=((_c.kind, kind),),
    )


ENGAGEMENT_FROM_OPPORTUNITY_TASK_LIST = _task_list(
    "ListEngagementFromOpportunityTasks", ENGAGEMENT_FROM_OPPORTUNITY_TASK,
    Custom("EngagementIdentifier", _named("EngagementIdentifier", "engagement"), _document_member_in("EngagementId")))
ENGAGEMENT_BY_ACCEPTING_INVITATION_TASK_LIST = _task_list(
    "ListEngagementByAcceptingInvitationTasks", ENGAGEMENT_BY_ACCEPTING_INVITATION_TASK,
    Custom("EngagementInvitationIdentifier", _named("EngagementInvitationIdentifier", "engagement-invitation"),
           _document_member_in("EngagementInvitationId")))
OPPORTUNITY_FROM_ENGAGEMENT_TASK_LIST = _task_list(
    "ListOpportunityFromEngagementTasks", OPPORTUNITY_FROM_ENGAGEMENT_TASK,
    Custom("EngagementIdentifier", _named("EngagementIdentifier", "engagement"), _document_member_in("EngagementId")),
    Custom("ContextIdentifier", _named("ContextIdentifier", None), _document_member_in("ContextId")))
