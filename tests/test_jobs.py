"""The job runner: delayed work on cosell's clock, kept in the database, run once, retried, and the
clock itself (shared by every process on a database; signatures stay on the wall clock)."""

from __future__ import annotations

import datetime as dt
import threading

import boto3
import pytest
from botocore.config import Config
from sqlalchemy import select

from conftest import database_url
from cosell.clock import Clock
from cosell.control.accounts import create_account
from cosell.gateway import Gateway
from cosell.jobs import MAX_ATTEMPTS, Job, JobRunner, job_handler, schedule
from cosell.mock import attach
from cosell.settings import Settings
from cosell.store import Store
from cosell.store.counters import FIRST_NUMBER, id_counters
from opportunity_requests import minimal

pytestmark = pytest.mark.backend

T0 = dt.datetime(2027, 1, 1, 9, 0, tzinfo=dt.UTC)
SECOND = dt.timedelta(seconds=1)
FAILURES: dict[str, int] = {}  # how many more times the "test.flaky" job of a name fails


@job_handler("test.count")
def _count(tx, job: Job) -> None:
    """Leaves a mark in the database: counter `ran/<name>` is FIRST_NUMBER after one run, more after two."""
    tx.counters.next(f"ran/{job.payload['Name']}")


@job_handler("test.flaky")
def _flaky(tx, job: Job) -> None:
    tx.counters.next(f"tried/{job.payload['Name']}")  # undone with the failure: never seen
    if FAILURES.get(job.payload["Name"], 0) > 0:
        FAILURES[job.payload["Name"]] -= 1
        raise RuntimeError("the partner's endpoint is down")
    tx.counters.next(f"ran/{job.payload['Name']}")


def runs(store, name: str) -> int:
    """How many times the job called `name` has run (its counter's count)."""
    with store.read() as tx:
        last = tx.db.value(select(id_counters.c.last_value).where(id_counters.c.name == f"ran/{name}"))
    return 0 if last is None else last - FIRST_NUMBER + 1


@pytest.fixture
def frozen(tmp_path):
    """(store, clock, runner) on a clock frozen at T0."""
    store = Store(database_url(tmp_path))
    clock = Clock(store, reread_seconds=0)
    clock.set(T0, frozen=True)
    runner = JobRunner(store, clock, Settings(data_dir=tmp_path))
    yield store, clock, runner
    store.close()


def add(store, clock, kind: str, name: str, after: dt.timedelta, key: str | None = None) -> bool:
    with store.write() as tx:
        return schedule(tx, kind, clock.now() + after, {"Name": name}, clock.now(), key=key)


def test_a_job_runs_when_the_clock_reaches_it_and_only_then(frozen):
    store, clock, runner = frozen
    add(store, clock, "test.count", "ten-seconds", 10 * SECOND)
    assert runner.run_due() == 0
    clock.advance(9 * SECOND)
    assert runner.run_due() == 0 and runs(store, "ten-seconds") == 0
    clock.advance(SECOND)
    assert runner.run_due() == 1 and runs(store, "ten-seconds") == 1
    assert runner.run_due() == 0 and runs(store, "ten-seconds") == 1  # gone once run
    with store.read() as tx:
        assert tx.jobs.list() == []


def test_a_key_allows_one_pending_job(frozen):
    store, clock, runner = frozen
    assert add(store, clock, "test.count", "keyed", SECOND, key="review/O1")
    assert not add(store, clock, "test.count", "keyed", 5 * SECOND, key="review/O1")
    clock.advance(SECOND)
    runner.run_due()
    assert runs(store, "keyed") == 1
    assert add(store, clock, "test.count", "keyed", SECOND, key="review/O1")  # the key is free again


def test_jobs_survive_a_restart(tmp_path):
    store = Store(database_url(tmp_path))
    clock = Clock(store, reread_seconds=0)
    clock.set(T0, frozen=True)
    add(store, clock, "test.count", "after-restart", 60 * SECOND)
    store.close()  # the process ends with the job pending

    store = Store(database_url(tmp_path))
    try:
        clock = Clock(store, reread_seconds=0)
        assert clock.now() == T0  # the clock's setting survived too
        clock.advance(60 * SECOND)
        assert JobRunner(store, clock, Settings(data_dir=tmp_path)).run_due() == 1
        assert runs(store, "after-restart") == 1
    finally:
        store.close()


