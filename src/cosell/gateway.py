"""The one request path: RawRequest bytes in, RawResponse bytes out.

Shared by the HTTP server and the in-process boto3 hook, so nothing about an operation is
written twice. Steps: route → parse → validate (shape) → dispatch → serialize; any ServiceError
becomes its AWS error body, anything unexpected a logged InternalServerException.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

from cosell.admin import ensure_default_solutions
from cosell.auth import Authenticator, authorize_catalog, authorize_operation, catalog_of
from cosell.faults import Faults
from cosell.operations import OPERATIONS
from cosell.protocol import json10
from cosell.protocol.errors import (
    InternalServerError,
    MethodNotAllowedError,
    NotYetImplementedError,
    ServiceError,
    UnknownOperationError,
    UnsupportedMediaTypeError,
)
from cosell.protocol.model import service_model
from cosell.protocol.request_id import new_request_id
from cosell.protocol.validate import compile_validators
from cosell.quotas import Quotas
from cosell.settings import Settings
from cosell.store import Store
from cosell.store.sql import deferred_commits

log = logging.getLogger("cosell.gateway")
access_log = logging.getLogger("cosell.access")

TARGET_PREFIX = "AWSPartnerCentralSelling."


@dataclass(frozen=True)
class RawRequest:
    method: str
    path: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    query: str = ""
    raw_path: str | None = None  # the path as sent (percent-encoded), for signature checks


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class RequestContext:
    """Who is calling and when; what an operation needs besides its request."""

    account_id: str
    request_id: str
    now: dt.datetime
    store: Store
    settings: Settings = field(repr=False)


def _raise(error: BaseException):
    raise error


@dataclass
class Exchange:
    """One request on its way through the gateway, and the response it has so far."""

    raw: RawRequest
    entry: "AccessLogEntry"
    started: float
    now: dt.datetime | None = None
    principal: object = None
    fault: object = None
    response: RawResponse | None = None
    commits: list = field(default_factory=list)  # the group-commit batches this request's writes joined

    @property
    def delay_seconds(self) -> float:
        return self.fault.delay_seconds if self.fault is not None and self.response is None else 0.0

    def guard(self, step: Callable, *args) -> None:
        """Run a step; a ServiceError becomes its AWS error response, anything else a logged 500.
        The step's writes are not waited for here: their commits are collected in `commits`."""
        request_id = self.entry.request_id
        try:
            with deferred_commits() as commits:
                try:
                    step(*args)
                finally:
                    self.commits.extend(commits)
        except ServiceError as error:
            self.entry.error = error.code
            self.response = RawResponse(*json10.serialize_error(error, request_id))
        except Exception:
            log.exception("request %s failed unexpectedly", request_id)
            error = InternalServerError(f"An internal error occurred. Request id: {request_id}.")
            self.entry.error = error.code
            self.response = RawResponse(*json10.serialize_error(error, request_id))

    def finish(self) -> RawResponse:
        self.entry.write(self.response.status, self.started)
        return self.response


@dataclass
class AccessLogEntry:
    """One structured access-log line per request: who, what, outcome, how long. Never a body, a
    secret or personal data."""

    request_id: str
    operation: str | None = None
    account: str | None = None
    error: str | None = None

    def write(self, status: int, started: float) -> None:
        if access_log.isEnabledFor(logging.INFO):
            access_log.info(json.dumps({
                "requestId": self.request_id, "account": self.account, "operation": self.operation,
                "status": status, "error": self.error,
                "latencyMs": round((time.perf_counter() - started) * 1000, 2)}))


class UnknownPathError(UnknownOperationError):
    status = 404


