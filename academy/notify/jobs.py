"""The scheduled jobs: cohort dates, deadline and event reminders, weekly digest, inactivity nudge.

Each is ``job(session, now) -> summary``, idempotent on its own: it acts on the state it finds
and every notification carries a dedupe key, so running it twice for one period changes
nothing. ``academy.scheduler`` adds the per-period claim in ``job_run`` on top. Texts are
written in the recipient's language when the notification is created.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from babel.dates import format_datetime
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from sqlmodel import Session, col, func, select

from academy.assessment.models import Assessment
from academy.auth.models import AccountRole, User
from academy.cohorts import service as cohorts_service
from academy.cohorts.models import (
    Cohort,
    CohortEvent,
    CohortMember,
    CohortMentor,
    CohortStatus,
    MemberStatus,
)
from academy.curriculum.models import ModuleProgress
from academy.errors import InvalidTransition
from academy.notify.models import Delivery, Notification, NotificationKind
from academy.notify.service import existing_keys, notify
from academy.practice.models import PracticeStream

#: Applications close once the deadline day has ended everywhere (the last zone is UTC−12) …
LATEST_ZONE = dt.timezone(dt.timedelta(hours=-12))
#: … and training starts once the start day has begun somewhere (the first zone is UTC+14).
EARLIEST_ZONE = dt.timezone(dt.timedelta(hours=14))
DEADLINE_REMINDER_DAYS = 3
EVENT_LEADS = (("1h", dt.timedelta(hours=1)), ("24h", dt.timedelta(hours=24)))
DIGEST_WEEKDAY = 0  # Monday
DIGEST_HOUR = 8  # local time
INACTIVE_AFTER = dt.timedelta(days=7)
NUDGE_EVERY = dt.timedelta(days=7)
# Members who attend the cohort's events.
ATTENDING = (MemberStatus.ADMITTED, MemberStatus.TRAINING)


def system_actor() -> User:
    """The scheduler acting on the college's side: never stored, audited with no actor.

    ``change_status`` checks the one transition table with this account's parties (the
    college), and ``record_event`` gets ``actor_id=None``, which the history shows as the system.
    """
    return User(id=None, email="scheduler@system.invalid", display_name="Scheduler",
                password_hash="", account_role=AccountRole.ADMIN, timezone="UTC")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@contextmanager
def _language_of(user: User) -> Iterator[None]:
    with force_locale(user.locale or "en"):
        yield


def _when(user: User, moment: dt.datetime) -> str:
    return format_datetime(moment, "medium", tzinfo=_zone(user.timezone),
                           locale=user.locale or "en")


def _users(session: Session, user_ids: Iterable[int]) -> dict[int, User]:
    ids = set(user_ids)
    if not ids:
        return {}
    return {user.id or 0: user for user in session.exec(
        select(User).where(col(User.id).in_(ids), User.is_active == sa.true()))}


def _firm_staff(session: Session, firm_ids: Iterable[int]) -> dict[int, list[User]]:
    staff: dict[int, list[User]] = defaultdict(list)
    ids = set(firm_ids)
    if ids:
        for user in session.exec(select(User).where(
                col(User.firm_id).in_(ids), User.account_role == AccountRole.PARTNER,
                User.is_active == sa.true()).order_by(col(User.id))):
            staff[user.firm_id or 0].append(user)
    return staff


def _mentors(session: Session, cohort_ids: Iterable[int]) -> dict[int, set[int]]:
    mentors: dict[int, set[int]] = defaultdict(set)
    ids = set(cohort_ids)
    if ids:
        for cohort_id, user_id in session.exec(select(CohortMentor.cohort_id, CohortMentor.user_id)
                                               .where(col(CohortMentor.cohort_id).in_(ids))):
            mentors[cohort_id].add(user_id)
    return mentors


def _undecided(session: Session, cohort_ids: Iterable[int]) -> dict[int, int]:
    ids = set(cohort_ids)
    if not ids:
        return {}
    return dict(session.exec(
        select(CohortMember.cohort_id, func.count())
        .where(col(CohortMember.cohort_id).in_(ids),
               col(CohortMember.status).in_(cohorts_service.UNDECIDED))
        .group_by(col(CohortMember.cohort_id))).all())


# Cohort dates


def _stage_texts(user: User, cohort: Cohort, target: CohortStatus) -> tuple[str, str]:
    with _language_of(user):
        if target == CohortStatus.SELECTING:
            return (_("Applications to “%(name)s” have closed", name=cohort.name),
                    _("The application deadline (%(date)s) has passed. Decide on every "
                      "applicant before training starts on %(start)s.",
                      date=cohort.apply_by.isoformat(), start=cohort.starts_on.isoformat()))
        return (_("Training has started in “%(name)s”", name=cohort.name),
                _("The order class moved to training on its start date, %(start)s.",
                  start=cohort.starts_on.isoformat()))


def _announce_stage(session: Session, cohort: Cohort, target: CohortStatus,
                    now: dt.datetime) -> None:
    """Tell the firm's staff and the mentors (and, for training, the members); caller commits."""
    recipients = {user.id or 0 for user in _firm_staff(session, [cohort.firm_id])[cohort.firm_id]}
    recipients |= _mentors(session, [cohort.id or 0])[cohort.id or 0]
    if target == CohortStatus.TRAINING:
        recipients |= set(session.exec(select(CohortMember.student_id).where(
            CohortMember.cohort_id == cohort.id, CohortMember.status == MemberStatus.ADMITTED)))
    for user in _users(session, recipients).values():
        subject, body = _stage_texts(user, cohort, target)
        notify(session, user.id or 0, NotificationKind.COHORT_STAGE, subject, body,
               f"stage:{cohort.id}:{target.value}:{user.id}", now)


