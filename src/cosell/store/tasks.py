"""StartEngagementFromOpportunityTask results."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import insert

from cosell.store.schema import engagement_tasks, to_ms


class TaskQueries:
    def insert_engagement_task(self, account_id: str, catalog: str, task: dict, start: dt.datetime) -> None:
        self._db.execute(insert(engagement_tasks).values(
            account_id=account_id, catalog=catalog, id=task["TaskId"], opportunity_id=task["OpportunityId"],
            start_ms=to_ms(start), status=task["TaskStatus"], document=json.dumps(task, default=str)))
