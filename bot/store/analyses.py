"""Stored analyses, keyed by (repo, SHA, prompt version, model, language)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, and_, select, text

from bot.domain import Analysis, RepoRef
from bot.store.db import insert_ignore, upsert
from bot.store.schema import analyses as table


class AnalysisStore:
    """Reads and writes analyses: the analyser's AnalysisCache (bot.analysis.port)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, repo: RepoRef, sha: str, prompt_version: str, model: str, language: str) -> Analysis | None:
        """The analysis stored under exactly this key."""
        condition = and_(table.c.repo == repo.full_name, table.c.sha == sha.lower(),
                         table.c.prompt_version == prompt_version, table.c.model == model,
                         table.c.language == language)
        with self._engine.connect() as conn:
            row = conn.execute(select(table.c.data).where(condition)).first()
        return Analysis.model_validate(row.data) if row else None

    def save(self, analysis: Analysis) -> bool:
        """Store an analysis once; True when it was new (a concurrent writer may have won)."""
        with self._engine.begin() as conn:
            return insert_ignore(conn, table, _row(analysis))

    def replace(self, analysis: Analysis) -> None:
        """Store an analysis, overwriting the one under the same key (a refreshed heuristic fallback)."""
        with self._engine.begin() as conn:
            upsert(conn, table, _row(analysis), [column.name for column in table.primary_key.columns])

    @contextmanager
    def exclusive(self, repo: RepoRef, sha: str, prompt_version: str, model: str, language: str) -> Iterator[None]:
        """Hold the key against other processes while one analysis is made (PostgreSQL: an advisory lock
        on its own connection, released by the server too if the process dies); SQLite has one process."""
        if self._engine.dialect.name != "postgresql":
            yield
            return
        name = "\0".join((repo.full_name.lower(), sha.lower(), prompt_version, model, language))
        digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
        high, low = (int.from_bytes(digest[:4], "big", signed=True), int.from_bytes(digest[4:], "big", signed=True))
        with self._engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:high, :low)"), {"high": high, "low": low})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:high, :low)"), {"high": high, "low": low})
                conn.commit()

    def count(self) -> int:
        """How many analyses are stored."""
        with self._engine.connect() as conn:
            return len(conn.execute(select(table.c.sha)).all())


def _row(analysis: Analysis) -> dict:
    return {
        "repo": analysis.repo.full_name,
        "sha": analysis.sha.lower(),
        "prompt_version": analysis.prompt_version,
        "model": analysis.model,
        "language": analysis.language,
        "source": analysis.source,
        "importance": analysis.importance.value,
        "prompt_tokens": analysis.prompt_tokens,
        "completion_tokens": analysis.completion_tokens,
        "data": analysis.model_dump(mode="json"),
        "created_at": analysis.created_at,
    }
