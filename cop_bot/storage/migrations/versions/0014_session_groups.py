"""session groups: the group a session belongs to (issue 18, group scope)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 07:38:13.274869
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cop_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_cop_session_group_id"), ["group_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_cop_session_group_id_cop_group"),
            "cop_group",
            ["group_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("cop_session", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_cop_session_group_id_cop_group"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_cop_session_group_id"))
        batch_op.drop_column("group_id")
