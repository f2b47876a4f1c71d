"""The HTTP server: a Starlette app that hands every API request to gateway.handle.

`POST /` (X-Amz-Target) and `POST /<Operation>` go to the gateway; `/_cosell/*` is cosell's own
admin surface. The body is read here with a size limit; nothing else about bytes is decided here.
"""

from __future__ import annotations

import logging
import uuid
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cosell.gateway import Gateway, RawRequest, RawResponse
from cosell.protocol import json10
from cosell.protocol.errors import RequestTooLargeError
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


def _to_starlette(raw: RawResponse) -> Response:
    return Response(content=raw.body, status_code=raw.status, headers=raw.headers)


def create_app(settings: Settings, store: Store | None = None) -> Starlette:
    store = store or Store(settings.resolved_database_url)
    gateway = Gateway(settings, store)

    async def api(request: Request) -> Response:
        body = await _read_body(request, settings.max_body_bytes)
        if body is None:
            error = RequestTooLargeError(f"The request body is larger than {settings.max_body_bytes} bytes.")
            return _to_starlette(RawResponse(*json10.serialize_error(error, str(uuid.uuid4()))))
        raw = RawRequest(
            method=request.method,
            path=request.url.path,
            headers={key.lower(): value for key, value in request.headers.items()},
            body=body,
        )
        return _to_starlette(await run_in_threadpool(gateway.handle, raw))

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    @asynccontextmanager
    async def lifespan(_app):
        yield
        store.close()

    app = Starlette(routes=[
        Route("/_cosell/health", health, methods=["GET"]),
        Route("/{path:path}", api, methods=ALL_METHODS),
    ], lifespan=lifespan)
    app.state.gateway = gateway
    return app
