"""Tables engagement_groups (store/engagement_groups.py: AWS's curated groups), prospecting_tasks and
prospecting_marks (store/prospecting.py).

Revision 0006, after 0005.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _sortable(length: int) -> sa.String:
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "engagement_groups",
        sa.Column("catalog", sa.String(16), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("readiness_level", sa.String(16)),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "prospecting_tasks",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("catalog", sa.String(16), primary_key=True),
        sa.Column("id", _sortable(32), primary_key=True),
        sa.Column("task_name", _sortable(128), nullable=False),
        sa.Column("start_ms", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("failed_count", sa.Integer, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
    )
    op.create_index("prospecting_tasks_by_start", "prospecting_tasks", ["account_id", "catalog", "start_ms", "id"])
    op.create_table(
        "prospecting_marks",
        sa.Column("catalog", sa.String(16), primary_key=True),
        sa.Column("engagement_id", sa.String(32), primary_key=True),
        sa.Column("reason_code", sa.String(64), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("prospecting_marks")
    op.drop_index("prospecting_tasks_by_start", table_name="prospecting_tasks")
    op.drop_table("prospecting_tasks")
    op.drop_table("engagement_groups")
