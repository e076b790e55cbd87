"""audio and video: transcripts, asset processing state, resumable uploads, job locks

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.add_column(sa.Column("transcript", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("failure_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("media_asset", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duration", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("state", sa.String(length=16), nullable=False, server_default="ready")
        )
        batch_op.add_column(sa.Column("source_key", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_media_asset_state"), ["state"])
    with op.batch_alter_table("media_variant", schema=None) as batch_op:
        batch_op.alter_column("bytes", type_=sa.BigInteger(), existing_nullable=False)
    op.create_table(
        "upload",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_upload")),
    )
    op.create_index(op.f("ix_upload_id"), "upload", ["id"], unique=True)
    op.create_table(
        "job_lock",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("held_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_lock")),
    )


def downgrade() -> None:
    op.drop_table("job_lock")
    op.drop_index(op.f("ix_upload_id"), table_name="upload")
    op.drop_table("upload")
    with op.batch_alter_table("media_variant", schema=None) as batch_op:
        batch_op.alter_column("bytes", type_=sa.Integer(), existing_nullable=False)
    with op.batch_alter_table("media_asset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_asset_state"))
        batch_op.drop_column("lease_until")
        batch_op.drop_column("attempts")
        batch_op.drop_column("source_key")
        batch_op.drop_column("state")
        batch_op.drop_column("duration")
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.drop_column("failure_reason")
        batch_op.drop_column("transcript")
