"""Practice streams: logging with the trade's consistency rules, lists, charts data, exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, func, select

from academy.assessment.models import Assessment
from academy.assessment.service import AssessmentView, assessments_of_stream, rubric_criteria
from academy.audit.service import record_event
from academy.auth.models import AccountRole, User
from academy.cohorts.service import mentors_student
from academy.errors import DomainError, NotAllowed, NotFound
from academy.markdown import render_user_text
from academy.paging import STUDENTS_PER_PAGE, Page
from academy.practice.kpi import KPI_BY_KEY, KPIS, derive_kpis
from academy.practice.models import (
    CURRENCIES,
    LANGUAGES,
    MARKETS,
    Platform,
    PracticeStream,
    StreamRole,
)
from academy.security import can_assess, can_view_stream
from academy.spreadsheets import safe_cell

STREAMS_PER_PAGE = 25
MAX_COUNT = 10_000_000
MAX_AMOUNT = Decimal("10000000000")
MAX_NOTES = 2000
INACTIVE_AFTER = dt.timedelta(days=7)
FUTURE_SLACK = dt.timedelta(minutes=5)
EARLIEST_STREAM_DAY = dt.date(1900, 1, 1)
LATEST_STREAM_DAY = dt.date(2200, 12, 31)
_TEAM_CODE = re.compile(r"^[A-Za-z0-9_-]{0,40}$")
COUNT_FIELDS = ("viewers_uv", "views_pv", "peak_concurrent", "avg_watch_sec", "comments",
                "engaged_viewers", "new_followers", "product_click_uv", "product_clicks",
                "orders", "buyers", "inquiries", "rfqs", "violations")


class StreamInvalid(DomainError):
    """The logged numbers break a rule; ``errors`` maps each field to what is wrong with it."""

    status = 422

    def __init__(self, errors: Mapping[str, Any]) -> None:
        super().__init__(_l("Some numbers cannot be right. Check the marked fields."))
        self.errors = dict(errors)


@dataclass
class StreamInput:
    """What a student logs about one stream; ``started_at`` is local time in ``timezone``."""

    started_at: dt.datetime | None = None
    duration_min: int | None = None
    platform: str = ""
    market: str = ""
    language: str = ""
    stream_role: str = ""
    is_rehearsal: bool = False
    team_code: str = ""
    viewers_uv: int | None = 0
    views_pv: int | None = 0
    peak_concurrent: int | None = 0
    avg_watch_sec: int | None = 0
    comments: int | None = 0
    engaged_viewers: int | None = 0
    new_followers: int | None = 0
    product_click_uv: int | None = 0
    product_clicks: int | None = 0
    orders: int | None = 0
    buyers: int | None = 0
    gmv: Decimal | None = Decimal(0)
    currency: str = "USD"
    inquiries: int | None = 0
    rfqs: int | None = 0
    ad_spend: Decimal | None = Decimal(0)
    violations: int | None = 0
    recording_url: str = ""
    notes_md: str = ""

    @classmethod
    def from_stream(cls, stream: PracticeStream, timezone: str) -> StreamInput:
        """The stored stream as the student would type it again (local start time)."""
        values = {item.name: getattr(stream, item.name) for item in fields(cls)}
        values["started_at"] = stream.started_at.astimezone(ZoneInfo(timezone)).replace(
            tzinfo=None)
        values["platform"] = stream.platform.value
        values["stream_role"] = stream.stream_role.value
        return cls(**values)


def _check_ranges(data: StreamInput, errors: dict[str, Any]) -> None:
    if data.duration_min is None or not 1 <= data.duration_min <= 720:
        errors["duration_min"] = _l("A stream lasts 1 to 720 minutes.")
    for name in COUNT_FIELDS:
        value = getattr(data, name)
        if value is None or not 0 <= value <= MAX_COUNT:
            errors[name] = _l("Enter a whole number from 0 to %(max)s.", max="10,000,000")
    for name in ("gmv", "ad_spend"):
        amount = getattr(data, name)
        if amount is None or not amount.is_finite() or not Decimal(0) <= amount < MAX_AMOUNT \
                or amount != amount.quantize(Decimal("0.01")):
            errors[name] = _l("Enter an amount of at least 0 with at most two decimals.")
    choices = {"platform": {p.value for p in Platform},
               "stream_role": {r.value for r in StreamRole}, "market": set(MARKETS),
               "language": set(LANGUAGES), "currency": set(CURRENCIES)}
    for name, allowed in choices.items():
        if getattr(data, name) not in allowed:
            errors[name] = _l("Choose a value from the list.")
    if not _TEAM_CODE.match(data.team_code):
        errors["team_code"] = _l("Use up to 40 letters, digits, hyphens or underscores.")
    if data.recording_url and (not data.recording_url.startswith(("https://", "http://"))
                               or len(data.recording_url) > 500
                               or any(char.isspace() for char in data.recording_url)):
        errors["recording_url"] = _l("Enter a web address starting with https:// or http://.")
    if len(data.notes_md) > MAX_NOTES:
        errors["notes_md"] = _l("Keep the notes under %(count)d characters.", count=MAX_NOTES)


def _check_consistency(data: StreamInput, errors: dict[str, Any]) -> None:
    """The funnel's own logic: a later stage never holds more people than the one before it."""

    def rule(name: str, holds: bool, message: Any) -> None:
        if name not in errors and not holds:
            errors[name] = message

    values = {name: getattr(data, name) or 0 for name in COUNT_FIELDS}
    rule("views_pv", values["views_pv"] >= values["viewers_uv"],
         _l("Views (PV) count every entry, so they cannot be fewer than unique viewers."))
    rule("peak_concurrent", values["peak_concurrent"] <= values["viewers_uv"],
         _l("The peak audience cannot exceed the unique viewers."))
    for name in ("engaged_viewers", "new_followers", "product_click_uv"):
        rule(name, values[name] <= values["viewers_uv"],
             _l("This cannot exceed the unique viewers."))
    rule("product_clicks", values["product_clicks"] >= values["product_click_uv"],
         _l("Product clicks cannot be fewer than the viewers who clicked."))
    rule("buyers", values["buyers"] <= values["product_click_uv"],
         _l("Buyers cannot exceed the viewers who clicked a product."))
    rule("orders", values["orders"] >= values["buyers"],
         _l("Every buyer placed at least one order, so orders cannot be fewer than buyers."))
    if data.duration_min:
        rule("avg_watch_sec", values["avg_watch_sec"] <= data.duration_min * 60,
             _l("The average watch time cannot be longer than the stream."))


