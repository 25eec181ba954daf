"""Pages of order classes: browse, propose, run the stages, select, follow, place, schedule."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import login_required
from wtforms import SelectChoice

from academy.auth.models import AccountRole
from academy.charts import funnel_chart
from academy.cohorts import service
from academy.cohorts.forms import (
    AddMembersForm,
    AnswerOfferForm,
    ApplyForm,
    AttendanceForm,
    CohortForm,
    ConfirmMembersForm,
    DecisionForm,
    EventForm,
    HireForm,
    OfferForm,
    StatusForm,
    attendance_marks,
)
from academy.cohorts.models import AttendanceStatus, CohortKind, CohortStatus, MemberStatus
from academy.cohorts.service import CohortDraft, CohortError, EnrolmentOutcome, EventDraft
from academy.curriculum.models import TRACKS
from academy.db import get_session, utcnow
from academy.forms import ConfirmForm, attach_error
from academy.request_guards import database_id
from academy.security import roles_required, signed_in_user
from academy.templating import (
    COHORT_STATUS_LABELS,
    EVENT_KIND_LABELS,
    MEMBER_STATUS_LABELS,
    PLATFORM_LABELS,
    TRACK_LABELS,
)

bp = Blueprint("cohorts", __name__, template_folder="templates")

Page = str | tuple[str, int] | Response
_MANAGERS = (AccountRole.PARTNER, AccountRole.INSTRUCTOR, AccountRole.ADMIN)
FUNNEL_LABELS = {"applied": _l("Applied"), "admitted": _l("Admitted"), "passed": _l("Passed"),
                 "offered": _l("Offered"), "hired": _l("Hired")}
ATTENDANCE_LABELS = {
    AttendanceStatus.PRESENT: _l("Present"),
    AttendanceStatus.LATE: _l("Late"),
    AttendanceStatus.ABSENT: _l("Absent"),
    AttendanceStatus.EXCUSED: _l("Excused"),
}
ENROLMENT_LABELS = {
    EnrolmentOutcome.ADDED: _l("Will be added"),
    EnrolmentOutcome.ALREADY_MEMBER: _l("Already a member"),
    EnrolmentOutcome.NO_STUDENT_ACCOUNT: _l("No active student account with this e-mail"),
    EnrolmentOutcome.OVER_SEATS: _l("Over the seat limit"),
    EnrolmentOutcome.DUPLICATE: _l("Listed twice"),
}


def _status(form: object) -> int:
    return 422 if getattr(form, "errors", None) else 200


def _codes(text: str | None) -> list[str]:
    return [code for code in (text or "").replace(";", ",").replace(" ", ",").split(",") if code]


def _prepare(form: CohortForm, options: service.CohortFormOptions) -> CohortForm:
    form.track.choices = [SelectChoice(track, TRACK_LABELS[track]) for track in TRACKS]
    form.required_modules.choices = [SelectChoice(m.slug, m.title) for m in options.modules]
    form.platforms.choices = [SelectChoice(p.value, label) for p, label in PLATFORM_LABELS.items()]
    form.mentors.choices = [SelectChoice(m.user_id, m.display_name) for m in options.mentors]
    return form


def _module_groups(options: service.CohortFormOptions) -> list[tuple[object, set[str]]]:
    """The module checkboxes grouped under their track's name."""
    return [(TRACK_LABELS[track], {m.slug for m in options.modules if m.track == track})
            for track in TRACKS]


def _draft(form: CohortForm) -> CohortDraft:
    return CohortDraft(
        name=form.name.data or "", track=form.track.data or "", seats=form.seats.data or 0,
        apply_by=form.apply_by.data, starts_on=form.starts_on.data,  # type: ignore[arg-type]
        kind=CohortKind.INTERNAL if form.internal.data else CohortKind.ORDER_CLASS,
        ends_on=form.ends_on.data,  # type: ignore[arg-type]
        description_md=form.description.data or "",
        required_modules=form.required_modules.data or [],
        platforms=form.platforms.data or [], markets=_codes(form.markets.data),
        languages=_codes(form.languages.data),
        hiring_commitment=form.hiring_commitment.data or "",
        mentor_ids=form.mentors.data or [],
    )


