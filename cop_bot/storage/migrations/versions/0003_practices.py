"""practices: the shared repertoire (practices, their domains, endorsements and history),
community review setting and search version

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:20:22.082784
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import cop_bot.storage.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "practice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("domains", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
        sa.Column("city", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("organisation", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("link", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("target_group", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("standard", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("key_factors", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("rationale", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("guide_questions", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("examples", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("results", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("contact", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("licence", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("created_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("approved_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("review_by", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rejected_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("search_version", sa.Integer(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["member.id"],
            name=op.f("fk_practice_approved_by_id_member"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["member.id"],
            name=op.f("fk_practice_author_id_member"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_practice_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice")),
    )
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practice_approved_by_id"), ["approved_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_practice_author_id"), ["author_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_practice_community_id"), ["community_id"], unique=False
        )
        batch_op.create_index(
            "ix_practice_community_id_search_version",
            ["community_id", "search_version"],
            unique=False,
        )
        batch_op.create_index(
            "ix_practice_community_id_status", ["community_id", "status"], unique=False
        )

    op.create_table(
        "practice_domain",
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("domain", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
            name=op.f("fk_practice_domain_practice_id_practice"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("practice_id", "domain", name=op.f("pk_practice_domain")),
    )
    with op.batch_alter_table("practice_domain", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_practice_domain_domain"), ["domain"], unique=False)

    op.create_table(
        "practice_endorsement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("created_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_practice_endorsement_member_id_member"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
            name=op.f("fk_practice_endorsement_practice_id_practice"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_endorsement")),
        sa.UniqueConstraint(
            "practice_id", "member_id", name=op.f("uq_practice_endorsement_practice_id_member_id")
        ),
    )
    with op.batch_alter_table("practice_endorsement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practice_endorsement_member_id"), ["member_id"], unique=False
        )

    op.create_table(
        "practice_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("editor_id", sa.Integer(), nullable=True),
        sa.Column("editor_label", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["editor_id"],
            ["member.id"],
            name=op.f("fk_practice_revision_editor_id_member"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"],
            ["practice.id"],
            name=op.f("fk_practice_revision_practice_id_practice"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_revision")),
    )
    with op.batch_alter_table("practice_revision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_practice_revision_editor_id"), ["editor_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_practice_revision_practice_id"), ["practice_id"], unique=False
        )

    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("review_enabled", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
        batch_op.add_column(
            sa.Column("practice_version", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.drop_column("practice_version")
        batch_op.drop_column("review_enabled")

    with op.batch_alter_table("practice_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_revision_practice_id"))
        batch_op.drop_index(batch_op.f("ix_practice_revision_editor_id"))

    op.drop_table("practice_revision")
    with op.batch_alter_table("practice_endorsement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_endorsement_member_id"))

    op.drop_table("practice_endorsement")
    with op.batch_alter_table("practice_domain", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_practice_domain_domain"))

    op.drop_table("practice_domain")
    with op.batch_alter_table("practice", schema=None) as batch_op:
        batch_op.drop_index("ix_practice_community_id_status")
        batch_op.drop_index("ix_practice_community_id_search_version")
        batch_op.drop_index(batch_op.f("ix_practice_community_id"))
        batch_op.drop_index(batch_op.f("ix_practice_author_id"))
        batch_op.drop_index(batch_op.f("ix_practice_approved_by_id"))

    op.drop_table("practice")
