"""The gradebook: per student and per track, modules, quizzes, assessments and practice hours.

Every figure is aggregated in SQL, a fixed handful of queries whatever the number of students,
so the class table and its exports cost the same for 10 students as for 1,000.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
import xlsxwriter
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, func, select

from academy.assessment.models import Assessment
from academy.assessment.service import rubric_criteria, track_of_role
from academy.auth.models import AccountRole, User
from academy.cohorts.service import attendance_rates
from academy.curriculum.models import TRACKS, Module, ModuleProgress, QuizAttempt
from academy.errors import NotAllowed, NotFound
from academy.paging import STUDENTS_PER_PAGE, Page
from academy.practice.models import PracticeStream
from academy.security import can_view_stream
from academy.spreadsheets import safe_cell


@dataclass
class TrackGrades:
    track: str
    modules_total: int = 0
    modules_completed: int = 0
    mean_best_quiz: float | None = None
    assessments: int = 0
    mean_total: float | None = None
    hours: Decimal = Decimal("0.0")


@dataclass
class StudentGrades:
    student_id: int
    name: str
    email: str
    tracks: dict[str, TrackGrades] = field(default_factory=dict)
    attendance_percent: float | None = None  # at cohort events; filled for the exports


def _empty_row(student_id: int, name: str, email: str,
               modules_per_track: dict[str, int]) -> StudentGrades:
    return StudentGrades(student_id, name, email, {
        track: TrackGrades(track, modules_total=modules_per_track.get(track, 0))
        for track in TRACKS})


def _fill(session: Session, rows: dict[int, StudentGrades], students: Any) -> None:
    """Add every student's figures per track, one aggregate query per figure."""
    current = Module.retired == sa.false()
    for user_id, track, completed in session.exec(
        select(ModuleProgress.user_id, Module.track, func.count())
        .join(Module, col(Module.id) == col(ModuleProgress.module_id))
        .where(current, col(ModuleProgress.completed_at).is_not(None),
               col(ModuleProgress.user_id).in_(students))
        .group_by(ModuleProgress.user_id, Module.track)
    ):
        rows[user_id].tracks[track].modules_completed = completed
    best = (select(QuizAttempt.user_id, QuizAttempt.module_id,
                   func.max(QuizAttempt.score).label("best"))
            .where(col(QuizAttempt.user_id).in_(students))
            .group_by(QuizAttempt.user_id, QuizAttempt.module_id).subquery())
    for user_id, track, mean_best in session.execute(
        select(best.c.user_id, Module.track, func.avg(best.c.best))
        .join(Module, col(Module.id) == best.c.module_id).where(current)
        .group_by(best.c.user_id, Module.track)
    ):
        rows[user_id].tracks[track].mean_best_quiz = float(mean_best)
    track = track_of_role()
    for user_id, stream_track, count, mean_total in session.execute(
        select(PracticeStream.student_id, track, func.count(Assessment.id),
               func.avg(sa.type_coerce(Assessment.total, sa.BigInteger)))
        .join(Assessment, col(Assessment.practice_stream_id) == col(PracticeStream.id))
        .where(col(PracticeStream.student_id).in_(students))
        .group_by(PracticeStream.student_id, track)
    ):
        grades = rows[user_id].tracks[stream_track]
        grades.assessments = count
        grades.mean_total = float(mean_total) / 100  # totals are stored in hundredths
    for user_id, stream_track, minutes in session.execute(
        select(PracticeStream.student_id, track, func.sum(PracticeStream.duration_min))
        .where(col(PracticeStream.student_id).in_(students))
        .group_by(PracticeStream.student_id, track)
    ):
        rows[user_id].tracks[stream_track].hours = (Decimal(minutes) / 60).quantize(
            Decimal("0.1"))


def _modules_per_track(session: Session) -> dict[str, int]:
    return dict(session.exec(select(Module.track, func.count()).where(
        Module.retired == sa.false()).group_by(Module.track)).all())


def student_grades(session: Session, viewer: User, student_id: int) -> StudentGrades:
    """One student's gradebook: the student, their instructors and admins."""
    student = session.get(User, student_id)
    if student is None or student.account_role != AccountRole.STUDENT \
            or not can_view_stream(viewer, student_id):
        raise NotFound(_l("There is no such student."))
    rows = {student_id: _empty_row(student_id, student.display_name, student.email,
                                   _modules_per_track(session))}
    _fill(session, rows, [student_id])
    return rows[student_id]


@dataclass(frozen=True)
class CriterionMean:
    key: str
    title: str
    mean_level: float | None


def criterion_means(session: Session, viewer: User, student_id: int,
                    locale: str = "en") -> list[CriterionMean]:
    """The student's mean level per rubric criterion over all their assessments."""
    if not can_view_stream(viewer, student_id):
        raise NotFound(_l("There is no such student."))
    levels = session.exec(
        select(Assessment.levels)
        .join(PracticeStream, col(PracticeStream.id) == col(Assessment.practice_stream_id))
        .where(PracticeStream.student_id == student_id)
    ).all()
    means = []
    for criterion in rubric_criteria(session, locale):
        scores = [entry[criterion["key"]] for entry in levels if criterion["key"] in entry]
        means.append(CriterionMean(criterion["key"], criterion["title"],
                                   sum(scores) / len(scores) if scores else None))
    return means


CLASS_SORTS = ("name", "modules", "quiz", "assessments", "total", "hours")


