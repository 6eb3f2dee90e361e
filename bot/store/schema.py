"""Table definitions (SQLAlchemy Core); migrations in `migrations/` create the same tables."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    Column("channel", String(512), nullable=False),
    Column("repo", String(200), nullable=False),
    Column("branch", String(255), nullable=False),
    Column("threshold", String(16), nullable=False),
    Column("digest_time", String(5), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("language", String(8), nullable=False),
    Column("paths", JSON, nullable=False),
    Column("ignore_authors", JSON, nullable=False),
    Column("include_merges", Boolean, nullable=False),
    # Every commit, not only the branch's first-parent history (one card per merged pull request).
    Column("all_commits", Boolean, nullable=False, default=False),
    Column("empty_digest", String(8), nullable=False),
    # 'week': a weekly digest on `digest_on` (mon … sun) at `digest_time`, of the last full ISO week.
    Column("digest_every", String(8), nullable=False, default="day"),
    Column("digest_on", String(3), nullable=False, default="mon"),
    Column("webhook_secret", Text),
    Column("paused", Boolean, nullable=False, default=False),
    Column("paused_reason", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # A pattern's template ('owner': repo is `owner/*`; 'branches': branch is a glob), never polled itself;
    # the concrete subscriptions it expands into name it in `pattern_id`.
    Column("template", String(16)),
    Column("pattern_id", Integer, index=True),
    Column("include_forks", Boolean, nullable=False, default=False),
    UniqueConstraint("platform", "channel", "repo", "branch", name="uq_subscription"),
    # Ids are never reused on SQLite: a new subscription must not inherit a deleted one's deliveries.
    sqlite_autoincrement=True,
)

repo_cursors = Table(
    "repo_cursors",
    metadata,
    Column("repo", String(200), primary_key=True),
    Column("branch", String(255), primary_key=True),
    Column("last_sha", String(40)),
    Column("etag", Text),
    Column("last_polled_at", DateTime(timezone=True)),
    Column("failure_kind", String(64)),
    Column("failure_message", Text),
    Column("failure_count", Integer, nullable=False, default=0),
    Column("failure_reported", Boolean, nullable=False, default=False),
    Column("poll_requested_at", DateTime(timezone=True)),
    # When the poll tick next hands this branch to a poll job (NULL: never polled, first in line).
    Column("next_poll_at", DateTime(timezone=True)),
)

commits = Table(
    "commits",
    metadata,
    Column("repo", String(200), primary_key=True),
    Column("sha", String(40), primary_key=True),
    Column("committed_at", DateTime(timezone=True), nullable=False),
    Column("author", String(255), nullable=False),
    Column("title", Text, nullable=False),
    Column("data", JSON, nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    # False: stored from a listing only (no files); a detail fetch replaces it when one is needed.
    Column("detailed", Boolean, nullable=False, default=True),
)

# Which watched branch a commit was seen on, and whether delivery is done with it there: one commit
# can land on several watched branches (a fast-forward of dev into main), each with its own channels.
branch_commits = Table(
    "branch_commits",
    metadata,
    Column("repo", String(200), primary_key=True),
    Column("branch", String(255), primary_key=True),
    Column("sha", String(40), primary_key=True),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    Column("processed", Boolean, nullable=False, default=False),
    # Set when the commit was finished without every card it was due (given up after an outage).
    Column("finished_reason", Text),
    # The merge on this branch's first-parent history that brought the commit in (NULL: a step of it).
    Column("merged_by", String(40)),
)

analyses = Table(
    "analyses",
    metadata,
    Column("repo", String(200), primary_key=True),
    Column("sha", String(40), primary_key=True),
    Column("prompt_version", String(32), primary_key=True),
    Column("model", String(128), primary_key=True),
    Column("language", String(8), primary_key=True),
    Column("source", String(16), nullable=False),
    Column("importance", String(16), nullable=False),
    Column("prompt_tokens", Integer, nullable=False, default=0),
    Column("completion_tokens", Integer, nullable=False, default=0),
    Column("data", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subscription_id", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("item", String(128), nullable=False),
    Column("platform", String(32), nullable=False),
    Column("channel", String(512), nullable=False),
    Column("status", String(16), nullable=False),
    Column("message_id", String(255)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    # Why a delivery failed for good (refused, or still failing when its retry time ran out).
    Column("reason", Text),
    # The job that claimed it (pending): another job leaves the claim alone while that one runs.
    Column("claimed_by", String(64)),
    UniqueConstraint("subscription_id", "kind", "item", name="uq_delivery"),
)

inbound_events = Table(
    "inbound_events",
    metadata,
    Column("source", String(32), primary_key=True),
    Column("event_id", String(255), primary_key=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

# What a pattern's list last held: an owner's repositories (kind 'owner', target `owner/*`) or a
# repository's branches (kind 'branches', target `owner/repo`), with each page's ETag for the next check.
listings = Table(
    "listings",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("target", String(200), primary_key=True),
    Column("owner_kind", String(8)),  # 'orgs' or 'users': which repository list answers for the owner
    Column("etags", JSON, nullable=False),
    Column("entries", JSON, nullable=False),
    Column("truncated", Boolean, nullable=False, default=False),  # longer than the bot reads
    Column("checked_at", DateTime(timezone=True)),
    Column("next_check_at", DateTime(timezone=True)),
    Column("failure_kind", String(64)),
    Column("failure_message", Text),
    Column("failure_count", Integer, nullable=False, default=0),
)

# A post of the bot that the deliveries table does not hold (a /commit answer, an answer to a question),
# mapped to the commit it is about, so a question in its thread finds that commit.
bot_posts = Table(
    "bot_posts",
    metadata,
    Column("platform", String(32), primary_key=True),
    Column("channel", String(512), primary_key=True),
    Column("message_id", String(255), primary_key=True),
    Column("repo", String(200), nullable=False),
    Column("sha", String(40), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Questions asked about a commit and their answers: a thread's last turns, and each person's hourly count.
thread_questions = Table(
    "thread_questions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("platform", String(32), nullable=False),
    Column("channel", String(512), nullable=False),
    Column("thread_id", String(255), nullable=False),
    Column("user_id", String(255), nullable=False),
    Column("repo", String(200), nullable=False),
    Column("sha", String(40), nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("asked_at", DateTime(timezone=True), nullable=False),
    Index("ix_thread_questions_thread", "platform", "channel", "thread_id"),
    Index("ix_thread_questions_user", "platform", "user_id", "asked_at"),
)

# Questions look a thread's parent up among delivered messages by where it was posted.
Index("ix_deliveries_message", deliveries.c.platform, deliveries.c.channel, deliveries.c.message_id)
