"""Persistence behind one interface: `Store(url)` with read and write transactions.

Everything is keyed by (account, catalog). SQLAlchemy Core; SQLite is the embedded default.
"""

from cosell.store.sql import Store, StoreTransaction

__all__ = ["Store", "StoreTransaction"]
