"""Attendance at cohort events: one sheet per event, and each member's attendance rate.

A member is on an event's sheet when they held a seat before the event ended: someone admitted
later is neither listed nor counted for it (they could not have come).

The attendance rate of a member is ``(present + late) / (present + late + absent)`` over the
events they were marked for: an excused absence counts neither way, and an event nobody marked
them for does not count at all. With nothing counted there is no rate (``None``), not 0 %.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, insert, select, update

from academy.audit.service import record_event
from academy.auth.models import User
from academy.cohorts.models import (
    Attendance,
    AttendanceStatus,
    Cohort,
    CohortEvent,
    CohortMember,
)
from academy.cohorts.service._base import SEATED, CohortError, get_cohort
from academy.errors import NotAllowed, NotFound
from academy.security import can_take_attendance

ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)
COUNTED = (*ATTENDED, AttendanceStatus.ABSENT)  # an excused absence is not counted


@dataclass(frozen=True)
class AttendanceRecord:
    """How often one member came: events attended and counted, and excused absences."""

    attended: int = 0
    counted: int = 0
    excused: int = 0

    @property
    def rate(self) -> float | None:
        """Attended over counted (0 to 1); None before any counted event."""
        return self.attended / self.counted if self.counted else None

    @property
    def percent(self) -> float | None:
        return None if self.rate is None else round(100 * self.rate, 1)


def _tally(statuses: tuple[AttendanceStatus, ...]) -> sa.ColumnElement[int]:
    """How many of the grouped marks have one of ``statuses``."""
    return sa.func.coalesce(sa.func.sum(
        sa.case((col(Attendance.status).in_(statuses), 1), else_=0)), 0)


def totals_by_member() -> sa.Subquery:
    """Attended, counted and excused per member id: the one SQL form of the rate's terms."""
    return (
        select(col(Attendance.member_id).label("member_id"), _tally(ATTENDED).label("attended"),
               _tally(COUNTED).label("counted"),
               _tally((AttendanceStatus.EXCUSED,)).label("excused"))
        .group_by(Attendance.member_id).subquery("attendance")
    )


def attendance_rates(session: Session, student_ids: Collection[int] | sa.Select, *,
                     cohort_id: int | None = None) -> dict[int, AttendanceRecord]:
    """Each student's attendance over all their cohorts (or one), in one aggregate query.

    ``student_ids`` is a collection or a SELECT of ids; students never marked are left out
    of the mapping. The caller has checked the viewer may see these students.
    """
    statement = (
        select(CohortMember.student_id, _tally(ATTENDED), _tally(COUNTED),
               _tally((AttendanceStatus.EXCUSED,)))
        .select_from(Attendance)
        .join(CohortMember, col(CohortMember.id) == col(Attendance.member_id))
        .where(col(CohortMember.student_id).in_(student_ids))
        .group_by(CohortMember.student_id)
    )
    if cohort_id is not None:
        statement = statement.where(CohortMember.cohort_id == cohort_id)
    return {student_id: AttendanceRecord(int(attended), int(counted), int(excused))
            for student_id, attended, counted, excused in session.exec(statement).all()}


@dataclass(frozen=True)
class SheetRow:
    member_id: int
    display_name: str
    email: str
    status: AttendanceStatus | None  # None: not marked yet


@dataclass(frozen=True)
class AttendanceSheet:
    """One event's members and how each was marked."""

    cohort: Cohort
    event: CohortEvent
    rows: list[SheetRow]

    @property
    def marked(self) -> int:
        return sum(row.status is not None for row in self.rows)

    def count(self, status: AttendanceStatus) -> int:
        return sum(row.status == status for row in self.rows)


def _event_of(session: Session, actor: User, slug: str, event_id: int, *,
              for_update: bool = False) -> tuple[Cohort, CohortEvent]:
    cohort, _membership = get_cohort(session, actor, slug, for_update=for_update)
    if not can_take_attendance(actor, cohort):
        raise NotAllowed(_l("Attendance is taken by the cohort's mentors, the firm and the "
                            "college."))
    event = session.exec(select(CohortEvent).where(CohortEvent.id == event_id,
                                                   CohortEvent.cohort_id == cohort.id)).first()
    if event is None:
        raise NotFound(_l("There is no such event in this order class."))
    return cohort, event


