"""Session leases (a run holds its session, a dead run's lease expires), session retries,
when a pending write was attempted, and sandbox fault profiles

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(64), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("retry_count", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_sessions_status", "sessions", ["status"])
    with op.batch_alter_table("staged_records") as batch:
        batch.add_column(sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("sandbox_accounts") as batch:
        batch.add_column(sa.Column("faults", JSON, nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("sandbox_accounts") as batch:
        batch.drop_column("faults")
    with op.batch_alter_table("staged_records") as batch:
        batch.drop_column("attempted_at")
    op.drop_index("ix_sessions_status", "sessions")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("retry_count")
        batch.drop_column("lease_until")
        batch.drop_column("lease_owner")
