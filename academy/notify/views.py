"""The inbox, notification preferences, and the admin's list of scheduled job runs."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from academy.db import get_session, utcnow
from academy.forms import ConfirmForm, attach_error
from academy.notify import service
from academy.notify.forms import CHOOSABLE_KINDS, PreferencesForm
from academy.notify.models import Delivery
from academy.scheduler import JOBS, next_run_times
from academy.security import roles_required, signed_in_user

bp = Blueprint("notify", __name__, template_folder="templates")

Page = str | tuple[str, int]


@bp.route("/inbox")
@login_required
def inbox() -> str:
    return render_template("notify/inbox.html",
                           inbox=service.list_inbox(get_session(), signed_in_user()),
                           confirm_form=ConfirmForm())


@bp.route("/inbox/<int(max=2147483647):notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int) -> Response:
    if ConfirmForm().validate_on_submit():
        service.mark_read(get_session(), signed_in_user(), notification_id, now=utcnow())
    return redirect(url_for("notify.inbox"))


@bp.route("/inbox/read-all", methods=["POST"])
@login_required
def mark_all_read() -> Response:
    if ConfirmForm().validate_on_submit():
        count = service.mark_all_read(get_session(), signed_in_user(), now=utcnow())
        flash(_("%(count)d notification(s) marked read.", count=count), "info")
    return redirect(url_for("notify.inbox"))


@bp.route("/inbox/preferences", methods=["GET", "POST"])
@login_required
def preferences() -> Page:
    db, user = get_session(), signed_in_user()
    form = PreferencesForm(data={kind.value: delivery.value for kind, delivery
                                 in service.preferences(db, user).items()})
    if form.validate_on_submit():
        try:
            service.set_preferences(db, user, {kind: Delivery(form[kind.value].data)
                                               for kind in CHOOSABLE_KINDS})
        except service.PreferenceInvalid as error:
            attach_error(form, "", error.message)
        else:
            flash(_("Your notification preferences are saved."), "success")
            return redirect(url_for("notify.preferences"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("notify/preferences.html", form=form), status


@bp.route("/admin/jobs")
@roles_required("admin")
def admin_jobs() -> str:
    db = get_session()
    return render_template("notify/admin_jobs.html", jobs=JOBS.values(),
                           next_runs=next_run_times(utcnow()), last_runs=service.last_runs(db),
                           runs=service.list_job_runs(db))
