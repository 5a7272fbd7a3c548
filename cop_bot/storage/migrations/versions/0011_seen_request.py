"""seen_request: requests and events already acted on, shared by every replica (issue 21).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import cop_bot.storage.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "seen_request",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("seen_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_seen_request")),
    )
    with op.batch_alter_table("seen_request", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_seen_request_seen_at"), ["seen_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("seen_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_seen_request_seen_at"))
    op.drop_table("seen_request")
