"""Read models for people who run a cohort: member readiness rows, the board, CSV, the funnel.

Each page issues a fixed number of statements whatever the number of members: the per-member
figures are aggregated in SQL subqueries and sorted there.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, func, select

from academy.assessment.models import Assessment
from academy.auth.models import PartnerFirm, User
from academy.cohorts.models import (
    Cohort,
    CohortKind,
    CohortMember,
    CohortStatus,
    MemberStatus,
    Placement,
    PlacementStatus,
)
from academy.cohorts.service._base import SEATED, get_managed_cohort
from academy.cohorts.service.attendance import AttendanceRecord, totals_by_member
from academy.curriculum.models import Module, ModuleProgress, QuizAttempt
from academy.db import UTCDateTime
from academy.errors import NotAllowed, NotFound
from academy.practice.models import PracticeStream
from academy.security import can_view_firm_cohorts, is_college_staff
from academy.spreadsheets import safe_cell

SORT_KEYS = ("name", "status", "modules", "quiz", "streams", "hours", "activity", "applied",
             "attendance")
_STATUS_ORDER = {status: position for position, status in enumerate(MemberStatus)}


@dataclass(frozen=True)
class MemberRow:
    """One applicant or member with the figures a firm selects and follows them by."""

    member_id: int
    student_id: int
    display_name: str
    email: str
    status: MemberStatus
    applied_at: dt.datetime
    decided_at: dt.datetime | None
    modules_done: int  # of the cohort's required modules
    quiz_mean: float | None  # mean of the best score per module (required, else the track's)
    streams: int
    practice_minutes: int
    last_activity: dt.datetime | None
    mean_rubric_total: float | None  # over all assessments of the member's practice streams
    attendance: AttendanceRecord  # at this cohort's events

    @property
    def practice_hours(self) -> float:
        return round(self.practice_minutes / 60, 1)


def _quiz_module_ids(cohort: Cohort) -> sa.Select:
    """The modules whose quiz scores count: the required ones, else the whole current track."""
    if cohort.required_modules:
        return select(Module.id).where(col(Module.slug).in_(cohort.required_modules))
    return select(Module.id).where(Module.track == cohort.track, Module.retired == sa.false())


def member_rows(session: Session, cohort: Cohort, statuses: Sequence[MemberStatus], *,
                sort: str = "name", descending: bool = False) -> list[MemberRow]:
    """The cohort's members in ``statuses`` with readiness figures, sorted in SQL; one query."""
    students = select(CohortMember.student_id).where(CohortMember.cohort_id == cohort.id)
    required_ids = select(Module.id).where(col(Module.slug).in_(cohort.required_modules))
    done = (
        select(ModuleProgress.user_id.label("user_id"), func.count().label("done"))
        .where(col(ModuleProgress.completed_at).is_not(None),
               col(ModuleProgress.module_id).in_(required_ids),
               col(ModuleProgress.user_id).in_(students))
        .group_by(ModuleProgress.user_id).subquery("done")
    )
    best = (
        select(QuizAttempt.user_id.label("user_id"), func.max(QuizAttempt.score).label("best"))
        .where(col(QuizAttempt.module_id).in_(_quiz_module_ids(cohort)),
               col(QuizAttempt.user_id).in_(students))
        .group_by(QuizAttempt.user_id, QuizAttempt.module_id).subquery("best")
    )
    quiz = (
        select(best.c.user_id, func.avg(best.c.best).label("mean"))
        .group_by(best.c.user_id).subquery("quiz")
    )
    practice = (
        select(PracticeStream.student_id.label("user_id"), func.count().label("streams"),
               func.sum(PracticeStream.duration_min).label("minutes"))
        .where(col(PracticeStream.student_id).in_(students))
        .group_by(PracticeStream.student_id).subquery("practice")
    )
    moments = sa.union_all(
        select(ModuleProgress.user_id.label("user_id"),
               func.coalesce(ModuleProgress.completed_at, ModuleProgress.started_at).label("at"))
        .where(col(ModuleProgress.user_id).in_(students)),
        select(QuizAttempt.user_id, QuizAttempt.submitted_at)
        .where(col(QuizAttempt.user_id).in_(students)),
        select(PracticeStream.student_id, PracticeStream.started_at)
        .where(col(PracticeStream.student_id).in_(students)),
    ).subquery("moments")
    rubric = (
        select(PracticeStream.student_id.label("user_id"),
               func.avg(sa.type_coerce(Assessment.total, sa.BigInteger)).label("hundredths"))
        .join(Assessment, col(Assessment.practice_stream_id) == col(PracticeStream.id))
        .where(col(PracticeStream.student_id).in_(students))
        .group_by(PracticeStream.student_id).subquery("rubric")
    )
    attendance = totals_by_member()
    activity = (
        select(moments.c.user_id, sa.type_coerce(func.max(moments.c.at), UTCDateTime)
               .label("last_at"))
        .group_by(moments.c.user_id).subquery("activity")
    )
    done_count = func.coalesce(done.c.done, 0)
    stream_count = func.coalesce(practice.c.streams, 0)
    minutes = func.coalesce(practice.c.minutes, 0)
    sort_columns = {
        "name": func.lower(User.display_name),
        "status": sa.case(_STATUS_ORDER, value=CohortMember.status),
        "modules": done_count,
        "quiz": quiz.c.mean,
        "streams": stream_count,
        "hours": minutes,
        "activity": activity.c.last_at,
        "rubric": rubric.c.hundredths,
        "applied": CohortMember.applied_at,
        "attendance": sa.cast(attendance.c.attended, sa.Float)
        / sa.func.nullif(attendance.c.counted, 0),
    }
    order = sort_columns.get(sort, sort_columns["name"])
    statement = (
        select(CohortMember.id, CohortMember.student_id, User.display_name, User.email,
               CohortMember.status, CohortMember.applied_at, CohortMember.decided_at,
               done_count, quiz.c.mean, stream_count, minutes, activity.c.last_at,
               rubric.c.hundredths, attendance.c.attended, attendance.c.counted,
               attendance.c.excused)
        .join(User, col(User.id) == col(CohortMember.student_id))
        .join(done, done.c.user_id == CohortMember.student_id, isouter=True)
        .join(quiz, quiz.c.user_id == CohortMember.student_id, isouter=True)
        .join(practice, practice.c.user_id == CohortMember.student_id, isouter=True)
        .join(activity, activity.c.user_id == CohortMember.student_id, isouter=True)
        .join(rubric, rubric.c.user_id == CohortMember.student_id, isouter=True)
        .join(attendance, attendance.c.member_id == CohortMember.id, isouter=True)
        .where(CohortMember.cohort_id == cohort.id, col(CohortMember.status).in_(statuses))
        .order_by(sa.nulls_last(order.desc() if descending else order.asc()),
                  func.lower(User.display_name), CohortMember.id)
    )
    return [
        MemberRow(member_id, student_id, name, email, status, applied_at, decided_at,
                  int(done_n), None if mean is None else round(float(mean), 1), int(streams),
                  int(total_minutes), last_at,
                  None if hundredths is None else round(float(hundredths) / 100, 1),
                  AttendanceRecord(int(attended or 0), int(counted or 0), int(excused or 0)))
        for (member_id, student_id, name, email, status, applied_at, decided_at, done_n, mean,
             streams, total_minutes, last_at, hundredths, attended, counted, excused)
        in session.exec(statement).all()
    ]


