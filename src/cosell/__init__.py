"""cosell: the AWS Partner Central Selling API on your own machine.

Public surface only: build a server app with `create_app(settings)`; `Settings` configures it;
`mock_partnercentral()` is Partner Central in process, for tests. Each is imported on first use, so that
importing one of cosell's modules does not load the server.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Settings", "create_app", "mock_partnercentral"]


def __getattr__(name: str) -> Any:
    if name == "Settings":
        from cosell.settings import Settings

        return Settings
    if name == "create_app":
        from cosell.server import create_app

        return create_app
    if name == "mock_partnercentral":
        from cosell.mock import mock_partnercentral

        return mock_partnercentral
    raise AttributeError(f"module 'cosell' has no attribute {name!r}")