@bp.route("/cohorts")
@login_required
def list_cohorts() -> Page:
    listing = service.list_cohorts(get_session(), signed_in_user(),
                                   status=request.args.get("status", ""),
                                   page=request.args.get("page", 1, type=database_id) or 1)
    return render_template("cohorts/list.html", listing=listing)


@bp.route("/cohorts/new", methods=["GET", "POST"])
@roles_required(AccountRole.PARTNER)
def new_cohort() -> Page:
    db, user = get_session(), signed_in_user()
    options = service.cohort_form_options(db, user.firm_id or 0)
    form = _prepare(CohortForm(), options)
    if form.validate_on_submit():
        try:
            cohort = service.create_cohort(db, user, _draft(form), now=utcnow())
        except CohortError as error:
            attach_error(form, error.field, error.message)
        else:
            flash(_("Draft saved. Submit it for approval when the terms are complete."),
                  "success")
            return redirect(url_for("cohorts.detail", slug=cohort.slug))
    return render_template("cohorts/form.html", form=form, cohort=None,
                           module_groups=_module_groups(options)), _status(form)


@bp.route("/cohorts/<slug>/edit", methods=["GET", "POST"])
@roles_required(*_MANAGERS)
def edit_cohort(slug: str) -> Page:
    db, user = get_session(), signed_in_user()
    editor = service.cohort_editor(db, user, slug)
    cohort = editor.cohort
    form = CohortForm() if request.method == "POST" else CohortForm(
        obj=cohort, description=cohort.description_md, markets=", ".join(cohort.markets),
        languages=", ".join(cohort.languages), mentors=editor.mentor_ids,
        internal=cohort.kind == CohortKind.INTERNAL)
    _prepare(form, editor.options)
    if form.validate_on_submit():
        try:
            service.update_cohort(db, user, slug, _draft(form), now=utcnow())
        except CohortError as error:
            attach_error(form, error.field, error.message)
        else:
            flash(_("Changes saved."), "success")
            return redirect(url_for("cohorts.detail", slug=slug))
    return render_template("cohorts/form.html", form=form, cohort=cohort,
                           module_groups=_module_groups(editor.options)), _status(form)


def _render_detail(slug: str, status_form: StatusForm | None = None,
                   status: int = 200) -> tuple[str, int]:
    page = service.cohort_page(get_session(), signed_in_user(), slug, now=utcnow())
    return render_template("cohorts/detail.html", page=page,
                           status_form=status_form or StatusForm(),
                           confirm_form=ConfirmForm(), answer_form=AnswerOfferForm()), status


@bp.route("/cohorts/<slug>")
@login_required
def detail(slug: str) -> Page:
    return _render_detail(slug)


@bp.route("/cohorts/<slug>/status", methods=["POST"])
@roles_required(*_MANAGERS)
def change_status(slug: str) -> Page:
    form = StatusForm()
    if form.validate_on_submit():
        try:
            cohort = service.change_status(get_session(), signed_in_user(), slug,
                                           CohortStatus(form.target.data),
                                           reason=form.reason.data or "", now=utcnow())
        except CohortError as error:
            attach_error(form, error.field, error.message)
        else:
            flash(_("The order class is now: %(status)s.",
                    status=COHORT_STATUS_LABELS[cohort.status]), "success")
            return redirect(url_for("cohorts.detail", slug=slug))
    return _render_detail(slug, form, 422)


@bp.route("/cohorts/<slug>/apply", methods=["GET", "POST"])
@roles_required(AccountRole.STUDENT)
def apply(slug: str) -> Page:
    db, user = get_session(), signed_in_user()
    page = service.cohort_page(db, user, slug, now=utcnow())
    service.refuse_internal_applications(page.cohort)
    form = ApplyForm()
    if form.validate_on_submit():
        try:
            service.apply_to_cohort(db, user, slug, form.motivation.data or "", now=utcnow())
        except CohortError as error:
            attach_error(form, error.field, error.message)
        else:
            flash(_("Your application is in. The firm will review it with your progress."),
                  "success")
            return redirect(url_for("cohorts.detail", slug=slug))
    return render_template("cohorts/apply.html", page=page, form=form), _status(form)


