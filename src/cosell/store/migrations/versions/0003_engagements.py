"""Engagements, their members, resources and invitations; engagement tasks of three kinds; partner
profiles (a website beside the company name) and partner connections.

- engagements, engagement_members, engagement_resources (store/engagements.py)
- engagement_invitations (store/invitations.py)
- engagement_tasks: a `kind` (the task ARN's resource type; the rows before are all
  engagement-from-opportunity tasks), an opportunity id that a failed task may lack, and one index by
  (account, catalog, kind, start, id) in place of the two by start
- accounts.website_url and partner_connections (store/accounts.py)

Revision 0003, after 0002.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _sortable(length: int) -> sa.String:
    """A column lists sort by, in code-point order on PostgreSQL too (store/metadata.py's sortable then)."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "engagements",
        sa.Column("catalog", sa.String(16), primary_key=True),
        sa.Column("id", _sortable(32), primary_key=True),
        sa.Column("created_by", sa.String(12), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("modified_ms", sa.BigInteger, nullable=False),
        sa.Column("context_types", sa.String(128), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
    )
    op.create_table(
        "engagement_members",
        sa.Column("catalog", sa.String(16), primary_key=True),
        sa.Column("engagement_id", _sortable(32), primary_key=True),
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("company_name", sa.String(120), nullable=False),
        sa.Column("website_url", sa.String(255)),
        sa.Column("joined_ms", sa.BigInteger, nullable=False),
        sa.Column("engagement_created_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("engagement_members_by_account", "engagement_members",
                    ["account_id", "catalog", "engagement_created_ms", "engagement_id"])
    op.create_table(
        "engagement_resources",
        sa.Column("catalog", sa.String(16), primary_key=True),
        sa.Column("engagement_id", sa.String(32), primary_key=True),
        sa.Column("resource_type", sa.String(32), primary_key=True),
        sa.Column("resource_id", sa.String(24), primary_key=True),
        sa.Column("association", _sortable(96), nullable=False),
        sa.Column("owner_account", sa.String(12), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )
    op.create_index("engagement_resources_by_resource", "engagement_resources",
                    ["catalog", "resource_type", "resource_id"])

    op.create_table(
        "engagement_invitations",
        sa.Column("catalog", sa.String(16), primary_key=True),
        sa.Column("id", _sortable(32), primary_key=True),
        sa.Column("engagement_id", sa.String(32), nullable=False),
        sa.Column("sender_account", sa.String(12), nullable=False),
        sa.Column("receiver_account", sa.String(12), nullable=False),
        sa.Column("payload_type", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("invited_ms", sa.BigInteger, nullable=False),
        sa.Column("expires_ms", sa.BigInteger),
        sa.Column("document", sa.Text, nullable=False),
    )
    op.create_index("engagement_invitations_received", "engagement_invitations",
                    ["receiver_account", "catalog", "invited_ms", "id"])
    op.create_index("engagement_invitations_sent", "engagement_invitations",
                    ["sender_account", "catalog", "invited_ms", "id"])
    op.create_index("engagement_invitations_by_engagement", "engagement_invitations", ["catalog", "engagement_id"])

    op.drop_index("engagement_tasks_by_start", "engagement_tasks")
    op.drop_index("engagement_tasks_by_start_and_id", "engagement_tasks")
    with op.batch_alter_table("engagement_tasks") as tasks:
        tasks.add_column(sa.Column("kind", sa.String(48), nullable=False,
                                   server_default="engagement-from-opportunity-task"))
        tasks.alter_column("opportunity_id", existing_type=sa.String(24), nullable=True)
    with op.batch_alter_table("engagement_tasks") as tasks:
        tasks.alter_column("kind", existing_type=sa.String(48), server_default=None)
    op.create_index("engagement_tasks_by_kind_and_start", "engagement_tasks",
                    ["account_id", "catalog", "kind", "start_ms", "id"])

    with op.batch_alter_table("accounts") as accounts:
        accounts.add_column(sa.Column("website_url", sa.String(255)))
    op.create_table(
        "partner_connections",
        sa.Column("account_id", sa.String(12), primary_key=True),
        sa.Column("partner_id", sa.String(12), primary_key=True),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("partner_connections")
    with op.batch_alter_table("accounts") as accounts:
        accounts.drop_column("website_url")
    op.drop_index("engagement_tasks_by_kind_and_start", "engagement_tasks")
    with op.batch_alter_table("engagement_tasks") as tasks:
        tasks.drop_column("kind")
        tasks.alter_column("opportunity_id", existing_type=sa.String(24), nullable=False)
    op.create_index("engagement_tasks_by_start", "engagement_tasks", ["account_id", "catalog", "start_ms"])
    op.create_index("engagement_tasks_by_start_and_id", "engagement_tasks", ["account_id", "catalog", "start_ms", "id"])
    op.drop_table("engagement_invitations")
    op.drop_table("engagement_resources")
    op.drop_table("engagement_members")
    op.drop_table("engagements")
