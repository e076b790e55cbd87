"""indexes in the order pages are read: the gallery (public, newest first) and the
moderation queue (at risk first, then oldest first)

Without them every page sorted every matching row (`USE TEMP B-TREE FOR ORDER BY`) to return
24; with them a page is a walk down one index.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contribution_gallery_order", ["status", "published_seq", "id"], unique=False)
        batch_op.create_index(
            "ix_contribution_queue_order",
            ["status", sa.text("at_risk DESC"), "received_on", "pk"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.drop_index("ix_contribution_queue_order")
        batch_op.drop_index("ix_contribution_gallery_order")