@bp.route("/cohorts/<slug>/withdraw", methods=["POST"])
@roles_required(AccountRole.STUDENT)
def withdraw(slug: str) -> Response:
    if ConfirmForm().validate_on_submit():
        service.withdraw_application(get_session(), signed_in_user(), slug, now=utcnow())
        flash(_("Your application is withdrawn."), "info")
    return redirect(url_for("cohorts.detail", slug=slug))


def _descending() -> bool:
    return request.args.get("dir") == "desc"


@bp.route("/cohorts/<slug>/applicants")
@roles_required(*_MANAGERS)
def applicants(slug: str) -> Page:
    table = service.list_applicants(get_session(), signed_in_user(), slug,
                                    status=request.args.get("status", ""),
                                    sort=request.args.get("sort", "applied"),
                                    descending=_descending())
    return render_template("cohorts/applicants.html", table=table)


def _render_member(slug: str, member_id: int, *, decision_form: DecisionForm | None = None,
                   offer_form: OfferForm | None = None, hire_form: HireForm | None = None,
                   status: int = 200) -> tuple[str, int]:
    page = service.member_page(get_session(), signed_in_user(), slug, member_id)
    return render_template(
        "cohorts/member.html", page=page, decision_form=decision_form or DecisionForm(),
        offer_form=offer_form or OfferForm(offered_on=utcnow().date()),
        hire_form=hire_form or HireForm(), answer_form=AnswerOfferForm(),
    ), status


@bp.route("/cohorts/<slug>/members/<int:member_id>")
@roles_required(*_MANAGERS)
def member(slug: str, member_id: int) -> Page:
    return _render_member(slug, member_id)


@bp.route("/cohorts/<slug>/members/<int:member_id>/decision", methods=["POST"])
@roles_required(*_MANAGERS)
def decide(slug: str, member_id: int) -> Page:
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            decided = service.decide_member(get_session(), signed_in_user(), slug, member_id,
                                            MemberStatus(form.target.data),
                                            reason=form.reason.data or "", now=utcnow())
        except CohortError as error:
            attach_error(form, error.field, error.message)
        else:
            flash(_("Saved: %(status)s.", status=MEMBER_STATUS_LABELS[decided.status]),
                  "success")
            return redirect(url_for("cohorts.member", slug=slug, member_id=member_id))
    return _render_member(slug, member_id, decision_form=form, status=422)


@bp.route("/cohorts/<slug>/members/<int:member_id>/offers", methods=["POST"])
@roles_required(*_MANAGERS)
def offer(slug: str, member_id: int) -> Page:
    form = OfferForm()
    if form.validate_on_submit():
        try:
            service.record_offer(get_session(), signed_in_user(), slug, member_id,
                                 position=form.position.data or "",
                                 offered_on=form.offered_on.data,  # type: ignore[arg-type]
                                 now=utcnow())
        except CohortError as error:
            attach_error(form, error.field, error.message)
        else:
            flash(_("Offer recorded."), "success")
            return redirect(url_for("cohorts.member", slug=slug, member_id=member_id))
    return _render_member(slug, member_id, offer_form=form, status=422)


@bp.route("/cohorts/<slug>/members/<int:member_id>/placements/<int:placement_id>/hire",
          methods=["POST"])
@roles_required(*_MANAGERS)
def hire(slug: str, member_id: int, placement_id: int) -> Page:
    form = HireForm()
    if form.validate_on_submit():
        try:
            service.record_hire(get_session(), signed_in_user(), slug, placement_id,
                                starts_on=form.starts_on.data,  # type: ignore[arg-type]
                                now=utcnow())
        except CohortError as error:
            attach_error(form, error.field, error.message)
        else:
            flash(_("Hire recorded."), "success")
            return redirect(url_for("cohorts.member", slug=slug, member_id=member_id))
    return _render_member(slug, member_id, hire_form=form, status=422)


