"""Escalation of unanswered questions, declined asks, and weekly activity counts (issue 19).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 12:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cop_bot.storage.types

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalate_after", sa.Integer(), nullable=True))
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("escalation_round", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "escalated_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=True
            )
        )
    with op.batch_alter_table("question_recipient", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "declined_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("round", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "member_week",
        sa.Column(
            "community_id",
            sa.Integer(),
            sa.ForeignKey("community.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "member_id",
            sa.Integer(),
            sa.ForeignKey("member.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("week", sa.Date(), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("member_week")
    with op.batch_alter_table("question_recipient", schema=None) as batch_op:
        batch_op.drop_column("round")
        batch_op.drop_column("declined_at")
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("escalation_round")
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.drop_column("escalate_after")
