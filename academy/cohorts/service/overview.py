"""The list of order classes each person may see, and one cohort's page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from academy.auth.models import AccountRole, PartnerFirm, User
from academy.cohorts.models import (
    Cohort,
    CohortEvent,
    CohortKind,
    CohortMember,
    CohortMentor,
    CohortStatus,
    MemberStatus,
    Placement,
)
from academy.cohorts.service._base import (
    SEATED,
    UNDECIDED,
    HistoryEntry,
    get_cohort,
    history,
    local_date,
)
from academy.cohorts.service.applications import Readiness, readiness
from academy.cohorts.service.enrolment import DIRECT_ENROLMENT_STAGES
from academy.cohorts.service.lifecycle import Transition, available_transitions
from academy.cohorts.service.placements import placements_of
from academy.cohorts.service.schedule import list_events
from academy.security import (
    can_apply_to_cohort,
    can_edit_cohort,
    can_manage_cohort,
    can_take_attendance,
    is_college_staff,
)

COHORTS_PER_PAGE = 50


@dataclass(frozen=True)
class CohortSummary:
    cohort: Cohort
    firm_name: str
    seats_taken: int
    undecided: int  # applicants awaiting a decision (shown to the firm and the college)
    my_status: MemberStatus | None  # the viewer's own application, for students


@dataclass(frozen=True)
class CohortList:
    cohorts: list[CohortSummary]
    page: int
    has_next: bool
    status: str


def list_cohorts(session: Session, user: User, *, status: str = "",
                 page: int = 1) -> CohortList:
    """The order classes the user may see, one page, in one query.

    Students see the order classes that recruit (never internal training) and the cohorts
    they belong to; partner staff see their own firm's; the college sees all. ``status``
    filters by stage.
    """
    page = max(page, 1)
    counts = (
        select(CohortMember.cohort_id,
               func.sum(sa.cast(col(CohortMember.status).in_(SEATED), sa.Integer))
               .label("seated"),
               func.sum(sa.cast(col(CohortMember.status).in_(UNDECIDED), sa.Integer))
               .label("undecided"))
        .group_by(CohortMember.cohort_id).subquery("counts")
    )
    mine = (
        select(CohortMember.cohort_id, CohortMember.status)
        .where(CohortMember.student_id == user.id).subquery("mine")
    )
    statement = (
        select(Cohort, PartnerFirm.name, counts.c.seated, counts.c.undecided, mine.c.status)
        .join(PartnerFirm, col(PartnerFirm.id) == col(Cohort.firm_id))
        .join(counts, counts.c.cohort_id == Cohort.id, isouter=True)
        .join(mine, mine.c.cohort_id == Cohort.id, isouter=True)
    )
    if user.account_role == AccountRole.STUDENT:
        statement = statement.where(sa.or_(
            sa.and_(Cohort.status == CohortStatus.RECRUITING,
                    Cohort.kind == CohortKind.ORDER_CLASS),
            mine.c.status.is_not(None)))
        statement = statement.order_by(
            sa.case((Cohort.status == CohortStatus.RECRUITING, 0), else_=1), Cohort.apply_by)
    elif user.account_role == AccountRole.PARTNER:
        statement = statement.where(Cohort.firm_id == (user.firm_id or 0))
    elif not is_college_staff(user):
        statement = statement.where(sa.false())
    if status in set(CohortStatus):
        statement = statement.where(Cohort.status == CohortStatus(status))
    statement = statement.order_by(col(Cohort.starts_on).desc(), col(Cohort.id).desc())
    rows = session.exec(
        statement.offset((page - 1) * COHORTS_PER_PAGE).limit(COHORTS_PER_PAGE + 1)
    ).all()
    show_counts = user.account_role != AccountRole.STUDENT
    return CohortList(
        cohorts=[
            CohortSummary(cohort, firm_name, int(seated or 0) if show_counts else 0,
                          int(undecided or 0) if show_counts else 0,
                          MemberStatus(my_status) if my_status else None)
            for cohort, firm_name, seated, undecided, my_status in rows[:COHORTS_PER_PAGE]
        ],
        page=page, has_next=len(rows) > COHORTS_PER_PAGE,
        status=status if status in set(CohortStatus) else "",
    )


@dataclass(frozen=True)
class Mentor:
    display_name: str
    account_role: AccountRole


@dataclass(frozen=True)
class CohortPage:
    """Everything one cohort's page shows; what the viewer may do decides what is filled in."""

    cohort: Cohort
    firm_name: str
    membership: CohortMember | None
    mentors: list[Mentor]
    readiness: Readiness  # the viewer's own (its module list names the required modules)
    placements: list[Placement]  # the viewing member's own offers
    events: list[CohortEvent]
    transitions: list[Transition]
    timeline: list[HistoryEntry]  # for the firm and the college
    counts: dict[MemberStatus, int]
    can_manage: bool
    can_edit: bool
    can_apply: bool
    deadline_passed: bool
    can_enrol: bool  # add members from a list now (see ``DIRECT_ENROLMENT_STAGES``)
    can_take_attendance: bool

    @property
    def internal(self) -> bool:
        return self.cohort.kind == CohortKind.INTERNAL

    @property
    def seats_taken(self) -> int:
        return sum(self.counts.get(status, 0) for status in SEATED)

    @property
    def can_withdraw(self) -> bool:
        return self.membership is not None and self.membership.status in UNDECIDED


def cohort_page(session: Session, user: User, slug: str, *, now: dt.datetime) -> CohortPage:
    """One cohort for this viewer: terms, schedule, and either their readiness or the controls.

    Others' cohorts are not found (another firm's staff, students when it does not recruit
    and they never applied).
    """
    cohort, membership = get_cohort(session, user, slug)
    firm_name = session.exec(select(PartnerFirm.name)
                             .where(PartnerFirm.id == cohort.firm_id)).one()
    mentors = [Mentor(name, role) for name, role in session.exec(
        select(User.display_name, User.account_role)
        .join(CohortMentor, col(CohortMentor.user_id) == col(User.id))
        .where(CohortMentor.cohort_id == cohort.id).order_by(User.display_name)
    )]
    manage = can_manage_cohort(user, cohort)
    counts: dict[MemberStatus, int] = {}
    if manage:
        counts = {MemberStatus(status): count for status, count in session.exec(
            select(CohortMember.status, func.count())
            .where(CohortMember.cohort_id == cohort.id).group_by(CohortMember.status))}
    return CohortPage(
        cohort=cohort, firm_name=firm_name, membership=membership, mentors=mentors,
        readiness=readiness(session, user.id or 0, cohort),
        placements=placements_of(session, membership),
        events=list_events(session, cohort),
        transitions=available_transitions(user, cohort) if manage else [],
        timeline=history(session, "cohort", cohort.id or 0) if manage else [],
        counts=counts,
        can_manage=manage,
        can_edit=can_edit_cohort(user, cohort),
        can_apply=can_apply_to_cohort(user, cohort) and (
            membership is None or membership.status == MemberStatus.WITHDRAWN),
        deadline_passed=local_date(user, now) > cohort.apply_by,
        can_enrol=manage and cohort.status in DIRECT_ENROLMENT_STAGES[cohort.kind],
        can_take_attendance=can_take_attendance(user, cohort),
    )
