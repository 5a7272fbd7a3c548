"""Communities choose how many questions a member may `/ask` in a day (empty: the default).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 00:41:35.412455
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.add_column(sa.Column("asks_per_day", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("community", schema=None) as batch_op:
        batch_op.drop_column("asks_per_day")
