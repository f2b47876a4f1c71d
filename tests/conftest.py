"""Fixtures: a live `cosell serve` on a free port, boto3 clients for it, and in-process clients.

With COSELL_TEST_DATABASE_URL set (e.g. postgresql+psycopg://cosell:cosell@localhost/cosell_test),
every store runs on that database instead of SQLite: each data directory gets a schema of its own
there, dropped when the session ends. Tests marked `backend` (pyproject.toml) are those whose outcome
depends on the database; CI runs them a second time on PostgreSQL (`pytest -m backend`).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from cosell.gateway import Gateway
from cosell.mock import attach
from cosell.settings import Settings
from cosell.store import Store

CREDENTIALS = {"aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "secret", "region_name": "us-east-1"}


TEST_DATABASE_URL = os.environ.get("COSELL_TEST_DATABASE_URL") or None
SCHEMA_PREFIX = "cosell_test_"
_schemas: set[str] = set()
_schemas_lock = threading.Lock()  # servers may be started from several threads


def sqlite_only(what: str):
    """Skips a test of the SQLite store's own machinery when the tests run on another database."""
    return pytest.mark.skipif(TEST_DATABASE_URL is not None, reason=f"SQLite only: {what}")


def _admin_engine():
    return create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def database_url(data_dir: Path) -> str:
    """The store of a data directory: its SQLite file, or a schema of its own on the test database."""
    if TEST_DATABASE_URL is None:
        return f"sqlite:///{data_dir / 'cosell.db'}"
    schema = SCHEMA_PREFIX + hashlib.sha256(str(Path(data_dir).resolve()).encode()).hexdigest()[:16]
    with _schemas_lock:
        if schema not in _schemas:
            engine = _admin_engine()
            with engine.connect() as connection:
                connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
            engine.dispose()
            _schemas.add(schema)
    url = make_url(TEST_DATABASE_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def database_args(data_dir: Path) -> list[str]:
    """`cosell` command-line options naming the store of a data directory."""
    args = ["--data", str(data_dir)]
    return args if TEST_DATABASE_URL is None else [*args, "--database-url", database_url(data_dir)]


@pytest.fixture(scope="session", autouse=True)
def _drop_test_schemas():
    yield
    if TEST_DATABASE_URL is None or not _schemas:
        return
    engine = _admin_engine()
    with engine.connect() as connection:
        for schema in sorted(_schemas):
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """A `cosell serve` subprocess, as a user would run it."""

    def __init__(self, data_dir: Path, port: int | None = None, extra_args: tuple[str, ...] = (),
                 env: dict[str, str] | None = None):
        self.data_dir = data_dir
        self.port = port or free_port()
        self.extra_args = extra_args
        self.env = env or {}
        self.process: subprocess.Popen | None = None
        self.log_path = data_dir.parent / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LiveServer:
        with open(self.log_path, "ab") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cosell.cli", "serve", "--port", str(self.port), *database_args(self.data_dir),
                 *self.extra_args],
                stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **self.env},
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"cosell serve exited: {self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/_cosell/health", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("cosell serve did not become healthy")

    def kill(self) -> None:
        """kill -9: no shutdown handlers, no flush."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        """(HTTP status, JSON answer) of a POST to one of the server's /_cosell endpoints."""
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def client(self, **config):
        return boto3.client("partnercentral-selling", endpoint_url=self.url,
                            config=Config(retries={"total_max_attempts": 1}, **config), **CREDENTIALS)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    live = LiveServer(tmp_path_factory.mktemp("cosell") / "data").start()
    yield live
    live.stop()


@pytest.fixture(scope="session")
def client(server):
    return server.client()


@pytest.fixture(scope="session")
def raw_client(server):
    """A client without boto3's own parameter validation, to send what boto3 would refuse."""
    return server.client(parameter_validation=False)


def attached_client(gateway: Gateway, access_key_id: str = CREDENTIALS["aws_access_key_id"],
                    secret_access_key: str = CREDENTIALS["aws_secret_access_key"]):
    """A boto3 client (one attempt, no retries) whose requests go to `gateway` in-process, signed with
    the given key: the default account's unless it is an account's key (cosell.control.accounts)."""
    client = boto3.client("partnercentral-selling", config=Config(retries={"total_max_attempts": 1}),
                          region_name="us-east-1", aws_access_key_id=access_key_id,
                          aws_secret_access_key=secret_access_key)
    attach(client, gateway)
    return client


@pytest.fixture
def in_process(tmp_path):
    """An in-process gateway and a boto3 client wired to it (no socket). The gateway has its own clock
    (`gateway.clock`): freeze, set or advance it to control the times of what the client writes."""
    store = Store(database_url(tmp_path))
    gateway = Gateway(Settings(data_dir=tmp_path), store)
    yield gateway, attached_client(gateway)
    store.close()


def token() -> str:
    return str(uuid.uuid4())
