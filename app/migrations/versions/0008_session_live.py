"""Live sessions: the session a resume continues, the field map a run used, and every webhook
delivery attempt

Revision ID: 0008_session_live
Revises: 0007_idempotency_keys
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008_session_live"
down_revision = "0007_idempotency_keys"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("resumes", sa.String(36), nullable=True))
        batch.add_column(sa.Column("field_map", JSON, nullable=True))
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "session_id",
            sa.String(36),
            sa.ForeignKey("sessions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_webhook_deliveries_session", "webhook_deliveries", ["session_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_session", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("field_map")
        batch.drop_column("resumes")
