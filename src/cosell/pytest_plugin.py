"""cosell's pytest plugin, loaded by pytest from the installed package (entry point `pytest11`): no
conftest needed.

Fixtures:
- `cosell_server` (once per session, and so once per pytest-xdist worker): a real `cosell serve` on a free
  port with a temporary data directory. `.endpoint_url` for your code under test; the handle plays AWS
  and the other partners (`create_partner`, `lead`, `refer`, `review`, `advance`, `events`, `reset`).
- `partnercentral`: a boto3 client of the default account bound to that server.
- `wait_for_event`: `wait_for_event("Opportunity Created", timeout=5, account=..., detail={...})`, the first
  event of the test that matches, or an AssertionError saying what came instead.
- `cosell_mock`: the in-process mock (cosell.mock_partnercentral) around one test.

A test that uses the server starts from a fresh Partner Central: the plugin resets it (accounts and keys
are kept) before each such test. Opt out for a test with `@pytest.mark.cosell_keep_state`, or for the
whole run with `cosell_reset = false` in the pytest configuration.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from cosell.protocol.facts import SANDBOX_CATALOG

if TYPE_CHECKING:
    from cosell.mock import Partner

START_TIMEOUT_SECONDS = 30.0


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("cosell_reset", "reset the cosell server before each test that uses it (default true)",
                  type="bool", default=True)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "cosell_keep_state: do not reset the cosell server before this test")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class CosellServer:
    """A `cosell serve` process, and its /_cosell endpoints as methods."""

    def __init__(self, data_dir: Path, *extra_args: str):
        self.data_dir = data_dir
        self.port = _free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._log = open(data_dir.parent / "cosell-serve.log", "ab")  # noqa: SIM115 (closed in stop)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "cosell.cli", "serve", "--port", str(self.port), "--data", str(data_dir),
             "--log-level", "warning", *extra_args], stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"cosell serve exited with {self._process.returncode}: see {self._log.name}")
            try:
                self._call("GET", "/_cosell/health")
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"cosell serve did not answer within {START_TIMEOUT_SECONDS} s: see {self._log.name}")

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._log.close()

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps({k: v for k, v in body.items() if v is not None}).encode()
        request = urllib.request.Request(self.endpoint_url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        token = os.environ.get("COSELL_ADMIN_TOKEN")
        if token:
            request.add_header("X-Cosell-Admin-Token", token)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            answer = json.loads(error.read() or b"{}")
            raise AssertionError(f"cosell {method} {path}: {answer.get('__type', error.code)}: "
                                 f"{answer.get('Message', '')} {answer.get('ErrorList') or ''}".rstrip()) from None

    # -- clients and partners -----------------------------------------------------------------------------------

    def client(self, access_key_id: str = "cosell", secret_access_key: str = "cosell", **config: Any):
        """A boto3 client of this server: the default account's, or the account whose key signs it."""
        import boto3
        from botocore.config import Config

        return boto3.client("partnercentral-selling", endpoint_url=self.endpoint_url, region_name="us-east-1",
                            aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key,
                            config=Config(retries={"total_max_attempts": 1}, **config))

    def create_partner(self, name: str, website_url: str | None = None) -> Partner:
        """A new account (kept across resets) and a client signed with its key."""
        from cosell.mock import Partner

        key = self._call("POST", "/_cosell/accounts", {"Name": name, "WebsiteUrl": website_url})
        return Partner(key["AccountId"], name, key["AccessKeyId"], key["SecretAccessKey"],
                       self.client(key["AccessKeyId"], key["SecretAccessKey"]))

    def connect(self, account_id: str, partner_account_id: str) -> None:
        """The two accounts are connected partners, so they may invite each other."""
        self._call("POST", "/_cosell/accounts/connections", {"AccountId": account_id,
                                                             "PartnerAccountId": partner_account_id})

    # -- playing AWS and the clock ------------------------------------------------------------------------------

    def reset(self, account_id: str | None = None) -> dict:
        return self._call("POST", "/_cosell/reset", {"AccountId": account_id})

    def lead(self, account_id: str | None = None, lead: dict | None = None, catalog: str = SANDBOX_CATALOG) -> dict:
        return self._call("POST", "/_cosell/aws/leads", {"AccountId": account_id, "Catalog": catalog, "Lead": lead})

    def refer(self, account_id: str | None = None, opportunity: dict | None = None, catalog: str = SANDBOX_CATALOG) -> dict:
        return self._call("POST", "/_cosell/aws/referrals", {"AccountId": account_id, "Catalog": catalog,
                                                             "Opportunity": opportunity})

    def review(self, opportunity_id: str, decision: str = "Approved", account_id: str | None = None,
               catalog: str = SANDBOX_CATALOG, comments: str | None = None, reason: str | None = None) -> dict:
        return self._call("POST", "/_cosell/review", {"AccountId": account_id, "Catalog": catalog,
                                                      "Identifier": opportunity_id, "ReviewStatus": decision,
                                                      "ReviewComments": comments, "ReviewStatusReason": reason})

    def advance(self, by: str) -> dict:
        """Moves the server's clock ahead ("15d", "90m"); timers that came due run."""
        return self._call("POST", "/_cosell/clock", {"Action": "advance", "By": by})

    def freeze(self) -> dict:
        return self._call("POST", "/_cosell/clock", {"Action": "freeze"})

    # -- events -------------------------------------------------------------------------------------------------

    def cursor(self) -> str:
        """Where the event log ends now."""
        return self._call("GET", "/_cosell/events?tail=1")["Cursor"]

    def events(self, after: str = "0", detail_type: str | None = None, account_id: str | None = None) -> list[dict]:
        """The events published after a cursor, oldest first, as EventBridge delivers them."""
        parameters = {"after": after, "limit": "1000", "detail-type": detail_type, "account": account_id}
        query = urllib.parse.urlencode({k: v for k, v in parameters.items() if v is not None})
        return self._call("GET", f"/_cosell/events?{query}")["Events"]


