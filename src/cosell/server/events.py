"""/_cosell/events and /_cosell/webhooks: the event log (a page, or a live server-sent-events stream), the
deliveries of an event, webhooks and Lambda mappings. Each calls cosell/control/events.py, as the
`cosell events` and `cosell webhooks` commands do.

    GET  /_cosell/events?after=CURSOR&limit=N&tail=N&detail-type=T&account=A&catalog=C
    GET  /_cosell/events/stream?…the same filters   (text/event-stream; resumes from Last-Event-ID)
    GET  /_cosell/events/deliveries?event-id=ID
    GET  /_cosell/events/lambdas        POST /_cosell/events/lambdas {FunctionArn, Handler}
    GET  /_cosell/webhooks              POST /_cosell/webhooks {Url, EventPattern?, AccountId?}
    POST /_cosell/webhooks/remove {Id}  POST /_cosell/webhooks/redeliver {EventId, WebhookId?}
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from cosell.control import events as control
from cosell.protocol.errors import ValidationError
from cosell.server import admin_members as members

if TYPE_CHECKING:
    from cosell.gateway import Gateway
    from cosell.server.admin import AdminEndpoints

STREAM_POLL_SECONDS = 0.25
STREAM_HEARTBEAT_SECONDS = 15.0


def _one(parameters: dict[str, list[str]], name: str) -> str | None:
    values = parameters.get(name)
    return values[-1] if values else None


def _number(parameters: dict[str, list[str]], name: str, default: int) -> int:
    text = _one(parameters, name)
    if text is None:
        return default
    if not text.isdigit():
        members.refuse(name, "INVALID_VALUE", f"{name} must be a whole number, not {text!r}.")
    return int(text)


def _filters(parameters: dict[str, list[str]]) -> dict[str, Any]:
    return {"detail_types": parameters.get("detail-type"), "account_id": _one(parameters, "account"),
            "catalog": _one(parameters, "catalog")}


def event_routes(admin: AdminEndpoints, gateway: Gateway) -> list[Route]:
    store = gateway.store

    def log(parameters: dict[str, list[str]]) -> dict:
        filters = _filters(parameters)
        tail = _number(parameters, "tail", 0)
        after = _number(parameters, "after", 0)
        if tail:  # the last `tail` events: start from the cursor before them
            return control.event_log(store, control.cursor_before_last(store, tail, **filters), tail, **filters)
        return control.event_log(store, after, _number(parameters, "limit", control.DEFAULT_PAGE), **filters)

    async def stream(request: Request) -> Response:
        """The log, then every new event as it is published: `id:` is the cursor, `data:` the envelope."""
        if not admin.allowed(request):
            return admin.refused()
        parameters = admin.parameters(request)
        try:
            filters = _filters(parameters)
            resume = request.headers.get("last-event-id")
            if resume is not None and resume.isdigit():
                after = int(resume)
            elif _one(parameters, "after") == "latest":
                after = await run_in_threadpool(control.last_cursor, store)
            else:
                after = _number(parameters, "after", 0)
        except ValidationError as error:
            return admin.error(error)

        async def messages():
            nonlocal after
            quiet_since = time.monotonic()
            yield ": cosell event stream\n\n"
            while not await request.is_disconnected():
                page = await run_in_threadpool(control.log_page, store, after, 200, filters["detail_types"],
                                               filters["account_id"], filters["catalog"])
                for cursor, envelope in page:
                    yield f"id: {cursor}\ndata: {envelope}\n\n"
                    after = cursor
                if page:
                    quiet_since = time.monotonic()
                    continue
                if time.monotonic() - quiet_since >= STREAM_HEARTBEAT_SECONDS:
                    yield ": keep-alive\n\n"
                    quiet_since = time.monotonic()
                await asyncio.sleep(STREAM_POLL_SECONDS)

        return StreamingResponse(messages(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    def event_deliveries(parameters: dict[str, list[str]]) -> dict:
        return control.deliveries(store, members.required({"event-id": _one(parameters, "event-id")}, "event-id"))

    def lambdas(_parameters: dict[str, list[str]]) -> dict:
        return control.list_lambdas(store)

    def map_lambda(_account_id: str, body: dict) -> dict:
        return control.map_lambda(store, members.required(body, "FunctionArn"), members.required(body, "Handler"),
                                  gateway.clock.now())

    def webhooks(_parameters: dict[str, list[str]]) -> dict:
        return control.list_webhooks(store)

    def add_webhook(account_id: str, body: dict) -> dict:
        return control.add_webhook(store, members.required(body, "Url"), members.optional(body, "EventPattern"),
                                   account_id if body.get("AccountId") else None, gateway.clock.now())

    def remove_webhook(_account_id: str, body: dict) -> dict:
        return control.remove_webhook(store, members.required(body, "Id"))

    def redeliver(_account_id: str, body: dict) -> dict:
        return control.redeliver(store, members.required(body, "EventId"), members.optional(body, "WebhookId"),
                                 gateway.clock.now())

    return [
        Route("/_cosell/events", admin.query(log), methods=["GET"]),
        Route("/_cosell/events/stream", stream, methods=["GET"]),
        Route("/_cosell/events/deliveries", admin.query(event_deliveries), methods=["GET"]),
        Route("/_cosell/events/lambdas", admin.query(lambdas), methods=["GET"]),
        Route("/_cosell/events/lambdas", admin.endpoint(map_lambda), methods=["POST"]),
        Route("/_cosell/webhooks", admin.query(webhooks), methods=["GET"]),
        Route("/_cosell/webhooks", admin.endpoint(add_webhook), methods=["POST"]),
        Route("/_cosell/webhooks/remove", admin.endpoint(remove_webhook), methods=["POST"]),
        Route("/_cosell/webhooks/redeliver", admin.endpoint(redeliver), methods=["POST"]),
    ]
