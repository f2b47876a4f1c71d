"""Tables selling_system_settings (store/selling_settings.py: the role resource snapshot jobs run as),
resource_snapshots (store/snapshots.py: the revisions) and resource_snapshot_jobs (store/snapshot_jobs.py).

Revision 0005, after 0004.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "selling_system_settings",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("catalog", sa.String(16), primary_key=True),
        sa.Column("resource_snapshot_job_role_arn", sa.String(2048)),
        sa.Column("updated_ms", sa.BigInteger, nullable=False),
    )


    op.create_table(
        "resource_snapshots",
        sa.Column("catalog", sa.String(16), primary_key=True),
        sa.Column("engagement_id", sa.String(32), primary_key=True),
        sa.Column("resource_type", sa.String(32), primary_key=True),
        sa.Column("resource_id", sa.String(32), primary_key=True),
        sa.Column("template", sa.String(64), primary_key=True),
        sa.Column("revision", sa.Integer, primary_key=True),
        sa.Column("created_by", sa.String(12), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("target_members", sa.Text, nullable=False),
        sa.Column("view", sa.Text, nullable=False),
    )
    op.create_table(
        "resource_snapshot_jobs",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("catalog", sa.String(16), nullable=False),
        sa.Column("engagement_id", sa.String(32), nullable=False),
        sa.Column("resource_type", sa.String(32), nullable=False),
        sa.Column("resource_id", sa.String(32), nullable=False),
        sa.Column("template", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("last_success_ms", sa.BigInteger),
        sa.Column("last_failure", sa.Text),
    )
    op.create_index("resource_snapshot_jobs_by_resource", "resource_snapshot_jobs",
                    ["account_id", "catalog", "resource_id"])


def downgrade() -> None:
    op.drop_table("resource_snapshot_jobs")
    op.drop_table("resource_snapshots")
    op.drop_table("selling_system_settings")
