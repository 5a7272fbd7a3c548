"""Member names that fit the platforms and stick once chosen (issue 21).

- `member.display_name` grows from 200 to 256 characters: Synapse allows display names of 256,
  and a longer one broke every command of that member on PostgreSQL. SQLite does not enforce a
  VARCHAR length, so there the column is left as it is: changing its type would rebuild the
  table, and dropping the old `member` table with foreign keys on would cascade-delete every
  member's domains, roles and questions.
- `member.name_chosen`: the member set their name with `/profile set name:`, so the name the
  platform sends with each command no longer replaces it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column(
            "member",
            "display_name",
            existing_type=sa.String(length=200),
            type_=sa.String(length=256),
            existing_nullable=True,
        )
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_chosen", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_column("name_chosen")
    if op.get_bind().dialect.name != "sqlite":
        op.execute("UPDATE member SET display_name = left(display_name, 200)")
        op.alter_column(
            "member",
            "display_name",
            existing_type=sa.String(length=256),
            type_=sa.String(length=200),
            existing_nullable=True,
        )
