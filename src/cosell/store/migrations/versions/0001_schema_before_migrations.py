"""The schema before migrations: twelve tables and their indexes.

As src/cosell/store/schema.py at commit c31f798 defined them and Store created them (metadata.create_all),
written out here so that this revision never changes with the models.

Revision 0001, the first.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _sortable(length: int) -> sa.String:
    """A column lists sort by, in code-point order on PostgreSQL too (store/metadata.py's sortable then)."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "opportunities",
        sa.Column("catalog", sa.String(16), primary_key=True),
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("number", sa.BigInteger, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("last_modified_ms", sa.BigInteger, nullable=False),
        sa.Column("stage", sa.String(32)),
        sa.Column("review_status", sa.String(32)),
        sa.Column("company_name", _sortable(120)),
        sa.Column("target_close_date", _sortable(10)),
        sa.Column("document", sa.Text, nullable=False),
    )
    op.create_index("opportunities_by_last_modified", "opportunities",
                    ["account_id", "catalog", "last_modified_ms", "number"])
    op.create_index("opportunities_awaiting_review", "opportunities", ["review_status", "last_modified_ms"])
    op.create_index("opportunities_by_stage_last_modified", "opportunities",
                    ["account_id", "catalog", "stage", "last_modified_ms", "number"])
    op.create_index("opportunities_by_created", "opportunities", ["account_id", "catalog", "created_ms", "number"])
    op.create_index("opportunities_by_company_name", "opportunities",
                    ["account_id", "catalog", "company_name", "number"])
    op.create_index("opportunities_by_target_close_date", "opportunities",
                    ["account_id", "catalog", "target_close_date", "number"])
    op.create_index("opportunities_by_number", "opportunities", ["account_id", "catalog", "number"])

    op.create_table(
        "client_tokens",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("catalog", sa.String(16), primary_key=True),
        sa.Column("operation", sa.String(64), primary_key=True),
        sa.Column("token", sa.String(255), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("response", sa.Text, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )

    op.create_table(
        "id_counters",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("last_value", sa.BigInteger, nullable=False),
    )

    op.create_table(
        "solutions",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("catalog", sa.String(16), primary_key=True),
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("number", sa.BigInteger, nullable=False),
        sa.Column("name", _sortable(255), nullable=False),
        sa.Column("status", _sortable(16), nullable=False),
        sa.Column("category", _sortable(255), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("solutions_by_number", "solutions", ["account_id", "catalog", "number"])
    op.create_index("solutions_by_name", "solutions", ["account_id", "catalog", "name", "number"])
    op.create_index("solutions_by_status", "solutions", ["account_id", "catalog", "status", "number"])
    op.create_index("solutions_by_category", "solutions", ["account_id", "catalog", "category", "number"])
    op.create_index("solutions_by_created", "solutions", ["account_id", "catalog", "created_ms", "number"])

    op.create_table(
        "tags",
        sa.Column("resource_arn", sa.String(1000), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )

    op.create_table(
        "accounts",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )

    op.create_table(
        "access_keys",
        sa.Column("access_key_id", sa.String(32), primary_key=True),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("secret_access_key", sa.String(64), nullable=False),
        sa.Column("catalogs", sa.String(64), nullable=False),
        sa.Column("read_only", sa.Boolean, nullable=False),
        sa.Column("revoked", sa.Boolean, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )

    op.create_table(
        "engagement_tasks",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("catalog", sa.String(16), primary_key=True),
        sa.Column("id", _sortable(32), primary_key=True),
        sa.Column("opportunity_id", sa.String(24), nullable=False),
        sa.Column("start_ms", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
    )
    op.create_index("engagement_tasks_by_start", "engagement_tasks", ["account_id", "catalog", "start_ms"])
    op.create_index("engagement_tasks_by_start_and_id", "engagement_tasks",
                    ["account_id", "catalog", "start_ms", "id"])

    op.create_table(
        "pagination_keys",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("secret", sa.String(64), nullable=False),
    )

    op.create_table(
        "quota_seconds",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("quota_group", sa.String(16), primary_key=True),
        sa.Column("epoch_second", sa.BigInteger, nullable=False),
        sa.Column("requests", sa.BigInteger, nullable=False),
    )

    op.create_table(
        "quota_minutes",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("quota_group", sa.String(16), primary_key=True),
        sa.Column("epoch_minute", sa.BigInteger, primary_key=True),
        sa.Column("requests", sa.BigInteger, nullable=False),
    )

    op.create_table(
        "faults",
        sa.Column("operation", sa.String(64), primary_key=True),
        sa.Column("error", sa.String(32)),
        sa.Column("rate", sa.Float, nullable=False),
        sa.Column("latency_ms", sa.BigInteger),
        sa.Column("drop_response", sa.Boolean, nullable=False),
        sa.Column("set_ms", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("faults", "quota_minutes", "quota_seconds", "pagination_keys", "engagement_tasks", "access_keys",
                  "accounts", "tags", "solutions", "id_counters", "client_tokens", "opportunities"):
        op.drop_table(table)  # its indexes go with it