def status_counts(session: Session, cohort: Cohort) -> dict[MemberStatus, int]:
    rows = session.exec(
        select(CohortMember.status, func.count())
        .where(CohortMember.cohort_id == cohort.id).group_by(CohortMember.status)
    ).all()
    return {MemberStatus(status): count for status, count in rows}


@dataclass(frozen=True)
class MemberTable:
    """The applicant list or the progress board of one cohort."""

    cohort: Cohort
    rows: list[MemberRow]
    counts: dict[MemberStatus, int]
    sort: str
    descending: bool
    status_filter: str = ""

    @property
    def required_total(self) -> int:
        return len(self.cohort.required_modules)

    @property
    def seats_taken(self) -> int:
        return sum(self.counts.get(status, 0) for status in SEATED)


def _sort(sort: str) -> str:
    return sort if sort in SORT_KEYS else "name"


def list_applicants(session: Session, actor: User, slug: str, *, status: str = "",
                    sort: str = "applied", descending: bool = False) -> MemberTable:
    """Everyone who applied, with readiness; the firm and the college only. Filter by status."""
    cohort = get_managed_cohort(session, actor, slug)
    statuses = [MemberStatus(status)] if status in set(MemberStatus) else list(MemberStatus)
    rows = member_rows(session, cohort, statuses, sort=_sort(sort), descending=descending)
    return MemberTable(cohort, rows, status_counts(session, cohort), _sort(sort), descending,
                       status if status in set(MemberStatus) else "")


def progress_board(session: Session, actor: User, slug: str, *, sort: str = "name",
                   descending: bool = False) -> MemberTable:
    """One row per admitted member: modules, quiz scores, practice, last activity."""
    cohort = get_managed_cohort(session, actor, slug)
    rows = member_rows(session, cohort, SEATED, sort=_sort(sort), descending=descending)
    return MemberTable(cohort, rows, status_counts(session, cohort), _sort(sort), descending)


