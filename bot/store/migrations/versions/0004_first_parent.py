"""first-parent history: a merged pull request is one unit

Subscriptions gain `all_commits` (False: the branch's first-parent history). Existing subscriptions
move to the new default: their channels get one card per merged pull request from now on; one with
`--no-merges` keeps seeing every commit but the merges (that option implies every commit). Branch
memberships gain `merged_by` (the first-parent merge that brought the commit in), and commits
`detailed` (False: stored from a listing, without files).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("subscriptions", sa.Column("all_commits", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("branch_commits", sa.Column("merged_by", sa.String(40), nullable=True))
    op.add_column("commits", sa.Column("detailed", sa.Boolean, nullable=False, server_default=sa.true()))


def downgrade() -> None:
    op.drop_column("commits", "detailed")
    op.drop_column("branch_commits", "merged_by")
    op.drop_column("subscriptions", "all_commits")
