"""How a failing job or tick is logged: a database outage is one line with its cause, a bug its traceback."""

from __future__ import annotations

import logging

log = logging.getLogger("bot.service.jobs")


def log_failure(what: str, exc: Exception, **context: object) -> None:
    """A database failure (read-only file, disk full, server gone) is one line with its cause; anything else a bug."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.causes import describe
    from bot.store.errors import StoreUnavailable

    if isinstance(exc, (SQLAlchemyError, StoreUnavailable)):
        log.error(what, extra={**context, "error": f"database: {describe(exc)}"})
    else:
        log.exception(what, extra=context)