def advance_cohort_dates(session: Session, now: dt.datetime) -> str:
    """Recruiting → selecting after the deadline; selecting → training on the start date.

    Both go through ``cohorts.service.change_status`` as the system actor, so the one
    transition table and its guards decide. Training waits while any applicant is undecided
    (the deadline reminders chase the firm), and a guard's refusal (nobody admitted) is
    reported, not raised. The announcement is written in the same transaction as the move.
    Commits per cohort.
    """
    actor = system_actor()
    closed_before = now.astimezone(LATEST_ZONE).date()
    started_by = now.astimezone(EARLIEST_ZONE).date()
    to_close = list(session.exec(select(Cohort).where(
        Cohort.status == CohortStatus.RECRUITING, col(Cohort.apply_by) < closed_before)))
    to_start = list(session.exec(select(Cohort).where(
        Cohort.status == CohortStatus.SELECTING, col(Cohort.starts_on) <= started_by)))
    undecided = _undecided(session, [cohort.id or 0 for cohort in to_start])
    session.commit()
    moved, waiting, refused = 0, 0, []
    for cohort, target in [*((c, CohortStatus.SELECTING) for c in to_close),
                           *((c, CohortStatus.TRAINING) for c in to_start)]:
        if target == CohortStatus.TRAINING and undecided.get(cohort.id or 0):
            waiting += 1
            continue
        try:
            _announce_stage(session, cohort, target, now)
            cohorts_service.change_status(session, actor, cohort.slug, target, now=now)
        except InvalidTransition as error:
            session.rollback()
            refused.append(f"{cohort.slug}: {error.message}")
            continue
        moved += 1
    summary = f"{moved} moved, {waiting} waiting for decisions"
    return "; ".join([summary, *refused])


# Deadline reminders


