"""The one request path: RawRequest bytes in, RawResponse bytes out.

Shared by the HTTP server and the in-process boto3 hook, so nothing about an operation is written
twice. Steps: route (to a service and one of its operations) → authenticate → quota → parse →
validate (shape) → dispatch to the registered handler → serialize; any ServiceError becomes its AWS
error body, anything unexpected a logged InternalServerException.

Routing: `X-Amz-Target: <target prefix>.<Operation>` names the service (AWSPartnerCentralSelling, or
another service served beside it, such as AWSEvents); `POST /<Operation>` without the header is
partnercentral-selling's, as Postman sends it (reference §1.3).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from cosell.auth import Authenticator, Principal, authorize_catalog, authorize_operation, catalog_of
from cosell.clock import Clock
from cosell.control.groups import ensure_default_groups
from cosell.control.solutions import ensure_default_solutions
from cosell.faults import FaultPlan, Faults
from cosell.operations.context import Context
from cosell.operations.families import REGISTRY
from cosell.operations.registry import Registry
from cosell.protocol import awsjson
from cosell.protocol.errors import (
    InternalServerError,
    MethodNotAllowedError,
    NotYetImplementedError,
    ServiceError,
    UnknownOperationError,
    UnsupportedMediaTypeError,
)
from cosell.protocol.model import PARTNER_CENTRAL_SELLING, Service, check_model, service
from cosell.protocol.request_id import new_request_id
from cosell.protocol.validation import compile_validators
from cosell.quotas import Quotas
from cosell.settings import Settings
from cosell.store import Store
from cosell.store.sqlite.group_commit import deferred_commits
from cosell.timestamps import utc_now

log = logging.getLogger("cosell.gateway")
access_log = logging.getLogger("cosell.access")


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


def _raise(error: BaseException):
    raise error


@dataclass(frozen=True)
class Admitted:
    """What admission decided: the operation, who calls, when (on cosell's clock), and its fault."""

    served: _Served
    operation: str
    principal: Principal
    now: dt.datetime
    fault: FaultPlan | None


@dataclass
class Exchange:
    """One request on its way through the gateway, and the response it has so far."""

    raw: RawRequest
    entry: AccessLogEntry
    started: float
    wire: awsjson.Wire = awsjson.PARTNER_CENTRAL_WIRE
    admitted: Admitted | None = None
    response: RawResponse | None = None
    commits: list = field(default_factory=list)  # the group-commit batches this request's writes joined

    @property
    def delay_seconds(self) -> float:
        fault = self.admitted.fault if self.admitted is not None else None
        return fault.delay_seconds if fault is not None and self.response is None else 0.0

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
            self.response = RawResponse(*self.wire.serialize_error(error, request_id))
        except Exception:
            log.exception("request %s failed unexpectedly", request_id)
            internal = InternalServerError(f"An internal error occurred. Request id: {request_id}.")
            self.entry.error = internal.code
            self.response = RawResponse(*self.wire.serialize_error(internal, request_id))

    def finish(self) -> RawResponse:
        response = self.response
        assert response is not None, "every exchange ends with a response or an error response"
        self.entry.write(response.status, self.started)
        return response


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


@dataclass(frozen=True)
class _Served:
    """One service on the endpoint: its model, wire, and the validators of its registered operations."""

    service: Service
    wire: awsjson.Wire
    validators: dict
    output_shapes: dict


class Gateway:
    def __init__(self, settings: Settings, store: Store, clock: Clock | None = None, quotas: Quotas | None = None,
                 faults: Faults | None = None, registry: Registry = REGISTRY,
                 wall: Callable[[], dt.datetime] = utc_now):
        """Checks that botocore's models have every operation cosell knows (ModelTooOld otherwise),
        compiles the validators, and makes sure the default account has the Sandbox's test solution."""
        self.settings = settings
        self.store = store
        self.wall = wall  # signatures and quota windows are on the wall clock
        self.clock = clock or Clock(store, wall)
        self.registry = registry
        self.quotas = quotas or Quotas.from_settings(settings, store)
        self.faults = faults or Faults(store)
        self.authenticator = Authenticator(settings, store)
        self.served: dict[str, _Served] = {}  # by target prefix
        self.answered = 0  # API requests answered: background work (event delivery) yields while it grows
        for name in sorted(registry.services()):
            served = service(name)
            check_model(served, registry.known(name))
            implemented = [served.model.operation_model(op) for op in sorted(registry.operations(name))]
            self.served[served.target_prefix] = _Served(
                served, awsjson.wire_of(served), compile_validators(implemented),
                {op.name: op.output_shape for op in implemented})
        self._default = self.served[service(PARTNER_CENTRAL_SELLING).target_prefix]
        with store.write() as tx:
            ensure_default_solutions(tx, settings.account_id, self.clock.now())
            ensure_default_groups(tx, self.clock.now())

    def handle(self, raw: RawRequest) -> RawResponse:
        """The whole request, waiting (blocking) for its writes to be durable. For the in-process hook."""
        exchange = self._begin(raw)
        if exchange.delay_seconds:
            time.sleep(exchange.delay_seconds)
        self._run(exchange)
        for commit in exchange.commits:
            exchange.guard(commit.result)
        self.answered += 1
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
        self.answered += 1
        return exchange.finish()

    def _begin(self, raw: RawRequest) -> Exchange:
        """Route, authenticate, charge the quota and decide faults: what happens before any work."""
        exchange = Exchange(raw, AccessLogEntry(new_request_id()), time.perf_counter())
        exchange.guard(self._admit, exchange)
        return exchange

    def _admit(self, exchange: Exchange) -> None:
        raw, entry = exchange.raw, exchange.entry
        served, operation_name = self._route(raw)
        exchange.wire, entry.operation = served.wire, operation_name
        # Signatures and quotas are on the wall clock; what the operation writes is on cosell's clock.
        wall = self.wall()
        now = self.clock.at(wall)
        principal = self.authenticator.authenticate(raw, wall, served.service.signing_name)
        entry.account = principal.account_id
        self._check_content_type(raw, served.wire)
        authorize_operation(principal, operation_name)
        self.quotas.charge(principal.account_id, operation_name, wall)
        exchange.admitted = Admitted(served, operation_name, principal, now, self.faults.before(operation_name))

    def _run(self, exchange: Exchange) -> None:
        if exchange.response is None:
            exchange.guard(self._operate, exchange)

    def _operate(self, exchange: Exchange) -> None:
        admitted = exchange.admitted
        assert admitted is not None, "only an admitted request is operated"
        served, operation_name = admitted.served, admitted.operation
        document = awsjson.parse_body(exchange.raw.body)
        handler = self.registry.handler(served.service.name, operation_name)
        if handler is None:
            raise NotYetImplementedError(f"cosell does not implement {operation_name} yet.")
        request = served.validators[operation_name](document)
        authorize_catalog(admitted.principal, catalog_of(request))
        ctx = Context(admitted.principal, exchange.entry.request_id, admitted.now, self.store, self.settings)
        result = handler(ctx, request)
        self.faults.after(admitted.fault)
        output_shape = served.output_shapes[operation_name]
        body = awsjson.serialize_output(output_shape, result) if output_shape is not None else b""
        exchange.response = RawResponse(200, served.wire.response_headers(exchange.entry.request_id, body), body)

    def _route(self, raw: RawRequest) -> tuple[_Served, str]:
        target = raw.headers.get("x-amz-target")
        path = raw.path.rstrip("/") or "/"
        default = self._default
        if path != "/" and (path.count("/") != 1 or path[1:] not in default.service.operation_names):
            raise UnknownPathError(f"No operation is served at {raw.path}.")
        if raw.method != "POST":
            raise MethodNotAllowedError(f"{raw.method} is not allowed; operations are called with POST.")
        if target is not None:
            prefix, _, name = target.partition(".")
            served = self.served.get(prefix)
            if served is None or name not in served.service.operation_names:
                raise UnknownOperationError(f"Unknown operation {target}.")
            return served, name
        if path == "/":
            raise UnknownOperationError("Missing X-Amz-Target header: name the operation in it or in the path.")
        return default, path[1:]

    @staticmethod
    def _check_content_type(raw: RawRequest, wire: awsjson.Wire) -> None:
        content_type = raw.headers.get("content-type")
        if content_type is None:
            return
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type not in wire.accepted_content_types:
            raise UnsupportedMediaTypeError(
                f"Content-Type {media_type} is not supported; send {' or '.join(wire.accepted_content_types)}.")