def utc_now() -> dt.datetime:
    """Now, at the millisecond precision the service reports. (A whole number of milliseconds over
    1000 is exact to the microsecond as a float at today's epoch seconds, ~0.2 µs.)"""
    return dt.datetime.fromtimestamp(time.time_ns() // 1_000_000 / 1000, dt.timezone.utc)


class Gateway:
    def __init__(self, settings: Settings, store: Store, clock: Callable[[], dt.datetime] = utc_now,
                 quotas: Quotas | None = None, faults: Faults | None = None):
        """Compiles the validators and makes sure the account has the Sandbox's default solution."""
        self.settings = settings
        self.store = store
        self.clock = clock
        self.quotas = quotas or Quotas.from_settings(settings, store)
        self.faults = faults or Faults(store)
        self.authenticator = Authenticator(settings, store)
        model = service_model()
        self._model = model
        self._operation_names = frozenset(model.operation_names)
        implemented = [model.operation_model(name) for name in OPERATIONS]
        self._validators = compile_validators(implemented)
        self._output_shapes = {operation.name: operation.output_shape for operation in implemented}
        ensure_default_solutions(store, settings.account_id, clock())

    def handle(self, raw: RawRequest) -> RawResponse:
        """The whole request, waiting (blocking) for its writes to be durable. For the in-process hook."""
        exchange = self._begin(raw)
        if exchange.delay_seconds:
            time.sleep(exchange.delay_seconds)
        self._run(exchange)
        for commit in exchange.commits:
            exchange.guard(commit.result)
        return exchange.finish()

    async def handle_async(self, raw: RawRequest) -> RawResponse:
        """The same request path for the server: the work runs on the caller's (event-loop) thread and
        only the wait for the group commit's fsync is awaited, so no thread is held per request."""
        exchange = self._begin(raw)
        if exchange.delay_seconds:
            await asyncio.sleep(exchange.delay_seconds)
        self._run(exchange)
        for commit in exchange.commits:
            try:
                await commit.wait()
            except Exception as error:  # the disk refused the batch: nothing of the request is kept
                exchange.guard(_raise, error)
        return exchange.finish()

    def _begin(self, raw: RawRequest) -> "Exchange":
        """Route, authenticate, charge the quota and decide faults: what happens before any work."""
        exchange = Exchange(raw, AccessLogEntry(new_request_id()), time.perf_counter())
        exchange.guard(self._admit, exchange)
        return exchange

    def _admit(self, exchange: "Exchange") -> None:
        raw, entry = exchange.raw, exchange.entry
        operation_name = entry.operation = self._route(raw)
        exchange.now = self.clock()
        principal = exchange.principal = self.authenticator.authenticate(raw, exchange.now)
        entry.account = principal.account_id
        self._check_content_type(raw)
        authorize_operation(principal, operation_name)
        self.quotas.charge(principal.account_id, operation_name, exchange.now)
        exchange.fault = self.faults.before(operation_name)

    def _run(self, exchange: "Exchange") -> None:
        if exchange.response is None:
            exchange.guard(self._operate, exchange)

    def _operate(self, exchange: "Exchange") -> None:
        operation_name, principal = exchange.entry.operation, exchange.principal
        document = json10.parse_body(exchange.raw.body)
        if operation_name not in OPERATIONS:
            raise NotYetImplementedError(f"cosell does not implement {operation_name} yet.")
        request = self._validators[operation_name](document)
        authorize_catalog(principal, catalog_of(request))
        ctx = RequestContext(principal.account_id, exchange.entry.request_id, exchange.now, self.store, self.settings)
        result = OPERATIONS[operation_name](ctx, request)
        self.faults.after(exchange.fault)
        output_shape = self._output_shapes[operation_name]
        body = json10.serialize_output(output_shape, result) if output_shape is not None else b""
        exchange.response = RawResponse(200, json10.response_headers(exchange.entry.request_id, body), body)

    def _route(self, raw: RawRequest) -> str:
        target = raw.headers.get("x-amz-target")
        path = raw.path.rstrip("/") or "/"
        if path != "/" and (path.count("/") != 1 or path[1:] not in self._operation_names):
            raise UnknownPathError(f"No operation is served at {raw.path}.")
        if raw.method != "POST":
            raise MethodNotAllowedError(f"{raw.method} is not allowed; operations are called with POST.")
        if target is not None:
            name = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else None
            if name not in self._operation_names:
                raise UnknownOperationError(f"Unknown operation {target}.")
            return name
        if path == "/":
            raise UnknownOperationError("Missing X-Amz-Target header: name the operation in it or in the path.")
        return path[1:]

    @staticmethod
    def _check_content_type(raw: RawRequest) -> None:
        content_type = raw.headers.get("content-type")
        if content_type is None:
            return
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type not in json10.ACCEPTED_CONTENT_TYPES:
            raise UnsupportedMediaTypeError(
                f"Content-Type {media_type} is not supported; send {' or '.join(json10.ACCEPTED_CONTENT_TYPES)}.")