def _matches(event: Mapping[str, Any], expected: Mapping[str, Any]) -> bool:
    """Every expected member is in the event: mappings compared member by member, the rest equal."""
    for name, value in expected.items():
        if name not in event:
            return False
        if isinstance(value, Mapping):
            if not isinstance(event[name], Mapping) or not _matches(event[name], value):
                return False
        elif event[name] != value:
            return False
    return True


@pytest.fixture(scope="session")
def cosell_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CosellServer]:
    """A `cosell serve` of this session (of this xdist worker) on a free port and a temporary directory."""
    server = CosellServer(tmp_path_factory.mktemp("cosell") / "data")
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _cosell_fresh_state(request: pytest.FixtureRequest) -> None:
    """Resets the server before each test that uses it, unless told not to."""
    uses = {"cosell_server", "partnercentral", "wait_for_event"} & set(request.fixturenames)
    if not uses or request.node.get_closest_marker("cosell_keep_state") or not request.config.getini("cosell_reset"):
        return
    request.getfixturevalue("cosell_server").reset()


@pytest.fixture
def partnercentral(cosell_server: CosellServer, _cosell_fresh_state: None):
    """A boto3 client of the server's default account."""
    return cosell_server.client()


@pytest.fixture
def wait_for_event(cosell_server: CosellServer, _cosell_fresh_state: None):
    """wait_for_event(detail_type, timeout=5.0, **match): the first event of this test of that detail-type
    whose envelope has the `match` members (`account="…"`, `detail={"opportunity": {"identifier": "O1"}}`)."""
    start = cosell_server.cursor()

    def wait(detail_type: str, timeout: float = 5.0, **match: Any) -> dict:
        deadline = time.monotonic() + timeout
        seen: list[dict] = []
        while True:
            seen = cosell_server.events(start, detail_type)
            for event in seen:
                if _matches(event, match):
                    return event
            if time.monotonic() >= deadline:
                raise AssertionError(f"no {detail_type} event matching {match} within {timeout} s; "
                                     f"{len(seen)} of that detail-type came: {seen[-3:]}")
            time.sleep(0.05)

    return wait


@pytest.fixture
def cosell_mock():
    """Partner Central in process for one test (cosell.mock_partnercentral): clients made inside go to it."""
    from cosell.mock import mock_partnercentral

    with mock_partnercentral() as mock:
        yield mock