def _started_at_utc(data: StreamInput, timezone: str, now: dt.datetime,
                    errors: dict[str, Any]) -> dt.datetime | None:
    if data.started_at is None:
        errors["started_at"] = _l("Enter when the stream started.")
        return None
    started = data.started_at.replace(tzinfo=ZoneInfo(timezone)).astimezone(dt.UTC)
    if started > now + FUTURE_SLACK:
        errors["started_at"] = _l("The start time is in the future. Log a stream after it ran.")
    elif started < now - dt.timedelta(days=3650):
        errors["started_at"] = _l("The start time is more than ten years ago.")
    return started


def validate_stream(data: StreamInput, *, timezone: str, now: dt.datetime) -> dt.datetime:
    """Check every rule; return the start time in UTC or raise ``StreamInvalid`` with all errors."""
    errors: dict[str, Any] = {}
    _check_ranges(data, errors)
    started = _started_at_utc(data, timezone, now, errors)
    _check_consistency(data, errors)
    if errors or started is None:
        raise StreamInvalid(errors)
    return started


def _apply(stream: PracticeStream, data: StreamInput, started: dt.datetime) -> None:
    for item in fields(StreamInput):
        if item.name != "started_at":
            setattr(stream, item.name, getattr(data, item.name))
    stream.started_at = started
    stream.platform = Platform(data.platform)
    stream.stream_role = StreamRole(data.stream_role)
    stream.team_code = data.team_code.strip()
    stream.notes_html = render_user_text(data.notes_md) if data.notes_md.strip() else ""