@bp.route("/cohorts/<slug>/placements/<int:placement_id>/answer", methods=["POST"])
@login_required
def answer_offer(slug: str, placement_id: int) -> Page:
    form = AnswerOfferForm()
    if not form.validate_on_submit():
        return _render_detail(slug, status=422)
    user = signed_in_user()
    placement = service.answer_offer(get_session(), user, slug, placement_id,
                                     accepted=form.answer.data == "accepted", now=utcnow())
    flash(_("Answer recorded."), "success")
    if user.account_role == AccountRole.STUDENT:
        return redirect(url_for("cohorts.detail", slug=slug))
    return redirect(url_for("cohorts.member", slug=slug, member_id=placement.member_id))


@bp.route("/cohorts/<slug>/board")
@roles_required(*_MANAGERS)
def board(slug: str) -> Page:
    table = service.progress_board(get_session(), signed_in_user(), slug,
                                   sort=request.args.get("sort", "name"),
                                   descending=_descending())
    return render_template("cohorts/board.html", table=table)


@bp.route("/cohorts/<slug>/board.csv")
@roles_required(*_MANAGERS)
def board_csv(slug: str) -> Response:
    table = service.progress_board(get_session(), signed_in_user(), slug,
                                   sort=request.args.get("sort", "name"),
                                   descending=_descending())
    return Response(
        service.board_csv(table, MEMBER_STATUS_LABELS).encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{slug}-progress.csv"'},
    )


def _render_add_members(slug: str, form: AddMembersForm, plan: service.EnrolmentPlan | None = None,
                        status: int = 200) -> tuple[str, int]:
    if plan is None:
        plan = service.start_enrolment(get_session(), signed_in_user(), slug)
    confirm_form = ConfirmMembersForm(emails=" ".join(plan.emails))
    return render_template("cohorts/add_members.html", form=form, plan=plan,
                           confirm_form=confirm_form, outcome_labels=ENROLMENT_LABELS,
                           outcomes=list(EnrolmentOutcome)), status


@bp.route("/cohorts/<slug>/members/add", methods=["GET", "POST"])
@roles_required(*_MANAGERS)
def add_members(slug: str) -> Page:
    """Paste or upload a list; the answer to the POST is the preview (nothing is written)."""
    form = AddMembersForm()
    if not form.validate_on_submit():
        return _render_add_members(slug, form, status=_status(form))
    try:
        emails = service.emails_from(form.emails.data or "",
                                     form.file.data.read() if form.file.data else None)
        plan = service.preview_enrolment(get_session(), signed_in_user(), slug, emails)
    except CohortError as error:
        attach_error(form, error.field, error.message)
        return _render_add_members(slug, form, status=422)
    return _render_add_members(slug, form, plan)


@bp.route("/cohorts/<slug>/members/add/confirm", methods=["POST"])
@roles_required(*_MANAGERS)
def confirm_members(slug: str) -> Page:
    form = ConfirmMembersForm()
    if not form.validate_on_submit():
        return _render_add_members(slug, AddMembersForm(formdata=None), status=400)
    plan = service.enrol_students(get_session(), signed_in_user(), slug,
                                  service.read_email_list(form.emails.data or ""), now=utcnow())
    added = plan.count(EnrolmentOutcome.ADDED)
    flash(ngettext("%(num)d member added.", "%(num)d members added.", added), "success")
    if added < len(plan.lines):
        flash(ngettext("%(num)d line was not added; preview the list again to see why.",
                       "%(num)d lines were not added; preview the list again to see why.",
                       len(plan.lines) - added), "info")
    return redirect(url_for("cohorts.board", slug=slug))


def _render_attendance(slug: str, event_id: int, form: AttendanceForm,
                       status: int = 200) -> tuple[str, int]:
    sheet = service.attendance_sheet(get_session(), signed_in_user(), slug, event_id)
    return render_template("cohorts/attendance.html", sheet=sheet, form=form,
                           labels=ATTENDANCE_LABELS, default=AttendanceStatus.PRESENT,
                           not_started=sheet.event.starts_at > utcnow()), status


