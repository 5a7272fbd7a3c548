"""visits: a session's place, host organisation and kind, and multi-day sessions (issue 18)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 07:26:28.833663
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cop_session", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("location", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "host_organisation", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), server_default="session", nullable=False)
        )
        batch_op.add_column(sa.Column("days", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("all_day", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("cop_session", schema=None) as batch_op:
        batch_op.drop_column("all_day")
        batch_op.drop_column("days")
        batch_op.drop_column("kind")
        batch_op.drop_column("host_organisation")
        batch_op.drop_column("location")