def log_stream(session: Session, student: User, data: StreamInput, *,
               now: dt.datetime) -> PracticeStream:
    """Record a practice stream for ``student`` after checking every rule. Commits."""
    if student.account_role != AccountRole.STUDENT:
        raise NotAllowed(_l("Only students log practice streams."))
    started = validate_stream(data, timezone=student.timezone, now=now)
    stream = PracticeStream(student_id=student.id or 0, started_at=started, duration_min=0,
                            platform=Platform.OTHER, market="", language="",
                            stream_role=StreamRole.HOST, created_at=now, updated_at=now)
    _apply(stream, data, started)
    session.add(stream)
    session.commit()
    return stream


def _is_assessed(session: Session, stream_id: int) -> bool:
    return session.exec(select(Assessment.id).where(
        Assessment.practice_stream_id == stream_id).limit(1)).first() is not None


def get_own_stream(session: Session, student: User, stream_id: int) -> PracticeStream:
    """One of the student's own streams; anyone else's id is simply not found."""
    stream = session.get(PracticeStream, stream_id)
    if stream is None or stream.student_id != student.id:
        raise NotFound(_l("There is no such practice stream."))
    return stream


def update_stream(session: Session, student: User, stream_id: int, data: StreamInput, *,
                  now: dt.datetime) -> PracticeStream:
    """Correct a logged stream; refused once it is assessed (add a note instead). Audited.

    Commits.
    """
    stream = get_own_stream(session, student, stream_id)
    if _is_assessed(session, stream_id):
        raise NotAllowed(_l("This stream has been assessed; add a note instead of editing it."))
    started = validate_stream(data, timezone=student.timezone, now=now)
    _apply(stream, data, started)
    stream.updated_at = now
    session.add(stream)
    record_event(session, actor_id=student.id, action="stream.edited",
                 subject_type="practice_stream", subject_id=stream_id, now=now)
    session.commit()
    return stream


def delete_stream(session: Session, student: User, stream_id: int, *, now: dt.datetime) -> None:
    """Delete an own stream that nobody assessed yet. Audited with its main numbers. Commits."""
    stream = get_own_stream(session, student, stream_id)
    if _is_assessed(session, stream_id):
        raise NotAllowed(_l("This stream has been assessed and is part of your record."))
    record_event(session, actor_id=student.id, action="stream.deleted",
                 subject_type="practice_stream", subject_id=stream_id, now=now,
                 detail={"started_at": stream.started_at.isoformat(),
                         "platform": stream.platform.value, "viewers_uv": stream.viewers_uv,
                         "gmv": str(stream.gmv), "currency": stream.currency})
    session.delete(stream)
    session.commit()


def annotate_stream(session: Session, student: User, stream_id: int, text: str, *,
                    now: dt.datetime) -> PracticeStream:
    """Add the student's later note to a stream (the numbers stay as logged). Commits."""
    stream = get_own_stream(session, student, stream_id)
    if len(text) > MAX_NOTES:
        raise StreamInvalid({"annotation_md": _l("Keep the note under %(count)d characters.",
                                                 count=MAX_NOTES)})
    stream.annotation_md = text
    stream.annotation_html = render_user_text(text) if text.strip() else ""
    stream.updated_at = now
    session.add(stream)
    session.commit()
    return stream


