"""What each account role sees first: the dashboard's figures, from the areas' own services.

Each function issues a fixed number of statements whatever the amount of data (the dashboard is
the most visited page), and takes ``now`` so tests and the CLI can call it alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from academy.assessment.certificates import Checklist, certificate_checklist
from academy.assessment.service import assessment_queue
from academy.auth.models import AccountRole, PartnerFirm, User
from academy.cohorts.models import (
    Cohort,
    CohortEvent,
    CohortKind,
    CohortMember,
    CohortMentor,
    CohortStatus,
)
from academy.cohorts.service import OPEN_STATUSES, SEATED, firm_dashboard
from academy.cohorts.service.reports import CohortFunnel
from academy.curriculum.service import ModuleStatus, ModuleSummary, TrackOverview, list_tracks
from academy.notify.models import JobRun, JobStatus, Notification
from academy.notify.service import last_runs
from academy.practice.kpi import KPI_BY_KEY
from academy.practice.models import PracticeStream

RECENT_STREAMS = 5
TREND_STREAMS = 12  # the sparkline's length
UPCOMING_EVENTS = 5
# Where a member takes part in the schedule: admitted and later, never applicants.
ATTENDING = ("admitted", "training", "passed")
FINISHED = (CohortStatus.CLOSED, CohortStatus.CANCELLED)


@dataclass(frozen=True)
class RecentStream:
    id: int
    started_at: dt.datetime
    platform: str
    duration_min: int
    gpm: Decimal | None
    currency: str


@dataclass(frozen=True)
class UpcomingEvent:
    cohort_slug: str
    cohort_name: str
    title: str
    kind: str
    starts_at: dt.datetime
    location: str


@dataclass(frozen=True)
class StudentDashboard:
    focus: TrackOverview | None  # the track the student works on most (None: no modules yet)
    next_module: ModuleSummary | None  # None: every module of that track is passed
    recent_streams: list[RecentStream]
    gpm_trend: list[float | None]  # oldest first, for the sparkline
    upcoming_events: list[UpcomingEvent]
    certificate: Checklist | None


def _focus_track(tracks: list[TrackOverview]) -> TrackOverview | None:
    """The track with the most modules begun or passed; the first track for a newcomer."""
    with_modules = [track for track in tracks if track.modules]
    if not with_modules:
        return None

    def activity(track: TrackOverview) -> int:
        return sum(module.status != ModuleStatus.NOT_STARTED for module in track.modules)

    return max(with_modules, key=activity)  # max keeps the first of equals: catalogue order


def _recent_streams(session: Session, student: User) -> list[PracticeStream]:
    return list(session.exec(
        select(PracticeStream).where(PracticeStream.student_id == student.id)
        .order_by(col(PracticeStream.started_at).desc(), col(PracticeStream.id).desc())
        .limit(TREND_STREAMS)))


def _events(session: Session, cohorts: sa.Select, now: dt.datetime) -> list[UpcomingEvent]:
    rows = session.exec(
        select(CohortEvent, Cohort.slug, Cohort.name)
        .join(Cohort, col(Cohort.id) == col(CohortEvent.cohort_id))
        .where(col(CohortEvent.cohort_id).in_(cohorts), CohortEvent.starts_at >= now,
               col(Cohort.status).in_(OPEN_STATUSES))  # a cancelled class's dates are off
        .order_by(col(CohortEvent.starts_at), col(CohortEvent.id))
        .limit(UPCOMING_EVENTS)).all()
    return [UpcomingEvent(slug, name, event.title, event.kind, event.starts_at, event.location)
            for event, slug, name in rows]


def student_dashboard(session: Session, student: User, *, now: dt.datetime,
                      locale: str = "en") -> StudentDashboard:
    """Next module, recent streams with the GPM trend, upcoming events, certificate progress."""
    focus = _focus_track(list_tracks(session, student, locale))
    next_module = None
    if focus is not None:
        next_module = next((module for module in focus.modules
                            if module.status != ModuleStatus.QUIZ_PASSED), None)
    streams = _recent_streams(session, student)
    gpm = KPI_BY_KEY["gpm"]
    recent = [RecentStream(stream.id or 0, stream.started_at, stream.platform,
                           stream.duration_min, gpm.value(stream), stream.currency)
              for stream in streams[:RECENT_STREAMS]]
    trend = [float(value) if (value := gpm.value(stream)) is not None else None
             for stream in reversed(streams)]
    attending = select(CohortMember.cohort_id).where(
        CohortMember.student_id == student.id, col(CohortMember.status).in_(ATTENDING))
    return StudentDashboard(
        focus=focus, next_module=next_module, recent_streams=recent, gpm_trend=trend,
        upcoming_events=_events(session, attending, now),
        certificate=certificate_checklist(session, student, focus.track) if focus else None,
    )


@dataclass(frozen=True)
class MentoredCohort:
    slug: str
    name: str
    status: CohortStatus
    members: int  # admitted or further


@dataclass(frozen=True)
class InstructorDashboard:
    streams_waiting: int
    cohorts: list[MentoredCohort]
    upcoming_events: list[UpcomingEvent]


def instructor_dashboard(session: Session, instructor: User, *,
                         now: dt.datetime) -> InstructorDashboard:
    """The assessment queue's length, the classes the instructor mentors and their next events."""
    mentored = select(CohortMentor.cohort_id).where(CohortMentor.user_id == instructor.id)
    seated = func.count(CohortMember.id).filter(col(CohortMember.status).in_(ATTENDING))
    rows = session.exec(
        select(Cohort.slug, Cohort.name, Cohort.status, seated)
        .join(CohortMember, col(CohortMember.cohort_id) == col(Cohort.id), isouter=True)
        .where(col(Cohort.id).in_(mentored), col(Cohort.status).not_in(FINISHED))
        .group_by(col(Cohort.id), col(Cohort.slug), col(Cohort.name), col(Cohort.status))
        .order_by(col(Cohort.starts_on), col(Cohort.id))).all()
    return InstructorDashboard(
        streams_waiting=assessment_queue(session, instructor).waiting,
        cohorts=[MentoredCohort(slug, name, CohortStatus(status), members)
                 for slug, name, status, members in rows],
        upcoming_events=_events(session, mentored, now),
    )


