"""Domain errors any service may raise, and the one place they become HTTP responses."""

from __future__ import annotations

import logging
import uuid

from flask import Flask, render_template
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


def render_error(status: int, message: object = "", error_id: str = "") -> tuple[str, int]:
    """Render the site's error page for ``status``; any 4xx/5xx without its own text gets 500's."""
    known = status if status in ERROR_TITLES else (500 if status >= 500 else 400)
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=ERROR_TITLES[known],
            explanation=message or ERROR_EXPLANATIONS[known],
            error_id=error_id,
        ),
        status,
    )


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> tuple[str, int]:
        return render_error(error.status, error.message)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> tuple[str, int]:
        status = error.code or 500
        # CSRF failures and the like carry a developer-facing description; show our own text.
        return render_error(status)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[str, int]:
        if app.testing and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise error
        error_id = uuid.uuid4().hex[:12]
        log.exception("unhandled error %s", error_id)
        return render_error(500, error_id=error_id)
