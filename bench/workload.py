"""What the benchmarks send and find stored, and how they run things: request bodies, seeding,
SigV4 pre-signing, a `cosell serve` subprocess, and one wrk run. Used by run.py and profile.py.

Seeding: creating 100,000 or 1,000,000 opportunities through the API would take longer than the benchmark, so
the rows are written with the store's own tables while no server runs: each document is what
CreateOpportunity would store (cosell.domain.opportunity.new_opportunity on a valid request), and the
indexed columns are the ones store/opportunities.py writes. Not a test, not a server feature.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from sqlalchemy import delete, insert

from cosell.domain.identifiers import opportunity_arn, opportunity_id
from cosell.domain.opportunity import new_opportunity
from cosell.protocol.model import service_model
from cosell.store import Store
from cosell.store.counters import FIRST_NUMBER, id_counters
from cosell.store.opportunities import (
    indexed_columns,  # the exact columns the store writes
    opportunities,
)
from cosell.timestamps import format_timestamp, to_ms

DEFAULT_ACCOUNT = "123456789012"  # Settings.account_id: every open-mode request's account
STAGES = ("Prospect", "Qualified", "Technical Validation", "Business Validation", "Committed", "Launched")
# Every opportunity of the update block has this LastModifiedDate (UpdateOpportunity's optimistic lock).
UPDATE_BLOCK_MODIFIED = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)
SEED_EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def future_date(days: int = 180) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


def create_request(company: str = "Example Corp", stage: str = "Prospect", token: str | None = None) -> dict:
    """A realistic CreateOpportunity body from a CRM sync: customer, project, spend, marketing."""
    return {
        "Catalog": "Sandbox",
        "ClientToken": token or str(uuid.uuid4()),
        "Origin": "Partner Referral",
        "OpportunityType": "Net New Business",
        "NationalSecurity": "No",
        "PartnerOpportunityIdentifier": "CRM-0001",
        "PrimaryNeedsFromAws": ["Co-Sell - Technical Consultation"],
        "Customer": {
            "Account": {
                "CompanyName": company,
                "Industry": "Software and Internet",
                "WebsiteUrl": "https://example.com",
                "Address": {"City": "Seattle", "CountryCode": "US", "PostalCode": "98101",
                            "StateOrRegion": "Washington"},
            },
            "Contacts": [{"BusinessTitle": "CTO", "Email": "jane.doe@example.com", "FirstName": "Jane",
                          "LastName": "Doe", "Phone": "+12065550100"}],
        },
        "LifeCycle": {"Stage": stage, "TargetCloseDate": future_date(), "NextSteps": "Schedule the kickoff"},
        "Marketing": {"Source": "None"},
        "Project": {
            "Title": "Data lake migration",
            "CustomerBusinessProblem": "The customer's on-premises warehouse cannot keep up with demand.",
            "CustomerUseCase": "Migration/Database Migration",
            "DeliveryModels": ["Professional Services"],
            "SalesActivities": ["Initialized discussions with customer"],
            "ExpectedCustomerSpend": [{"Amount": "2500", "CurrencyCode": "USD", "Frequency": "Monthly",
                                       "TargetCompany": "AWS"}],
        },
    }


def update_request(identifier: str) -> dict:
    """An UpdateOpportunity body for an update-block opportunity: the stored one with a new NextSteps."""
    request = create_request()
    del request["ClientToken"]
    request["LifeCycle"]["NextSteps"] = "Send the proposal"
    request["Identifier"] = identifier
    request["LastModifiedDate"] = int(UPDATE_BLOCK_MODIFIED.timestamp())  # epoch seconds, as botocore sends
    return request


def _row(number: int, account_id: str, stage: str, company: str, created: dt.datetime,
         modified: dt.datetime) -> dict:
    new_id = opportunity_id(number)
    document = new_opportunity(create_request(company, stage, token="seed"), opportunity_id=new_id,
                               arn=opportunity_arn(account_id, "Sandbox", new_id), account_id=account_id,
                               now=format_timestamp(created))
    document["LastModifiedDate"] = format_timestamp(modified)
    return {"catalog": "Sandbox", "id": new_id, "number": number, "account_id": account_id,
            "created_ms": to_ms(created), "last_modified_ms": to_ms(modified), **indexed_columns(document)}


def seed(database_url: str, count: int, *, account_id: str = DEFAULT_ACCOUNT, first_number: int | None = None,
         update_block: int = 0, batch: int = 5000, progress=None) -> tuple[int, int]:
    """Writes `count` Sandbox opportunities (O<first_number> on), the last `update_block` of them in stage
    Prospect with LastModifiedDate UPDATE_BLOCK_MODIFIED, and moves the id counter past them so that
    CreateOpportunity continues after. Returns (first number, first number of the update block)."""
    store = Store(database_url)  # creates the schema and indexes exactly as the server does
    first = FIRST_NUMBER if first_number is None else first_number
    span_ms = 365 * 24 * 3600 * 1000
    block_start = first + count - update_block
    try:
        with store.engine.connect() as connection:
            sqlite = connection.connection.dbapi_connection  # PRAGMAs outside SQLAlchemy's transactions
            sqlite.execute("PRAGMA synchronous=OFF")  # seeding only; the server runs FULL
            for start in range(first, first + count, batch):
                rows = []
                for number in range(start, min(start + batch, first + count)):
                    i = number - first
                    if number >= block_start:
                        stage, modified = "Prospect", UPDATE_BLOCK_MODIFIED
                        created = modified - dt.timedelta(days=1)
                    else:
                        # Spread over a year, in an order unrelated to the id, so sorting has work to do.
                        created = SEED_EPOCH + dt.timedelta(milliseconds=(i * 7919) % span_ms)
                        modified = created + dt.timedelta(milliseconds=(i * 104729) % (30 * 24 * 3600 * 1000))
                        stage = STAGES[i % len(STAGES)]
                    rows.append(_row(number, account_id, stage, f"Company {i % 5000:04d}", created, modified))
                connection.exec_driver_sql("BEGIN")  # the store's connections leave transactions to the caller
                connection.execute(insert(opportunities), rows)
                connection.commit()
                if progress:
                    progress(start + len(rows) - first, count)
            connection.exec_driver_sql("BEGIN")
            name = "opportunity/Sandbox"
            last = max(first + count - 1, _counter(connection, name))
            connection.execute(delete(id_counters).where(id_counters.c.name == name))
            connection.execute(insert(id_counters).values(name=name, last_value=last))
            connection.commit()
            sqlite.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()
    return first, block_start


def _counter(connection, name: str) -> int:
    row = connection.execute(id_counters.select().where(id_counters.c.name == name)).first()
    return row.last_value if row else 0


# --- SigV4: requests signed the way boto3 signs them ------------------------------------------------

def signed_headers(access_key_id: str, secret_access_key: str, host: str, target: str, body: bytes) -> dict:
    """The headers of a POST / signed with botocore's SigV4Auth (valid for 15 minutes)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method="POST", url=f"http://{host}/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AWSPartnerCentralSelling.{target}"})
    SigV4Auth(Credentials(access_key_id, secret_access_key), service_model().signing_name, "us-east-1").add_auth(request)
    return {name.lower(): value for name, value in request.headers.items()} | {"host": host}


