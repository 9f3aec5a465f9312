"""Uploaded files as a file source (a CRM's CSV export): uploads, their files and rows

Revision ID: 0011_uploads
Revises: 0010_session_rate_limited
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011_uploads"
down_revision = "0010_session_rate_limited"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "uploads",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "account_id",
            sa.String(36),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("system", sa.String(64), nullable=False),
        sa.Column("source_account", sa.String(200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_uploads_account_created", "uploads", ["account_id", "created_at"])
    op.create_table(
        "upload_files",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "upload_id",
            sa.String(36),
            sa.ForeignKey("uploads.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("columns", JSON, nullable=False),
    )
    op.create_index("ix_upload_files_upload", "upload_files", ["upload_id"])
    op.create_table(
        "upload_rows",
        sa.Column(
            "file_id",
            sa.Integer(),
            sa.ForeignKey("upload_files.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("row", sa.Integer(), primary_key=True),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("cells", JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("upload_rows")
    op.drop_index("ix_upload_files_upload", table_name="upload_files")
    op.drop_table("upload_files")
    op.drop_index("ix_uploads_account_created", table_name="uploads")
    op.drop_table("uploads")
