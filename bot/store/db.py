"""Engine creation (SQLite WAL or PostgreSQL), migrations, and the idempotent insert."""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, Insert, Table, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed number: serialises migrations when several processes start at once on PostgreSQL.
MIGRATION_LOCK_ID = 0x636F6D6D


def make_engine(database_url: str) -> Engine:
    """Create the engine; SQLite gets its directory, WAL mode and a busy timeout."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # The stdlib driver's implicit transactions fight with WAL writers in other processes;
    # autocommit off plus an explicit busy timeout makes concurrent writers wait instead of fail.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; safe when several processes do it at once."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with _sqlite_file_lock(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    log.debug("event=migrated dialect=%s", engine.dialect.name)


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    # SQLite runs DDL outside the driver's transactions, so two processes starting together
    # could both create the tables; an exclusive lock on a sidecar file serialises them.
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    with open(f"{database}.migrate-lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def insert_ignore(connection: Connection, table: Table, values: dict) -> bool:
    """Insert a row unless its unique key exists; True when this call inserted it."""
    dialect = connection.dialect.name
    statement: Insert  # the common base: each dialect's insert is its own class
    if dialect == "postgresql":
        statement = postgresql.insert(table).values(**values).on_conflict_do_nothing()
    elif dialect == "sqlite":
        statement = sqlite.insert(table).values(**values).on_conflict_do_nothing()
    else:  # pragma: no cover - only the two supported dialects reach here
        raise RuntimeError(f"unsupported dialect {dialect}")
    # RETURNING rather than rowcount: psycopg 3 under SQLAlchemy 2.1 reports -1 for inserts.
    key = list(table.primary_key.columns)
    return connection.execute(statement.returning(*key)).first() is not None


def upsert(connection: Connection, table: Table, values: dict, keys: list[str]) -> None:
    """Insert a row or update the non-key columns of the existing one."""
    module = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = module.insert(table).values(**values)
    updates = {name: statement.excluded[name] for name in values if name not in keys}
    connection.execute(statement.on_conflict_do_update(index_elements=keys, set_=updates))


def ping(engine: Engine) -> None:
    """Raise if the database cannot answer a trivial query."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
