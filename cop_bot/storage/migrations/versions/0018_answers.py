"""answers that stay

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 12:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import cop_bot.storage.types

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("created_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("practice_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["author_id"], ["member.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["practice_id"], ["practice.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["question_id"], ["question.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_answer_author_id"), "answer", ["author_id"], unique=False)
    op.create_index(op.f("ix_answer_question_id"), "answer", ["question_id"], unique=False)
    op.create_table(
        "answer_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=True),
        sa.Column("editor_id", sa.Integer(), nullable=True),
        sa.Column("at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["answer_id"], ["answer.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["editor_id"], ["member.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["question_id"], ["question.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_answer_revision_editor_id"), "answer_revision", ["editor_id"], unique=False
    )
    op.create_index(
        op.f("ix_answer_revision_question_id"), "answer_revision", ["question_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_answer_revision_question_id"), table_name="answer_revision")
    op.drop_index(op.f("ix_answer_revision_editor_id"), table_name="answer_revision")
    op.drop_table("answer_revision")
    op.drop_index(op.f("ix_answer_question_id"), table_name="answer")
    op.drop_index(op.f("ix_answer_author_id"), table_name="answer")
    op.drop_table("answer")
