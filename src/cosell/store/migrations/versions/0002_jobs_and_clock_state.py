"""Tables jobs and clock_state.

Persisted jobs (store/jobs.py: the automatic reviewer's steps, run once each, retried with backoff) and
the clock shared by processes (store/clock.py: its offset from the wall clock, or the instant it is frozen at).

Revision 0002, after 0001.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        # SQLite makes an INTEGER PRIMARY KEY the rowid, which numbers rows itself; BIGINT would not.
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("job_key", sa.String(255)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("due_ms", sa.BigInteger, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("job_key"),  # at most one job per key; NULL keys are all distinct
    )
    op.create_index("jobs_due", "jobs", ["state", "due_ms"])

    op.create_table(
        "clock_state",
        sa.Column("name", sa.String(16), primary_key=True),
        sa.Column("offset_ms", sa.BigInteger, nullable=False),
        sa.Column("frozen_ms", sa.BigInteger),
    )


def downgrade() -> None:
    op.drop_table("clock_state")
    op.drop_table("jobs")  # with jobs_due
