"""Partner Central in process, like moto's `mock_aws`: every boto3/botocore client of partnercentral-selling
created inside `mock_partnercentral()` sends its requests straight to a Gateway, with no socket and no
server — the same gateway, validation, rules, errors and events as `cosell serve`.

    import boto3, cosell

    with cosell.mock_partnercentral() as partner_central:
        client = boto3.client("partnercentral-selling", region_name="us-east-1")
        client.create_opportunity(...)
        partner_central.events("Opportunity Created")

    @cosell.mock_partnercentral()
    def test_sync(): ...

Each mock starts from a fresh database: a copy of a migrated SQLite file made once per process, so one
costs a few milliseconds. Requests run the jobs that are due after them (a referral, a review step), and
`advance("15d")` moves the mock's own clock and runs what became due, so time-driven behaviour is
deterministic. Events are published to the mock's log (`events()`); nothing delivers them.

`attach(client, gateway)` is the hook underneath: one client, one gateway. The client still signs and
serializes exactly as it would for the network; only the socket is skipped.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSResponse

from cosell.gateway import Gateway, RawRequest
from cosell.protocol.facts import SANDBOX_CATALOG
from cosell.protocol.model import PARTNER_CENTRAL_SELLING


class _Body:
    def __init__(self, body: bytes):
        self._body = body

    def stream(self, **_kwargs):
        yield self._body


def _body_bytes(body) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        return body.read()
    return bytes(body)


def attach(client, gateway: Gateway, after: Callable[[], Any] | None = None) -> None:
    """Route every request of `client` to `gateway` instead of the network; `after()` runs after each."""

    def send(request, **_kwargs):
        url = urlsplit(request.url)
        headers = {key.lower(): (value.decode() if isinstance(value, bytes) else value)
                   for key, value in request.headers.items()}
        headers.setdefault("host", url.netloc)  # what the HTTP client would add on the wire
        raw = RawRequest(method=request.method, path=url.path or "/", headers=headers,
                         body=_body_bytes(request.body), query=url.query, raw_path=url.path or "/")
        response = gateway.handle(raw)
        if after is not None:
            after()
        return AWSResponse(request.url, response.status, response.headers, _Body(response.body))

    client.meta.events.register(f"before-send.{client.meta.service_model.service_id.hyphenize()}", send)


# --- the template database ---------------------------------------------------------------------------------

_template_lock = threading.Lock()
_template: Path | None = None


def _template_database() -> Path:
    """A migrated, empty SQLite database, made once per process; each mock copies it."""
    global _template
    with _template_lock:
        if _template is None:
            from cosell.store import Store

            directory = Path(tempfile.mkdtemp(prefix="cosell-mock-template-"))
            store = Store(f"sqlite:///{directory / 'template.db'}")
            store.close()  # checkpointed: the file alone is the database
            _template = directory / "template.db"
        return _template


# --- mock_partnercentral ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Partner:
    """An account of the mock and a client signed with its key."""

    account_id: str
    name: str
    access_key_id: str
    secret_access_key: str
    client: Any


_active: list[MockPartnerCentral] = []
_patch_lock = threading.Lock()
_original_create_client: Callable[..., Any] | None = None
_FAKE_ENVIRONMENT = {"AWS_ACCESS_KEY_ID": "cosell-mock", "AWS_SECRET_ACCESS_KEY": "cosell-mock",
                     "AWS_DEFAULT_REGION": "us-east-1"}


def _create_client(self, service_name, *args, **kwargs):
    assert _original_create_client is not None
    client = _original_create_client(self, service_name, *args, **kwargs)
    if _active and service_name == PARTNER_CENTRAL_SELLING:
        _active[-1].attach(client)
    return client


def _patch() -> None:
    global _original_create_client
    from botocore.client import ClientCreator

    if _original_create_client is None:
        _original_create_client = ClientCreator.create_client
        ClientCreator.create_client = _create_client


def _unpatch() -> None:
    global _original_create_client
    from botocore.client import ClientCreator

    if _original_create_client is not None:
        ClientCreator.create_client = _original_create_client
        _original_create_client = None


class MockPartnerCentral:
    """The in-process Partner Central of one `with` block (or one decorated function)."""

    def __init__(self, *, account_id: str | None = None, **settings: Any):
        self._settings = {**({"account_id": account_id} if account_id else {}), **settings}
        self._directory: Path | None = None
        self._saved_environment: dict[str, str | None] = {}
        self.gateway: Gateway | None = None

    # -- the context ------------------------------------------------------------------------------------------

    def __enter__(self) -> MockPartnerCentral:
        from cosell.jobs import JobRunner
        from cosell.settings import Settings
        from cosell.store import Store

        self._directory = Path(tempfile.mkdtemp(prefix="cosell-mock-"))
        shutil.copyfile(_template_database(), self._directory / "cosell.db")
        settings = Settings(data_dir=self._directory, **self._settings)
        self.store = Store(settings.resolved_database_url)
        self.gateway = Gateway(settings, self.store)
        self.clock = self.gateway.clock
        self.jobs = JobRunner(self.store, self.clock, settings)
        self._saved_environment = {name: os.environ.get(name) for name in _FAKE_ENVIRONMENT}
        for name, value in _FAKE_ENVIRONMENT.items():
            os.environ.setdefault(name, value)
        with _patch_lock:
            _active.append(self)
            _patch()
        return self

    def __exit__(self, *_exc_info) -> None:
        with _patch_lock:
            _active.remove(self)
            if not _active:
                _unpatch()
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self.store.close()
        self.gateway = None
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """As a decorator: the function runs inside a fresh mock of these settings each time it is called."""
        if inspect.iscoroutinefunction(function):
            raise TypeError("mock_partnercentral decorates plain functions; use `with` inside a coroutine")

        @functools.wraps(function)
        def run(*args: Any, **kwargs: Any) -> Any:
            with MockPartnerCentral(**self._settings):
                return function(*args, **kwargs)

        return run

    # -- what a test uses ---------------------------------------------------------------------------------------

    @property
    def _gateway(self) -> Gateway:
        if self.gateway is None:
            raise RuntimeError("the mock is not active: use it in a `with` block or as a decorator")
        return self.gateway

    def attach(self, client) -> None:
        """Sends `client`'s requests to this mock (clients made inside the block get it by themselves)."""
        attach(client, self._gateway, after=self.run_jobs)

    def client(self, access_key_id: str | None = None, secret_access_key: str | None = None, **config: Any):
        """A boto3 client bound to the mock: the default account's, or the account whose key signs it."""
        import boto3
        from botocore.config import Config

        client = boto3.client("partnercentral-selling", region_name="us-east-1",
                              aws_access_key_id=access_key_id or "cosell-mock",
                              aws_secret_access_key=secret_access_key or "cosell-mock",
                              config=Config(retries={"total_max_attempts": 1}, **config))
        if not _active or _active[-1] is not self:
            self.attach(client)
        return client

    def create_partner(self, name: str, website_url: str | None = None) -> Partner:
        """A new account (as `cosell accounts create` makes one) and a client signed with its key."""
        from cosell.control.accounts import create_account
        from cosell.protocol.facts import CATALOGS

        key = create_account(self.store, name, CATALOGS, False, self.clock.now(), website_url)
        return Partner(key.account_id, name, key.access_key_id, key.secret_access_key,
                       self.client(key.access_key_id, key.secret_access_key))

    def run_jobs(self) -> int:
        """Runs the jobs due on the mock's clock (referrals, review steps, expiries, prospecting)."""
        return self.jobs.run_due()

    def advance(self, by: str | dt.timedelta) -> dt.datetime:
        """Moves the mock's clock ahead ("15d", "90m", or a timedelta) and runs what became due."""
        from cosell.clock import parse_duration

        now = self.clock.advance(parse_duration(by) if isinstance(by, str) else by)
        self.run_jobs()
        return now

    def freeze(self) -> dt.datetime:
        return self.clock.freeze()

    def events(self, detail_type: str | None = None, account_id: str | None = None) -> list[dict]:
        """Every event published so far (of that detail-type, to that account), oldest first, as
        EventBridge would deliver it."""
        from cosell.control.events import MAX_PAGE, event_log

        found, after = [], 0
        while True:
            page = event_log(self.store, after, MAX_PAGE, [detail_type] if detail_type else None, account_id)
            found.extend(page["Events"])
            if len(page["Events"]) < MAX_PAGE:
                return found
            after = int(page["Cursor"])

    def reset(self, account_id: str | None = None) -> dict:
        """A fresh start (control/reset.py): everything but the accounts, or one account's data."""
        from cosell.control.reset import reset

        return reset(self._gateway, account_id=account_id)

    def refer(self, account_id: str | None = None, opportunity: dict | None = None, catalog: str = SANDBOX_CATALOG) -> dict:
        """AWS refers an opportunity to the account (`cosell aws refer`)."""
        from cosell.control.aws import create_referral

        return create_referral(self.store, account_id or self._gateway.settings.account_id, catalog, opportunity,
                               self.clock.now())

    def lead(self, account_id: str | None = None, lead: dict | None = None, catalog: str = SANDBOX_CATALOG) -> dict:
        """AWS shares a lead with the account (`cosell aws lead`)."""
        from cosell.control.aws import create_lead

        return create_lead(self.store, account_id or self._gateway.settings.account_id, catalog, lead, self.clock.now())

    def review(self, opportunity_id: str, decision: str = "Approved", account_id: str | None = None,
               catalog: str = SANDBOX_CATALOG, comments: str | None = None, reason: str | None = None) -> dict:
        """AWS's reviewer decides on a submitted opportunity (`cosell review`)."""
        from cosell.control.review import review_opportunity

        with self.store.write() as tx:
            return review_opportunity(tx, account_id or self._gateway.settings.account_id, catalog, opportunity_id,
                                      decision, comments, reason, self.clock.now())


def mock_partnercentral(*, account_id: str | None = None, **settings: Any) -> MockPartnerCentral:
    """A context manager and decorator: inside it, partnercentral-selling clients go to an in-process
    Partner Central. `settings` are cosell's Settings (review="auto", invited_review="inherit"...)."""
    return MockPartnerCentral(account_id=account_id, **settings)