def _sort_value(row: StudentGrades, sort: str) -> Any:
    if sort == "name":
        return row.name.lower()
    key = {"modules": "modules_completed", "quiz": "mean_best_quiz",
           "assessments": "assessments", "total": "mean_total", "hours": "hours"}[sort]
    values = [getattr(grades, key) for grades in row.tracks.values()
              if getattr(grades, key) is not None]
    return sum(values) / len(values) if values else -1


def _require_staff(viewer: User) -> None:
    if viewer.account_role not in (AccountRole.INSTRUCTOR, AccountRole.ADMIN):
        raise NotAllowed(_l("Only instructors and administrators see the class gradebook."))


def _active_students() -> Any:
    return select(User.id, User.display_name, User.email).where(
        User.account_role == AccountRole.STUDENT, User.is_active == sa.true())


def _sorted(rows: dict[int, StudentGrades], sort: str, descending: bool) -> list[StudentGrades]:
    return sorted(rows.values(), key=lambda row: (_sort_value(row, sort if sort in CLASS_SORTS
                                                              else "name"), row.student_id),
                  reverse=descending)


def _graded_class(session: Session) -> dict[int, StudentGrades]:
    """Every active student's figures, in six queries."""
    modules_per_track = _modules_per_track(session)
    rows = {user_id: _empty_row(user_id, name, email, modules_per_track)
            for user_id, name, email in session.exec(_active_students())}
    if rows:
        _fill(session, rows, _active_students().with_only_columns(User.id))
    return rows


def class_grades(session: Session, viewer: User, *, sort: str = "name",
                 descending: bool = False) -> list[StudentGrades]:
    """Every active student's gradebook row, in seven queries, for the exports. Staff only.

    The rows carry each student's attendance rate over all their cohorts' events.
    """
    _require_staff(viewer)
    rows = _graded_class(session)
    if rows:
        for student_id, record in attendance_rates(
                session, _active_students().with_only_columns(User.id)).items():
            rows[student_id].attendance_percent = record.percent
    return _sorted(rows, sort, descending)


def class_grades_page(session: Session, viewer: User, *, sort: str = "name",
                      descending: bool = False, page: int = 1) -> Page[StudentGrades]:
    """One page of the class gradebook, in six queries whatever the size of the class.

    In name order (the default) only the page's students are read and aggregated. The other
    orders rank students by figures averaged over the tracks, so they aggregate the whole
    class and then cut the page. A page past the last one is not found.
    """
    _require_staff(viewer)
    page = max(page, 1)
    first = (page - 1) * STUDENTS_PER_PAGE
    if sort in CLASS_SORTS and sort != "name":
        ranked = _sorted(_graded_class(session), sort, descending)
        shown = ranked[first:first + STUDENTS_PER_PAGE]
        has_next = len(ranked) > first + STUDENTS_PER_PAGE
    else:
        modules_per_track = _modules_per_track(session)
        name = func.lower(User.display_name)
        students = session.exec(
            _active_students()
            .order_by(name.desc() if descending else name.asc(),
                      col(User.id).desc() if descending else col(User.id).asc())
            .offset(first).limit(STUDENTS_PER_PAGE + 1)
        ).all()
        rows = {user_id: _empty_row(user_id, student_name, email, modules_per_track)
                for user_id, student_name, email in students[:STUDENTS_PER_PAGE]}
        _fill(session, rows, list(rows))
        shown, has_next = list(rows.values()), len(students) > STUDENTS_PER_PAGE
    if not shown and page > 1:
        raise NotFound(_l("There is no such page."))
    return Page(rows=shown, page=page, has_next=has_next)


EXPORT_FIGURES = (
    ("modules_completed", "modules completed"),
    ("modules_total", "modules in track"),
    ("mean_best_quiz", "mean best quiz score"),
    ("assessments", "assessed streams"),
    ("mean_total", "mean rubric total"),
    ("hours", "hours practised"),
)


def _export_rows(rows: list[StudentGrades]) -> tuple[list[str], list[list[Any]]]:
    header = ["student", "email"] + [f"{track} {label}" for track in TRACKS
                                     for _name, label in EXPORT_FIGURES] + [
        "attendance rate (%)"]
    body = []
    for row in rows:
        cells: list[Any] = [row.name, row.email]
        for track in TRACKS:
            grades = row.tracks[track]
            for name, _label in EXPORT_FIGURES:
                value = getattr(grades, name)
                cells.append(round(value, 1) if isinstance(value, float) else value)
        cells.append(row.attendance_percent)
        body.append(cells)
    return header, body


def gradebook_csv(rows: list[StudentGrades]) -> str:
    """The class gradebook as CSV, UTF-8 with a BOM so Excel and WPS show Chinese names."""
    header, body = _export_rows(rows)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([[safe_cell(cell) for cell in cells] for cells in body])
    return out.getvalue()


def gradebook_xlsx(rows: list[StudentGrades]) -> bytes:
    """The class gradebook as an Excel workbook with a frozen header row."""
    header, body = _export_rows(rows)
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False})
    sheet = workbook.add_worksheet("Gradebook")
    bold = workbook.add_format({"bold": True, "text_wrap": True})
    sheet.write_row(0, 0, header, bold)
    for index, cells in enumerate(body, start=1):
        sheet.write_row(index, 0, [safe_cell(cell) if isinstance(cell, str)
                                   else (float(cell) if isinstance(cell, Decimal) else cell)
                                   for cell in cells])
    sheet.freeze_panes(1, 2)
    sheet.set_column(0, 1, 24)
    sheet.set_column(2, len(header) - 1, 12)
    workbook.close()
    return out.getvalue()
