"""Events: the outbox (events), EventBridge rules and targets, webhooks, Lambda handler mappings,
deliveries with their attempts (store/events.py).

Revision 0004, after 0003.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_SERIAL = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("seq", _SERIAL, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("catalog", sa.String(16), nullable=False),
        sa.Column("detail_type", sa.String(64), nullable=False),
        sa.Column("time_ms", sa.BigInteger, nullable=False),
        sa.Column("resources", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("copy_of", sa.BigInteger),
        sa.Column("state", sa.SmallInteger, nullable=False),
        sa.Column("lease_ms", sa.BigInteger),
    )
    op.create_index("events_waiting", "events", ["seq"], sqlite_where=sa.text("state = 0"),
                    postgresql_where=sa.text("state = 0"))
    op.create_table(
        "event_rules",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("event_pattern", sa.Text),
        sa.Column("schedule_expression", sa.String(256)),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("description", sa.String(512)),
        sa.Column("role_arn", sa.String(1600)),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "event_targets",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("rule_name", sa.String(64), primary_key=True),
        sa.Column("target_id", sa.String(64), primary_key=True),
        sa.Column("arn", sa.String(1600), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("secret", sa.String(128), nullable=False),
        sa.Column("event_pattern", sa.Text),
        sa.Column("account_id", sa.String(12)),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "lambda_functions",
        sa.Column("arn", sa.String(256), primary_key=True),
        sa.Column("handler", sa.String(512), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", _SERIAL, primary_key=True, autoincrement=True),
        sa.Column("event_seq", sa.BigInteger, nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("destination", sa.String(256), nullable=False),
        sa.Column("target", sa.String(2048), nullable=False),
        sa.Column("body", sa.Text),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_ms", sa.BigInteger, nullable=False),
        sa.Column("redelivery", sa.Boolean, nullable=False),
        sa.Column("attempt_log", sa.Text, nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("deliveries_due", "deliveries", ["next_attempt_ms"], sqlite_where=sa.text("status = 'pending'"),
                    postgresql_where=sa.text("status = 'pending'"))
    op.create_index("deliveries_by_event", "deliveries", ["event_seq"])


def downgrade() -> None:
    for table in ("deliveries", "lambda_functions", "webhooks", "event_targets", "event_rules",
                  "events"):
        op.drop_table(table)
