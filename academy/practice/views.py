"""Pages for practice streams: log, list with charts, detail, edit, delete, class overview, CSV."""

from __future__ import annotations

from dataclasses import fields

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_login import login_required

from academy.auth.models import AccountRole
from academy.charts import Chart, Series, bar_chart, line_chart
from academy.db import get_session, utcnow
from academy.forms import ConfirmForm, attach_error
from academy.i18n import current_locale
from academy.practice import service
from academy.practice.forms import (
    COUNT_LABELS,
    PLATFORM_LABELS,
    STREAM_ROLE_LABELS,
    AnnotationForm,
    StreamFilterForm,
    StreamForm,
)
from academy.practice.kpi import KPIS
from academy.practice.service import StreamFilters, StreamInput, StreamInvalid
from academy.request_guards import database_id
from academy.security import roles_required, signed_in_user

bp = Blueprint("practice", __name__, template_folder="templates")

Page = str | tuple[str, int] | Response


def _input_from(form: StreamForm) -> StreamInput:
    return StreamInput(**{item.name: getattr(form, item.name).data
                          for item in fields(StreamInput)})


def _progress_charts(data: service.ProgressData) -> list[Chart]:
    trend_labels = [format_date(started, "short") for started, _gpm, _conv in data.trend]
    return [
        bar_chart("hours-per-week", _("Hours on air per week"),
                  labels=[format_date(week.week_start, "MMM d") for week in data.weeks],
                  values=[week.hours for week in data.weeks],
                  x_label=_("Week starting"), y_label=_("Hours")),
        line_chart("gpm-trend", _("GPM per stream"), x_labels=trend_labels,
                   series=[Series(_("GPM"), [gpm for _s, gpm, _c in data.trend])],
                   x_label=_("Stream"), y_label=_("GMV per 1,000 views")),
        line_chart("conversion-trend", _("Conversion per stream"), x_labels=trend_labels,
                   series=[Series(_("Conversion"),
                                  [None if conv is None else conv * 100
                                   for _s, _g, conv in data.trend])],
                   x_label=_("Stream"), y_label=_("Buyers per 100 product clickers"),
                   value_format=lambda value: format_decimal(value, "0.#") + "%"),
        bar_chart("streams-by-platform", _("Streams by platform"),
                  labels=[str(PLATFORM_LABELS.get(name, name)) for name, _n in data.by_platform],
                  values=[count for _name, count in data.by_platform],
                  x_label=_("Platform"), y_label=_("Streams")),
        bar_chart("streams-by-role", _("Streams by role"),
                  labels=[str(STREAM_ROLE_LABELS.get(name, name)) for name, _n in data.by_role],
                  values=[count for _name, count in data.by_role],
                  x_label=_("Role"), y_label=_("Streams")),
    ]


def _stream_list(student_id: int, template: str) -> Page:
    viewer = signed_in_user()
    filter_form = StreamFilterForm(request.args)
    filter_form.validate()
    filters = StreamFilters(
        platform=filter_form.platform.data or "", stream_role=filter_form.stream_role.data or "",
        since=filter_form.since.data if not filter_form.since.errors else None,
        until=filter_form.until.data if not filter_form.until.errors else None,
    )
    db = get_session()
    page = service.list_streams(db, viewer, student_id, filters=filters,
                                page=request.args.get("page", 1, type=database_id) or 1)
    charts = _progress_charts(service.progress_data(db, viewer, student_id, now=utcnow()))
    args = {key: value for key, value in request.args.items() if key != "page"}
    return render_template(template, page=page, charts=charts, filter_form=filter_form,
                           args=args, pager_args={**(request.view_args or {}), **args})


@bp.route("/practice")
@roles_required(AccountRole.STUDENT)
def my_practice() -> Page:
    return _stream_list(signed_in_user().id, "practice/list.html")


@bp.route("/practice/students/<int:student_id>")
@roles_required(AccountRole.INSTRUCTOR, AccountRole.ADMIN, AccountRole.PARTNER)
def student_practice(student_id: int) -> Page:
    return _stream_list(student_id, "practice/list.html")


