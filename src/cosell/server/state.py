"""/_cosell/state: the server's whole state as a snapshot (control/state.py), for `cosell snapshot save|load`.

    GET /_cosell/state      the snapshot, JSON, read in one transaction while the server runs
    PUT /_cosell/state      replaces everything with the snapshot in the body (any size: the admin token,
                            in strict mode, is what guards it)
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cosell.control import state
from cosell.protocol.errors import ServiceError, ValidationError

if TYPE_CHECKING:
    from cosell.gateway import Gateway
    from cosell.server.admin import AdminEndpoints


def state_routes(admin: AdminEndpoints, gateway: Gateway) -> list[Route]:
    store = gateway.store

    def loaded(document) -> dict:
        answer = state.load(store, document)
        gateway.clock.forget_cached()
        gateway.faults.board.mark_stale()
        return answer

    async def save(request: Request) -> Response:
        if not admin.allowed(request):
            return admin.refused()
        snapshot = await run_in_threadpool(state.save, store)
        return Response(json.dumps(snapshot, separators=(",", ":")), media_type="application/json")

    async def load(request: Request) -> Response:
        if not admin.allowed(request):
            return admin.refused()
        try:
            try:
                document = json.loads(await request.body())
            except ValueError:
                raise ValidationError.of_field(None, "The body must be a cosell snapshot, JSON.") from None
            if not isinstance(document, dict):
                raise ValidationError.of_field(None, "The body must be a cosell snapshot: a JSON object.")
            answer = await run_in_threadpool(loaded, document)
        except ServiceError as error:
            return admin.error(error)
        return Response(json.dumps(answer), media_type="application/json")

    return [Route("/_cosell/state", save, methods=["GET"]), Route("/_cosell/state", load, methods=["PUT"])]
