"""The record ledger (links between source and target records that outlive a session), session
modes, per-entity outcome counts and tokens spent

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
OPEN_WRITING = "status IN ('queued', 'running') AND mode <> 'preview'"
COUNTS = ("created", "updated", "matched", "unchanged", "deleted")


def upgrade() -> None:
    op.create_table(
        "record_links",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "account_id",
            sa.String(36),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("source_key", sa.String(255), nullable=False),
        sa.Column("target_key", sa.String(255), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("source_id", sa.String(255), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=True),
        sa.Column("target_updated_at", sa.String(40), nullable=True),
        sa.Column("created_by", sa.String(36), nullable=False),
        sa.Column("written_by", sa.String(36), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "account_id", "source_key", "target_key", "entity", "source_id", name="uq_record_link"
        ),
    )
    op.create_index("ix_record_links_created_by", "record_links", ["created_by", "entity"])
    with op.batch_alter_table("sessions") as batch:
        batch.add_column(sa.Column("mode", sa.String(16), nullable=False, server_default="full"))
        batch.add_column(sa.Column("source_key", sa.String(255), nullable=True))
        batch.add_column(sa.Column("target_key", sa.String(255), nullable=True))
        batch.add_column(sa.Column("undoes", sa.String(36), nullable=True))
        batch.add_column(sa.Column("changed_since", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("tokens_spent", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("report", JSON, nullable=True))
    op.create_index("ix_sessions_pair", "sessions", ["account_id", "source_key", "target_key"])
    op.create_index(
        "uq_sessions_open_pair",
        "sessions",
        ["account_id", "source_key", "target_key"],
        unique=True,
        postgresql_where=sa.text(OPEN_WRITING),
        sqlite_where=sa.text(OPEN_WRITING),
    )
    with op.batch_alter_table("session_entities") as batch:
        for name in COUNTS:
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("gone", sa.Integer(), nullable=True))
    with op.batch_alter_table("staged_records") as batch:
        batch.add_column(sa.Column("action", sa.String(8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("staged_records") as batch:
        batch.drop_column("action")
    with op.batch_alter_table("session_entities") as batch:
        batch.drop_column("gone")
        for name in reversed(COUNTS):
            batch.drop_column(name)
    op.drop_index("uq_sessions_open_pair", "sessions")
    op.drop_index("ix_sessions_pair", "sessions")
    with op.batch_alter_table("sessions") as batch:
        for name in ("report", "tokens_spent", "changed_since", "undoes", "target_key"):
            batch.drop_column(name)
        batch.drop_column("source_key")
        batch.drop_column("mode")
    op.drop_index("ix_record_links_created_by", "record_links")
    op.drop_table("record_links")