@bp.route("/cohorts/<slug>/events/<int:event_id>/attendance", methods=["GET", "POST"])
@roles_required(*_MANAGERS)
def attendance(slug: str, event_id: int) -> Page:
    form = AttendanceForm()
    if form.validate_on_submit():
        try:
            sheet = service.mark_attendance(get_session(), signed_in_user(), slug, event_id,
                                            attendance_marks(request.form), now=utcnow())
        except CohortError as error:
            attach_error(form, error.field, error.message)
        else:
            flash(ngettext("Attendance saved for %(num)d member.",
                           "Attendance saved for %(num)d members.", sheet.marked), "success")
            return redirect(url_for("cohorts.attendance", slug=slug, event_id=event_id))
    return _render_attendance(slug, event_id, form, _status(form))


@bp.route("/cohorts/<slug>/events/new", methods=["GET", "POST"])
@roles_required(*_MANAGERS)
def new_event(slug: str) -> Page:
    db, user = get_session(), signed_in_user()
    page = service.cohort_page(db, user, slug, now=utcnow())
    form = EventForm()
    form.kind.choices = [SelectChoice(kind.value, label)
                         for kind, label in EVENT_KIND_LABELS.items()]
    if form.validate_on_submit():
        try:
            service.add_event(db, user, slug, EventDraft(
                title=form.title.data or "", kind=form.kind.data or "",
                starts_local=form.starts_at.data,  # type: ignore[arg-type]
                duration_min=form.duration_min.data or 0, location=form.location.data or "",
            ), now=utcnow())
        except CohortError as error:
            attach_error(form, error.field, error.message)
        else:
            flash(_("Event added to the schedule."), "success")
            return redirect(url_for("cohorts.detail", slug=slug) + "#schedule")
    return render_template("cohorts/event_form.html", page=page, form=form), _status(form)


@bp.route("/cohorts/<slug>/events/<int:event_id>/remove", methods=["POST"])
@roles_required(*_MANAGERS)
def remove_event(slug: str, event_id: int) -> Response:
    if ConfirmForm().validate_on_submit():
        service.remove_event(get_session(), signed_in_user(), slug, event_id, now=utcnow())
        flash(_("Event removed from the schedule."), "info")
    return redirect(url_for("cohorts.detail", slug=slug) + "#schedule")


@bp.route("/cohorts/dashboard")
@roles_required(*_MANAGERS)
def dashboard() -> Page:
    data = service.firm_dashboard(get_session(), signed_in_user(),
                                  request.args.get("firm", ""))
    charts = [
        funnel_chart(f"funnel-{row.slug}", row.name, stages=[
            (str(FUNNEL_LABELS[stage]), count) for stage, count in row.funnel.stages()])
        for row in data.cohorts
    ]
    total = funnel_chart("funnel-total", _("All order classes"), stages=[
        (str(FUNNEL_LABELS[stage]), count) for stage, count in data.total.stages()])
    return render_template("cohorts/dashboard.html", data=data, charts=charts, total=total)


@bp.route("/calendar", methods=["GET", "POST"])
@login_required
def calendar() -> Page:
    """Manage one's private feed; a new token is shown once, in the answer to the POST."""
    db, user = get_session(), signed_in_user()
    form = ConfirmForm()
    token = None
    if form.validate_on_submit():
        token = service.issue_calendar_token(db, user, now=utcnow())
    return render_template(
        "cohorts/calendar.html", form=form, feed=service.calendar_feed(db, user),
        feed_url=url_for("cohorts.calendar_feed", token=token, _external=True) if token else "",
    )


@bp.route("/calendar/revoke", methods=["POST"])
@login_required
def revoke_calendar() -> Response:
    if ConfirmForm().validate_on_submit():
        service.revoke_calendar_token(get_session(), signed_in_user(), now=utcnow())
        flash(_("Your calendar link no longer works."), "info")
    return redirect(url_for("cohorts.calendar"))


@bp.route("/calendar/<token>.ics")
def calendar_feed(token: str) -> Response:
    """The private feed: no sign-in, the secret token in the URL is the credential."""
    body = service.calendar_for_token(get_session(), token, now=utcnow())
    return Response(body, content_type="text/calendar; charset=utf-8", headers={
        "Content-Disposition": 'inline; filename="live-academy.ics"',
        "Cache-Control": "private, max-age=300",
        "X-Robots-Tag": "noindex",
    })
