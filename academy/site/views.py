"""The dashboard, the health check and the language switch."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from academy.auth import service as auth_service
from academy.auth.models import LOCALES, AccountRole
from academy.charts import sparkline
from academy.db import database_is_reachable, engine_of, get_session, utcnow
from academy.forms import ConfirmForm
from academy.i18n import current_locale
from academy.scheduler import JOBS
from academy.security import safe_next_url, signed_in_user
from academy.site import service

bp = Blueprint("site", __name__, template_folder="templates")


@bp.route("/")
def home() -> str | Response:
    if not current_user.is_authenticated:
        return render_template("site/welcome.html")
    user = signed_in_user()
    db = get_session()
    if user.account_role == AccountRole.STUDENT:
        data = service.student_dashboard(db, user, now=utcnow(), locale=current_locale())
        trend = sparkline(data.gpm_trend, label=_("GPM of your latest streams, oldest first"))
        return render_template("site/dashboard_student.html", data=data, gpm_trend=trend)
    if user.account_role == AccountRole.INSTRUCTOR:
        return render_template("site/dashboard_instructor.html",
                               data=service.instructor_dashboard(db, user, now=utcnow()))
    if user.account_role == AccountRole.PARTNER:
        return render_template("site/dashboard_partner.html",
                               data=service.partner_dashboard(db, user))
    return render_template("site/dashboard_admin.html", data=service.admin_dashboard(db),
                           jobs=JOBS)


@bp.route("/favicon.ico")
def favicon() -> Response:
    """Browsers and feed readers ask for /favicon.ico whatever the page links: a PNG answers."""
    return send_from_directory(current_app.static_folder or "static", "img/favicon-32.png",
                               mimetype="image/png", max_age=86400)


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