def test_several_processes_run_each_job_once(tmp_path):
    """Two stores on one database stand for two `cosell serve` processes: their runners race for the
    same 40 due jobs, and each job's work is done exactly once."""
    first, second = Store(database_url(tmp_path)), Store(database_url(tmp_path))
    try:
        clocks = [Clock(first, reread_seconds=0), Clock(second, reread_seconds=0)]
        clocks[0].set(T0, frozen=True)
        names = [f"race-{n}" for n in range(40)]
        for name in names:
            add(first, clocks[0], "test.count", name, SECOND)
        clocks[0].advance(SECOND)
        runners = [JobRunner(store, clock, Settings(data_dir=tmp_path))
                   for store, clock in zip([first, second], clocks, strict=True)]
        ran = [0, 0]

        def run(index: int) -> None:
            ran[index] = runners[index].run_due(limit=5)

        threads = [threading.Thread(target=run, args=(index,)) for index in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sum(ran) == 40
        assert [runs(first, name) for name in names] == [1] * 40
    finally:
        first.close()
        second.close()


def test_a_failing_job_is_retried_with_backoff_then_kept_as_failed(frozen):
    store, clock, runner = frozen
    FAILURES["twice"] = 2
    add(store, clock, "test.flaky", "twice", SECOND)
    clock.advance(SECOND)
    assert runner.run_due() == 0  # failed: nothing it wrote is kept, the job is still there
    with store.read() as tx:
        [job] = tx.jobs.list()
    assert (job["State"], job["Attempts"]) == ("pending", 1)
    assert "the partner's endpoint is down" in job["LastError"]
    assert job["Due"] == clock.now() + SECOND  # the first retry, one second later
    clock.advance(SECOND)
    assert runner.run_due() == 0
    with store.read() as tx:
        assert tx.jobs.list()[0]["Due"] == clock.now() + 2 * SECOND  # the delay doubles
    clock.advance(2 * SECOND)
    assert runner.run_due() == 1
    assert runs(store, "twice") == 1

    FAILURES["always"] = MAX_ATTEMPTS + 10
    add(store, clock, "test.flaky", "always", SECOND)
    for _ in range(MAX_ATTEMPTS):
        clock.advance(dt.timedelta(minutes=5))
        runner.run_due()
    with store.read() as tx:
        [failed] = tx.jobs.list()
    assert (failed["State"], failed["Attempts"]) == ("failed", MAX_ATTEMPTS)
    clock.advance(dt.timedelta(days=1))
    assert runner.run_due() == 0  # a failed job waits for a person, not for the clock
    assert runs(store, "always") == 0


def test_the_clock_is_shared_by_processes_and_writes_follow_it(tmp_path):
    """Every date an operation writes is on cosell's clock; one process's change reaches the others;
    signatures stay on the wall clock (a request signed now verifies while the clock is a year ahead)."""
    first, second = Store(database_url(tmp_path)), Store(database_url(tmp_path))
    try:
        key = create_account(first, "Clocked Partner", ("Sandbox",), False, T0)
        clock = Clock(first)
        gateway = Gateway(Settings(data_dir=tmp_path, auth="strict"), first, clock)
        client = boto3.client("partnercentral-selling", config=Config(retries={"total_max_attempts": 1}),
                              region_name="us-east-1", aws_access_key_id=key.access_key_id,
                              aws_secret_access_key=key.secret_access_key)
        attach(client, gateway)

        clock.set(T0, frozen=True)
        created = client.create_opportunity(**minimal())
        got = client.get_opportunity(Catalog="Sandbox", Identifier=created["Id"])
        assert got["CreatedDate"] == T0 and got["LastModifiedDate"] == T0

        clock.advance(dt.timedelta(days=15))
        other = Clock(second, reread_seconds=0)  # another process on the same database
        assert other.now() == T0 + dt.timedelta(days=15)
        request = {key: value for key, value in got.items() if key in ("Catalog", "LifeCycle", "Customer")}
        updated = client.update_opportunity(**request, Identifier=created["Id"], LastModifiedDate=got["LastModifiedDate"])
        assert updated["LastModifiedDate"] == T0 + dt.timedelta(days=15)

        state = other.state()
        assert state["Frozen"] is True and state["Now"] == T0 + dt.timedelta(days=15)
        other.reset()
        assert abs((Clock(first, reread_seconds=0).now() - dt.datetime.now(dt.UTC)).total_seconds()) < 60
    finally:
        first.close()
        second.close()
