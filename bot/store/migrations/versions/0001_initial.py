"""initial tables: subscriptions, cursors, commits and their branches, analyses, deliveries, inbound events

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(512), nullable=False),
        sa.Column("repo", sa.String(200), nullable=False),
        sa.Column("branch", sa.String(255), nullable=False),
        sa.Column("threshold", sa.String(16), nullable=False),
        sa.Column("digest_time", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("paths", sa.JSON, nullable=False),
        sa.Column("ignore_authors", sa.JSON, nullable=False),
        sa.Column("include_merges", sa.Boolean, nullable=False),
        sa.Column("empty_digest", sa.String(8), nullable=False),
        sa.Column("webhook_secret", sa.Text),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("paused_reason", sa.Text),
        sa.Column("created_at", TZ, nullable=False),
        sa.UniqueConstraint("platform", "channel", "repo", "branch", name="uq_subscription"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_subscriptions_repo", "subscriptions", ["repo", "branch"])
    op.create_table(
        "repo_cursors",
        sa.Column("repo", sa.String(200), primary_key=True),
        sa.Column("branch", sa.String(255), primary_key=True),
        sa.Column("last_sha", sa.String(40)),
        sa.Column("etag", sa.Text),
        sa.Column("last_polled_at", TZ),
        sa.Column("failure_kind", sa.String(64)),
        sa.Column("failure_message", sa.Text),
        sa.Column("failure_count", sa.Integer, nullable=False),
        sa.Column("failure_reported", sa.Boolean, nullable=False),
        sa.Column("poll_requested_at", TZ),
    )
    op.create_table(
        "commits",
        sa.Column("repo", sa.String(200), primary_key=True),
        sa.Column("sha", sa.String(40), primary_key=True),
        sa.Column("committed_at", TZ, nullable=False),
        sa.Column("author", sa.String(255), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("seen_at", TZ, nullable=False),
    )
    op.create_index("ix_commits_time", "commits", ["repo", "committed_at"])
    op.create_table(
        "branch_commits",
        sa.Column("repo", sa.String(200), primary_key=True),
        sa.Column("branch", sa.String(255), primary_key=True),
        sa.Column("sha", sa.String(40), primary_key=True),
        sa.Column("seen_at", TZ, nullable=False),
        sa.Column("processed", sa.Boolean, nullable=False),
    )
    op.create_index("ix_branch_commits_unprocessed", "branch_commits", ["processed", "seen_at"])
    op.create_table(
        "analyses",
        sa.Column("repo", sa.String(200), primary_key=True),
        sa.Column("sha", sa.String(40), primary_key=True),
        sa.Column("prompt_version", sa.String(32), primary_key=True),
        sa.Column("model", sa.String(128), primary_key=True),
        sa.Column("language", sa.String(8), primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("importance", sa.String(16), nullable=False),
        sa.Column("prompt_tokens", sa.Integer, nullable=False),
        sa.Column("completion_tokens", sa.Integer, nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("subscription_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("item", sa.String(128), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(512), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(255)),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("sent_at", TZ),
        sa.UniqueConstraint("subscription_id", "kind", "item", name="uq_delivery"),
    )
    op.create_table(
        "inbound_events",
        sa.Column("source", sa.String(32), primary_key=True),
        sa.Column("event_id", sa.String(255), primary_key=True),
        sa.Column("received_at", TZ, nullable=False),
    )


def downgrade() -> None:
    for table in ("inbound_events", "deliveries", "analyses", "branch_commits", "commits", "repo_cursors",
                  "subscriptions"):
        op.drop_table(table)
