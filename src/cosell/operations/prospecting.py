"""StartProspectingFromEngagementTask, GetProspectingFromEngagementTask, ListProspectingFromEngagementTasks
(engagements.md §0.10, §1.30–1.32), and AWS's side of the work, on cosell's clock.

"The task runs asynchronously" (model): Start answers PENDING; half the prospecting delay later
(`--prospecting-delay`, default 30 s) the task and its engagements are IN_PROGRESS; at the delay each
engagement is done: COMPLETED with a new ProspectingResult context (an Engagement Updated event to its
members), or FAILED with a ReasonCode and Message ("Each engagement is processed independently", AWS's
lead guide). The result's EngagementContextId is a `ctx-` id, as the model's pattern has it; the engagement
lists the context under the next small decimal id, as its other contexts (the model's
EngagementContextIdentifier, (?s).{1,3}, which UpdateEngagementContext takes), and the context names its
task (Aws.TaskId). No sample of either exists (engagements.md §8-4). The steps are jobs (cosell/jobs.py),
so they survive a restart and follow the virtual clock.

Errors, as the model lists them: an engagement that is not the caller's (not a member) is not found;
one that an unfinished task of the caller is already prospecting is a ConflictException (cosell's
reading of the model's Conflict). Duplicate identifiers are prospected once.
"""

from __future__ import annotations

import datetime as dt

from cosell.domain import engagement as rules
from cosell.domain import prospecting
from cosell.domain.identifiers import PROSPECTING_TASK, prospecting_context_id, prospecting_task_id, task_arn
from cosell.jobs import Job, job_handler, schedule
from cosell.operations import access, engagement_records, event_outbox
from cosell.operations.context import Context, Response, UntypedRequest
from cosell.operations.engagements import ENGAGEMENT
from cosell.operations.idempotency import answer_once
from cosell.operations.paging import list_page
from cosell.operations.registry import operation
from cosell.protocol.errors import ConflictError, NotFoundError
from cosell.store.prospecting import PROSPECTING_TASK_LIST
from cosell.timestamps import parse_stored

START_TASK = "StartProspectingFromEngagementTask"
PROSPECTING_STEP = "aws.prospecting"
_ANSWER_MEMBERS = ("Identifiers", "TaskName", "Message", "ReasonCode", "StartTime", "TaskId", "TaskArn", "TaskStatus")


def _step(tx, settings, account_id: str, catalog: str, task: dict, step: str, start: dt.datetime,
          now: dt.datetime) -> None:
    delay = dt.timedelta(seconds=settings.prospecting_delay_seconds)
    due = start + (delay / 2 if step == "start" else delay)
    schedule(tx, PROSPECTING_STEP, max(due, now), {"Account": account_id, "Catalog": catalog, "TaskId": task["TaskId"],
                                                   "Step": step}, now,
             key=f"{PROSPECTING_STEP}/{account_id}/{catalog}/{task['TaskId']}")


@operation(START_TASK)
def start_prospecting_from_engagement_task(ctx: Context, request: UntypedRequest) -> Response:
    catalog = request["Catalog"]
    identifiers = list(request["Identifiers"])
    wanted = list(dict.fromkeys(identifiers))

    def start(tx, remember) -> Response:
        for identifier in wanted:
            access.visible(tx, ctx, ENGAGEMENT, catalog, identifier)
        busy = {result["EngagementIdentifier"]: task["TaskId"]
                for task in tx.prospecting_tasks.unfinished(ctx.account_id, catalog)
                for result in task["Engagements"]}
        taken = [identifier for identifier in wanted if identifier in busy]
        if taken:
            raise ConflictError(f"Engagement {taken[0]} is already being prospected by task {busy[taken[0]]}; "
                                "wait until it ends.")
        task_id = prospecting_task_id()
        task = prospecting.new_task(task_id=task_id, task_arn=task_arn(catalog, task_id, PROSPECTING_TASK),
                                    name=request["TaskName"], identifiers=identifiers, engagement_ids=wanted,
                                    now=ctx.now)
        answer = {member: task[member] for member in _ANSWER_MEMBERS if member in task}
        remember(answer)
        tx.prospecting_tasks.insert(ctx.account_id, catalog, task, ctx.now)
        _step(tx, ctx.settings, ctx.account_id, catalog, task, "start", ctx.now, ctx.now)
        return answer

    return answer_once(ctx, START_TASK, request, start)


@job_handler(PROSPECTING_STEP)
def prospecting_step(tx, job: Job) -> None:
    """AWS at work on a task: it starts (IN_PROGRESS), then prospects each engagement."""
    account_id, catalog = job.payload["Account"], job.payload["Catalog"]
    task = tx.prospecting_tasks.get(account_id, catalog, job.payload["TaskId"])
    if task is None or task["TaskStatus"] not in prospecting.UNFINISHED:
        return
    start = parse_stored(task["StartTime"])
    if job.payload["Step"] == "start":
        tx.prospecting_tasks.replace(account_id, catalog, prospecting.in_progress(task))
        _step(tx, job.settings, account_id, catalog, task, "finish", start, job.now)
        return
    results = [_prospect(tx, account_id, catalog, task, result, job.now) for result in task["Engagements"]]
    tx.prospecting_tasks.replace(account_id, catalog, prospecting.finished(task, results, job.now))


def _prospect(tx, account_id: str, catalog: str, task: dict, result: dict, now: dt.datetime) -> dict:
    """One engagement prospected: its ProspectingResult context added, or why not."""
    engagement_id = result["EngagementIdentifier"]
    mark = tx.prospecting_marks.of(catalog, engagement_id)
    if mark is not None:
        return prospecting.failed(result, mark)
    stored = access.find(tx, account_id, ENGAGEMENT, catalog, engagement_id, lock=True)
    if stored is None:
        return prospecting.failed(result, prospecting.NOT_FOUND)
    refusal = prospecting.refusal(stored)
    if refusal is not None:
        return prospecting.failed(result, refusal)
    context = {"Id": rules.next_context_id(stored), "Type": prospecting.PROSPECTING_RESULT,
               "Payload": {prospecting.PROSPECTING_RESULT: prospecting.prospecting_result(stored, task, now)}}
    engagement = engagement_records.changed(tx, catalog, stored, {**stored, "Contexts": [*stored["Contexts"], context]},
                                            account_id, now)
    event_outbox.engagement_updated(tx, catalog, engagement, now)
    return prospecting.completed(result, prospecting_context_id())


def _task(tx, ctx: Context, catalog: str, identifier: str) -> dict:
    task = tx.prospecting_tasks.get(ctx.account_id, catalog, identifier)
    if task is None:
        raise NotFoundError(f"Prospecting task {identifier} was not found in catalog {catalog}.")
    return task


@operation("GetProspectingFromEngagementTask")
def get_prospecting_from_engagement_task(ctx: Context, request: UntypedRequest) -> Response:
    with ctx.store.read() as tx:
        task = _task(tx, ctx, request["Catalog"], request["TaskIdentifier"])
    return {"TaskId": task["TaskId"], "TaskArn": task["TaskArn"], "TaskName": task["TaskName"],
            "StartTime": task["StartTime"], "EndTime": task.get("EndTime"), "Engagements": task["Engagements"]}


@operation("ListProspectingFromEngagementTasks")
def list_prospecting_from_engagement_tasks(ctx: Context, request: UntypedRequest) -> Response:
    summaries, next_token = list_page(ctx, PROSPECTING_TASK_LIST, request)
    return {"TaskSummaries": summaries, "NextToken": next_token}
