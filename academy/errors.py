"""Domain errors any service may raise, and the one place they become HTTP responses."""

from __future__ import annotations

import logging
import uuid

import sqlalchemy as sa
from flask import Flask, current_app, g, render_template
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A rule of the domain refused the operation; ``message`` is safe to show the user."""

    status = 400

    def __init__(self, message: object = "") -> None:
        """``message`` is a string or a lazily translated one (flask_babel.lazy_gettext)."""
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The object does not exist, or the user must not learn that it does."""

    status = 404


class NotAllowed(DomainError):
    """The user may see the object but not do this to it."""

    status = 403


class InvalidTransition(DomainError):
    """The object's current state does not allow the requested change."""

    status = 409


class TooManyAttempts(DomainError):
    """A throttle refused the attempt; try again later."""

    status = 429


ERROR_TITLES = {
    400: _l("Bad request"),
    403: _l("Not allowed"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    409: _l("That change is not possible now"),
    413: _l("Upload too large"),
    422: _l("Please check your input"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong"),
    503: _l("Temporarily unavailable"),
}

ERROR_EXPLANATIONS = {
    400: _l("The request could not be understood. If you sent a form, reload it and try again."),
    403: _l("Your account may not open this page."),
    404: _l("We could not find that page. It may have moved, or the link may be mistyped."),
    405: _l("This address does not accept that kind of request."),
    409: _l("The object has changed since you loaded the page."),
    413: _l("The file or form you sent is larger than the site accepts."),
    422: _l("Some of what you entered could not be accepted."),
    429: _l("Please wait a few minutes before trying again."),
    500: _l("The error has been logged. Please try again in a moment."),
    503: _l("The site cannot reach its database. Please try again in a moment."),
}


# How long a client should wait before retrying when the database is busy or unreachable.
RETRY_AFTER_SECONDS = 5

# SQLite's messages for a database another process holds or that cannot be opened; other
# sqlite3.OperationalErrors ("no such table" …) are bugs and stay 500s.
_SQLITE_UNAVAILABLE = ("database is locked", "database table is locked", "database is busy",
                       "unable to open database file", "disk i/o error")


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database is busy or unreachable, not that the code is wrong.

    Such a request is refused with 503 and Retry-After (nothing was committed, so a retry is
    safe): SQLite held by another writer past the busy timeout or its file unreadable, a
    PostgreSQL server down or a connection it dropped, a pool that found no free connection.
    """
    if isinstance(error, sa.exc.TimeoutError):
        return True
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return True
    if not isinstance(error, sa.exc.OperationalError):
        return False
    if error.orig is not None and type(error.orig).__module__.startswith("psycopg"):
        return True  # psycopg's OperationalErrors are about the connection or the server
    return any(message in str(error.orig).lower() for message in _SQLITE_UNAVAILABLE)


def forget_signed_in_user() -> None:
    """Render the next page as for a visitor, so the layout asks the database for nothing.

    Flask-Login loads the account (a query) the first time a template reads ``current_user``.
    """
    g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]


def render_error(status: int, message: object = "", error_id: str = "") -> tuple[str, int]:
    """Render the site's error page for ``status``; any 4xx/5xx without its own text gets 500's."""
    known = status if status in ERROR_TITLES else (500 if status >= 500 else 400)
    context = {"status": status, "title": ERROR_TITLES[known],
               "explanation": message or ERROR_EXPLANATIONS[known], "error_id": error_id}
    try:
        return render_template("errors/error.html", **context), status
    except sa.exc.SQLAlchemyError as error:
        # The layout reads the signed-in account; with the database gone, show it as a visitor.
        if not database_unavailable(error):
            raise
        forget_signed_in_user()
        return render_template("errors/error.html", **context), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> tuple[str, int]:
        return render_error(error.status, error.message)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[str, int]:
        status = error.code or 500
        # CSRF failures and the like carry a developer-facing description; show our own text.
        return render_error(status)

    @app.errorhandler(sa.exc.SQLAlchemyError)
    def _database_error(error: sa.exc.SQLAlchemyError) -> tuple[str, int, dict[str, str]]:
        if not database_unavailable(error):
            return (*_unexpected(error), {})
        log.warning("database unavailable: %s", error.orig if isinstance(
            error, sa.exc.DBAPIError) else error)
        forget_signed_in_user()
        return (*render_error(503), {"Retry-After": str(RETRY_AFTER_SECONDS)})

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[str, int]:
        if app.testing and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise error
        error_id = uuid.uuid4().hex[:12]
        log.exception("unhandled error %s", error_id)
        return render_error(500, error_id=error_id)
