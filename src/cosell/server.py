"""The HTTP server: a Starlette app that hands every API request to gateway.handle.

`POST /` (X-Amz-Target) and `POST /<Operation>` go to the gateway; `/_cosell/*` is cosell's own
admin surface (admin.py). The body is read here with a size limit; nothing else about bytes is
decided here.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
import logging
import uuid
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cosell import admin
from cosell.domain.review import load_rules
from cosell.faults import configure_faults
from cosell.gateway import Gateway, RawRequest, RawResponse, utc_now
from cosell.protocol import json10
from cosell.protocol.errors import AccessDeniedError, RequestTooLargeError, ServiceError
from cosell.reviewer import AutoReviewer
from cosell.settings import Settings
from cosell.store import Store

log = logging.getLogger("cosell.server")

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is larger than `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


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
        if body is None:
            return _error_response(RequestTooLargeError(f"The request body is larger than {settings.max_body_bytes} bytes."))
        raw = RawRequest(
            method=request.method,
            path=request.url.path,
            headers={key.lower(): value for key, value in request.headers.items()},
            body=body,
        )
        return _to_starlette(await run_in_threadpool(gateway.handle, raw))

    def admin_allowed(request: Request) -> bool:
        """Open mode trusts every local caller; strict mode wants the configured admin token."""
        if settings.auth != "strict":
            return True
        sent = request.headers.get("x-cosell-admin-token", "")
        return settings.admin_token is not None and hmac.compare_digest(sent, settings.admin_token)

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    def admin_endpoint(action):
        async def endpoint(request: Request) -> Response:
            if not admin_allowed(request):
                return _error_response(AccessDeniedError(
                    "The /_cosell admin endpoints need the admin token (X-Cosell-Admin-Token) in strict mode."))
            body = await _read_body(request, settings.max_body_bytes)
            try:
                document = json10.parse_body(body or b"")
                result = await run_in_threadpool(action, store, settings.account_id, document, utc_now())
            except ServiceError as error:
                return _error_response(error)
            return Response(json.dumps(result, default=str), media_type="application/json")
        return endpoint

    @asynccontextmanager
    async def lifespan(_app):
        if reviewer:
            reviewer.start()
        yield
        if reviewer:
            reviewer.stop()
        store.close()

    app = Starlette(routes=[
        Route("/_cosell/health", health, methods=["GET"]),
        Route("/_cosell/solutions", admin_endpoint(admin.add_solution), methods=["POST"]),
        Route("/_cosell/review", admin_endpoint(admin.review), methods=["POST"]),
        Route("/_cosell/faults", admin_endpoint(configure_faults), methods=["POST"]),
        Route("/{path:path}", api, methods=ALL_METHODS),
    ], lifespan=lifespan)
    app.state.gateway = gateway
    return app
