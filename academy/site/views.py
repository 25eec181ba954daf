"""The dashboard, the health check and the language switch."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from academy.auth import service as auth_service
from academy.auth.models import LOCALES
from academy.db import database_is_reachable, engine_of, get_session
from academy.forms import ConfirmForm
from academy.security import safe_next_url, signed_in_user

bp = Blueprint("site", __name__, template_folder="templates")


@bp.route("/")
def home() -> str | Response:
    if not current_user.is_authenticated:
        return render_template("site/welcome.html")
    return render_template("site/dashboard.html")


@bp.route("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    if database_is_reachable(engine_of(current_app)):
        return {"status": "ok", "database": "ok"}, 200
    return {"status": "unavailable", "database": "unreachable"}, 503


@bp.route("/language", methods=["POST"])
def set_language() -> Response:
    """Switch the interface language; remembered on the account when signed in."""
    locale = request.form.get("locale", "")
    if ConfirmForm().validate_on_submit() and locale in LOCALES:
        session["locale"] = locale
        if current_user.is_authenticated:
            auth_service.set_locale(get_session(), signed_in_user(), locale)
    return redirect(safe_next_url(request.form.get("next"), url_for("site.home")))
