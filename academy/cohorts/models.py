"""Tables of the order-class area: cohorts, members, mentors, events, placements, feeds."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from academy.db import UTCDateTime, text_enum, utcnow


class CohortStatus(StrEnum):
    """Where an order class stands; the allowed moves are ``service.TRANSITIONS``."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RECRUITING = "recruiting"
    SELECTING = "selecting"
    TRAINING = "training"
    INTERNSHIP = "internship"
    PLACEMENT = "placement"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class MemberStatus(StrEnum):
    """One student's way through a cohort: applied … admitted, then training … passed."""

    APPLIED = "applied"
    SHORTLISTED = "shortlisted"
    ADMITTED = "admitted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    TRAINING = "training"
    PASSED = "passed"
    FAILED = "failed"


class CohortKind(StrEnum):
    """Whom a cohort trains: students it recruits for a firm, or the firm's own staff.

    An internal cohort takes no applications and makes no job offers; its stages are the
    entries of ``service.TRANSITIONS`` that name its kind.
    """

    ORDER_CLASS = "order_class"
    INTERNAL = "internal"


class AttendanceStatus(StrEnum):
    """How a member attended one event; ``service.attendance`` says how each one counts."""

    PRESENT = "present"
    LATE = "late"
    ABSENT = "absent"
    EXCUSED = "excused"


class PlacementStatus(StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    HIRED = "hired"


class EventKind(StrEnum):
    CLASS = "class"
    PRACTICE = "practice"
    INTERVIEW = "interview"
    VISIT = "visit"


class Cohort(SQLModel, table=True):
    """An order class: the talent a firm asks for, its schedule and its requirements."""

    __tablename__ = "cohort"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    firm_id: int = Field(foreign_key="partner_firm.id", index=True)
    name: str = Field(max_length=200)
    track: str = Field(max_length=20)
    description_md: str = Field(default="", sa_type=sa.Text)
    description_html: str = Field(default="", sa_type=sa.Text)
    seats: int
    status: CohortStatus = Field(default=CohortStatus.DRAFT, sa_type=text_enum(CohortStatus),
                                 index=True)
    kind: CohortKind = Field(default=CohortKind.ORDER_CLASS, sa_type=text_enum(CohortKind),
                             sa_column_kwargs={"server_default": CohortKind.ORDER_CLASS.value})
    apply_by: dt.date
    starts_on: dt.date
    ends_on: dt.date
    required_modules: list[str] = Field(default_factory=list, sa_type=sa.JSON)  # module slugs
    platforms: list[str] = Field(default_factory=list, sa_type=sa.JSON)  # Platform values
    markets: list[str] = Field(default_factory=list, sa_type=sa.JSON)  # ISO 3166-1 alpha-2
    languages: list[str] = Field(default_factory=list, sa_type=sa.JSON)  # BCP 47
    hiring_commitment: str = Field(default="", sa_type=sa.Text)
    created_by_id: int = Field(foreign_key="user.id")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CohortMember(SQLModel, table=True):
    """A student's application to a cohort and, once admitted, their membership.

    One row per student and cohort: withdrawing and applying again reuse it.
    """

    __tablename__ = "cohort_member"
    __table_args__ = (
        sa.UniqueConstraint("cohort_id", "student_id"),
        sa.Index("ix_cohort_member_cohort_status", "cohort_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cohort_id: int = Field(foreign_key="cohort.id")
    student_id: int = Field(foreign_key="user.id", index=True)
    status: MemberStatus = Field(default=MemberStatus.APPLIED, sa_type=text_enum(MemberStatus))
    motivation: str = Field(default="", sa_type=sa.Text)
    # Why the firm or college decided as it did; the student sees it (e.g. a rejection).
    decision_reason: str = Field(default="", sa_type=sa.Text)
    applied_at: dt.datetime = Field(sa_type=UTCDateTime)
    decided_by_id: int | None = Field(default=None, foreign_key="user.id")
    decided_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the member took a seat; attendance lists them only for events that end after it.
    admitted_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class CohortMentor(SQLModel, table=True):
    """A firm's staff member or an instructor who mentors the cohort."""

    __tablename__ = "cohort_mentor"
    __table_args__ = (sa.UniqueConstraint("cohort_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cohort_id: int = Field(foreign_key="cohort.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)


class CohortEvent(SQLModel, table=True):
    """A class, practice session, interview or visit on the cohort's schedule (UTC)."""

    __tablename__ = "cohort_event"
    __table_args__ = (sa.Index("ix_cohort_event_cohort_starts", "cohort_id", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    cohort_id: int = Field(foreign_key="cohort.id")
    title: str = Field(max_length=200)
    kind: EventKind = Field(sa_type=text_enum(EventKind))
    starts_at: dt.datetime = Field(sa_type=UTCDateTime)
    duration_min: int
    location: str = Field(default="", max_length=200)
    created_by_id: int = Field(foreign_key="user.id")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Attendance(SQLModel, table=True):
    """Whether one member attended one event, as a mentor or the college marked it."""

    __tablename__ = "cohort_attendance"
    __table_args__ = (sa.UniqueConstraint("event_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="cohort_event.id", ondelete="CASCADE")
    member_id: int = Field(foreign_key="cohort_member.id", index=True)
    status: AttendanceStatus = Field(sa_type=text_enum(AttendanceStatus))
    marked_by_id: int = Field(foreign_key="user.id")
    marked_at: dt.datetime = Field(sa_type=UTCDateTime)


class Placement(SQLModel, table=True):
    """A job offer to a member who passed, and what became of it."""

    __tablename__ = "placement"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(foreign_key="cohort_member.id", index=True)
    position: str = Field(max_length=200)
    status: PlacementStatus = Field(default=PlacementStatus.OFFERED,
                                    sa_type=text_enum(PlacementStatus))
    offered_on: dt.date
    answered_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    starts_on: dt.date | None = None  # the first working day, once hired
    recorded_by_id: int = Field(foreign_key="user.id")
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CalendarFeed(SQLModel, table=True):
    """A user's private iCal feed: only the SHA-256 of its secret token is kept.

    The token is shown once when issued; issuing a new one or revoking ends the old URL.
    """

    __tablename__ = "calendar_feed"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", unique=True)
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    issued_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