def _sheet_rows(session: Session, event: CohortEvent) -> list[tuple[SheetRow, int | None]]:
    """The members seated before the event ended, with their mark and its id; one query.

    Members seated before admission times were kept (``admitted_at`` empty) are listed.
    """
    ends_at = event.starts_at + dt.timedelta(minutes=event.duration_min)
    rows = session.exec(
        select(CohortMember.id, User.display_name, User.email, Attendance.status, Attendance.id)
        .join(User, col(User.id) == col(CohortMember.student_id))
        .join(Attendance, sa.and_(col(Attendance.member_id) == col(CohortMember.id),
                                  col(Attendance.event_id) == event.id), isouter=True)
        .where(CohortMember.cohort_id == event.cohort_id, col(CohortMember.status).in_(SEATED),
               sa.or_(col(CohortMember.admitted_at).is_(None),
                      col(CohortMember.admitted_at) < ends_at))
        .order_by(sa.func.lower(User.display_name), CohortMember.id)
    ).all()
    return [(SheetRow(member_id or 0, name, email, status), mark_id)
            for member_id, name, email, status, mark_id in rows]


def attendance_sheet(session: Session, actor: User, slug: str, event_id: int) -> AttendanceSheet:
    """The sheet of one event for those who take attendance; three statements at any size."""
    cohort, event = _event_of(session, actor, slug, event_id)
    return AttendanceSheet(cohort, event, [row for row, _mark in _sheet_rows(session, event)])


def mark_attendance(session: Session, actor: User, slug: str, event_id: int,
                    marks: Mapping[int, str], *, now: dt.datetime) -> AttendanceSheet:
    """Record ``marks`` (member id -> status) for one event once it has started, all or nothing.

    Only members on the event's sheet may be marked; members left out keep their mark. New
    marks are inserted with one executemany and changed ones updated in one statement per
    status, so a sheet of any size takes the same few statements. Audited. Commits.
    """
    cohort, event = _event_of(session, actor, slug, event_id, for_update=True)
    if event.starts_at > now:  # a sheet saved early would count everyone present in advance
        raise CohortError(_l("Attendance opens when the event starts."))
    if any(value not in set(AttendanceStatus) for value in marks.values()):
        raise CohortError(_l("Mark each member present, late, absent or excused."))
    listed = {row.member_id: (row, mark_id) for row, mark_id in _sheet_rows(session, event)}
    if set(marks) - set(listed):
        raise CohortError(_l("Some of the people marked are not on this event's list. Reload "
                             "the page and mark again."))
    changed: dict[AttendanceStatus, list[int]] = {}
    new_marks = []
    for member_id, value in marks.items():
        row, mark_id = listed[member_id]
        status = AttendanceStatus(value)
        if mark_id is None:
            new_marks.append({"event_id": event.id, "member_id": member_id, "status": status,
                              "marked_by_id": actor.id, "marked_at": now})
        elif row.status != status:
            changed.setdefault(status, []).append(mark_id)
    if new_marks:
        session.execute(insert(Attendance), new_marks)
    for status, mark_ids in changed.items():
        session.exec(update(Attendance).where(col(Attendance.id).in_(mark_ids))
                     .values(status=status, marked_by_id=actor.id, marked_at=now))
    final = {member_id: AttendanceStatus(value) for member_id, value in marks.items()}
    record_event(session, actor_id=actor.id, action="cohort.attendance_marked",
                 subject_type="cohort", subject_id=cohort.id or 0, now=now,
                 detail={"event_id": event.id, "title": event.title, "new": len(new_marks),
                         "changed": sum(len(ids) for ids in changed.values()),
                         **{status.value: sum(value == status for value in final.values())
                            for status in AttendanceStatus}})
    session.commit()
    rows = [SheetRow(row.member_id, row.display_name, row.email,
                     final.get(member_id, row.status))
            for member_id, (row, _mark) in listed.items()]
    return AttendanceSheet(cohort, event, rows)
