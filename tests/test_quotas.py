"""Per-account quotas (`cosell serve --quotas aws|FILE`) through boto3: live servers for bursts, retries,
quota files and two processes sharing one database; an in-process gateway with a fixed clock for the
exact window arithmetic.

Per-second windows are calendar seconds, so a burst can straddle a boundary. No test asserts a
duration: a burst records the wall-clock seconds it touched (the server's clock is this machine's)
and asserts no more successes than those seconds' limits allow.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from sqlalchemy import func, select

from conftest import CREDENTIALS, LiveServer, database_url, sqlite_only
from cosell.gateway import Gateway
from cosell.mock import attach
from cosell.quotas import QuotaFileError, Quotas, quota_group
from cosell.settings import Settings
from cosell.store import Store
from cosell.store.quotas import quota_minutes, quota_seconds
from opportunity_requests import minimal

BURST = 30
ARN = "arn:aws:partnercentral:us-east-1:123456789012:catalog/Sandbox/opportunity/O1"


def outcome(call) -> str:
    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"]
    return "ok"


def burst(calls) -> tuple[int, int, int]:
    """Runs the calls at once: (successes, throttles, calendar seconds the burst touched)."""
    start = time.time()
    with ThreadPoolExecutor(len(calls)) as pool:
        outcomes = list(pool.map(outcome, calls))
    seconds = int(time.time()) - int(start) + 1
    assert set(outcomes) <= {"ok", "ThrottlingException"}, outcomes
    return outcomes.count("ok"), outcomes.count("ThrottlingException"), seconds


# botocore's `max_attempts` counts retries (max_attempts=1 still retries once); this is one attempt.
NO_RETRIES = {"total_max_attempts": 1}


def pooled_client(live: LiveServer, **retries):
    return boto3.client("partnercentral-selling", endpoint_url=live.url, **CREDENTIALS,
                        config=Config(retries=retries or NO_RETRIES, max_pool_connections=BURST))


def quota_file(folder, document) -> str:
    path = folder / "quotas.json"
    path.write_text(json.dumps(document))
    return str(path)


@pytest.fixture(scope="module")
def aws_quotas(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("quotas") / "data", extra_args=("--quotas", "aws")).start()
    yield live
    live.stop()


@pytest.mark.backend
def test_a_burst_of_writes_is_throttled_after_the_first_each_second(aws_quotas):
    client = pooled_client(aws_quotas)
    created, throttled, seconds = burst([lambda: client.create_opportunity(**minimal()) for _ in range(10)])
    assert created <= seconds  # 1 write per second
    assert throttled >= 1
    with pytest.raises(client.exceptions.ThrottlingException) as raised:
        for _ in range(5):  # five writes in a row cannot all land in different seconds
            client.create_opportunity(**minimal())
    error = raised.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Message"].startswith("Rate exceeded")
    assert "1 request per second" in error["Error"]["Message"] and "write" in error["Error"]["Message"]


@pytest.mark.backend
def test_boto3_retries_carry_a_series_of_creates_through(aws_quotas):
    client = pooled_client(aws_quotas, mode="standard", max_attempts=10)
    answers = [client.create_opportunity(**minimal()) for _ in range(3)]
    numbers = [int(answer["Id"][1:]) for answer in answers]
    assert numbers == sorted(set(numbers))  # three distinct opportunities; the throttled tries made nothing
    assert sum(answer["ResponseMetadata"]["RetryAttempts"] for answer in answers) >= 1


@pytest.mark.backend
def test_reads_allow_ten_a_second(aws_quotas):
    client = pooled_client(aws_quotas)
    for _ in range(3):  # a burst spread over more than two seconds proves too little; try again
        listed, throttled, seconds = burst([lambda: client.list_solutions(Catalog="Sandbox")] * BURST)
        assert listed <= 10 * seconds
        if seconds <= 2:
            break
    assert listed <= 20 and throttled >= BURST - 20


@pytest.mark.backend
def test_reads_and_writes_are_counted_apart(aws_quotas):
    client = pooled_client(aws_quotas, mode="standard", max_attempts=10)
    client.create_opportunity(**minimal())
    assert outcome(lambda: client.list_solutions(Catalog="Sandbox")) == "ok"  # in the second of that write


@pytest.mark.backend
def test_a_quota_file_sets_the_daily_limit(tmp_path):
    path = quota_file(tmp_path, {"write": {"per_second": 1000, "per_day": 5}})
    live = LiveServer(tmp_path / "data", extra_args=("--quotas", path)).start()
    try:
        client = pooled_client(live)
        for _ in range(5):
            client.create_opportunity(**minimal())
        with pytest.raises(client.exceptions.ThrottlingException) as raised:
            client.create_opportunity(**minimal())
        assert "5 requests per rolling 24 hours" in raised.value.response["Error"]["Message"]
        with pytest.raises(client.exceptions.ThrottlingException):
            client.tag_resource(ResourceArn=ARN, Tags=[{"Key": "k", "Value": "v"}])
        solutions = client.list_solutions(Catalog="Sandbox")["SolutionSummaries"]  # reads keep AWS's numbers
        assert [s["Id"] for s in solutions] == ["S-1234567"]
    finally:
        live.stop()


@pytest.mark.backend
def test_two_processes_on_one_database_share_the_counts(tmp_path):
    path = quota_file(tmp_path, {"write": {"per_second": 1000, "per_day": 4}})
    first = LiveServer(tmp_path / "data", extra_args=("--quotas", path)).start()
    second = LiveServer(tmp_path / "data", extra_args=("--quotas", path)).start()
    try:
        clients = [pooled_client(first), pooled_client(second)]
        for client in clients * 2:
            client.create_opportunity(**minimal())
        for client in clients:  # four writes between them: the day is used up for both
            with pytest.raises(client.exceptions.ThrottlingException):
                client.create_opportunity(**minimal())
        for _ in range(3):  # reads: 10 a second across both processes, not 10 each
            listed, throttled, seconds = burst([lambda c=clients[i % 2]: c.list_solutions(Catalog="Sandbox")
                                                for i in range(BURST)])
            assert listed <= 10 * seconds
            if seconds <= 2:
                break
        assert throttled >= BURST - 20
    finally:
        first.stop()
        second.stop()


def test_a_bad_quota_file_stops_the_server_with_a_clear_error(tmp_path):
    path = quota_file(tmp_path, {"write": {"per_sec": 5}})
    with pytest.raises(RuntimeError) as raised:
        LiveServer(tmp_path / "data", extra_args=("--quotas", path)).start()
    assert "unknown key write.per_sec" in str(raised.value)


@pytest.mark.parametrize("document, message", [
    ([1, 2], "must be a JSON object"),
    ({"reads": {}}, "unknown group 'reads'"),
    ({"read": 10}, "read must be an object"),
    ({"read": {"per_second": 0}}, "read.per_second must be a positive integer"),
    ({"write": {"per_day": "many"}}, "write.per_day must be a positive integer"),
])
def test_quota_file_errors(tmp_path, document, message):
    with pytest.raises(QuotaFileError, match=message):
        Quotas.from_settings(Settings(quotas=quota_file(tmp_path, document)), store=None)


def test_a_missing_quota_file(tmp_path):
    with pytest.raises(QuotaFileError, match="cannot read quota file"):
        Quotas.from_settings(Settings(quotas=str(tmp_path / "missing.json")), store=None)


def test_operation_groups():
    assert [quota_group(name) for name in ("GetOpportunity", "ListTagsForResource", "SearchOpportunities",
                                           "ListEngagementFromOpportunityTasks")] == ["read"] * 4
    assert [quota_group(name) for name in ("CreateOpportunity", "SubmitOpportunity", "TagResource",
                                           "UntagResource", "StartEngagementFromOpportunityTask")] == ["write"] * 5


# --- In process, on a clock the test sets --------------------------------------------------------

T0 = dt.datetime(2025, 3, 1, 12, 0, 0, 100_000, tzinfo=dt.UTC)


@pytest.fixture
def clocked(tmp_path):
    """(set_time, boto3 client, store) for an in-process gateway with read quotas of 3/s, 5/day."""
    path = quota_file(tmp_path, {"read": {"per_second": 3, "per_day": 5}})
    store = Store(database_url(tmp_path))
    now = [T0]
    gateway = Gateway(Settings(data_dir=tmp_path, quotas=path), store, wall=lambda: now[0])
    client = boto3.client("partnercentral-selling", config=Config(retries=NO_RETRIES), **CREDENTIALS)
    attach(client, gateway)

    def set_time(value: dt.datetime) -> None:
        now[0] = value

    yield set_time, client, store
    store.close()


def reads_at(set_time, client, moment: dt.datetime, count: int) -> list[str]:
    set_time(moment)
    return [outcome(lambda: client.list_solutions(Catalog="Sandbox")) for _ in range(count)]


@pytest.mark.backend
def test_exactly_the_per_second_limit_passes_in_one_second(clocked):
    set_time, client, _ = clocked
    assert reads_at(set_time, client, T0, 4) == ["ok"] * 3 + ["ThrottlingException"]
    assert reads_at(set_time, client, T0 + dt.timedelta(milliseconds=899), 1) == ["ThrottlingException"]
    assert reads_at(set_time, client, T0 + dt.timedelta(milliseconds=900), 1) == ["ok"]  # the next second


@pytest.mark.backend
def test_throttled_requests_cost_nothing_and_the_day_rolls(clocked):
    set_time, client, _ = clocked
    second = dt.timedelta(seconds=1)
    assert reads_at(set_time, client, T0, 10) == ["ok"] * 3 + ["ThrottlingException"] * 7
    assert reads_at(set_time, client, T0 + second, 3) == ["ok", "ok", "ThrottlingException"]  # 5 a day
    assert reads_at(set_time, client, T0 + dt.timedelta(hours=23, minutes=59), 1) == ["ThrottlingException"]
    assert reads_at(set_time, client, T0 + dt.timedelta(hours=24), 1) == ["ThrottlingException"]
    assert reads_at(set_time, client, T0 + dt.timedelta(hours=24, minutes=2), 4) == ["ok"] * 3 + ["ThrottlingException"]


@pytest.mark.backend
def test_a_late_request_counts_in_the_newer_second(clocked):
    """A request whose clock reading is older than the window already counted (it waited for the
    lock) does not reopen the older second."""
    set_time, client, _ = clocked
    assert reads_at(set_time, client, T0 + dt.timedelta(seconds=1), 2) == ["ok", "ok"]
    assert reads_at(set_time, client, T0, 2) == ["ok", "ThrottlingException"]


@pytest.mark.backend
def test_old_minutes_are_pruned(clocked):
    set_time, client, store = clocked
    reads_at(set_time, client, T0, 1)
    reads_at(set_time, client, T0 + dt.timedelta(days=2), 1)
    with store.read() as tx:
        assert tx.db.value(select(func.count()).select_from(quota_minutes)) == 1


@sqlite_only("Store.trace")
def test_quotas_off_cost_nothing(in_process):
    gateway, client = in_process
    assert gateway.quotas.limits is None
    statements = []
    with gateway.store.trace(statements.append):
        gateway.quotas.charge("123456789012", "CreateOpportunity", T0)
    assert statements == []
    client.create_opportunity(**minimal())
    with gateway.store.read() as tx:
        for table in (quota_seconds, quota_minutes):
            assert tx.db.value(select(func.count()).select_from(table)) == 0


@sqlite_only("Store.trace")
def test_a_charge_is_one_write_transaction(tmp_path):
    store = Store(database_url(tmp_path))
    quotas = Quotas.from_settings(Settings(quotas="aws"), store)
    quotas.charge("123456789012", "GetOpportunity", T0)  # creates the rows
    statements = []
    with store.trace(statements.append):
        quotas.charge("123456789012", "GetOpportunity", T0 + dt.timedelta(seconds=1))
    store.close()
    # the group commit's unit and its commit
    statements = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE", "COMMIT"))]
    assert [s for s in statements if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]
    assert len(statements) == 4  # BEGIN, the second's count, the day's sum, the minute's count
