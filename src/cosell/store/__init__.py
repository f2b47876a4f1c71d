"""Persistence behind one interface: `Store(url)` with read and write transactions, `tx.<repository>`
inside them. SQLAlchemy Core; SQLite is the embedded default, PostgreSQL the other tested database.

Each resource keeps its tables, its repository and its list declarations in one module; importing the
package imports them all, one line each (a new family adds its line).
"""

from cosell.store import accounts  # noqa: F401  (registers its tables and its repository)
from cosell.store import clock  # noqa: F401
from cosell.store import client_tokens  # noqa: F401
from cosell.store import counters  # noqa: F401
from cosell.store import engagement_groups  # noqa: F401
from cosell.store import engagement_tasks  # noqa: F401
from cosell.store import engagements  # noqa: F401
from cosell.store import events  # noqa: F401
from cosell.store import faults  # noqa: F401
from cosell.store import invitations  # noqa: F401
from cosell.store import jobs  # noqa: F401
from cosell.store import opportunities  # noqa: F401
from cosell.store import pager  # noqa: F401
from cosell.store import pagination_keys  # noqa: F401
from cosell.store import prospecting  # noqa: F401
from cosell.store import quotas  # noqa: F401
from cosell.store import reset  # noqa: F401
from cosell.store import selling_settings  # noqa: F401
from cosell.store import snapshot_jobs  # noqa: F401
from cosell.store import snapshots  # noqa: F401
from cosell.store import solutions  # noqa: F401
from cosell.store import state  # noqa: F401
from cosell.store import tags  # noqa: F401
from cosell.store.store import Store, TracingUnsupported
from cosell.store.transaction import StoreTransaction

__all__ = ["Store", "StoreTransaction", "TracingUnsupported"]
