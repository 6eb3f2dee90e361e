"""organisation and branch-pattern subscriptions

A pattern subscription (`/subscribe acme/*`, `/subscribe owner/repo 'release/*'`) is a template row in
`subscriptions` (`template` = 'owner' or 'branches'; never polled) plus the concrete subscriptions it
expands into (`pattern_id` = the template's id), so polling, cursors, filters and delivery keys work on
them unchanged. `include_forks` belongs to owner templates. `listings` keeps each list GitHub is asked
for (an owner's repositories, a repository's branches): its page ETags, what it last listed, when next.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("subscriptions", sa.Column("template", sa.String(16), nullable=True))
    op.add_column("subscriptions", sa.Column("pattern_id", sa.Integer, nullable=True))
    op.add_column("subscriptions", sa.Column("include_forks", sa.Boolean, nullable=False,
                                             server_default=sa.false()))
    op.create_index("ix_subscriptions_pattern_id", "subscriptions", ["pattern_id"])
    op.create_table(
        "listings",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("target", sa.String(200), primary_key=True),
        sa.Column("owner_kind", sa.String(8)),
        sa.Column("etags", sa.JSON, nullable=False),
        sa.Column("entries", sa.JSON, nullable=False),
        sa.Column("truncated", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("checked_at", sa.DateTime(timezone=True)),
        sa.Column("next_check_at", sa.DateTime(timezone=True)),
        sa.Column("failure_kind", sa.String(64)),
        sa.Column("failure_message", sa.Text),
        sa.Column("failure_count", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("listings")
    op.drop_index("ix_subscriptions_pattern_id", table_name="subscriptions")
    op.drop_column("subscriptions", "include_forks")
    op.drop_column("subscriptions", "pattern_id")
    op.drop_column("subscriptions", "template")
