"""The HTTP server: a Starlette app that hands every API request to gateway.handle_async.

`POST /` (X-Amz-Target) and `POST /<Operation>` go to the gateway; `/_cosell/*` is cosell's own
admin surface (admin.py). The body is read here with a size limit and a time limit; nothing else
about bytes is decided here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import hmac
import json
import logging
import uuid
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cosell import admin
from cosell.domain.review import load_rules
from cosell.gateway import Gateway, RawRequest, RawResponse, UnknownPathError, utc_now
from cosell.protocol import json10
from cosell.protocol.errors import (
    AccessDeniedError,
    MethodNotAllowedError,
    RequestTimeoutError,
    RequestTooLargeError,
    ServiceError,
)
from cosell.reviewer import AutoReviewer
from cosell.settings import Settings
from cosell.store import Store

log = logging.getLogger("cosell.server")

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


# Reading a body costs at most `limit` bytes of memory and BODY_TIMEOUT_SECONDS of waiting, whatever
# the client does (tests/test_hostile_input.py). A body that has not fully arrived by then (a stalled
# or trickling client) gets an AWS-shaped 408 and the connection is closed: the rest of that body
# could only be read by waiting longer. A body past the limit gets a 413. Clients such as http.client
# and urllib3 send the whole body before they read the answer, and a socket closed on unread data is
# reset, which can lose the 413; so an oversized body of at most DRAIN_FACTOR x limit bytes is read
# to its end and thrown away (nothing kept) and the connection stays open, like nginx's lingering
# close. Past that, or when the client waits for `100 Continue`, reading stops and the connection
# is closed at once.
BODY_TIMEOUT_SECONDS = 30.0
DRAIN_FACTOR = 8


class BodyRefused(Exception):
    """The body was not read: the error to answer, and whether the connection must close."""

    def __init__(self, error: ServiceError, close: bool):
        super().__init__(error.message)
        self.error = error
        self.close = close


def _declared_length(request: Request) -> int | None:
    if "transfer-encoding" in request.headers:  # chunked: a Content-Length beside it is ignored
        return None
    value = request.headers.get("content-length", "")
    return int(value) if value.isascii() and value.isdigit() else None


async def _read_body(request: Request, limit: int) -> bytes:
    """The whole body. Raises BodyRefused past `limit` bytes or BODY_TIMEOUT_SECONDS, and
    ClientDisconnect when the client goes away before it has sent the body it announced."""
    deadline = asyncio.get_running_loop().time() + BODY_TIMEOUT_SECONDS
    declared = _declared_length(request)
    stream = request.stream()
    chunks, size = [], 0
    try:
        async with asyncio.timeout_at(deadline):
            if declared is None or declared <= limit:
                async for chunk in stream:
                    size += len(chunk)
                    if size > limit:
                        break
                    chunks.append(chunk)
                else:
                    return b"".join(chunks)
    except TimeoutError:
        raise BodyRefused(RequestTimeoutError(
            f"The request body did not arrive within {BODY_TIMEOUT_SECONDS:g} seconds."), close=True) from None
    chunks.clear()
    error = RequestTooLargeError(f"The request body is larger than {limit} bytes.")
    drain = (declared or size) <= limit * DRAIN_FACTOR and request.headers.get("expect", "").lower() != "100-continue"
    drained = drain and await _discard(stream, limit * DRAIN_FACTOR - size, deadline)
    raise BodyRefused(error, close=not drained)


async def _discard(stream, budget: int, deadline: float) -> bool:
    """Reads the rest of a body without keeping it: whether it ended within `budget` bytes and in time."""
    try:
        async with asyncio.timeout_at(deadline):
            async for chunk in stream:
                budget -= len(chunk)
                if budget < 0:
                    return False
    except TimeoutError:
        return False
    return True


async def _body_refused(_request: Request, refused: BodyRefused) -> Response:
    response = _error_response(refused.error)
    if refused.close:
        response.headers["Connection"] = "close"
    return response


async def _client_gone(request: Request, _exc: ClientDisconnect) -> Response:
    """The client closed before sending its whole body: nothing was done, and nobody reads an answer."""
    log.debug("client went away before sending the body of %s %s", request.method, request.url.path)
    return Response(status_code=400)


async def _method_not_allowed(request: Request, _exc) -> Response:
    """A method no route knows (FOO, TRACE): the same AWS-shaped 405 the gateway gives GET or PUT."""
    return _error_response(MethodNotAllowedError(f"{request.method} is not allowed; operations are called with POST."))


async def _not_found(request: Request, _exc) -> Response:
    """A request target no route matches (`*`, `http://host/...`): the gateway's AWS-shaped 404."""
    return _error_response(UnknownPathError(f"No operation is served at {request.url.path}."))


