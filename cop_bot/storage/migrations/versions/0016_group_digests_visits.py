"""group digests and programme visits (issue 18): a channel's digest may follow one group
(`/digest on … group:SLUG`); a session may be a mentoring pair's visit, hosted by one side

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 12:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("digest_subscription", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_digest_subscription_group_id"), ["group_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_digest_subscription_group_id_cop_group"),
            "cop_group",
            ["group_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("cop_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pair_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("visit_host", sa.String(length=1), nullable=True))
        batch_op.create_index(batch_op.f("ix_cop_session_pair_id"), ["pair_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_cop_session_pair_id_mentoring_pair"),
            "mentoring_pair",
            ["pair_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("cop_session", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_cop_session_pair_id_mentoring_pair"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_cop_session_pair_id"))
        batch_op.drop_column("visit_host")
        batch_op.drop_column("pair_id")
    with op.batch_alter_table("digest_subscription", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_digest_subscription_group_id_cop_group"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_digest_subscription_group_id"))
        batch_op.drop_column("group_id")