def send_deadline_reminders(session: Session, now: dt.datetime) -> str:
    """Remind the firm's staff when a deadline is at most three days away and applicants wait.

    The deadline is the application date while recruiting and the start date while selecting;
    each staff member gets at most two reminders per deadline (three days, then one day
    before). Commits.
    """
    today = now.date()
    cohorts = list(session.exec(select(Cohort).where(
        col(Cohort.status).in_((CohortStatus.RECRUITING, CohortStatus.SELECTING)))))
    undecided = _undecided(session, [cohort.id or 0 for cohort in cohorts])
    due = []
    for cohort in cohorts:
        deadline = (cohort.apply_by if cohort.status == CohortStatus.RECRUITING
                    else cohort.starts_on)
        days_left = (deadline - today).days
        if undecided.get(cohort.id or 0) and 0 <= days_left <= DEADLINE_REMINDER_DAYS:
            due.append((cohort, deadline, days_left))
    staff = _firm_staff(session, [cohort.firm_id for cohort, _d, _l in due])
    created = 0
    for cohort, deadline, days_left in due:
        bucket = "1d" if days_left <= 1 else f"{DEADLINE_REMINDER_DAYS}d"
        count = undecided[cohort.id or 0]
        for user in staff[cohort.firm_id]:
            with _language_of(user):
                subject = ngettext("%(num)d applicant to “%(name)s” awaits your decision",
                                   "%(num)d applicants to “%(name)s” await your decision",
                                   count, name=cohort.name)
                body = (_("Applications close on %(date)s.", date=deadline.isoformat())
                        if cohort.status == CohortStatus.RECRUITING else
                        _("Training starts on %(date)s once every applicant is decided.",
                          date=deadline.isoformat()))
            created += notify(session, user.id or 0, NotificationKind.DEADLINE_REMINDER,
                              subject, body, f"deadline:{cohort.id}:{cohort.status.value}:"
                              f"{deadline.isoformat()}:{bucket}:{user.id}", now)
    session.commit()
    return f"{created} reminder(s)"


# Event reminders


def send_event_reminders(session: Session, now: dt.datetime) -> str:
    """Remind members and mentors 24 hours and 1 hour before each cohort event.

    The key holds the event's start, so a rescheduled event is announced again. An event put
    on the schedule less than an hour ahead gets only the one-hour reminder. Commits.
    """
    rows = session.exec(
        select(CohortEvent, Cohort.name)
        .join(Cohort, col(Cohort.id) == col(CohortEvent.cohort_id))
        .where(col(CohortEvent.starts_at) > now,
               col(CohortEvent.starts_at) <= now + EVENT_LEADS[-1][1],
               col(Cohort.status).in_(cohorts_service.OPEN_STATUSES))
        .order_by(col(CohortEvent.starts_at))
    ).all()
    cohort_ids = {event.cohort_id for event, _name in rows}
    attendees: dict[int, set[int]] = _mentors(session, cohort_ids)
    if cohort_ids:
        for cohort_id, student_id in session.exec(
                select(CohortMember.cohort_id, CohortMember.student_id)
                .where(col(CohortMember.cohort_id).in_(cohort_ids),
                       col(CohortMember.status).in_(ATTENDING))):
            attendees[cohort_id].add(student_id)
    users = _users(session, {uid for ids in attendees.values() for uid in ids})
    created = 0
    for event, cohort_name in rows:
        lead = next(name for name, ahead in EVENT_LEADS if event.starts_at - now <= ahead)
        for user_id in sorted(attendees[event.cohort_id]):
            user = users.get(user_id)
            if user is None:
                continue
            with _language_of(user):
                subject = (_("In one hour: %(title)s", title=event.title) if lead == "1h"
                           else _("Tomorrow: %(title)s", title=event.title))
                body = _("%(title)s (%(cohort)s) starts at %(time)s and lasts %(minutes)d "
                         "minutes. Location: %(location)s",
                         title=event.title, cohort=cohort_name,
                         time=_when(user, event.starts_at), minutes=event.duration_min,
                         location=event.location or "—")
            key = f"event:{event.id}:{event.starts_at:%Y%m%dT%H%M}:{lead}:{user_id}"
            created += notify(session, user_id, NotificationKind.EVENT_REMINDER, subject, body,
                              key, now)
    session.commit()
    return f"{created} reminder(s)"


# Weekly digest


@dataclass
class _DigestFacts:
    """Numbers shared by every recipient of one role, computed once per run."""

    waiting_assessments: int | None = None
    inactive_students: int | None = None
    # firm -> (cohort id, name, applicants to decide, in training, passed) per open cohort
    firms: dict[int, list[tuple[int, str, int, int, int]]] = field(default_factory=dict)


