"""Why the database could not be opened, as one line naming the cause and what to check."""

from __future__ import annotations

import re

from sqlalchemy.engine import make_url


class StoreUnavailable(Exception):
    """The database cannot be opened, created or migrated; the message is one line for an operator."""


def _first_line(text: str) -> str:
    # psycopg repeats the connection target and adds a tab-indented hint; SQLAlchemy adds a link.
    line = text.strip().splitlines()[0] if text.strip() else ""
    line = re.sub(r"^connection failed: ", "", line)
    return re.sub(r"\s+", " ", line).strip()


def _where(database_url: str) -> str:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {url.database}"
    host = url.host or "the local socket"
    return f"PostgreSQL database {url.database or '(none)'} at {host}" + (f":{url.port}" if url.port else "")


def explain(exc: BaseException, database_url: str, doing: str) -> StoreUnavailable:
    """A StoreUnavailable for `exc`, raised while `doing` (e.g. "open", "migrate"), never echoing a password."""
    orig = getattr(exc, "orig", None)  # SQLAlchemy's DBAPIError wraps the driver's exception
    cause = orig if orig is not None else exc
    if isinstance(cause, OSError) and cause.strerror:
        reason = f"{cause.strerror}: {cause.filename}" if cause.filename else cause.strerror
    else:
        reason = _first_line(str(cause)) or type(cause).__name__
    password = make_url(database_url).password
    if password:
        reason = reason.replace(str(password), "***")
    hint = ("check that DATABASE_URL names a folder this user can write" if make_url(database_url)
            .get_backend_name() == "sqlite" else "check DATABASE_URL and that the server is running and reachable")
    return StoreUnavailable(f"database: cannot {doing} the {_where(database_url)} ({reason}); {hint}")


class SqliteFile:
    """The SQLite file a store opened: it must stay there, be the same file, and stay writable."""

    def __init__(self, path: str) -> None:
        import os

        self.path = os.path.abspath(path)
        # None until the file exists (the first connection creates it).
        self.inode = os.stat(self.path).st_ino if os.path.exists(self.path) else None

    def check(self) -> None:
        """Raise StoreUnavailable when the file was deleted or replaced, or can no longer be written."""
        import os

        if self.inode is None:
            if not os.path.exists(self.path):
                return
            self.inode = os.stat(self.path).st_ino
        try:
            inode = os.stat(self.path).st_ino
        except FileNotFoundError:
            raise StoreUnavailable(f"database: the SQLite file {self.path} was deleted; what is written now is lost "
                                   f"at the next start: restore the file, then restart") from None
        if inode != self.inode:
            raise StoreUnavailable(f"database: the SQLite file {self.path} was replaced by another file; restart "
                                   f"to use it")
        if not (os.access(self.path, os.W_OK) and os.access(os.path.dirname(self.path), os.W_OK)):
            raise StoreUnavailable(f"database: the SQLite file {self.path} (or its folder) is read-only; make both "
                                   f"writable for this user")
