"""The HTTP server `cosell serve` runs: `create_app(settings)` builds it, `run` serves it.

app.py answers the API (the gateway) straight from ASGI messages; admin.py serves /_cosell/*; body.py
reads request bodies within their limits; runner.py serves the app with uvicorn.
"""

from __future__ import annotations

import gc
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cosell.clock import Clock
from cosell.control import reviewer
from cosell.delivery.process import start_delivery
from cosell.domain.review import load_rules
from cosell.gateway import Gateway
from cosell.jobs import JobRunner
from cosell.server.admin import admin_routes
from cosell.server.app import CosellApp
from cosell.server.body import BodyReader, BodyRefused, ClientGone, unread_body_answer
from cosell.server.runner import run
from cosell.settings import Settings
from cosell.store import Store

__all__ = ["create_app", "run"]


async def _unread_body(request: Request, reason: Exception) -> Response:
    raw = unread_body_answer(reason, request.scope)  # type: ignore[arg-type]
    return Response(content=raw.body, status_code=raw.status, headers=raw.headers)


def create_app(settings: Settings, store: Store | None = None) -> CosellApp:
    """The server's ASGI app. Raises ModelTooOld when botocore's model lacks operations cosell knows, and
    QuotaFileError or ReviewRulesError when the quota or review rules file cannot be used."""
    if settings.review_rules is not None:
        load_rules(settings.review_rules)  # ReviewRulesError now rather than at the first review
    store = store or Store(settings.resolved_database_url, settings.store)
    clock = Clock(store)
    gateway = Gateway(settings, store, clock)
    jobs = JobRunner(store, clock, settings)
    body_reader = BodyReader(settings.max_body_bytes, settings.body_timeout_seconds, settings.body_drain_factor)

    @asynccontextmanager
    async def lifespan(_app):
        # Blocking store work runs on a thread: on the event loop it would wait for a commit that the
        # loop itself makes.
        await run_in_threadpool(reviewer.catch_up, store, settings, clock.now())
        jobs.start()
        delivery = start_delivery(settings, store, api_activity=lambda: gateway.answered)
        # What start-up built (botocore's model, the compiled validators and statements) lives as long
        # as the server: kept out of the collector, a full collection no longer walks it, a pause every
        # request in flight would wait out (bench/README.md, "Measurements behind the code").
        gc.freeze()
        yield
        delivery.stop()
        jobs.stop()
        store.close()

    admin_app = Starlette(routes=admin_routes(settings, gateway, body_reader), lifespan=lifespan,
                          exception_handlers={BodyRefused: _unread_body, ClientGone: _unread_body})
    admin_app.state.gateway = gateway
    admin_app.state.jobs = jobs
    return CosellApp(gateway, admin_app, body_reader)
