"""session invitees (issue 18, with @handle)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 13:27:26.041491
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cop_bot.storage.types

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "session_invitee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("invited_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_session_invitee_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["cop_session.id"],
            name=op.f("fk_session_invitee_session_id_cop_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_invitee")),
        sa.UniqueConstraint(
            "session_id", "member_id", name=op.f("uq_session_invitee_session_id_member_id")
        ),
    )
    with op.batch_alter_table("session_invitee", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_invitee_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_session_invitee_session_id"), ["session_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("session_invitee", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_invitee_session_id"))
        batch_op.drop_index(batch_op.f("ix_session_invitee_member_id"))

    op.drop_table("session_invitee")
