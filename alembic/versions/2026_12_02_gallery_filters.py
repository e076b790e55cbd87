"""the gallery's own indexes only: drop the bare published_seq index (PostgreSQL walked it
backwards through every unpublished row's NULL instead of the gallery's order index), add
the region page's order, and tell PostgreSQL that kind and form go together

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.drop_index("ix_contribution_published_seq")
        batch_op.create_index(
            "ix_contribution_gallery_region", ["status", "region", "published_seq", "id"],
            unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # Without it the planner multiplies the two filters' selectivities (a form belongs to
        # a kind), expects a handful of rows and scans the whole table.
        op.execute("CREATE STATISTICS IF NOT EXISTS st_contribution_kind_form (dependencies) "
                   "ON kind, form FROM contribution")
        op.execute("ANALYZE contribution")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_contribution_kind_form")
    with op.batch_alter_table("contribution", schema=None) as batch_op:
        batch_op.drop_index("ix_contribution_gallery_region")
        batch_op.create_index("ix_contribution_published_seq", ["published_seq"], unique=False)
