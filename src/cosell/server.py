"""The HTTP server: a small ASGI app that hands every API request to gateway.handle_async.

`POST /` (X-Amz-Target) and `POST /<Operation>` are served straight from ASGI messages, without a
framework in between: this is the path every API call takes, so it is kept short. `POST /_cosell/noop`
(the benchmarks' baseline) takes the same path and skips only the gateway. The rest of `/_cosell/*`,
cosell's own admin surface (admin.py), and the lifespan are a Starlette app behind it. The body is read
here with a size limit and a time limit; nothing else about bytes is decided here. `run` serves the app
with uvicorn, each response leaving in one write.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import hmac
import json
import logging
from collections.abc import Mapping
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cosell import admin
from cosell.domain.review import load_rules
from cosell.gateway import Gateway, RawRequest, RawResponse, utc_now
from cosell.protocol import json10
from cosell.protocol.request_id import new_request_id
from cosell.protocol.errors import (
    AccessDeniedError,
    RequestTimeoutError,
    RequestTooLargeError,
    ServiceError,
)
from cosell.reviewer import AutoReviewer
from cosell.settings import Settings
from cosell.store import Store

log = logging.getLogger("cosell.server")

NOOP_PATH = "/_cosell/noop"
NOOP_RESPONSE = RawResponse(200, {"Content-Type": "application/x-amz-json-1.0", "Content-Length": "2"}, b"{}")


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


class ClientGone(Exception):
    """The client closed the connection before sending the whole body it announced."""


def _headers(scope) -> dict[str, str]:
    """The request's headers by (lower-case, as ASGI gives them) name; of a repeated one, the last."""
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


def _declared_length(headers: Mapping[str, str]) -> int | None:
    if "transfer-encoding" in headers:  # chunked: a Content-Length beside it is ignored
        return None
    value = headers.get("content-length", "")
    return int(value) if value.isascii() and value.isdigit() else None


def _body_part(message) -> tuple[bytes, bool]:
    """A piece of the body from an ASGI message, and whether more follows."""
    if message["type"] != "http.request":  # http.disconnect
        raise ClientGone
    return message.get("body", b""), message.get("more_body", False)


class BodyDeadlines:
    """The time limits of the bodies being read on one event loop, kept by a single timer.

    asyncio.timeout arms and cancels a loop timer per request, which costs more than reading a small
    body does. Reads start here in the order of their deadlines (start + BODY_TIMEOUT_SECONDS), so one
    timer, set for the oldest unfinished read, is enough: when it fires it cancels the reads that are
    past their deadline and sets itself for the next one. As with asyncio.timeout, the reader turns
    that cancellation back into its time-out (`timed_out`)."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self._reading: dict[asyncio.Task, float] = {}  # unfinished reads, oldest (first to expire) first
        self._expired: set[asyncio.Task] = set()  # cancelled by the timer, not yet seen by their reader
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> asyncio.Task:
        """Starts the clock for the current task's read; the task is to be passed to `finish`."""
        task = asyncio.current_task(self.loop)
        deadline = self.loop.time() + BODY_TIMEOUT_SECONDS
        self._reading[task] = deadline
        if self._timer is None:
            self._timer = self.loop.call_at(deadline, self._expire)
        return task

    def finish(self, task: asyncio.Task) -> None:
        self._reading.pop(task, None)

    def timed_out(self, task: asyncio.Task) -> bool:
        """Whether the CancelledError `task` got was its deadline passing (and nobody else cancelling it)."""
        if task not in self._expired:
            return False
        self._expired.discard(task)
        return task.uncancel() == 0

    def _expire(self) -> None:
        self._timer = None
        now, late = self.loop.time(), []
        for task, deadline in self._reading.items():
            if deadline > now:
                self._timer = self.loop.call_at(deadline, self._expire)
                break
            late.append(task)
        for task in late:
            del self._reading[task]
            self._expired.add(task)
            task.cancel()


