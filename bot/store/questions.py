"""Questions about commits: which commit a thread is about, the thread's earlier turns, each person's hourly count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, and_, func, select

from bot.domain.delivery import DeliveryState
from bot.store.db import insert_ignore
from bot.store.schema import bot_posts, commits, deliveries, subscriptions, thread_questions

# Kinds of delivered messages a question can be asked under; a roll-up names too many commits to pick one.
COMMIT_KINDS = ("card", "digest-entry")
DIGEST_KIND = "digest"


@dataclass(frozen=True)
class ThreadPost:
    """A message of the bot and the commits it is about: one for a card, a digest's entries for a digest."""

    repo: str | None
    shas: tuple[str, ...]
    kind: str


@dataclass(frozen=True)
class Turn:
    """One question asked about a commit and the answer it got."""

    platform: str
    channel: str
    thread_id: str
    user_id: str
    repo: str
    sha: str
    question: str
    answer: str
    asked_at: datetime


class QuestionStore:
    """Bot posts by message id, and the questions asked under them."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def remember_post(self, platform: str, channel: str, message_id: str, repo: str, sha: str,
                      now: datetime | None = None) -> None:
        """Note that the bot's message `message_id` is about commit `sha` of `repo` (kept once)."""
        with self._engine.begin() as conn:
            insert_ignore(conn, bot_posts, {"platform": platform, "channel": channel, "message_id": message_id,
                                            "repo": repo, "sha": sha.lower(),
                                            "created_at": (now or datetime.now(UTC)).astimezone(UTC)})

    def post(self, platform: str, channel: str, message_id: str) -> ThreadPost | None:
        """What the bot's message `message_id` in `channel` is about, or None when it is not one of the bot's."""
        with self._engine.connect() as conn:
            row = conn.execute(select(bot_posts.c.repo, bot_posts.c.sha).where(
                bot_posts.c.platform == platform, bot_posts.c.channel == channel,
                bot_posts.c.message_id == message_id)).first()
            if row is not None:
                return ThreadPost(row.repo, (row.sha,), "post")
            return self._delivered(conn, platform, channel, message_id)

    def _delivered(self, conn: Connection, platform: str, channel: str, message_id: str) -> ThreadPost | None:
        row = conn.execute(select(deliveries.c.kind, deliveries.c.item, deliveries.c.subscription_id).where(
            deliveries.c.platform == platform, deliveries.c.channel == channel,
            deliveries.c.message_id == message_id, deliveries.c.status == DeliveryState.SENT)
            .order_by(deliveries.c.id).limit(1)).first()
        if row is None:
            return None
        if row.kind in COMMIT_KINDS:
            sha = row.item.rsplit(":", 1)[-1]
            return ThreadPost(self._repo(conn, row.subscription_id, sha), (sha,), row.kind)
        if row.kind != DIGEST_KIND:
            return ThreadPost(None, (), row.kind)
        entries: list[str] = list(conn.execute(select(deliveries.c.item).where(
            deliveries.c.subscription_id == row.subscription_id, deliveries.c.kind == "digest-entry",
            deliveries.c.item.startswith(row.item + ":", autoescape=True)).order_by(deliveries.c.id)).scalars())
        shas = tuple(item.rsplit(":", 1)[-1] for item in entries)
        return ThreadPost(self._repo(conn, row.subscription_id, shas[0] if shas else None), shas, row.kind)

    @staticmethod
    def _repo(conn: Connection, subscription_id: int, sha: str | None) -> str | None:
        repo = conn.execute(select(subscriptions.c.repo).where(subscriptions.c.id == subscription_id)).scalar()
        if repo is not None or sha is None:
            return repo
        # The subscription is gone (unsubscribed): the stored commit still says which repository it is in.
        query = select(commits.c.repo).where(commits.c.sha == sha.lower()).limit(2)
        found: list[str] = list(conn.execute(query).scalars())
        return found[0] if len(found) == 1 else None

    def add_turn(self, turn: Turn) -> None:
        """Keep one question and its answer."""
        values = {**turn.__dict__, "sha": turn.sha.lower(), "asked_at": turn.asked_at.astimezone(UTC)}
        with self._engine.begin() as conn:
            conn.execute(thread_questions.insert().values(**values))

    def turns(self, platform: str, channel: str, thread_id: str, sha: str, limit: int) -> list[Turn]:
        """The thread's last `limit` turns about commit `sha` (a digest's thread holds several), oldest first."""
        table = thread_questions
        query = (select(table).where(table.c.platform == platform, table.c.channel == channel,
                                     table.c.thread_id == thread_id, table.c.sha == sha.lower())
                 .order_by(table.c.id.desc()).limit(limit))
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [Turn(row.platform, row.channel, row.thread_id, row.user_id, row.repo, row.sha, row.question,
                     row.answer, _aware(row.asked_at)) for row in reversed(rows)]

    def asked_since(self, platform: str, user_id: str, since: datetime) -> int:
        """How many questions `user_id` asked on `platform` from `since` on."""
        table = thread_questions
        condition = and_(table.c.platform == platform, table.c.user_id == user_id,
                         table.c.asked_at >= since.astimezone(UTC))
        with self._engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table).where(condition)).scalar() or 0


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes (stored as UTC), PostgreSQL aware ones.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
