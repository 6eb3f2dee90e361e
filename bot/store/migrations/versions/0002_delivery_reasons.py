"""reasons: why a delivery failed for good, and why a commit was finished without its cards

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("reason", sa.Text, nullable=True))
    op.add_column("branch_commits", sa.Column("finished_reason", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("branch_commits", "finished_reason")
    op.drop_column("deliveries", "reason")
