"""Notifications: create once, the inbox, preferences, mail delivery with back-off; job runs.

Plain functions taking a session, the user and ``now``; public ones commit once, helpers
flush and say "caller commits". Exactly once is the database's job: a notification's
``dedupe_key`` and a job run's ``(job, period_key)`` are unique, and both are inserted with
``INSERT … ON CONFLICT DO NOTHING RETURNING id``: the losing writer gets no row back (and no
error), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select, update

from academy.auth.models import User
from academy.errors import DomainError, NotFound
from academy.notify.mail import Mailer, MailError, MailMessage
from academy.notify.models import (
    Delivery,
    JobRun,
    JobStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
)

log = logging.getLogger(__name__)

INBOX_PAGE = 50
DELIVERY_BATCH = 200
MAX_ATTEMPTS = 8
FIRST_RETRY = dt.timedelta(minutes=5)
LONGEST_RETRY = dt.timedelta(hours=12)
#: Kinds for which "in the weekly digest" is no choice (the digest itself).
NO_DIGEST_CHOICE = frozenset({NotificationKind.WEEKLY_DIGEST})
#: Kinds whose body carries a one-time secret link (an account's set-password link): the mail
#: takes it to the person, the copy kept in the inbox loses it once the mail is sent.
ONE_TIME_LINK_KINDS = frozenset({NotificationKind.ACCOUNT_INVITE})
#: Every link in such a body. Absolute, as mailed links are: the token is part of the address.
ONE_TIME_LINK = re.compile(r"https?://\S+")


class PreferenceInvalid(DomainError):
    status = 422


def _insert(session: Session, model: type[Any]) -> Any:
    """The dialect's INSERT, which offers ``on_conflict_do_nothing`` on both databases."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model))


# Creating notifications


def delivery_for(session: Session, user_id: int, kind: NotificationKind) -> Delivery:
    chosen = session.exec(select(NotificationPreference.delivery).where(
        NotificationPreference.user_id == user_id, NotificationPreference.kind == kind)).first()
    return chosen or Delivery.IMMEDIATELY


@dataclass(frozen=True)
class Message:
    """One notification to create: for whom, what it says, and its once-only key."""

    user_id: int
    subject: str
    body: str
    dedupe_key: str


def _row(message: Message, kind: NotificationKind, delivery: Delivery,
         now: dt.datetime) -> dict[str, Any]:
    """The notification as stored: "digest" keeps it out of the mail queue for the digest."""
    return {"user_id": message.user_id, "kind": kind, "delivery": delivery,
            "subject": message.subject[:300], "body": message.body,
            "dedupe_key": message.dedupe_key, "created_at": now, "read_at": None,
            "sent_at": None, "attempts": 0,
            "next_attempt_at": now if delivery == Delivery.IMMEDIATELY else None}


def notify(session: Session, user_id: int, kind: NotificationKind, subject: str, body: str,
           dedupe_key: str, now: dt.datetime) -> bool:
    """Put a notification in the user's inbox once; True when this call created it.

    A second call with the same ``dedupe_key`` (another scheduler, a rerun) does nothing, even
    when both run at the same moment. "Never" creates nothing; "digest" keeps it out of the
    mail queue for the weekly digest to fold in. The caller commits.
    """
    delivery = delivery_for(session, user_id, kind)
    if delivery == Delivery.NEVER:
        return False
    statement = _insert(session, Notification).values(
        **_row(Message(user_id, subject, body, dedupe_key), kind, delivery, now),
    ).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(Notification.id)
    return session.execute(statement).first() is not None


def notify_many(session: Session, kind: NotificationKind, messages: Sequence[Message],
                now: dt.datetime) -> int:
    """Notify many people at once (bulk work) in two statements; how many were created.

    Each person's delivery choice for ``kind`` applies as in ``notify``. The keys must be new
    (callers put ``now`` in them): a clash fails the caller's transaction instead of being
    skipped. The caller commits.
    """
    if not messages:
        return 0
    chosen = dict(session.exec(
        select(NotificationPreference.user_id, NotificationPreference.delivery).where(
            col(NotificationPreference.user_id).in_({message.user_id for message in messages}),
            NotificationPreference.kind == kind)).all())
    rows = [_row(message, kind, delivery, now) for message in messages
            if (delivery := chosen.get(message.user_id, Delivery.IMMEDIATELY)) != Delivery.NEVER]
    if rows:
        session.execute(sa.insert(Notification.__table__), rows)
    return len(rows)


