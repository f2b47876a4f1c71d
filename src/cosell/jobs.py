"""One runner for all of cosell's delayed and background work (AWS's reviewer today; referrals, invitation
expiry, snapshot jobs and bulk jobs to come), on cosell's clock.

A job is scheduled in the transaction of the change that calls for it (`schedule(tx, ...)`), so it
exists exactly when that change does. It is kept in the database (store/jobs.py) until it has run,
so it survives restarts. It runs in the write transaction that deletes it: its work and its removal
commit together, so it runs once even with several server processes, and a crash before the commit
leaves it due. A job whose handler raises is tried again later (the delay doubles), and after
MAX_ATTEMPTS is kept as failed, with its error, for a person to look at.

Handlers are declared beside the code they belong to (`@job_handler("aws.review")`) and take
`(tx, job: Job)`; they must do all their writes through `tx`. In the server a thread runs what is
due (JobRunner.start); in tests, `run_due()` after advancing the clock runs it deterministically.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cosell.clock import Clock

log = logging.getLogger("cosell.jobs")

MAX_ATTEMPTS = 5
FIRST_RETRY = dt.timedelta(seconds=1)
POLL_SECONDS = 0.25  # how often the runner looks for work another process scheduled, at most


@dataclass(frozen=True)
class Job:
    """What a handler gets: its payload, when it was due, and cosell's time as it runs."""

    id: int
    kind: str
    payload: dict
    due: dt.datetime
    now: dt.datetime
    settings: Any


Handler = Callable[[Any, Job], None]
_HANDLERS: dict[str, Handler] = {}


def job_handler(kind: str) -> Callable[[Handler], Handler]:
    """Decorator: the function runs the jobs of `kind`."""

    def register(handler: Handler) -> Handler:
        if kind in _HANDLERS:
            raise ValueError(f"jobs of kind {kind} already have a handler")
        _HANDLERS[kind] = handler
        return handler

    return register


def schedule(tx, kind: str, due: dt.datetime, payload: dict, now: dt.datetime, *, key: str | None = None) -> bool:
    """Schedules a job in the caller's transaction. With a `key`, at most one pending job has it: a second
    schedule is ignored (False)."""
    if kind not in _HANDLERS:
        raise ValueError(f"no handler runs jobs of kind {kind}")
    return tx.jobs.add(kind, due, payload, key, now)


class JobRunner:
    def __init__(self, store, clock: Clock, settings: Any):
        self.store, self.clock, self.settings = store, clock, settings
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        clock.on_change(self._wake.set)

    def run_due(self, limit: int = 100) -> int:
        """Runs every job due by cosell's clock now (a batch of `limit` at a time); how many ran."""
        ran = 0
        while True:
            now = self.clock.now()
            with self.store.read() as tx:
                due = tx.jobs.due(now, limit)
            for job_id, kind, payload, attempts, due_at in due:
                ran += self._run(Job(job_id, kind, payload, due_at, now, self.settings), attempts)
            if len(due) < limit:
                return ran

    def _run(self, job: Job, attempts: int) -> int:
        handler = _HANDLERS.get(job.kind)
        try:
            with self.store.write() as tx:
                if not tx.jobs.take(job.id):
                    return 0  # another process ran it
                if handler is None:
                    raise LookupError(f"no handler runs jobs of kind {job.kind}")
                handler(tx, job)
            return 1
        except Exception as error:  # the transaction was rolled back: the job is still there
            give_up = attempts + 1 >= MAX_ATTEMPTS
            log.log(logging.ERROR if give_up else logging.WARNING, "job %s (%s) failed%s: %s", job.id, job.kind,
                    "; giving up" if give_up else "; it will be tried again", error)
            with self.store.write() as tx:
                tx.jobs.retry(job.id, attempts + 1, job.now + FIRST_RETRY * 2 ** attempts,
                              "".join(traceback.format_exception_only(error)).strip(), give_up)
            return 0

    def wake(self) -> None:
        """Look for due work now (a job was scheduled, the clock moved)."""
        self._wake.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="cosell-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.run_due()
                with self.store.read() as tx:
                    next_due = tx.jobs.next_due()
            except Exception:
                log.exception("the job runner failed; trying again")
                next_due = None
            wait = POLL_SECONDS
            if next_due is not None:
                wait = max(0.0, min(wait, (next_due - self.clock.now()).total_seconds()))
            self._wake.wait(wait)
            self._wake.clear()
