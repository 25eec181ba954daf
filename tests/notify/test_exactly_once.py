"""Two schedulers on one database over a simulated day send every notification exactly once."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

from sqlmodel import Session, func, select

from academy.auth.models import User
from academy.cohorts import service as cohorts_service
from academy.cohorts.models import Cohort, CohortStatus, MemberStatus
from academy.notify.mail import MemoryMailer
from academy.notify.models import Delivery, JobRun, JobStatus, Notification, NotificationKind
from academy.scheduler import JOBS, JobRunner
from tests.cohorts.conftest import MOTIVATION, World, draft

DAY = dt.timedelta(days=1)


def _fire_times(start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, str]]:
    """Every (time, job) APScheduler's triggers fire in [start, end), in order."""
    fires = []
    for name, job in JOBS.items():
        moment = job.trigger.get_next_fire_time(None, start)
        while moment is not None and moment < end:
            fires.append((moment, name))
            moment = job.trigger.get_next_fire_time(moment, moment + dt.timedelta(seconds=1))
    return sorted(fires)


def _arrange_the_day(session: Session, world: World, monday: dt.datetime) -> None:
    """A cohort whose deadline passes at noon, a training cohort with an event, idle students."""
    now = dt.datetime.now(dt.UTC)
    closing = cohorts_service.create_cohort(session, world.partner, draft(
        name="Closing today", apply_by=monday.date() - DAY,
        starts_on=monday.date() + 2 * DAY, mentor_ids=[world.instructor.id]), now=now)
    training = cohorts_service.create_cohort(session, world.partner, draft(
        name="In training", mentor_ids=[world.instructor.id]), now=now)
    for cohort in (closing, training):
        for status in (CohortStatus.SUBMITTED, CohortStatus.APPROVED, CohortStatus.RECRUITING):
            actor = world.partner if status == CohortStatus.SUBMITTED else world.instructor
            cohorts_service.change_status(session, actor, cohort.slug, status, now=now)
    cohorts_service.apply_to_cohort(session, world.student, closing.slug, MOTIVATION, now=now)
    member = cohorts_service.apply_to_cohort(session, world.member, training.slug, MOTIVATION,
                                             now=now)
    for decision in (MemberStatus.SHORTLISTED, MemberStatus.ADMITTED):
        cohorts_service.decide_member(session, world.partner, training.slug, member.id or 0,
                                      decision, now=now)
    for status in (CohortStatus.SELECTING, CohortStatus.TRAINING):
        cohorts_service.change_status(session, world.instructor, training.slug, status, now=now)
    starts_at = monday + dt.timedelta(hours=10)
    cohorts_service.add_event(session, world.partner, training.slug, cohorts_service.EventDraft(
        title="Buyer role-play", kind="class", duration_min=90,
        starts_local=starts_at.astimezone(ZoneInfo(world.partner.timezone)).replace(
            tzinfo=None)), now=now)


def test_two_schedulers_on_one_database_send_each_notification_once(
        session: Session, world: World, catalogue: object, monday: dt.datetime,
        make_runner: Callable[..., JobRunner]) -> None:
    _arrange_the_day(session, world, monday)
    clock = {"now": monday}
    mailers = [MemoryMailer(), MemoryMailer()]
    runners = [make_runner(lambda: clock["now"], mailer) for mailer in mailers]

    fires = _fire_times(monday, monday + DAY)
    outcomes: Counter[str] = Counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        for moment, name in fires:
            clock["now"] = moment
            both = [pool.submit(runner.run, name, moment) for runner in runners]
            outcomes.update(future.result().status for future in both)

    session.rollback()
    runs = list(session.exec(select(JobRun)))
    assert len(runs) == len(fires) == outcomes["done"] == outcomes["skipped"]
    assert {run.status for run in runs} == {JobStatus.DONE}, [r.detail for r in runs
                                                               if r.status != JobStatus.DONE]
    notifications = list(session.exec(select(Notification)))
    by_kind = Counter((n.kind, n.user_id) for n in notifications)
    partner, instructor = world.partner.id, world.instructor.id
    assert by_kind[(NotificationKind.COHORT_STAGE, partner)] == 1
    assert by_kind[(NotificationKind.COHORT_STAGE, instructor)] == 1
    assert by_kind[(NotificationKind.DEADLINE_REMINDER, partner)] == 1
    assert by_kind[(NotificationKind.EVENT_REMINDER, world.member.id)] == 2  # 24 h and 1 h
    assert by_kind[(NotificationKind.EVENT_REMINDER, instructor)] == 2
    assert by_kind[(NotificationKind.INACTIVITY_NUDGE, world.student.id)] == 1
    assert by_kind[(NotificationKind.WEEKLY_DIGEST, partner)] == 1
    assert by_kind[(NotificationKind.WEEKLY_DIGEST, instructor)] == 1
    assert max(by_kind.values()) <= 2
    assert session.exec(select(Cohort.status).where(Cohort.name == "Closing today")).one() == \
        CohortStatus.SELECTING

    sent = [(message.to, message.subject) for mailer in mailers for message in mailer.outbox]
    assert len(sent) == len(set(sent))
    immediate = session.exec(select(func.count()).select_from(Notification).where(
        Notification.delivery == Delivery.IMMEDIATELY)).one()
    assert len(sent) == immediate
    emails = {user.id: user.email for user in session.exec(select(User))}
    assert sorted(sent) == sorted((emails[n.user_id], n.subject) for n in notifications)