def existing_keys(session: Session, keys: list[str]) -> set[str]:
    """Which of ``keys`` have been used already (to skip work; the constraint still decides)."""
    if not keys:
        return set()
    return set(session.exec(select(Notification.dedupe_key)
                            .where(col(Notification.dedupe_key).in_(keys))))


# The inbox


@dataclass(frozen=True)
class Inbox:
    notifications: list[Notification]
    unread: int
    total: int


def unread_count(session: Session, user_id: int) -> int:
    """The number in the navigation: one query."""
    return session.exec(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, col(Notification.read_at).is_(None))).one()


def list_inbox(session: Session, user: User) -> Inbox:
    """The user's newest notifications and the counts, in two queries."""
    rows = session.exec(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
        .limit(INBOX_PAGE)
    ).all()
    unread, total = session.exec(
        select(func.count(col(Notification.id)).filter(col(Notification.read_at).is_(None)),
               func.count(col(Notification.id)))
        .where(Notification.user_id == user.id)
    ).one()
    return Inbox(list(rows), unread, total)


def mark_read(session: Session, user: User, notification_id: int, *,
              now: dt.datetime) -> Notification:
    """Mark one of the user's own notifications read; another's is not found. Commits."""
    notification = session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound(_l("There is no such notification in your inbox."))
    if notification.read_at is None:
        notification.read_at = now
        session.add(notification)
        session.commit()
    return notification


def mark_all_read(session: Session, user: User, *, now: dt.datetime) -> int:
    """Mark every unread notification of the user read; returns how many. Commits."""
    result = session.exec(update(Notification).where(
        col(Notification.user_id) == user.id, col(Notification.read_at).is_(None),
    ).values(read_at=now))
    session.commit()
    return result.rowcount


# Preferences


def preferences(session: Session, user: User) -> dict[NotificationKind, Delivery]:
    """The user's delivery for every kind, defaults filled in."""
    chosen = dict(session.exec(
        select(NotificationPreference.kind, NotificationPreference.delivery)
        .where(NotificationPreference.user_id == user.id)).all())
    return {kind: chosen.get(kind, Delivery.IMMEDIATELY) for kind in NotificationKind}


