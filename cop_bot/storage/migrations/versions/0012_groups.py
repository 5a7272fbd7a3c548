"""groups: working groups, cohorts and networks, and who belongs to them (issue 18)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 07:25:53.842955
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import cop_bot.storage.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cop_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("domains", sa.JSON(), nullable=False),
        sa.Column("starts", sa.Date(), nullable=True),
        sa.Column("ends", sa.Date(), nullable=True),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("closed", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_cop_group_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["member.id"],
            name=op.f("fk_cop_group_created_by_id_member"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cop_group")),
        sa.UniqueConstraint("community_id", "slug", name=op.f("uq_cop_group_community_id_slug")),
    )
    with op.batch_alter_table("cop_group", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cop_group_community_id"), ["community_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_cop_group_created_by_id"), ["created_by_id"], unique=False
        )

    op.create_table(
        "group_member",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("focal", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("added_by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("joined_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["cop_group.id"],
            name=op.f("fk_group_member_group_id_cop_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_group_member_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "member_id", name=op.f("pk_group_member")),
    )
    with op.batch_alter_table("group_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_group_member_member_id"), ["member_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("group_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_member_member_id"))

    op.drop_table("group_member")
    with op.batch_alter_table("cop_group", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cop_group_created_by_id"))
        batch_op.drop_index(batch_op.f("ix_cop_group_community_id"))

    op.drop_table("cop_group")
