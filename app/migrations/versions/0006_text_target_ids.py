"""Target ids are text: Pipedrive's leads have UUIDs (every other record an integer)

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("staged_records", "record_links")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "target_id",
                type_=sa.String(64),
                existing_type=sa.Integer(),
                postgresql_using="target_id::varchar",
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                "target_id",
                type_=sa.Integer(),
                existing_type=sa.String(64),
                postgresql_using="target_id::integer",
            )
