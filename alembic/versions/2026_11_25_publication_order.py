"""publication order for the gallery

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_seq", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_contribution_published_seq"), ["published_seq"])
    # Already published work keeps its order: by day, then by when it was received.
    op.execute(
        "UPDATE contribution SET published_seq = ("
        " SELECT count(*) FROM contribution AS earlier"
        " WHERE earlier.status = 'approved' AND (earlier.published_on < contribution.published_on"
        "  OR (earlier.published_on = contribution.published_on AND earlier.pk <= contribution.pk))"
        ") WHERE status = 'approved'"
    )


def downgrade() -> None:
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contribution_published_seq"))
        batch_op.drop_column("published_seq")