@dataclass(frozen=True)
class StreamFilters:
    platform: str = ""
    stream_role: str = ""
    since: dt.date | None = None
    until: dt.date | None = None

    def where(self, timezone: str) -> list[sa.ColumnElement[bool]]:
        """SQL conditions; dates are whole days in the viewer's time zone."""
        zone = ZoneInfo(timezone)
        conditions = []
        if self.platform in {p.value for p in Platform}:
            conditions.append(PracticeStream.platform == Platform(self.platform))
        if self.stream_role in {r.value for r in StreamRole}:
            conditions.append(PracticeStream.stream_role == StreamRole(self.stream_role))
        # Streams lie between 1900 and 2200 (the API's bounds); clamping keeps year 1 or 9999
        # from overflowing when the day is converted to UTC, and selects the same streams.
        if self.since:
            since = min(max(self.since, EARLIEST_STREAM_DAY), LATEST_STREAM_DAY)
            start = dt.datetime.combine(since, dt.time(), zone)
            conditions.append(col(PracticeStream.started_at) >= start)
        if self.until:
            until = min(max(self.until, EARLIEST_STREAM_DAY), LATEST_STREAM_DAY)
            end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), zone)
            conditions.append(col(PracticeStream.started_at) < end)
        return conditions


@dataclass(frozen=True)
class StreamRow:
    stream: PracticeStream
    kpis: dict[str, Decimal | None]


@dataclass(frozen=True)
class Totals:
    streams: int
    minutes: int
    gmv_by_currency: list[tuple[str, Decimal]]

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / 60).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class StreamPage:
    student: User
    rows: list[StreamRow]
    totals: Totals
    page: int
    has_next: bool


def _student_for(session: Session, viewer: User, student_id: int) -> User:
    """The student whose streams ``viewer`` asks for: themselves, or anyone for staff."""
    student = session.get(User, student_id)
    if student is None or student.account_role != AccountRole.STUDENT or not can_view_stream(
            viewer, student_id, mentors_student=mentors_student(session, viewer, student_id)):
        raise NotFound(_l("There is no such student."))
    return student


def _totals(session: Session, conditions: list[sa.ColumnElement[bool]]) -> Totals:
    streams, minutes = session.exec(
        select(func.count(), func.coalesce(func.sum(PracticeStream.duration_min), 0))
        .where(*conditions)
    ).one()
    gmv = session.exec(
        select(PracticeStream.currency, func.sum(PracticeStream.gmv))
        .where(*conditions).group_by(PracticeStream.currency).order_by(PracticeStream.currency)
    ).all()
    return Totals(streams, minutes, [(currency, amount) for currency, amount in gmv if amount])


def list_streams(session: Session, viewer: User, student_id: int, *,
                 filters: StreamFilters = StreamFilters(), page: int = 1) -> StreamPage:
    """One page of a student's streams, newest first, with totals over every matching stream."""
    student = _student_for(session, viewer, student_id)
    page = max(page, 1)
    conditions = [PracticeStream.student_id == student_id, *filters.where(viewer.timezone)]
    streams = session.exec(
        select(PracticeStream).where(*conditions)
        .order_by(col(PracticeStream.started_at).desc(), col(PracticeStream.id).desc())
        .offset((page - 1) * STREAMS_PER_PAGE).limit(STREAMS_PER_PAGE + 1)
    ).all()
    return StreamPage(
        student=student,
        rows=[StreamRow(stream, derive_kpis(stream)) for stream in streams[:STREAMS_PER_PAGE]],
        totals=_totals(session, conditions),
        page=page,
        has_next=len(streams) > STREAMS_PER_PAGE,
    )


