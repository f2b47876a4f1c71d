"""Every family of operations, imported once so that each registers its handlers: one line each, and a
new family adds its line. The gateway serves REGISTRY after importing this module."""

from cosell.operations import associations  # noqa: F401  (registers its operations)
from cosell.operations import engagement_search  # noqa: F401
from cosell.operations import engagements  # noqa: F401
from cosell.operations import eventbridge  # noqa: F401
from cosell.operations import invitations  # noqa: F401
from cosell.operations import opportunities  # noqa: F401
from cosell.operations import prospecting  # noqa: F401
from cosell.operations import selling_settings  # noqa: F401
from cosell.operations import snapshot_jobs  # noqa: F401
from cosell.operations import snapshots  # noqa: F401
from cosell.operations import solutions  # noqa: F401
from cosell.operations import submission  # noqa: F401
from cosell.operations import tags  # noqa: F401
from cosell.operations.registry import REGISTRY

__all__ = ["REGISTRY"]