def _week_window(user: User, now: dt.datetime) -> tuple[dt.date, dt.datetime, dt.datetime]:
    """The Monday that is today in the user's zone, and the week before it as UTC bounds."""
    zone = _zone(user.timezone)
    monday = now.astimezone(zone).date()
    end = dt.datetime.combine(monday, dt.time(), zone).astimezone(dt.UTC)
    return monday, end - dt.timedelta(days=7), end


def _inactive_students(now: dt.datetime) -> sa.Select:
    recent = select(PracticeStream.student_id).where(
        col(PracticeStream.started_at) >= now - INACTIVE_AFTER)
    return select(User.id).where(User.account_role == AccountRole.STUDENT,
                                 User.is_active == sa.true(),
                                 col(User.created_at) < now - INACTIVE_AFTER,
                                 col(User.id).not_in(recent))


def _student_lines(session: Session, user: User, start: dt.datetime, end: dt.datetime,
                   now: dt.datetime) -> list[str]:
    modules = session.exec(select(func.count()).select_from(ModuleProgress).where(
        ModuleProgress.user_id == user.id, col(ModuleProgress.completed_at) >= start,
        col(ModuleProgress.completed_at) < end)).one()
    streams, minutes = session.exec(
        select(func.count(col(PracticeStream.id)),
               func.coalesce(func.sum(PracticeStream.duration_min), 0))
        .where(PracticeStream.student_id == user.id, col(PracticeStream.started_at) >= start,
               col(PracticeStream.started_at) < end)).one()
    assessments = session.exec(
        select(func.count()).select_from(Assessment)
        .join(PracticeStream, col(PracticeStream.id) == col(Assessment.practice_stream_id))
        .where(PracticeStream.student_id == user.id, col(Assessment.created_at) >= start,
               col(Assessment.created_at) < end)).one()
    events = session.exec(
        select(CohortEvent.title, CohortEvent.starts_at)
        .join(CohortMember, col(CohortMember.cohort_id) == col(CohortEvent.cohort_id))
        .where(CohortMember.student_id == user.id, col(CohortMember.status).in_(ATTENDING),
               col(CohortEvent.starts_at) > now,
               col(CohortEvent.starts_at) <= now + dt.timedelta(days=7))
        .order_by(col(CohortEvent.starts_at)).limit(10)).all()
    if not (modules or streams or assessments or events):
        return []
    lines = [
        _("Last week: %(modules)d module(s) completed, %(streams)d practice stream(s), "
          "%(hours).1f hours live, %(assessments)d new assessment(s).",
          modules=modules, streams=streams, hours=minutes / 60, assessments=assessments),
    ]
    lines += [_("Coming up: %(title)s, %(time)s", title=title, time=_when(user, starts_at))
              for title, starts_at in events]
    return lines


def _instructor_lines(session: Session, facts: _DigestFacts, now: dt.datetime) -> list[str]:
    if facts.waiting_assessments is None:
        assessed = select(Assessment.practice_stream_id)
        facts.waiting_assessments = session.exec(
            select(func.count()).select_from(PracticeStream)
            .where(col(PracticeStream.id).not_in(assessed))).one()
        facts.inactive_students = session.exec(
            select(func.count()).select_from(_inactive_students(now).subquery())).one()
    return [_("%(count)d practice stream(s) wait in the assessment queue; %(inactive)d "
              "student(s) have not streamed for a week.",
              count=facts.waiting_assessments, inactive=facts.inactive_students or 0)]


