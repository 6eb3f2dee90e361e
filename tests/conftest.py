"""Shared fixtures: stores on SQLite (always) and PostgreSQL (when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bot.store import Store, open_store

# slack_sdk ignores NO_PROXY; tests talk to 127.0.0.1 only, so no proxy may be in the way.
for _name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_name, None)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A fresh SQLite database file URL."""
    return f"sqlite:///{tmp_path}/test.db"


@pytest.fixture
def store(sqlite_url) -> Store:
    """A migrated store on a fresh SQLite file."""
    opened = open_store(sqlite_url)
    yield opened
    opened.close()


@pytest.fixture
def postgres_url() -> str:
    """A URL to a fresh, empty schema on the test PostgreSQL server (skips when not configured)."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_url(base).set(drivername="postgresql+psycopg"))
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # an unreachable server is a skip with its reason, not an error
        admin.dispose()
        pytest.skip(f"PostgreSQL at TEST_DATABASE_URL not usable: {type(exc).__name__}")
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request) -> Store:
    """The same test on SQLite and on PostgreSQL."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    opened = open_store(url)
    yield opened
    opened.close()


# The fake GitHub and the in-process application are fixtures of every test module.
from tests.fake_github import fake_github, fake_github_server  # noqa: E402,F401
from tests.testbot import testbot  # noqa: E402,F401
