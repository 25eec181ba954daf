"""Language and time zone of each request (Flask-Babel)."""

from __future__ import annotations

from flask import Flask, has_request_context, request, session
from flask_babel import Babel, get_locale
from flask_babel.speaklater import LazyString
from flask_login import current_user
from markupsafe import Markup, escape

from academy.auth.models import LOCALES

babel = Babel()


def select_locale() -> str:
    """The account's language, else the visitor's choice, else the browser's, else English.

    Outside a request (the CLI, jobs) it is English until a caller chooses otherwise.
    """
    if not has_request_context():
        return "en"
    if current_user.is_authenticated:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in LOCALES:
        return chosen
    return request.accept_languages.best_match(LOCALES) or "en"


def current_locale() -> str:
    """The language of this request as a code ("en", "zh"); content is served in it."""
    return str(get_locale() or "en")


def select_timezone() -> str:
    if has_request_context() and current_user.is_authenticated:
        return current_user.timezone
    return "Asia/Shanghai"


def _lazy_message_as_html(message: LazyString) -> Markup:
    return escape(str(message))


def _escape_lazy_messages() -> None:
    """Make lazily translated messages reach HTML escaped, like any other text.

    Flask-Babel's ``LazyString.__html__`` returns its text unescaped, so Jinja (and the session
    serializer behind ``flash``) takes a lazy message for safe markup. Service messages carry
    what people typed (``_l("Unknown firm “%(slug)s”.", slug=cell)``), so an imported CSV cell
    would put its markup on an admin's page. No message of ours holds markup: their HTML form
    is their escaped text.
    """
    LazyString.__html__ = _lazy_message_as_html  # type: ignore[method-assign]


def init_i18n(app: Flask) -> None:
    _escape_lazy_messages()
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