def _median_columns(values: Mapping[str, sa.ColumnElement[Any]], source: Any,
                    partition: Iterable[sa.ColumnElement[Any]] = ()) -> tuple[Any, list[Any]]:
    """Median of each expression (NULLs ignored) in one pass of window functions.

    SQLite has no percentile function, so each value is ranked among the non-NULL ones
    (``ORDER BY x IS NULL, x`` puts NULLs last on both databases) and the middle one or two
    ranks are averaged.
    """
    ranked = select(
        *partition,
        *[expression.label(key) for key, expression in values.items()],
        *[func.row_number().over(partition_by=list(partition),
                                 order_by=[expression.is_(None), expression]).label(f"r_{key}")
          for key, expression in values.items()],
        *[func.count(expression).over(partition_by=list(partition)).label(f"n_{key}")
          for key, expression in values.items()],
    ).select_from(source).subquery()
    medians = []
    for key in values:
        value, rank, count = ranked.c[key], ranked.c[f"r_{key}"], ranked.c[f"n_{key}"]
        middle = sa.or_(rank == (count + 1) // 2, rank == (count + 2) // 2)
        medians.append(func.avg(sa.case((middle, value))).label(key))
    return ranked, medians


def median_kpis(session: Session, student_id: int) -> dict[str, float | None]:
    """The student's median of every KPI over all their streams, in one query."""
    source = select(PracticeStream).where(PracticeStream.student_id == student_id).subquery()
    ranked, medians = _median_columns({kpi.key: kpi.sql(source.c) for kpi in KPIS}, source)
    row = session.execute(select(*medians).select_from(ranked)).one()
    return {kpi.key: getattr(row, kpi.key) for kpi in KPIS}


@dataclass(frozen=True)
class StreamDetail:
    stream: PracticeStream
    student: User
    kpis: dict[str, Decimal | None]
    medians: dict[str, float | None]
    team: list[tuple[PracticeStream, str]]  # the other rows of a team stream, with names
    assessments: list[AssessmentView]
    rubric_criteria: list[dict[str, Any]]
    assessable: bool  # the viewer may assess this stream (or revise their assessment)

    @property
    def editable(self) -> bool:
        """Numbers stay as they were assessed; until then the student may correct them."""
        return not self.assessments


def stream_detail(session: Session, viewer: User, stream_id: int,
                  locale: str = "en") -> StreamDetail:
    """A stream with its KPIs, the student's medians and its team; hidden from other students."""
    stream = session.get(PracticeStream, stream_id)
    mentor = stream is not None and mentors_student(session, viewer, stream.student_id)
    if stream is None or not can_view_stream(viewer, stream.student_id, mentors_student=mentor):
        raise NotFound(_l("There is no such practice stream."))
    student = session.get(User, stream.student_id)
    assert student is not None
    team = []
    if stream.team_code:
        team = [(row, name) for row, name in session.exec(
            select(PracticeStream, User.display_name)
            .join(User, col(User.id) == col(PracticeStream.student_id))
            .where(PracticeStream.team_code == stream.team_code,
                   PracticeStream.id != stream.id,
                   col(PracticeStream.started_at).between(
                       stream.started_at - dt.timedelta(hours=12),
                       stream.started_at + dt.timedelta(hours=12)))
            .order_by(PracticeStream.stream_role)
        )]
    return StreamDetail(
        stream=stream, student=student, kpis=derive_kpis(stream),
        medians=median_kpis(session, stream.student_id), team=team,
        assessments=assessments_of_stream(session, viewer, stream_id),
        rubric_criteria=rubric_criteria(session, locale),
        assessable=can_assess(viewer, stream.student_id, mentors_student=mentor),
    )


@dataclass(frozen=True)
class WeekHours:
    week_start: dt.date
    hours: float


@dataclass(frozen=True)
class ProgressData:
    weeks: list[WeekHours]
    trend: list[tuple[dt.datetime, float | None, float | None]]  # started, GPM, conversion
    by_platform: list[tuple[str, int]]
    by_role: list[tuple[str, int]]


TREND_STREAMS = 20


def _local_day(column: Any, dialect: str, offset: dt.timedelta) -> sa.ColumnElement[Any]:
    """The calendar day of ``column`` in a time zone ``offset`` from UTC, as SQL."""
    if dialect == "sqlite":
        return func.date(column, f"{int(offset.total_seconds())} seconds")
    return sa.cast(column + func.make_interval(0, 0, 0, 0, 0, 0, offset.total_seconds()), sa.Date)


def progress_data(session: Session, viewer: User, student_id: int, *,
                  now: dt.datetime) -> ProgressData:
    """What the progress charts draw, each series aggregated in SQL.

    Weeks start on Monday in the viewer's time zone (its current UTC offset is used for the
    whole 12 weeks, so a daylight-saving change can move a stream across midnight).
    """
    _student_for(session, viewer, student_id)
    zone = ZoneInfo(viewer.timezone)
    offset = now.astimezone(zone).utcoffset() or dt.timedelta()
    today = now.astimezone(zone).date()
    first_week = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=11)
    since = dt.datetime.combine(first_week, dt.time(), zone)
    day = _local_day(PracticeStream.started_at, session.get_bind().dialect.name, offset)
    minutes_per_day = {str(local_day): minutes for local_day, minutes in session.exec(
        select(day, func.sum(PracticeStream.duration_min))
        .where(PracticeStream.student_id == student_id,
               col(PracticeStream.started_at) >= since)
        .group_by(day)
    )}
    weeks = []
    for index in range(12):
        start = first_week + dt.timedelta(weeks=index)
        minutes = sum(minutes_per_day.get(str(start + dt.timedelta(days=d)), 0) for d in range(7))
        weeks.append(WeekHours(start, round(minutes / 60, 2)))
    gpm, conversion = KPI_BY_KEY["gpm"], KPI_BY_KEY["conversion"]
    recent = select(PracticeStream).where(PracticeStream.student_id == student_id) \
        .order_by(col(PracticeStream.started_at).desc()).limit(TREND_STREAMS).subquery()
    trend = list(reversed(session.execute(
        select(recent.c.started_at, gpm.sql(recent.c), conversion.sql(recent.c))
        .order_by(recent.c.started_at.desc())
    ).all()))
    counts = {}
    for name, column in (("platform", PracticeStream.platform),
                         ("role", PracticeStream.stream_role)):
        counts[name] = [(value.value, count) for value, count in session.exec(
            select(column, func.count()).where(PracticeStream.student_id == student_id)
            .group_by(column).order_by(func.count().desc())
        ).all()]
    return ProgressData(weeks=weeks, trend=[tuple(row) for row in trend],
                        by_platform=counts["platform"], by_role=counts["role"])