class BodyReader:
    """Reads request bodies within `limit` bytes and BODY_TIMEOUT_SECONDS, as described above."""

    def __init__(self, limit: int):
        self.limit = limit
        self._deadlines: BodyDeadlines | None = None

    async def read(self, receive, headers: Mapping[str, str]) -> bytes:
        """The whole body. Raises BodyRefused past the limit or BODY_TIMEOUT_SECONDS, and ClientGone
        when the client goes away before it has sent the body it announced."""
        deadlines, loop = self._deadlines, asyncio.get_running_loop()
        if deadlines is None or deadlines.loop is not loop:
            deadlines = self._deadlines = BodyDeadlines(loop)
        task = deadlines.start()
        limit, declared = self.limit, _declared_length(headers)
        chunks, size, more, draining = [], 0, True, False
        try:
            if declared is None or declared <= limit:
                while more:
                    chunk, more = _body_part(await receive())
                    size += len(chunk)
                    if size > limit:
                        break
                    chunks.append(chunk)
                else:
                    return b"".join(chunks)
                chunks.clear()  # nothing of a refused body is kept while the rest of it is drained
            error = RequestTooLargeError(f"The request body is larger than {limit} bytes.")
            budget = limit * DRAIN_FACTOR - size
            if (declared or size) > limit * DRAIN_FACTOR or headers.get("expect", "").lower() == "100-continue":
                raise BodyRefused(error, close=True)
            draining = True  # the rest is read and thrown away, within the budget and the same deadline
            while more:
                chunk, more = _body_part(await receive())
                budget -= len(chunk)
                if budget < 0:
                    raise BodyRefused(error, close=True)
            raise BodyRefused(error, close=False)
        except asyncio.CancelledError:
            if not deadlines.timed_out(task):
                raise
            if draining:
                raise BodyRefused(error, close=True) from None
            raise BodyRefused(RequestTimeoutError(
                f"The request body did not arrive within {BODY_TIMEOUT_SECONDS:g} seconds."), close=True) from None
        finally:
            deadlines.finish(task)


def _unread_body_answer(reason: BodyRefused | ClientGone, scope) -> RawResponse:
    """The answer to a request whose body was not read: the refusal, or a 400 nobody will read
    (the client has gone; nothing was done)."""
    if isinstance(reason, ClientGone):
        log.debug("client went away before sending the body of %s %s", scope["method"], scope["path"])
        return RawResponse(400, {"Content-Length": "0"}, b"")
    response = _error_response(reason.error)
    if reason.close:
        response.headers["Connection"] = "close"
    return response


def _error_response(error: ServiceError) -> RawResponse:
    return RawResponse(*json10.serialize_error(error, new_request_id()))


async def _send(send, response: RawResponse) -> None:
    await send({"type": "http.response.start", "status": response.status,
                "headers": [(name.encode("latin-1"), value.encode("latin-1"))
                            for name, value in response.headers.items()]})
    await send({"type": "http.response.body", "body": response.body})


class CosellApp:
    """The ASGI app `cosell serve` runs: API requests (and the no-op) are answered here, from the
    ASGI messages; the admin endpoints and the lifespan go to `admin_app`. `state.gateway` is the
    gateway, as on a Starlette app."""

    def __init__(self, gateway: Gateway, admin_app: Starlette, body_reader: BodyReader):
        self.gateway = gateway
        self.admin_app = admin_app
        self.state = admin_app.state
        self.body_reader = body_reader
        # (path, method) pairs that the admin app serves; any other request is an API request, and
        # the gateway answers an unknown path or method with its AWS-shaped 404 or 405.
        self.admin_routes = frozenset((route.path, method) for route in admin_app.routes for method in route.methods)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or (scope["path"], scope["method"]) in self.admin_routes:
            await self.admin_app(scope, receive, send)
            return
        headers = _headers(scope)
        try:
            body = await self.body_reader.read(receive, headers)
        except (BodyRefused, ClientGone) as reason:
            response = _unread_body_answer(reason, scope)
        else:
            if scope["path"] == NOOP_PATH and scope["method"] == "POST":
                response = NOOP_RESPONSE
            else:
                response = await self.gateway.handle_async(RawRequest(
                    method=scope["method"],
                    path=scope["path"],
                    headers=headers,
                    body=body,
                    query=scope["query_string"].decode("latin-1"),
                    raw_path=scope.get("raw_path", b"").decode("latin-1") or None,
                ))
        await _send(send, response)