def board_csv(board: MemberTable, status_labels: dict[MemberStatus, object]) -> str:
    """The progress board as CSV text for spreadsheets: UTF-8 BOM first, formula-safe cells."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([safe_cell(header) for header in (
        _l("Name"), _l("Email"), _l("Status"), _l("Required modules done"),
        _l("Required modules"), _l("Mean best quiz score"), _l("Practice streams"),
        _l("Practice hours"), _l("Mean rubric total"), _l("Attendance rate (%)"),
        _l("Last activity (UTC)"))])
    for row in board.rows:
        writer.writerow([safe_cell(value) for value in (
            row.display_name, row.email, status_labels.get(row.status, row.status.value),
            row.modules_done, board.required_total,
            "" if row.quiz_mean is None else row.quiz_mean, row.streams, row.practice_hours,
            "" if row.mean_rubric_total is None else row.mean_rubric_total,
            "" if row.attendance.percent is None else row.attendance.percent,
            row.last_activity.strftime("%Y-%m-%d %H:%M") if row.last_activity else "",
        )])
    return out.getvalue()


FUNNEL_STAGES = ("applied", "admitted", "passed", "offered", "hired")


@dataclass(frozen=True)
class Funnel:
    """How many people reached each stage from application to hire."""

    applied: int = 0
    admitted: int = 0
    passed: int = 0
    offered: int = 0
    hired: int = 0

    def stages(self) -> list[tuple[str, int]]:
        return [(stage, getattr(self, stage)) for stage in FUNNEL_STAGES]

    def __add__(self, other: Funnel) -> Funnel:
        return Funnel(*(getattr(self, s) + getattr(other, s) for s in FUNNEL_STAGES))


@dataclass(frozen=True)
class CohortFunnel:
    slug: str
    name: str
    status: CohortStatus
    firm_name: str
    funnel: Funnel


@dataclass(frozen=True)
class FirmDashboard:
    firm: PartnerFirm | None  # None: every firm (the college's view)
    firms: list[PartnerFirm]  # the firms the viewer may switch between (college only)
    cohorts: list[CohortFunnel] = field(default_factory=list)

    @property
    def total(self) -> Funnel:
        return sum((row.funnel for row in self.cohorts), Funnel())


def firm_dashboard(session: Session, actor: User, firm_slug: str = "") -> FirmDashboard:
    """The hiring funnel per cohort and in total, for a firm's staff (their own firm only).

    The college sees every firm, or one chosen by ``firm_slug``. Three or four statements
    whatever the number of cohorts and members.
    """
    firms: list[PartnerFirm] = []
    firm: PartnerFirm | None = None
    if is_college_staff(actor):
        firms = list(session.exec(select(PartnerFirm).order_by(PartnerFirm.name)))
        if firm_slug:
            firm = next((item for item in firms if item.slug == firm_slug), None)
            if firm is None:
                raise NotFound(_l("There is no partner firm “%(slug)s”.", slug=firm_slug))
    elif actor.firm_id is not None and can_view_firm_cohorts(actor, actor.firm_id):
        firm = session.get(PartnerFirm, actor.firm_id)
    else:
        raise NotAllowed(_l("The hiring funnel is for partner firms and the college."))
    seated = sa.cast(col(CohortMember.status).in_(SEATED), sa.Integer)
    passed = sa.cast(CohortMember.status == MemberStatus.PASSED, sa.Integer)
    members = (
        select(CohortMember.cohort_id, func.count().label("applied"),
               func.sum(seated).label("admitted"), func.sum(passed).label("passed"))
        .group_by(CohortMember.cohort_id).subquery("members")
    )
    statement = (
        select(Cohort.id, Cohort.slug, Cohort.name, Cohort.status, PartnerFirm.name,
               members.c.applied, members.c.admitted, members.c.passed)
        .join(PartnerFirm, col(PartnerFirm.id) == col(Cohort.firm_id))
        .join(members, members.c.cohort_id == Cohort.id, isouter=True)
        .where(Cohort.kind == CohortKind.ORDER_CLASS)  # internal training hires no one
        .order_by(col(Cohort.starts_on).desc(), col(Cohort.id).desc())
    )
    placements_statement = (
        select(CohortMember.cohort_id,
               func.count(sa.distinct(Placement.member_id)),
               func.count(sa.distinct(sa.case(
                   (Placement.status == PlacementStatus.HIRED, Placement.member_id)))))
        .join(CohortMember, col(CohortMember.id) == col(Placement.member_id))
        .join(Cohort, col(Cohort.id) == col(CohortMember.cohort_id))
        .group_by(CohortMember.cohort_id)
    )
    if firm is not None:
        statement = statement.where(Cohort.firm_id == firm.id)
        placements_statement = placements_statement.where(Cohort.firm_id == firm.id)
    offers = {cohort_id: (offered, hired)
              for cohort_id, offered, hired in session.exec(placements_statement).all()}
    cohorts = [
        CohortFunnel(slug, name, status, firm_name, Funnel(
            int(applied or 0), int(admitted or 0), int(passed_n or 0),
            *offers.get(cohort_id, (0, 0))))
        for cohort_id, slug, name, status, firm_name, applied, admitted, passed_n
        in session.exec(statement).all()
    ]
    return FirmDashboard(firm, firms, cohorts)

