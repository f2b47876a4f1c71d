"""The `cosell` command: builds Settings from flags and environment and starts things; no logic."""

from __future__ import annotations

import argparse
import logging
import re
import sys

from cosell.settings import Settings


def _account_id(value: str) -> str:
    if not re.fullmatch(r"[0-9]{12}", value):
        raise argparse.ArgumentTypeError("an AWS account id is 12 digits")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cosell", description="AWS Partner Central Selling API, self-hosted.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the API server")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1, env COSELL_HOST)")
    serve.add_argument("--port", type=int, help="port to listen on (default 4588, env COSELL_PORT)")
    serve.add_argument("--data", dest="data_dir", help="directory of the embedded SQLite database (default ./.cosell, env COSELL_DATA)")
    serve.add_argument("--database-url", help="SQLAlchemy URL instead of the embedded SQLite (env COSELL_DATABASE_URL)")
    serve.add_argument("--account-id", type=_account_id, help="the partner account every request belongs to (default 123456789012)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return parser


def serve(args: argparse.Namespace) -> None:
    import uvicorn

    from cosell.server import create_app

    settings = Settings.from_env(host=args.host, port=args.port, data_dir=args.data_dir,
                                 database_url=args.database_url, account_id=args.account_id)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=args.log_level, access_log=False)


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.command == "serve":
        serve(args)


if __name__ == "__main__":
    main(sys.argv[1:])
