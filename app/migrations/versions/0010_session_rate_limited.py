"""The 429s a session's calls met (rate_limited), so that a user and the bench see them

Revision ID: 0010_session_rate_limited
Revises: 0009_handover_state
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_session_rate_limited"
down_revision = "0009_handover_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(
            sa.Column("rate_limited", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("rate_limited")
