"""`doctor`'s database check: the database opens, migrates and answers a query."""

from __future__ import annotations

from collections.abc import Callable

from bot.causes import describe, one_line
from bot.checks import CheckFailed
from bot.store import Store


def check_database(open_store: Callable[[], Store], database_url: str) -> str:
    """The database opens, migrates and answers a query."""
    try:
        store = open_store()
    except Exception as exc:
        raise CheckFailed(_database_problem(exc, database_url)) from None
    try:
        store.ping()
        return f"{store.engine.dialect.name} reachable, schema up to date"
    except Exception as exc:
        raise CheckFailed(_database_problem(exc, database_url)) from None
    finally:
        store.close()


def _database_problem(exc: BaseException, database_url: str) -> str:
    """The store's own one-line explanation when it gives one, else the cause and what to check."""
    text = one_line(str(exc))
    if text.startswith("database: "):  # the store already said what and where (StoreUnavailable)
        return text.removeprefix("database: ")
    from sqlalchemy.engine import make_url

    try:
        url = make_url(database_url)
    except Exception:  # a URL the config check let through but SQLAlchemy rejects: say so, never echo it
        return f"DATABASE_URL is not a database URL SQLAlchemy understands ({type(exc).__name__})"
    if url.get_backend_name() == "sqlite":
        return f"cannot open the SQLite file {url.database} ({describe(exc)}); check that DATABASE_URL names " \
               f"a folder this user can write"
    where = f"{url.host or 'the local socket'}" + (f":{url.port}" if url.port else "")
    return f"cannot open the database at {where} ({describe(exc)}); check DATABASE_URL and that the server is " \
           f"running and reachable"