def set_preferences(session: Session, user: User,
                    choices: Mapping[NotificationKind, Delivery]) -> dict[NotificationKind,
                                                                          Delivery]:
    """Store the user's choices (their own only). Commits."""
    for kind, delivery in choices.items():
        if kind in NO_DIGEST_CHOICE and delivery == Delivery.DIGEST:
            raise PreferenceInvalid(_l("The weekly digest is sent on its own or not at all."))
    current = {row.kind: row for row in session.exec(
        select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    for kind, delivery in choices.items():
        row = current.get(kind) or NotificationPreference(user_id=user.id or 0, kind=kind,
                                                          delivery=delivery)
        row.delivery = delivery
        session.add(row)
    session.commit()
    return preferences(session, user)


# Mail delivery


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential back-off: 5 min after the first failure, doubling, at most 12 h."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0
    given_up: int = 0

    def summary(self) -> str:
        return f"{self.sent} sent, {self.failed} failed, {self.given_up} given up"


def _claim_delivery(session: Session, notification_id: int, attempts: int,
                    now: dt.datetime) -> bool:
    """Take one due notification for this sender: count the attempt and set the next one.

    The conditional UPDATE succeeds for one sender only, so two overlapping delivery runs never
    mail the same notification twice. ``next_attempt_at`` is pushed out first, so a sender that
    dies mid-send leaves the message to be retried, never lost. Commits.
    """
    attempt = attempts + 1
    retry_at = None if attempt >= MAX_ATTEMPTS else now + retry_delay(attempt)
    claimed = session.exec(update(Notification).where(
        col(Notification.id) == notification_id, col(Notification.attempts) == attempts,
        col(Notification.sent_at).is_(None), col(Notification.next_attempt_at) <= now,
    ).values(attempts=attempt, next_attempt_at=retry_at)).rowcount == 1
    session.commit()
    return claimed


def without_one_time_links(body: str, locale: str) -> str:
    """``body`` with each link replaced by a note, in ``locale``, that it went out by mail.

    A set-password link lets whoever reads it take the account over until it is used or
    expires; the table of links keeps only hashes, so a sent mail's stored copy must not keep
    the link either (a database reader or a backup would otherwise hold it).
    """
    with force_locale(locale):
        note = _("[the link was sent by e-mail]")
    return ONE_TIME_LINK.sub(lambda _link: note, body)


def deliver_pending(session: Session, mailer: Mailer, now: dt.datetime) -> DeliveryReport:
    """Mail every due "immediately" notification; a failure waits for its back-off.

    Each message is claimed and committed before it is sent, and marked sent after, so no
    database transaction stays open during the SMTP conversation. The in-site notification is
    never touched by a failure. After ``MAX_ATTEMPTS`` failures mail is given up (the message
    stays in the inbox). The UPDATE that marks a one-time link's mail sent also removes the
    link from its stored body; until then the body keeps it, since it still has to be sent.
    Commits.
    """
    due = session.exec(
        select(Notification.id, Notification.kind, Notification.attempts, Notification.subject,
               Notification.body, User.email, User.locale)
        .join(User, col(User.id) == col(Notification.user_id))
        .where(col(Notification.sent_at).is_(None),
               col(Notification.next_attempt_at).is_not(None),
               col(Notification.next_attempt_at) <= now,
               Notification.delivery == Delivery.IMMEDIATELY, User.is_active == sa.true())
        .order_by(col(Notification.next_attempt_at), col(Notification.id))
        .limit(DELIVERY_BATCH)
    ).all()
    session.commit()  # end the read before the first claim takes the write lock
    sent = failed = given_up = 0
    for notification_id, kind, attempts, subject, body, email, locale in due:
        if not _claim_delivery(session, notification_id or 0, attempts, now):
            continue
        try:
            mailer.send(MailMessage(to=email, subject=subject, body=body))
        except MailError as error:
            failed += 1
            if attempts + 1 >= MAX_ATTEMPTS:
                given_up += 1
            log.warning("mail for notification %s failed (attempt %d): %s",
                        notification_id, attempts + 1, error)
            continue
        sent_values: dict[str, Any] = {"sent_at": now}
        if kind in ONE_TIME_LINK_KINDS:
            sent_values["body"] = without_one_time_links(body, locale)
        session.exec(update(Notification).where(col(Notification.id) == notification_id)
                     .values(**sent_values))
        session.commit()
        sent += 1
    return DeliveryReport(sent, failed, given_up)


# Job runs: the exactly-once claim of each scheduled run


def claim_run(session: Session, job: str, period_key: str, now: dt.datetime) -> bool:
    """Insert ``(job, period_key)``; True when this caller won and must run the job. Commits."""
    statement = _insert(session, JobRun).values(
        job=job, period_key=period_key, started_at=now, status=JobStatus.RUNNING, detail="",
    ).on_conflict_do_nothing(index_elements=["job", "period_key"]).returning(JobRun.id)
    won = session.execute(statement).first() is not None
    session.commit()
    return won


def finish_run(session: Session, job: str, period_key: str, status: JobStatus, detail: str,
               now: dt.datetime) -> None:
    """Record how a claimed run ended. Commits."""
    session.exec(update(JobRun).where(col(JobRun.job) == job,
                                      col(JobRun.period_key) == period_key)
                 .values(status=status, detail=detail[:2000], finished_at=now))
    session.commit()


def list_job_runs(session: Session, *, job: str = "", limit: int = 200) -> list[JobRun]:
    """The newest runs first (all jobs, or one)."""
    statement = select(JobRun).order_by(col(JobRun.started_at).desc(), col(JobRun.id).desc())
    if job:
        statement = statement.where(JobRun.job == job)
    return list(session.exec(statement.limit(limit)))


def last_runs(session: Session) -> dict[str, JobRun]:
    """The newest run of every job that has run, in one query."""
    newest = (select(JobRun.job, func.max(JobRun.id).label("newest"))
              .group_by(col(JobRun.job)).subquery())
    rows = session.exec(select(JobRun).join(newest, col(JobRun.id) == newest.c.newest)).all()
    return {run.job: run for run in rows}
