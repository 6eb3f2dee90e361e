"""jobs: which job claimed a delivery, and when each watched branch is next due for a poll

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("claimed_by", sa.String(64), nullable=True))
    op.add_column("repo_cursors", sa.Column("next_poll_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("repo_cursors_next_poll_at", "repo_cursors", ["next_poll_at"])


def downgrade() -> None:
    op.drop_index("repo_cursors_next_poll_at", table_name="repo_cursors")
    op.drop_column("repo_cursors", "next_poll_at")
    op.drop_column("deliveries", "claimed_by")
