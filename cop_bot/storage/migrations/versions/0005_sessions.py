"""sessions: community sessions, RSVPs, agenda items, occurrence changes, reminders sent,
calendar feeds (issue 6)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 09:39:07.289428
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import cop_bot.storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_calendar_feed_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feed")),
        sa.UniqueConstraint(
            "community_id", "channel_id", name=op.f("uq_calendar_feed_community_id_channel_id")
        ),
        sa.UniqueConstraint("token", name=op.f("uq_calendar_feed_token")),
    )
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_feed_community_id"), ["community_id"], unique=False
        )

    op.create_table(
        "cop_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=True),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("starts_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("rrule", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("link", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("cancel_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("sequence", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["community.id"],
            name=op.f("fk_cop_session_community_id_community"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["host_id"],
            ["member.id"],
            name=op.f("fk_cop_session_host_id_member"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cop_session")),
    )
    with op.batch_alter_table("cop_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cop_session_community_id"), ["community_id"], unique=False
        )
        batch_op.create_index(
            "ix_cop_session_community_id_status", ["community_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cop_session_host_id"), ["host_id"], unique=False)

    op.create_table(
        "reminder_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["cop_session.id"],
            name=op.f("fk_reminder_sent_session_id_cop_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_sent")),
        sa.UniqueConstraint(
            "session_id",
            "starts_at",
            "kind",
            name=op.f("uq_reminder_sent_session_id_starts_at_kind"),
        ),
    )
    op.create_table(
        "session_agenda_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column(
            "occurrence_start", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["member.id"],
            name=op.f("fk_session_agenda_item_author_id_member"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["cop_session.id"],
            name=op.f("fk_session_agenda_item_session_id_cop_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_agenda_item")),
    )
    with op.batch_alter_table("session_agenda_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_agenda_item_author_id"), ["author_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_session_agenda_item_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "session_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column(
            "original_start", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("new_start", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("changed_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["cop_session.id"],
            name=op.f("fk_session_change_session_id_cop_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_change")),
        sa.UniqueConstraint(
            "session_id", "original_start", name=op.f("uq_session_change_session_id_original_start")
        ),
    )
    with op.batch_alter_table("session_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_change_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "session_rsvp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column(
            "occurrence_start", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("waitlisted", sa.Boolean(), nullable=False),
        sa.Column("answered_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["member.id"],
            name=op.f("fk_session_rsvp_member_id_member"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["cop_session.id"],
            name=op.f("fk_session_rsvp_session_id_cop_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_rsvp")),
        sa.UniqueConstraint(
            "session_id",
            "occurrence_start",
            "member_id",
            name=op.f("uq_session_rsvp_session_id_occurrence_start_member_id"),
        ),
    )
    with op.batch_alter_table("session_rsvp", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_session_rsvp_member_id"), ["member_id"], unique=False)
        batch_op.create_index(
            "ix_session_rsvp_session_id_occurrence_start",
            ["session_id", "occurrence_start"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("session_rsvp", schema=None) as batch_op:
        batch_op.drop_index("ix_session_rsvp_session_id_occurrence_start")
        batch_op.drop_index(batch_op.f("ix_session_rsvp_member_id"))

    op.drop_table("session_rsvp")
    with op.batch_alter_table("session_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_change_session_id"))

    op.drop_table("session_change")
    with op.batch_alter_table("session_agenda_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_agenda_item_session_id"))
        batch_op.drop_index(batch_op.f("ix_session_agenda_item_author_id"))

    op.drop_table("session_agenda_item")
    op.drop_table("reminder_sent")
    with op.batch_alter_table("cop_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cop_session_host_id"))
        batch_op.drop_index("ix_cop_session_community_id_status")
        batch_op.drop_index(batch_op.f("ix_cop_session_community_id"))

    op.drop_table("cop_session")
    with op.batch_alter_table("calendar_feed", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_feed_community_id"))

    op.drop_table("calendar_feed")
