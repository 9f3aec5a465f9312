"""sessions.warnings: what a run could not carry as asked

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("warnings", JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.drop_column("warnings")
