"""Members remember when they were welcomed (the onboarding message goes once per member).

Members who existed before this revision count as welcomed when they were created: the old rule
(welcome whoever the bot has never met) already covered them, and nobody should get a welcome
years late.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 12:01:01.982449
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cop_bot.storage.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "welcomed_at", cop_bot.storage.types.UTCDateTime(timezone=True), nullable=True
            )
        )
    op.execute("UPDATE member SET welcomed_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_column("welcomed_at")