@dataclass(frozen=True)
class ClassRow:
    student_id: int
    name: str
    email: str
    streams: int
    hours: Decimal
    last_stream_at: dt.datetime | None
    median_gpm: float | None
    inactive: bool


CLASS_SORTS = {"name", "streams", "hours", "last_stream", "median_gpm"}


def _class_figures(students: Any = None) -> tuple[Any, Any]:
    """Per student: streams, minutes and last stream; and the median GPM (window functions).

    ``students`` (ids or a subquery of ids) limits both to those students, so a page of the
    class costs the same however many streams the rest of the college has logged.
    """
    limited = [] if students is None else [col(PracticeStream.student_id).in_(students)]
    per_student = (
        select(PracticeStream.student_id,
               func.count().label("streams"),
               func.sum(PracticeStream.duration_min).label("minutes"),
               func.max(PracticeStream.started_at).label("last_stream_at"))
        .where(*limited).group_by(PracticeStream.student_id).subquery()
    )
    source = select(PracticeStream).where(*limited).subquery()
    ranked, [median_gpm] = _median_columns({"gpm": KPI_BY_KEY["gpm"].sql(source.c)}, source,
                                           partition=[source.c.student_id])
    medians = select(ranked.c.student_id, median_gpm).group_by(ranked.c.student_id).subquery()
    return per_student, medians


def _class_page_ids(session: Session, sort: str, descending: bool, page: int) -> list[int]:
    """The ids of one page of active students in the chosen order (one more, for has_next).

    Ordered by name (the default) this reads only the user table. Ordering by a figure has to
    rank the whole class by it, so those orders aggregate every student's streams.
    """
    statement = select(User.id).where(User.account_role == AccountRole.STUDENT,
                                      User.is_active == sa.true())
    if sort in CLASS_SORTS - {"name"}:
        per_student, medians = _class_figures()
        statement = statement.outerjoin(per_student, per_student.c.student_id == User.id) \
            .outerjoin(medians, medians.c.student_id == User.id)
        order = {
            "streams": func.coalesce(per_student.c.streams, 0),
            "hours": func.coalesce(per_student.c.minutes, 0),
            "last_stream": per_student.c.last_stream_at,
            "median_gpm": medians.c.gpm,
        }[sort]
    else:
        order = func.lower(User.display_name)
    return list(session.exec(
        statement.order_by(order.desc().nulls_last() if descending else order.asc().nulls_last(),
                           User.id)
        .offset((page - 1) * STUDENTS_PER_PAGE).limit(STUDENTS_PER_PAGE + 1)
    ))


