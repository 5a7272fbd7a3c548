"""question follow-through (issue 19): escalation notices, questions outlive an erased asker

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 11:20:00.000000
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

import cop_bot.storage.types

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


@contextmanager
def _without_sqlite_foreign_keys() -> Iterator[None]:
    """SQLite rebuilds `question` to change its foreign key (copy, DROP, rename), and a DROP
    with foreign keys on deletes every answer, recipient and revision by CASCADE. The pragma
    only takes effect between transactions, so the migrations so far are committed first (the
    version table says 0020), and the keys are checked before they are switched on again."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    bind.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        yield
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"0021 left rows pointing nowhere: {broken[:5]}")
        bind.exec_driver_sql("COMMIT")
    except BaseException:
        bind.exec_driver_sql("ROLLBACK")
        raise
    finally:
        bind.exec_driver_sql("PRAGMA foreign_keys=ON")
        bind.exec_driver_sql("BEGIN IMMEDIATE")


def _asker_key(*, nullable: bool, ondelete: str) -> None:
    """`question.asker_id`'s nullability and what its foreign key does when a member goes."""
    with _without_sqlite_foreign_keys(), op.batch_alter_table("question") as batch_op:
        batch_op.drop_constraint("fk_question_asker_id_member", type_="foreignkey")
        batch_op.alter_column("asker_id", existing_type=sa.Integer(), nullable=nullable)
        batch_op.create_foreign_key(
            batch_op.f("fk_question_asker_id_member"),
            "member",
            ["asker_id"],
            ["id"],
            ondelete=ondelete,
        )


def upgrade() -> None:
    op.create_table(
        "question_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_question_notice_member_id_member"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["question.id"],
            name=op.f("fk_question_notice_question_id_question"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_question_notice")),
        sa.UniqueConstraint(
            "question_id",
            "round",
            "member_id",
            name=op.f("uq_question_notice_question_id_round_member_id"),
        ),
    )
    with op.batch_alter_table("question_notice", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_question_notice_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_question_notice_question_id"), ["question_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_question_notice_status"), ["status"], unique=False)
    _asker_key(nullable=True, ondelete="SET NULL")  # an erased asker's answered question stays


def downgrade() -> None:
    # Questions whose asker was erased cannot point at anyone again: they go, as before 0021.
    op.execute("DELETE FROM question WHERE asker_id IS NULL")
    _asker_key(nullable=False, ondelete="CASCADE")
    with op.batch_alter_table("question_notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_question_notice_status"))
        batch_op.drop_index(batch_op.f("ix_question_notice_question_id"))
        batch_op.drop_index(batch_op.f("ix_question_notice_member_id"))

    op.drop_table("question_notice")
