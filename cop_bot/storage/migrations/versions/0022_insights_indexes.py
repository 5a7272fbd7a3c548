"""insights indexes (issue 19, measured): a period's questions, active members a week

Revision ID: 0022
Revises: 0020
Create Date: 2026-12-03 11:05:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.create_index(
            "ix_question_community_id_created_at", ["community_id", "created_at"], unique=False
        )
    with op.batch_alter_table("member_week", schema=None) as batch_op:
        batch_op.create_index(
            "ix_member_week_community_id_week", ["community_id", "week"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("member_week", schema=None) as batch_op:
        batch_op.drop_index("ix_member_week_community_id_week")
    with op.batch_alter_table("question", schema=None) as batch_op:
        batch_op.drop_index("ix_question_community_id_created_at")
