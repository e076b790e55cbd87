"""rate-limit hits shared by every process (the database store)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_hit",
        sa.Column("pk", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.String(length=200), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_rate_hit")),
    )
    with op.batch_alter_table("rate_hit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_hit_bucket"), ["bucket"], unique=False)
        batch_op.create_index(batch_op.f("ix_rate_hit_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rate_hit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_hit_at"))
        batch_op.drop_index(batch_op.f("ix_rate_hit_bucket"))
    op.drop_table("rate_hit")
