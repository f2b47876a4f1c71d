"""The baseline's fallback: a Starlette app whose POST /_cosell/noop reads the body and answers 200 {},
run by uvicorn exactly as `cosell serve` runs cosell (cli.serve: uvicorn.run(app, host, port, log_level,
access_log=False)). bench/run.py measures it as a reference row (the Starlette no-op the issue's
"about 30,000 requests/s" describes), and as the baseline only if cosell has no /_cosell/noop.

    python bench/noop_app.py --port 4599 [--log-level warning]
"""

from __future__ import annotations

import argparse

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


async def noop(request: Request) -> Response:
    await request.body()
    return Response(b"{}", media_type="application/x-amz-json-1.0")


async def health(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(routes=[Route("/_cosell/noop", noop, methods=["POST"]),
                        Route("/_cosell/health", health, methods=["GET"])])

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4599)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, access_log=False)