def class_overview(session: Session, viewer: User, *, now: dt.datetime, sort: str = "name",
                   descending: bool = False, page: int = 1) -> Page[ClassRow]:
    """One page of active students with streams, hours, last stream and median GPM. Staff only.

    Two queries whatever the size of the class: the page's students in order, then their
    figures. Students without a stream for ``INACTIVE_AFTER`` (or never) are flagged
    inactive. A page past the last one is not found (page 1 of an empty class is empty).
    """
    if viewer.account_role not in (AccountRole.INSTRUCTOR, AccountRole.ADMIN):
        raise NotAllowed(_l("Only instructors and administrators see the class overview."))
    page = max(page, 1)
    ids = _class_page_ids(session, sort, descending, page)
    if not ids and page > 1:
        raise NotFound(_l("There is no such page."))
    shown = ids[:STUDENTS_PER_PAGE]
    per_student, medians = _class_figures(shown)
    figures = {row[0]: row for row in session.execute(
        select(User.id, User.display_name, User.email, per_student.c.streams,
               per_student.c.minutes, per_student.c.last_stream_at, medians.c.gpm)
        .outerjoin(per_student, per_student.c.student_id == User.id)
        .outerjoin(medians, medians.c.student_id == User.id)
        .where(col(User.id).in_(shown))
    )}
    last_active = now - INACTIVE_AFTER
    rows = [
        ClassRow(student_id=row[0], name=row[1], email=row[2], streams=row[3] or 0,
                 hours=(Decimal(row[4] or 0) / 60).quantize(Decimal("0.1")),
                 last_stream_at=row[5], median_gpm=row[6],
                 inactive=row[5] is None or row[5] < last_active)
        for row in (figures[student_id] for student_id in shown)
    ]
    return Page(rows=rows, page=page, has_next=len(ids) > STUDENTS_PER_PAGE)


CSV_COLUMNS = ("id", "student", "started_at_utc", "duration_min", "platform", "market",
               "language", "stream_role", "is_rehearsal", "team_code", *COUNT_FIELDS, "gmv",
               "ad_spend", "currency", "recording_url", "notes_md")


def streams_csv(session: Session, viewer: User, student_ids: list[int] | None) -> str:
    """Streams as CSV (UTF-8 with BOM for Excel and WPS), KPIs included.

    ``student_ids`` None means every student, for staff; a student may export only their own.
    """
    everyone_or_others = student_ids is None or any(
        not can_view_stream(viewer, student_id) for student_id in student_ids)
    if everyone_or_others and viewer.account_role not in (AccountRole.INSTRUCTOR,
                                                          AccountRole.ADMIN):
        raise NotAllowed(_l("You may export only your own practice streams."))
    statement = select(PracticeStream, User.display_name).join(
        User, col(User.id) == col(PracticeStream.student_id))
    if student_ids is not None:
        statement = statement.where(col(PracticeStream.student_id).in_(student_ids))
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*CSV_COLUMNS, *(kpi.key for kpi in KPIS)])
    for stream, name in session.exec(statement.order_by(col(PracticeStream.started_at),
                                                        col(PracticeStream.id))):
        values = {column: getattr(stream, column, None) for column in CSV_COLUMNS}
        values.update(student=name, started_at_utc=stream.started_at.isoformat(),
                      platform=stream.platform.value, stream_role=stream.stream_role.value)
        kpis = derive_kpis(stream)
        writer.writerow([safe_cell(values[column]) for column in CSV_COLUMNS]
                        + [safe_cell(round(kpis[kpi.key], 4) if kpis[kpi.key] is not None else "")
                           for kpi in KPIS])
    return out.getvalue()