# Starlette turns these into answers wherever an endpoint raises them, api and admin alike.
EXCEPTION_HANDLERS = {BodyRefused: _body_refused, ClientDisconnect: _client_gone,
                      404: _not_found, 405: _method_not_allowed}


def _error_response(error: ServiceError) -> Response:
    return _to_starlette(RawResponse(*json10.serialize_error(error, str(uuid.uuid4()))))


def _to_starlette(raw: RawResponse) -> Response:
    return Response(content=raw.body, status_code=raw.status, headers=raw.headers)


def create_app(settings: Settings, store: Store | None = None) -> Starlette:
    store = store or Store(settings.resolved_database_url)
    gateway = Gateway(settings, store)
    reviewer = None
    if settings.review == "auto":
        rules = load_rules(settings.review_rules) if settings.review_rules else ()
        reviewer = AutoReviewer(store, dt.timedelta(seconds=settings.review_delay_seconds), rules, utc_now)

    async def api(request: Request) -> Response:
        body = await _read_body(request, settings.max_body_bytes)
        raw = RawRequest(
            method=request.method,
            path=request.url.path,
            headers={key.lower(): value for key, value in request.headers.items()},
            body=body,
            query=request.url.query,
            raw_path=request.scope.get("raw_path", b"").decode("latin-1") or None,
        )
        return _to_starlette(await gateway.handle_async(raw))

    def admin_allowed(request: Request) -> bool:
        """Open mode trusts every local caller; strict mode wants the configured admin token."""
        if settings.auth != "strict":
            return True
        sent = request.headers.get("x-cosell-admin-token", "")
        return settings.admin_token is not None and hmac.compare_digest(sent, settings.admin_token)

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def noop(_request: Request) -> Response:
        """The benchmarks' baseline: the same server stack answering without doing any work."""
        return Response(b"{}", media_type="application/json")

    def admin_endpoint(action):
        async def endpoint(request: Request) -> Response:
            if not admin_allowed(request):
                return _error_response(AccessDeniedError(
                    "The /_cosell admin endpoints need the admin token (X-Cosell-Admin-Token) in strict mode."))
            body = await _read_body(request, settings.max_body_bytes)
            try:
                document = json10.parse_body(body or b"")
                account_id = admin.target_account(document, settings.account_id)
                result = await run_in_threadpool(action, store, account_id, document, utc_now())
            except ServiceError as error:
                return _error_response(error)
            return Response(json.dumps(result, default=str), media_type="application/json")
        return endpoint

    @asynccontextmanager
    async def lifespan(_app):
        if reviewer:
            reviewer.start()
        # What start-up built (botocore's model, the compiled validators and statements) lives as long
        # as the server: kept out of the collector, a full collection takes ~0 ms instead of ~100 ms,
        # a pause every request in flight would wait out.
        gc.freeze()
        yield
        if reviewer:
            reviewer.stop()
        store.close()

    app = Starlette(routes=[
        Route("/_cosell/health", health, methods=["GET"]),
        Route("/_cosell/noop", noop, methods=["POST"]),
        Route("/_cosell/solutions", admin_endpoint(admin.add_solution), methods=["POST"]),
        Route("/_cosell/review", admin_endpoint(admin.review), methods=["POST"]),
        Route("/_cosell/faults", admin_endpoint(lambda _store, _account, body, now: gateway.faults.configure(body, now)),
              methods=["POST"]),
        Route("/{path:path}", api, methods=ALL_METHODS),
    ], lifespan=lifespan, exception_handlers=EXCEPTION_HANDLERS)
    app.state.gateway = gateway
    return app