@bp.route("/practice/new", methods=["GET", "POST"])
@roles_required(AccountRole.STUDENT)
def log_stream() -> Page:
    form = StreamForm()
    if form.validate_on_submit():
        try:
            stream = service.log_stream(get_session(), signed_in_user(), _input_from(form),
                                        now=utcnow())
        except StreamInvalid as error:
            for name, message in error.errors.items():
                attach_error(form, name, message)
        else:
            flash(_("Stream logged. Here are its KPIs."), "success")
            return redirect(url_for("practice.stream", stream_id=stream.id))
    status = 422 if form.errors else 200
    return render_template("practice/form.html", form=form, editing=None), status


@bp.route("/practice/streams/<int:stream_id>")
@login_required
def stream(stream_id: int) -> Page:
    detail = service.stream_detail(get_session(), signed_in_user(), stream_id,
                                   current_locale())
    return render_template("practice/detail.html", detail=detail, kpis=KPIS,
                           number_labels=COUNT_LABELS.items(),
                           annotation_form=AnnotationForm(
                               annotation_md=detail.stream.annotation_md))


@bp.route("/practice/streams/<int:stream_id>/edit", methods=["GET", "POST"])
@roles_required(AccountRole.STUDENT)
def edit_stream(stream_id: int) -> Page:
    db, student = get_session(), signed_in_user()
    existing = service.get_own_stream(db, student, stream_id)
    if request.method == "GET":
        form = StreamForm(data=StreamInput.from_stream(existing, student.timezone).__dict__)
    else:
        form = StreamForm()
    if form.validate_on_submit():
        try:
            service.update_stream(db, student, stream_id, _input_from(form), now=utcnow())
        except StreamInvalid as error:
            for name, message in error.errors.items():
                attach_error(form, name, message)
        else:
            flash(_("Stream updated."), "success")
            return redirect(url_for("practice.stream", stream_id=stream_id))
    status = 422 if form.errors else 200
    return render_template("practice/form.html", form=form, editing=existing), status


@bp.route("/practice/streams/<int:stream_id>/delete", methods=["GET", "POST"])
@roles_required(AccountRole.STUDENT)
def delete_stream(stream_id: int) -> Page:
    db, student = get_session(), signed_in_user()
    form = ConfirmForm()
    if form.validate_on_submit():
        service.delete_stream(db, student, stream_id, now=utcnow())
        flash(_("Stream deleted."), "success")
        return redirect(url_for("practice.my_practice"))
    existing = service.get_own_stream(db, student, stream_id)
    return render_template("practice/delete.html", stream=existing, form=form)


@bp.route("/practice/streams/<int:stream_id>/annotate", methods=["POST"])
@roles_required(AccountRole.STUDENT)
def annotate_stream(stream_id: int) -> Page:
    form = AnnotationForm()
    if form.validate_on_submit():
        service.annotate_stream(get_session(), signed_in_user(), stream_id,
                                form.annotation_md.data or "", now=utcnow())
        flash(_("Note saved."), "success")
    else:
        flash(" ".join(str(message) for message in form.annotation_md.errors)
              or _("The note could not be saved."), "error")
    return redirect(url_for("practice.stream", stream_id=stream_id))


def _csv_response(content: str, filename: str) -> Response:
    return Response(content, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/practice/export.csv")
@roles_required(AccountRole.STUDENT)
def export_own() -> Response:
    student = signed_in_user()
    return _csv_response(service.streams_csv(get_session(), student, [student.id]),
                         "my-practice-streams.csv")


@bp.route("/practice/class")
@roles_required(AccountRole.INSTRUCTOR, AccountRole.ADMIN)
def class_overview() -> Page:
    sort = request.args.get("sort", "name")
    descending = request.args.get("order") == "desc"
    overview = service.class_overview(get_session(), signed_in_user(), now=utcnow(),
                                      sort=sort, descending=descending,
                                      page=request.args.get("page", 1, type=database_id))
    return render_template("practice/class.html", overview=overview, rows=overview.rows,
                           sort=sort, descending=descending)


@bp.route("/practice/class/export.csv")
@roles_required(AccountRole.INSTRUCTOR, AccountRole.ADMIN)
def export_class() -> Response:
    return _csv_response(service.streams_csv(get_session(), signed_in_user(), None),
                         "class-practice-streams.csv")
