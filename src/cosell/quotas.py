"""Per-account request quotas (`cosell serve --quotas off|aws|FILE`). Off by default.

"off" charges nothing and costs nothing (no database access). "aws" applies AWS's published limits;
a JSON quota file overrides them per group, e.g. `{"read": {"per_second": 50, "per_day": 1000000},
"write": {"per_second": 5}}` (a missing key keeps AWS's number). Counting is in the database
(store/quotas.py), so server processes sharing it share the counts; a throttled request is rolled
back and costs no quota. This module decides groups and limits; it holds no counters.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from pathlib import Path

from cosell.protocol.errors import ThrottlingError
from cosell.settings import Settings
from cosell.store import Store
from cosell.timestamps import to_ms


@dataclass(frozen=True)
class QuotaLimit:
    per_second: int
    per_day: int  # per rolling 24 hours


READ, WRITE = "read", "write"

# AWS's per-account limits, from the Partner Central quotas page
# (https://docs.aws.amazon.com/partner-central/latest/developer-guide/quotas.html, reference §7).
AWS_LIMITS = {READ: QuotaLimit(per_second=10, per_day=100_000), WRITE: QuotaLimit(per_second=1, per_day=10_000)}

# The operations that page names in each group. Any other operation is a read when its name says
# it only reads (Get*, List*, Search*) and a write otherwise [inference: the page lists only these].
DOCUMENTED_GROUPS = {
    "GetOpportunity": READ, "GetAwsOpportunitySummary": READ, "ListOpportunities": READ, "ListSolutions": READ,
    "GetEngagementInvitation": READ, "ListEngagementInvitations": READ,
    "CreateOpportunity": WRITE, "UpdateOpportunity": WRITE, "AssociateOpportunity": WRITE,
    "DisassociateOpportunity": WRITE, "RejectEngagementInvitation": WRITE, "AssignOpportunity": WRITE,
    "StartEngagementFromOpportunityTask": WRITE, "StartEngagementByAcceptingInvitationTask": WRITE,
}
READ_PREFIXES = ("Get", "List", "Search")


def quota_group(operation: str) -> str:
    if operation in DOCUMENTED_GROUPS:
        return DOCUMENTED_GROUPS[operation]
    return READ if operation.startswith(READ_PREFIXES) else WRITE


class QuotaFileError(ValueError):
    """A quota file that cannot be used; raised at start-up."""


def load_quota_file(path: Path) -> dict[str, QuotaLimit]:
    """AWS's limits with the file's numbers over them."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise QuotaFileError(f"cannot read quota file {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise QuotaFileError(f"quota file {path} is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise QuotaFileError(f"quota file {path} must be a JSON object with \"read\" and/or \"write\"")
    limits = dict(AWS_LIMITS)
    for group, numbers in document.items():
        if group not in AWS_LIMITS:
            raise QuotaFileError(f"quota file {path}: unknown group {group!r}; the groups are read and write")
        if not isinstance(numbers, dict):
            raise QuotaFileError(f"quota file {path}: {group} must be an object with per_second and/or per_day")
        for key, value in numbers.items():
            if key not in ("per_second", "per_day"):
                raise QuotaFileError(f"quota file {path}: unknown key {group}.{key}; use per_second or per_day")
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise QuotaFileError(f"quota file {path}: {group}.{key} must be a positive integer, not {value!r}")
        limits[group] = replace(limits[group], **numbers)
    return limits


class Quotas:
    """Charges each request to its account; raises ThrottlingError over a limit."""

    def __init__(self, store: Store, limits: dict[str, QuotaLimit] | None):
        self.store = store
        self.limits = limits  # None: quotas are off

    @classmethod
    def from_settings(cls, settings: Settings, store: Store) -> Quotas:
        """QuotaFileError when settings.quotas names a file that cannot be used."""
        choice = (settings.quotas or "off").strip()
        if choice == "off":
            return cls(store, None)
        if choice == "aws":
            return cls(store, dict(AWS_LIMITS))
        return cls(store, load_quota_file(Path(choice)))

    def charge(self, account_id: str, operation: str, now: dt.datetime) -> None:
        """One short write transaction when quotas are on; nothing at all when they are off."""
        if self.limits is None:
            return
        group = quota_group(operation)
        limit = self.limits[group]
        with self.store.write() as tx:
            exceeded = tx.quotas.charge(account_id, group, to_ms(now), limit.per_second, limit.per_day)
            if exceeded == "per_second":
                raise ThrottlingError(f"Rate exceeded: the {group} quota allows {limit.per_second:,} request"
                                      f"{'s' if limit.per_second != 1 else ''} per second per account ({operation}).")
            if exceeded == "per_day":
                raise ThrottlingError(f"Rate exceeded: the {group} quota allows {limit.per_day:,} requests per "
                                      f"rolling 24 hours per account ({operation}).")