def _partner_lines(session: Session, user: User, facts: _DigestFacts) -> list[str]:
    firm_id = user.firm_id or 0
    if firm_id not in facts.firms:
        cohorts = session.exec(select(Cohort.id, Cohort.name).where(
            Cohort.firm_id == firm_id, col(Cohort.status).in_(cohorts_service.OPEN_STATUSES))
            .order_by(col(Cohort.starts_on))).all()
        counts: dict[tuple[int, MemberStatus], int] = dict(
            ((cohort_id, status), count) for cohort_id, status, count in session.exec(
                select(CohortMember.cohort_id, CohortMember.status, func.count())
                .where(col(CohortMember.cohort_id).in_([cid for cid, _n in cohorts]))
                .group_by(col(CohortMember.cohort_id), col(CohortMember.status))))
        facts.firms[firm_id] = [
            (cohort_id or 0, name, sum(counts.get((cohort_id, s), 0)
                                  for s in cohorts_service.UNDECIDED),
             counts.get((cohort_id, MemberStatus.TRAINING), 0),
             counts.get((cohort_id, MemberStatus.PASSED), 0))
            for cohort_id, name in cohorts]
    return [_("%(name)s: %(applicants)d applicant(s) to decide, %(training)d in training, "
              "%(passed)d passed.", name=name, applicants=applicants, training=training,
              passed=passed)
            for _cid, name, applicants, training, passed in facts.firms[firm_id]]


def send_weekly_digests(session: Session, now: dt.datetime) -> str:
    """On Monday from 08:00 in each user's own zone, one digest of last week per user.

    Students: modules, streams and hours, new assessments, coming events. Instructors: the
    assessment queue and inactive students. Partners: applicants and member progress of their
    open order classes. Everyone: the notifications they chose to receive in the digest. An
    empty digest is not sent. Run hourly: the dedupe key (user and Monday) keeps it to one.
    Commits.
    """
    zones = session.exec(select(User.timezone).where(User.is_active == sa.true()).distinct())
    due_zones = [name for name in zones
                 if (local := now.astimezone(_zone(name))).weekday() == DIGEST_WEEKDAY
                 and local.hour >= DIGEST_HOUR]
    if not due_zones:
        return "0 digest(s)"
    users = list(session.exec(select(User).where(User.is_active == sa.true(),
                                                 col(User.timezone).in_(due_zones))
                              .order_by(col(User.id))))
    keys = {user.id: f"digest:{user.id}:{_week_window(user, now)[0].isoformat()}"
            for user in users}
    done = existing_keys(session, list(keys.values()))
    facts = _DigestFacts()
    created = 0
    for user in users:
        if keys[user.id] in done:
            continue
        _monday, start, end = _week_window(user, now)
        folded = session.exec(select(Notification.subject).where(
            Notification.user_id == user.id, Notification.delivery == Delivery.DIGEST,
            col(Notification.created_at) >= start, col(Notification.created_at) < end)
            .order_by(col(Notification.created_at))).all()
        with _language_of(user):
            if user.account_role == AccountRole.STUDENT:
                lines = _student_lines(session, user, start, end, now)
            elif user.account_role == AccountRole.INSTRUCTOR:
                lines = _instructor_lines(session, facts, now)
            elif user.account_role == AccountRole.PARTNER:
                lines = _partner_lines(session, user, facts)
            else:
                lines = []
            if folded:
                lines += ["", _("Also this week:"), *(f"- {subject}" for subject in folded)]
            if not lines:
                continue
            subject = _("Your week at Live Academy")
        created += notify(session, user.id or 0, NotificationKind.WEEKLY_DIGEST, subject,
                          "\n".join(lines), keys[user.id], now)
    session.commit()
    return f"{created} digest(s)"


# Inactivity nudge


def send_inactivity_nudges(session: Session, now: dt.datetime) -> str:
    """Nudge each student who has not logged a practice stream for seven days; weekly at most.

    New accounts count from their creation. Commits.
    """
    nudged = select(Notification.user_id).where(
        Notification.kind == NotificationKind.INACTIVITY_NUDGE,
        col(Notification.created_at) > now - NUDGE_EVERY)
    students = session.exec(select(User).where(
        col(User.id).in_(_inactive_students(now)),
        col(User.id).not_in(nudged)).order_by(col(User.id))).all()
    created = 0
    for user in students:
        with _language_of(user):
            subject = _("Time for a practice stream?")
            body = _("You have not logged a practice stream for a week. A short rehearsal "
                     "keeps your skills warm, and your instructor sees your progress.")
        created += notify(session, user.id or 0, NotificationKind.INACTIVITY_NUDGE, subject,
                          body, f"nudge:{user.id}:{now.date().isoformat()}", now)
    session.commit()
    return f"{created} nudge(s)"