# --- Processes ------------------------------------------------------------------------------------

BENCH = Path(__file__).resolve().parent
LUA = BENCH / "lua"
COSELL = Path(sys.executable).parent / "cosell"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def post(url: str, body: dict, target: str | None = None) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/x-amz-json-1.0"}
    if target:
        headers["X-Amz-Target"] = f"AWSPartnerCentralSelling.{target}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Server:
    """A server subprocess (`cosell serve` or the baseline app); `ready_seconds` is the time from
    starting the process to the first 200 on /_cosell/health."""

    def __init__(self, argv: list[str], log_path: Path, port: int):
        self.argv, self.log_path, self.port = argv, log_path, port
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None
        self.ready_seconds: float | None = None

    @classmethod
    def cosell(cls, data_dir: Path, log_dir: Path, *extra: str) -> Server:
        port = free_port()
        argv = [str(COSELL), "serve", "--port", str(port), "--data", str(data_dir), "--log-level", "warning", *extra]
        return cls(argv, log_dir / f"server-{port}.log", port)

    @classmethod
    def noop_app(cls, log_dir: Path) -> Server:
        port = free_port()
        argv = [sys.executable, str(BENCH / "noop_app.py"), "--port", str(port), "--log-level", "warning"]
        return cls(argv, log_dir / f"noop-{port}.log", port)

    def start(self, timeout: float = 120) -> Server:
        log = open(self.log_path, "ab")
        started = time.perf_counter()
        self.process = subprocess.Popen(self.argv, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        while time.perf_counter() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.argv[0]} exited: {self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/_cosell/health", timeout=1) as response:
                    if response.status == 200:
                        self.ready_seconds = time.perf_counter() - started
                        return self
            except OSError:
                time.sleep(0.005)
        self.stop()
        raise RuntimeError(f"{self.argv} did not answer /_cosell/health within {timeout} s")

    def cpu_seconds(self, kernel_only: bool = False) -> float:
        """User + system CPU time the server process has used (all its threads), or system time only."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[12]) + (0 if kernel_only else int(fields[11]))) / os.sysconf("SC_CLK_TCK")

    def memory_kb(self) -> dict[str, int]:
        """VmRSS (resident now) and VmHWM (peak resident) from /proc/<pid>/status, in kB."""
        values = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])
        return values

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def wrk(url: str, script: str, args: list[str], duration: float, threads: int = 2, connections: int = 16,
        log: Path | None = None) -> tuple[dict, list[str]]:
    """One wrk run with a bench/lua script; its WRK_JSON summary (plus requests_per_s, ok_per_s) and the
    command line."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", "--latency", "--timeout", "5s",
               "-s", str(LUA / script), url, "--", *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
    if log:
        with open(log, "a") as file:
            file.write(" ".join(command) + "\n" + done.stdout + done.stderr + "\n")
    lines = [line for line in done.stdout.splitlines() if line.startswith("WRK_JSON ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-1000:]} {done.stderr[-1000:]}")
    result = json.loads(lines[-1][len("WRK_JSON "):])
    seconds = result["duration_us"] / 1e6
    result["requests_per_s"] = result["requests"] / seconds
    result["ok_per_s"] = (result["requests"] - result["non_2xx"]) / seconds
    return result, command


def listen_to_events(url: str, endpoint: str) -> None:
    """An EventBridge rule matching every cosell event, with `endpoint` as its (HTTP) target, and a webhook
    to `endpoint`: each event is delivered twice."""
    import boto3

    client = boto3.client("events", endpoint_url=url, region_name="us-east-1", aws_access_key_id="bench",
                          aws_secret_access_key="bench")
    client.put_rule(Name="bench-all", EventPattern=json.dumps({"source": ["aws.partnercentral-selling"]}))
    client.put_targets(Rule="bench-all", Targets=[{"Id": "endpoint", "Arn": endpoint}])
    request = urllib.request.Request(url + "/_cosell/webhooks", data=json.dumps({"Url": endpoint}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    urllib.request.urlopen(request, timeout=10).close()


def deliveries_made(data_dir: Path) -> tuple[int, int]:
    """(delivered, all) deliveries in a server's SQLite file; an event not yet dispatched counts for the two
    deliveries it will make (the rule's target and the webhook of `listen_to_events`)."""
    with sqlite3.connect(data_dir / "cosell.db") as connection:
        delivered = connection.execute("SELECT count(*) FROM deliveries WHERE status = 'delivered'").fetchone()[0]
        undispatched = connection.execute("SELECT count(*) FROM events WHERE state = 0").fetchone()[0]
        total = connection.execute("SELECT count(*) FROM deliveries").fetchone()[0]
    return delivered, total + 2 * undispatched
