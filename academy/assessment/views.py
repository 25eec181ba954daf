"""Assessing streams, the gradebook with its exports, and certificates (with the public check)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import login_required

from academy.assessment import certificates, gradebook, service
from academy.assessment.forms import AssessmentForm, RevokeForm
from academy.assessment.service import AssessmentInvalid
from academy.auth.models import AccountRole
from academy.charts import Chart, Series, line_chart
from academy.curriculum.models import TRACKS
from academy.db import get_session, utcnow
from academy.forms import ConfirmForm, attach_error
from academy.i18n import current_locale
from academy.request_guards import database_id
from academy.security import roles_required, signed_in_user

bp = Blueprint("assessment", __name__, template_folder="templates")


Page = str | tuple[str, int] | Response


@bp.route("/assessments/queue")
@roles_required(AccountRole.INSTRUCTOR)
def queue() -> Page:
    track = request.args.get("track", "")
    student_id = request.args.get("student", type=database_id)
    waiting = service.assessment_queue(get_session(), signed_in_user(), track=track,
                                       student_id=student_id)
    return render_template("assessment/queue.html", queue=waiting, track=track,
                           student_id=student_id)


@bp.route("/practice/streams/<int:stream_id>/assess", methods=["GET", "POST"])
@roles_required(AccountRole.INSTRUCTOR, AccountRole.PARTNER)
def assess(stream_id: int) -> Page:
    db, assessor = get_session(), signed_in_user()
    detail_url = url_for("practice.stream", stream_id=stream_id)
    existing = service.own_assessment(db, assessor, stream_id)
    form = AssessmentForm(data={"comments": service.comments_as_text(existing.comments),
                                "feedback_md": existing.feedback_md} if existing else None)
    criteria = service.current_rubric(db).localized_criteria(current_locale())
    chosen = existing.levels if existing and request.method == "GET" else {}
    errors: dict[str, object] = {}
    if form.validate_on_submit():
        chosen = {c["key"]: request.form.get(f"level-{c['key']}", type=int) for c in criteria}
        try:
            service.assess_stream(db, assessor, stream_id, levels=chosen,
                                  comments_text=form.comments.data or "",
                                  feedback_md=form.feedback_md.data or "", now=utcnow())
        except AssessmentInvalid as error:
            errors = error.errors
            for name in ("comments", "feedback_md"):
                if name in errors:
                    attach_error(form, name, errors[name])
        else:
            flash(_("Assessment saved. The student sees it on the stream page."), "success")
            return redirect(f"{detail_url}#assessments")
    stream_detail = service.assessments_of_stream(db, assessor, stream_id)
    status = 422 if form.errors or errors else 200
    return render_template("assessment/assess.html", form=form, criteria=criteria,
                           chosen=chosen, errors=errors, stream_id=stream_id,
                           detail_url=detail_url, others=stream_detail,
                           revising=existing is not None), status


def _trend_chart(trend: service.CriterionTrend) -> Chart:
    return line_chart(
        "criterion-trend", _("Rubric levels per assessed stream"),
        x_labels=[format_date(started, "short") for started, _levels, _total in trend.streams],
        series=[Series(c["title"], [levels.get(c["key"]) for _s, levels, _t in trend.streams])
                for c in trend.criteria],
        x_label=_("Assessed stream"), y_label=_("Level (1–4)"))


def _student_gradebook(student_id: int) -> Page:
    db, viewer = get_session(), signed_in_user()
    grades = gradebook.student_grades(db, viewer, student_id)
    trend = service.criterion_trend(db, viewer, student_id, current_locale())
    return render_template("assessment/gradebook.html", grades=grades,
                           criterion_means=gradebook.criterion_means(db, viewer, student_id,
                                                                     current_locale()),
                           trend_chart=_trend_chart(trend), has_trend=bool(trend.streams))


@bp.route("/gradebook")
@roles_required(AccountRole.STUDENT)
def my_gradebook() -> Page:
    return _student_gradebook(signed_in_user().id)


@bp.route("/gradebook/students/<int:student_id>")
@roles_required(AccountRole.INSTRUCTOR, AccountRole.ADMIN)
def student_gradebook(student_id: int) -> Page:
    return _student_gradebook(student_id)


def _class_rows() -> list[gradebook.StudentGrades]:
    return gradebook.class_grades(get_session(), signed_in_user(),
                                  sort=request.args.get("sort", "name"),
                                  descending=request.args.get("order") == "desc")


@bp.route("/gradebook/class")
@roles_required(AccountRole.INSTRUCTOR, AccountRole.ADMIN)
def class_gradebook() -> Page:
    sort, descending = request.args.get("sort", "name"), request.args.get("order") == "desc"
    grades = gradebook.class_grades_page(get_session(), signed_in_user(), sort=sort,
                                         descending=descending,
                                         page=request.args.get("page", 1, type=database_id))
    return render_template("assessment/class_gradebook.html", grades=grades, rows=grades.rows,
                           sort=sort, descending=descending, tracks=TRACKS)


@bp.route("/gradebook/class.csv")
@roles_required(AccountRole.INSTRUCTOR, AccountRole.ADMIN)
def class_gradebook_csv() -> Response:
    return Response(gradebook.gradebook_csv(_class_rows()), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="gradebook.csv"'})


@bp.route("/gradebook/class.xlsx")
@roles_required(AccountRole.INSTRUCTOR, AccountRole.ADMIN)
def class_gradebook_xlsx() -> Response:
    return Response(
        gradebook.gradebook_xlsx(_class_rows()),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="gradebook.xlsx"'})


@bp.route("/certificates")
@roles_required(AccountRole.STUDENT)
def my_certificates() -> Page:
    db, student = get_session(), signed_in_user()
    checklists = [certificates.certificate_checklist(db, student, track) for track in TRACKS]
    return render_template("assessment/certificates.html", checklists=checklists,
                           form=ConfirmForm())


@bp.route("/certificates/<track>/issue", methods=["POST"])
@roles_required(AccountRole.STUDENT)
def issue(track: str) -> Response:
    if ConfirmForm().validate_on_submit():
        certificates.issue_certificate(get_session(), signed_in_user(), track, now=utcnow())
        flash(_("Congratulations! Your certificate is ready to download."), "success")
    return redirect(url_for("assessment.my_certificates"))


@bp.route("/certificates/<code>")
def verify(code: str) -> Page:
    verification = certificates.verify_certificate(get_session(), code)
    return render_template("assessment/verify.html", verification=verification,
                           revoke_form=RevokeForm())


@bp.route("/certificates/<code>/certificate.pdf")
@login_required
def certificate_pdf(code: str) -> Response:
    verification = certificates.own_certificate(get_session(), signed_in_user(), code)
    track = {"host": _("Host"), "operator": _("Operator"), "planner": _("Planner")}[
        verification.certificate.track]
    verify_url = url_for("assessment.verify", code=code, _external=True)
    text = certificates.CertificateText(
        heading=_("Certificate of Achievement"),
        presented_to=_("Live Academy certifies that"),
        body=_("has completed the %(track)s track of live-stream e-commerce training: every "
               "module's quiz passed and assessed practice streams at the required standard.",
               track=track),
        issued=_("Issued on %(date)s", date=format_date(verification.certificate.issued_at,
                                                          "long")),
        verify=_("Verify at %(url)s", url=verify_url),
    )
    font = certificates.find_cjk_font(current_app.config.get("CJK_FONT", ""))
    filename = f"certificate-{verification.certificate.track}.pdf"
    return Response(certificates.certificate_pdf(verification, text, font),
                    mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/certificates/<code>/revoke", methods=["POST"])
@roles_required(AccountRole.ADMIN)
def revoke(code: str) -> Page:
    form = RevokeForm()
    if form.validate_on_submit():
        certificates.revoke_certificate(get_session(), signed_in_user(), code,
                                        reason=form.reason.data or "", now=utcnow())
        flash(_("Certificate revoked."), "success")
        return redirect(url_for("assessment.verify", code=code))
    verification = certificates.verify_certificate(get_session(), code)
    return render_template("assessment/verify.html", verification=verification,
                           revoke_form=form), 422
