"""What a session's run resolved in the target (the field mapping, the token's user, labels),
kept for its next run so that a hand-over reads none of it again

Revision ID: 0009_handover_state
Revises: 0008_session_live
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009_handover_state"
down_revision = "0008_session_live"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("handover_state", JSON, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("handover_state")
