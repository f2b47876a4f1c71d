"""Table definitions. Timestamps are integer milliseconds since the epoch (sortable, exact)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Column, Index, MetaData, String, Table, Text

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_MILLISECOND = dt.timedelta(milliseconds=1)


def to_ms(value: dt.datetime) -> int:
    return (value - EPOCH) // _MILLISECOND


def from_ms(value: int) -> dt.datetime:
    return EPOCH + dt.timedelta(milliseconds=value)




def sortable(length: int):
    """A string column that lists sort by: in code-point order on every database, as SQLite's BINARY
    collation orders it (a PostgreSQL database's default collation may follow a language's rules)."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


metadata = MetaData()

opportunities = Table(
    "opportunities",
    metadata,
    Column("catalog", String(16), primary_key=True),
    Column("id", String(24), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("number", BigInteger, nullable=False),  # the digits of the id, for sorting by Identifier
    Column("created_ms", BigInteger, nullable=False),
    Column("last_modified_ms", BigInteger, nullable=False),
    Column("stage", String(32)),
    Column("review_status", String(32)),
    Column("company_name", sortable(120)),
    Column("target_close_date", sortable(10)),
    Column("document", Text, nullable=False),  # the opportunity as GetOpportunity shows it, JSON
)
Index("opportunities_by_last_modified", opportunities.c.account_id, opportunities.c.catalog,
      opportunities.c.last_modified_ms, opportunities.c.number)
Index("opportunities_awaiting_review", opportunities.c.review_status, opportunities.c.last_modified_ms)

# ClientToken results, scoped to (account, catalog, operation); see reference §4.
client_tokens = Table(
    "client_tokens",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("catalog", String(16), primary_key=True),
    Column("operation", String(64), primary_key=True),
    Column("token", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("response", Text, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)

# Numbers increase per name (e.g. opportunities per catalog, as the real identifiers appear to).
id_counters = Table(
    "id_counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("last_value", BigInteger, nullable=False),
)

# The partner's solution catalog, per account and catalog (ListSolutions, AssociateOpportunity).
solutions = Table(
    "solutions",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("catalog", String(16), primary_key=True),
    Column("id", String(24), primary_key=True),
    Column("number", BigInteger, nullable=False),
    Column("name", sortable(255), nullable=False),
    Column("status", sortable(16), nullable=False),
    Column("category", sortable(255), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)

# Tags of any taggable resource, by ARN (the ARN names account and catalog).
tags = Table(
    "tags",
    metadata,
    Column("resource_arn", String(1000), primary_key=True),
    Column("key", String(128), primary_key=True),
    Column("value", String(256), nullable=False),
)

# Partner accounts and their access keys (`cosell accounts ...`). The secret is kept as issued: SigV4
# verification needs it (the database file is created with mode 0600).
accounts = Table(
    "accounts",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("name", String(255), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)

access_keys = Table(
    "access_keys",
    metadata,
    Column("access_key_id", String(32), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("secret_access_key", String(64), nullable=False),
    Column("catalogs", String(64), nullable=False),  # comma-separated: "AWS,Sandbox"
    Column("read_only", Boolean, nullable=False),
    Column("revoked", Boolean, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)

# StartEngagementFromOpportunityTask results.
engagement_tasks = Table(
    "engagement_tasks",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("catalog", String(16), primary_key=True),
    Column("id", sortable(32), primary_key=True),  # the tie-breaker of task lists
    Column("opportunity_id", String(24), nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("document", Text, nullable=False),  # the task summary as the list operation shows it, JSON
)
Index("engagement_tasks_by_start", engagement_tasks.c.account_id, engagement_tasks.c.catalog,
      engagement_tasks.c.start_ms)

# --- List operations (store/listing.py): keyset pagination served from indexes -------------------
# Every list query reads one of these in order: equality on the leading columns, then (sort column,
# tie-breaker) ascending or descending, so a page costs its size, not the table's. The tie-breaker is
# the numeric identifier (`number`); engagement tasks have no number and use their id.

Index("opportunities_by_stage_last_modified", opportunities.c.account_id, opportunities.c.catalog,
      opportunities.c.stage, opportunities.c.last_modified_ms, opportunities.c.number)
Index("opportunities_by_created", opportunities.c.account_id, opportunities.c.catalog,
      opportunities.c.created_ms, opportunities.c.number)
Index("opportunities_by_company_name", opportunities.c.account_id, opportunities.c.catalog,
      opportunities.c.company_name, opportunities.c.number)
Index("opportunities_by_target_close_date", opportunities.c.account_id, opportunities.c.catalog,
      opportunities.c.target_close_date, opportunities.c.number)
Index("opportunities_by_number", opportunities.c.account_id, opportunities.c.catalog, opportunities.c.number)

Index("solutions_by_number", solutions.c.account_id, solutions.c.catalog, solutions.c.number)
Index("solutions_by_name", solutions.c.account_id, solutions.c.catalog, solutions.c.name, solutions.c.number)
Index("solutions_by_status", solutions.c.account_id, solutions.c.catalog, solutions.c.status, solutions.c.number)
Index("solutions_by_category", solutions.c.account_id, solutions.c.catalog, solutions.c.category,
      solutions.c.number)
Index("solutions_by_created", solutions.c.account_id, solutions.c.catalog, solutions.c.created_ms,
      solutions.c.number)

Index("engagement_tasks_by_start_and_id", engagement_tasks.c.account_id, engagement_tasks.c.catalog,
      engagement_tasks.c.start_ms, engagement_tasks.c.id)

# The HMAC key that signs NextTokens: generated once per database, on first use.
pagination_keys = Table(
    "pagination_keys",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("secret", String(64), nullable=False),  # hex of 32 random bytes
)

# --- Quotas (store/quotas.py) and fault injection (store/faults.py) ------------------------------
from sqlalchemy import Float  # noqa: E402  (this section was appended; the imports above are shared)

# The current one-second window of each (account, quota group): its start and the requests in it.
quota_seconds = Table(
    "quota_seconds",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("quota_group", String(16), primary_key=True),
    Column("epoch_second", BigInteger, nullable=False),
    Column("requests", BigInteger, nullable=False),
)

# Requests per minute of each (account, quota group), kept for 24 hours: the rolling daily quota.
quota_minutes = Table(
    "quota_minutes",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("quota_group", String(16), primary_key=True),
    Column("epoch_minute", BigInteger, primary_key=True),
    Column("requests", BigInteger, nullable=False),
)

# Injected faults, server-wide, one per operation name (or "*" for every operation).
faults = Table(
    "faults",
    metadata,
    Column("operation", String(64), primary_key=True),
    Column("error", String(32)),  # ThrottlingException | InternalServerException | NULL
    Column("rate", Float, nullable=False),  # share of requests affected, 0..1
    Column("latency_ms", BigInteger),
    Column("drop_response", Boolean, nullable=False),
    Column("set_ms", BigInteger, nullable=False),
)
