"""Table definitions. Timestamps are integer milliseconds since the epoch (sortable, exact)."""

from sqlalchemy import BigInteger, Column, Index, MetaData, String, Table, Text

metadata = MetaData()

opportunities = Table(
    "opportunities",
    metadata,
    Column("catalog", String(16), primary_key=True),
    Column("id", String(24), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("last_modified_ms", BigInteger, nullable=False),
    Column("stage", String(32)),
    Column("review_status", String(32)),
    Column("company_name", String(120)),
    Column("target_close_date", String(10)),
    Column("document", Text, nullable=False),  # the opportunity as GetOpportunity shows it, JSON
)
Index("opportunities_by_account", opportunities.c.account_id, opportunities.c.catalog,
      opportunities.c.last_modified_ms)

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

# Opportunity numbers increase per catalog, as the real identifiers appear to (reference §5.1).
id_counters = Table(
    "id_counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("last_value", BigInteger, nullable=False),
)
