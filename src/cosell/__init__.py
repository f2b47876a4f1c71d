"""cosell: the AWS Partner Central Selling API on your own machine.

Public surface only: build a server app with `create_app(settings)`, or a gateway for the in-process
boto3 hook with `Gateway`.
"""

from cosell.settings import Settings
from cosell.server import create_app

__all__ = ["Settings", "create_app"]
