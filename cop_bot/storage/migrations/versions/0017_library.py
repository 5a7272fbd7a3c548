"""library: the web library's setting and key, practice scale and published contact, collections

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 12:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import cop_bot.storage.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "practice_collection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("practice_ids", sa.JSON(), nullable=False),
        sa.Column("updated_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("community_id", "slug"),
    )
    with op.batch_alter_table("practice_collection", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practice_collection_community_id"), ["community_id"], unique=False
        )
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("library_public", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("library_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.create_unique_constraint("uq_community_library_token", ["library_token"])
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("scale", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column("contact_public", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.drop_column("contact_public")
        batch_op.drop_column("scale")
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.drop_constraint("uq_community_library_token", type_="unique")
        batch_op.drop_column("library_token")
        batch_op.drop_column("library_public")
    with op.batch_alter_table("practice_collection", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_collection_community_id"))
    op.drop_table("practice_collection")
