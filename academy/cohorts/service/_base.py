"""What every part of the order-class service shares: loading a cohort the user may see, locks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlmodel import Session, col, select

from academy.audit.models import AuditEvent
from academy.auth.models import AccountRole, User
from academy.cohorts.models import Cohort, CohortMember, CohortMentor, CohortStatus, MemberStatus
from academy.errors import DomainError, NotAllowed, NotFound
from academy.security import can_manage_cohort, can_view_cohort

# Members who hold one of the cohort's seats.
SEATED = (MemberStatus.ADMITTED, MemberStatus.TRAINING, MemberStatus.PASSED, MemberStatus.FAILED)
# Applicants still waiting for a decision.
UNDECIDED = (MemberStatus.APPLIED, MemberStatus.SHORTLISTED)
OPEN_STATUSES = tuple(status for status in CohortStatus
                      if status not in (CohortStatus.CLOSED, CohortStatus.CANCELLED))


class CohortError(DomainError):
    """Input that breaks an order-class rule; ``field`` names the form field it belongs to."""

    status = 422

    def __init__(self, message: str | LazyString, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def not_found(slug: str) -> NotFound:
    return NotFound(_l("There is no order class “%(slug)s”.", slug=slug))


def get_cohort(session: Session, user: User, slug: str, *,
               for_update: bool = False) -> tuple[Cohort, CohortMember | None]:
    """The cohort and the user's own membership, in one query; NotFound if they may not see it.

    ``for_update`` locks the cohort row (PostgreSQL ``FOR UPDATE``; SQLite's writing
    transactions are ``BEGIN IMMEDIATE`` already), so every change to a cohort, its members
    and their placements is serialised: two partners admitting at once cannot both take the
    last seat.
    """
    statement = (
        select(Cohort, CohortMember)
        .join(CohortMember, sa.and_(col(CohortMember.cohort_id) == col(Cohort.id),
                                    col(CohortMember.student_id) == user.id), isouter=True)
        .where(Cohort.slug == slug)
    )
    if for_update:
        statement = statement.with_for_update(of=Cohort).execution_options(
            populate_existing=True)
    row = session.exec(statement).first()
    if row is None or not can_view_cohort(user, row[0], row[1]):
        raise not_found(slug)
    return row[0], row[1]


def get_managed_cohort(session: Session, user: User, slug: str, *,
                       for_update: bool = False) -> Cohort:
    """A cohort the user runs (its firm's staff, the college); 403 for students who may see it."""
    cohort, _membership = get_cohort(session, user, slug, for_update=for_update)
    require_manager(user, cohort)
    return cohort


def require_manager(user: User, cohort: Cohort) -> None:
    if not can_manage_cohort(user, cohort):
        raise NotAllowed(_l("Only the sponsoring firm and the college manage this order class."))


def get_member(session: Session, cohort: Cohort, member_id: int) -> CohortMember:
    """A member of ``cohort`` (fresh from the database); members of other cohorts are not found."""
    member = session.exec(
        select(CohortMember)
        .where(CohortMember.id == member_id, CohortMember.cohort_id == cohort.id)
        .execution_options(populate_existing=True)
    ).first()
    if member is None:
        raise NotFound(_l("This person is not an applicant of this order class."))
    return member


def local_date(user: User, now: dt.datetime) -> dt.date:
    """Today in the user's time zone: a deadline ends at midnight where the user is."""
    try:
        zone = ZoneInfo(user.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).date()


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    actor_name: str  # "" when the system acted
    action: str
    detail: dict[str, Any]


def history(session: Session, subject_type: str, subject_id: int,
            limit: int = 200) -> list[HistoryEntry]:
    """The audit trail of one subject with the actors' names, newest first, in one query."""
    rows = session.exec(
        select(AuditEvent, User.display_name)
        .join(User, col(User.id) == col(AuditEvent.actor_id), isouter=True)
        .where(AuditEvent.subject_type == subject_type, AuditEvent.subject_id == subject_id)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    ).all()
    return [HistoryEntry(event.at, name or "", event.action, event.detail)
            for event, name in rows]


def mentors_student(session: Session, user: User, student_id: int) -> bool:
    """Whether ``user`` is partner staff mentoring a cohort in which the student holds a seat.

    Such mentors see the member's practice streams and assess them, as instructors do for
    everyone; nobody else at the firm sees them.
    """
    if user.account_role != AccountRole.PARTNER:
        return False
    return session.exec(
        select(CohortMentor.id)
        .join(CohortMember, col(CohortMember.cohort_id) == col(CohortMentor.cohort_id))
        .where(CohortMentor.user_id == user.id, CohortMember.student_id == student_id,
               col(CohortMember.status).in_(SEATED))
        .limit(1)
    ).first() is not None
