"""questions asked in a card's thread

`bot_posts` maps a message the bot posted (platform, channel, message id or Slack ts) to the commit it
is about, for the posts the deliveries table does not hold (a /commit answer, an answer to a question,
a thread found through Slack's message metadata). `thread_questions` keeps each question and its
answer: the thread's last turns go into the next prompt, and the per-user hourly limit counts them.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bot_posts",
        sa.Column("platform", sa.String(32), primary_key=True),
        sa.Column("channel", sa.String(512), primary_key=True),
        sa.Column("message_id", sa.String(255), primary_key=True),
        sa.Column("repo", sa.String(200), nullable=False),
        sa.Column("sha", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "thread_questions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(512), nullable=False),
        sa.Column("thread_id", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("repo", sa.String(200), nullable=False),
        sa.Column("sha", sa.String(40), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_thread_questions_thread", "thread_questions", ["platform", "channel", "thread_id"])
    op.create_index("ix_thread_questions_user", "thread_questions", ["platform", "user_id", "asked_at"])
    op.create_index("ix_deliveries_message", "deliveries", ["platform", "channel", "message_id"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_message", table_name="deliveries")
    op.drop_index("ix_thread_questions_user", table_name="thread_questions")
    op.drop_index("ix_thread_questions_thread", table_name="thread_questions")
    op.drop_table("thread_questions")
    op.drop_table("bot_posts")
