"""Tables of the notify area: notifications, delivery preferences, and claimed job runs."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from academy.db import UTCDateTime, text_enum, utcnow


class NotificationKind(StrEnum):
    """What a notification is about; each user chooses a delivery per kind."""

    COHORT_STAGE = "cohort_stage"
    DEADLINE_REMINDER = "deadline_reminder"
    EVENT_REMINDER = "event_reminder"
    WEEKLY_DIGEST = "weekly_digest"
    INACTIVITY_NUDGE = "inactivity_nudge"
    # Added to a cohort by the college or the firm (not on one's own application).
    COHORT_ENROLMENT = "cohort_enrolment"
    # The set-password link of an imported account: always mailed, so no preference offers it.
    ACCOUNT_INVITE = "account_invite"


class Delivery(StrEnum):
    """How a user wants one kind of notification: by mail now, folded into the digest, or not."""

    IMMEDIATELY = "immediately"
    DIGEST = "digest"
    NEVER = "never"


class JobStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Notification(SQLModel, table=True):
    """One message to one user: always in the inbox, mailed when its delivery is immediate.

    ``dedupe_key`` is unique, so a job that runs twice (two schedulers, a restart) cannot
    create the same message twice. Mail state: ``next_attempt_at`` is when delivery is due
    (None: never mailed, e.g. folded into the digest, or given up); ``sent_at`` when it went out.
    """

    __tablename__ = "notification"
    __table_args__ = (
        sa.Index("ix_notification_user_created", "user_id", "created_at"),
        sa.Index("ix_notification_due", "sent_at", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    kind: NotificationKind = Field(sa_type=text_enum(NotificationKind))
    delivery: Delivery = Field(default=Delivery.IMMEDIATELY, sa_type=text_enum(Delivery))
    subject: str = Field(max_length=300)
    body: str = Field(default="", sa_type=sa.Text)
    dedupe_key: str = Field(max_length=200, unique=True)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    read_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    next_attempt_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class NotificationPreference(SQLModel, table=True):
    """A user's choice for one kind; no row means the default (immediately)."""

    __tablename__ = "notification_preference"
    __table_args__ = (sa.UniqueConstraint("user_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    kind: NotificationKind = Field(sa_type=text_enum(NotificationKind))
    delivery: Delivery = Field(sa_type=text_enum(Delivery))


class JobRun(SQLModel, table=True):
    """One claimed run of a scheduled job for one period (an hour, a day, a five-minute slot).

    The unique ``(job, period_key)`` is the exactly-once guard: whoever inserts the row runs
    the job for that period; every other scheduler, restart or reloader twin skips it.
    """

    __tablename__ = "job_run"
    __table_args__ = (
        sa.UniqueConstraint("job", "period_key"),
        sa.Index("ix_job_run_started", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=60)
    period_key: str = Field(max_length=60)
    started_at: dt.datetime = Field(sa_type=UTCDateTime)
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: JobStatus = Field(default=JobStatus.RUNNING, sa_type=text_enum(JobStatus))
    detail: str = Field(default="", sa_type=sa.Text)