class CoalescedTransport:
    """A connection's transport whose writes in one turn of the event loop leave in one system call.

    uvicorn writes a response's head and its body with a write each, and uvloop sends each at once:
    two system calls and two TCP segments per response. Held until the end of the loop turn, they
    leave together, in the order written. Everything else is the wrapped transport's; closing sends
    what is held first."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport):
        self._transport = transport
        self._held: list[bytes] = []
        self._loop = asyncio.get_running_loop()

    def write(self, data: bytes) -> None:
        if not self._held:
            self._loop.call_soon(self._send_held)
        self._held.append(data)

    def writelines(self, chunks) -> None:
        for data in chunks:
            self.write(data)

    def _send_held(self) -> None:
        if self._held:
            data = b"".join(self._held)
            self._held.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def write_eof(self) -> None:
        self._send_held()
        self._transport.write_eof()

    def close(self) -> None:
        self._send_held()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def __getattr__(self, name: str):
        return getattr(self._transport, name)


def run(app: CosellApp, host: str, port: int, log_level: str) -> None:
    """Serves `app` with uvicorn on uvloop and httptools, each response written in one system call
    (CoalescedTransport). uvicorn's proxy-headers middleware is left out: it would rewrite the client
    address and scheme from X-Forwarded-* headers, which nothing here reads, at a cost per request."""
    import uvicorn
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class HttpProtocol(HttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(CoalescedTransport(transport))

    uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False, http=HttpProtocol,
                proxy_headers=False)


def _to_starlette(raw: RawResponse) -> Response:
    return Response(content=raw.body, status_code=raw.status, headers=raw.headers)


async def _unread_body(request: Request, reason: BodyRefused | ClientGone) -> Response:
    return _to_starlette(_unread_body_answer(reason, request.scope))


def create_app(settings: Settings, store: Store | None = None) -> CosellApp:
    store = store or Store(settings.resolved_database_url)
    gateway = Gateway(settings, store)
    body_reader = BodyReader(settings.max_body_bytes)
    reviewer = None
    if settings.review == "auto":
        rules = load_rules(settings.review_rules) if settings.review_rules else ()
        reviewer = AutoReviewer(store, dt.timedelta(seconds=settings.review_delay_seconds), rules, utc_now)

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
                return _to_starlette(_error_response(AccessDeniedError(
                    "The /_cosell admin endpoints need the admin token (X-Cosell-Admin-Token) in strict mode.")))
            body = await body_reader.read(request.receive, _headers(request.scope))
            try:
                document = json10.parse_body(body or b"")
                account_id = admin.target_account(document, settings.account_id)
                result = await run_in_threadpool(action, store, account_id, document, utc_now())
            except ServiceError as error:
                return _to_starlette(_error_response(error))
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

    admin_app = Starlette(routes=[
        Route("/_cosell/health", health, methods=["GET"]),
        Route("/_cosell/solutions", admin_endpoint(admin.add_solution), methods=["POST"]),
        Route("/_cosell/review", admin_endpoint(admin.review), methods=["POST"]),
        Route("/_cosell/faults", admin_endpoint(lambda _store, _account, body, now: gateway.faults.configure(body, now)),
              methods=["POST"]),
    ], lifespan=lifespan, exception_handlers={BodyRefused: _unread_body, ClientGone: _unread_body})
    admin_app.state.gateway = gateway
    return CosellApp(gateway, admin_app, body_reader)
