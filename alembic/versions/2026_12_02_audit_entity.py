"""audit events name their entity: entity and entity_id replace contribution_id

Directory events kept their entity inside `changes`; they move to the new columns.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_events = sa.table(
    "audit_event",
    sa.column("pk", sa.Integer),
    sa.column("contribution_id", sa.String),
    sa.column("entity", sa.String),
    sa.column("entity_id", sa.String),
    sa.column("changes", sa.JSON),
)


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entity", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("entity_id", sa.String(length=64), nullable=True))
    bind = op.get_bind()
    bind.execute(
        _events.update()
        .where(_events.c.contribution_id.is_not(None))
        .values(entity="contribution", entity_id=_events.c.contribution_id)
    )
    rows = bind.execute(
        sa.select(_events.c.pk, _events.c.changes).where(_events.c.contribution_id.is_(None))
    ).all()
    for pk, changes in rows:
        changes = dict(changes or {})
        entity, entity_id = changes.pop("entity", "service"), changes.pop("id", "")
        bind.execute(
            _events.update().where(_events.c.pk == pk)
            .values(entity=entity, entity_id=entity_id, changes=changes or None)
        )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.alter_column("entity", existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column("entity_id", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_index("ix_audit_event_contribution_id")
        batch_op.drop_column("contribution_id")
        batch_op.create_index("ix_audit_event_entity", ["entity", "entity_id"])


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contribution_id", sa.String(length=32), nullable=True))
    bind = op.get_bind()
    bind.execute(
        _events.update().where(_events.c.entity == "contribution")
        .values(contribution_id=_events.c.entity_id)
    )
    rows = bind.execute(
        sa.select(_events.c.pk, _events.c.entity, _events.c.entity_id, _events.c.changes)
        .where(_events.c.entity != "contribution")
    ).all()
    for pk, entity, entity_id, changes in rows:
        bind.execute(
            _events.update().where(_events.c.pk == pk)
            .values(changes={"entity": entity, "id": entity_id, **(changes or {})})
        )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_entity")
        batch_op.drop_column("entity_id")
        batch_op.drop_column("entity")
        batch_op.create_index("ix_audit_event_contribution_id", ["contribution_id"])