@dataclass(frozen=True)
class InternalTraining:
    slug: str
    name: str
    status: CohortStatus
    members: int  # holding a seat


@dataclass(frozen=True)
class PartnerDashboard:
    firm_name: str
    cohorts: list[CohortFunnel]
    open_cohorts: int  # neither closed nor cancelled
    internal_trainings: list[InternalTraining] = field(default_factory=list)


def _internal_trainings(session: Session, firm_id: int | None) -> list[InternalTraining]:
    """The firm's trainings of its own staff (no hiring funnel), newest first, one query."""
    seated = func.count(CohortMember.id).filter(col(CohortMember.status).in_(SEATED))
    rows = session.exec(
        select(Cohort.slug, Cohort.name, Cohort.status, seated)
        .join(CohortMember, col(CohortMember.cohort_id) == col(Cohort.id), isouter=True)
        .where(Cohort.firm_id == firm_id, Cohort.kind == CohortKind.INTERNAL)
        .group_by(col(Cohort.id))
        .order_by(col(Cohort.starts_on).desc(), col(Cohort.id).desc())).all()
    return [InternalTraining(slug, name, status, members) for slug, name, status, members in rows]


def partner_dashboard(session: Session, partner: User) -> PartnerDashboard:
    """The firm's order classes with their hiring funnels, and its internal trainings."""
    funnels = firm_dashboard(session, partner)
    return PartnerDashboard(
        firm_name=funnels.firm.name if funnels.firm else "",
        cohorts=funnels.cohorts,
        open_cohorts=sum(row.status not in FINISHED for row in funnels.cohorts),
        internal_trainings=_internal_trainings(session, partner.firm_id),
    )


@dataclass(frozen=True)
class AdminDashboard:
    active_accounts: dict[AccountRole, int]
    inactive_accounts: int
    firms: int
    last_runs: dict[str, JobRun]
    failed_jobs: list[str] = field(default_factory=list)  # whose newest run failed
    mail_waiting: int = 0  # notifications due for mail and not yet sent


def admin_dashboard(session: Session) -> AdminDashboard:
    """Accounts per role, partner firms, the scheduled jobs' newest runs, mail waiting."""
    active: dict[AccountRole, int] = dict.fromkeys(AccountRole, 0)
    inactive = 0
    for role, is_active, count in session.exec(
            select(User.account_role, User.is_active, func.count())
            .group_by(col(User.account_role), col(User.is_active))):
        if is_active:
            active[AccountRole(role)] = count
        else:
            inactive += count
    runs = last_runs(session)
    return AdminDashboard(
        active_accounts=active, inactive_accounts=inactive,
        firms=session.exec(select(func.count()).select_from(PartnerFirm)).one(),
        last_runs=runs,
        failed_jobs=sorted(job for job, run in runs.items() if run.status == JobStatus.FAILED),
        mail_waiting=session.exec(
            select(func.count()).select_from(Notification)
            .where(col(Notification.sent_at).is_(None),
                   col(Notification.next_attempt_at).is_not(None))).one(),
    )
