"""The HTTP server: a small ASGI app that hands every API request to gateway.handle_async.

`POST /` (X-Amz-Target) and `POST /<Operation>` are served straight from ASGI messages, without a
framework in between: this is the path every API call takes, so it is kept short. `POST /_cosell/noop`
(the benchmarks' baseline) takes the same path and skips only the gateway. The rest of `/_cosell/*`,
cosell's own admin surface (server/admin.py), and the lifespan are a Starlette app behind it. The body
is read with a size limit and a time limit (server/body.py).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from cosell.gateway import Gateway, RawRequest, RawResponse
from cosell.server.body import BodyReader, BodyRefused, ClientGone, request_headers, unread_body_answer

NOOP_PATH = "/_cosell/noop"
NOOP_RESPONSE = RawResponse(200, {"Content-Type": "application/x-amz-json-1.0", "Content-Length": "2"}, b"{}")


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
        self.admin_routes = frozenset((route.path, method) for route in admin_app.routes
                                      if isinstance(route, Route) for method in route.methods or ())

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or (scope["path"], scope["method"]) in self.admin_routes:
            await self.admin_app(scope, receive, send)
            return
        headers = request_headers(scope)
        try:
            body = await self.body_reader.read(receive, headers)
        except (BodyRefused, ClientGone) as reason:
            response = unread_body_answer(reason, scope)
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
