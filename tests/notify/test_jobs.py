"""Each job's effect on a frozen clock, and that running it again changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from flask import Flask
from sqlmodel import Session, select

from academy.audit.models import AuditEvent
from academy.auth.models import User
from academy.cohorts import service as cohorts_service
from academy.cohorts.models import Cohort, CohortStatus, MemberStatus
from academy.notify import jobs
from academy.notify import service as notify_service
from academy.notify.models import Delivery, Notification, NotificationKind
from tests.cohorts.conftest import MOTIVATION, World, admit, draft
from tests.practice.factories import add_stream


def _notifications(session: Session, kind: NotificationKind | None = None) -> list[Notification]:
    session.rollback()
    session.expire_all()
    statement = select(Notification).order_by(Notification.id)
    if kind is not None:
        statement = statement.where(Notification.kind == kind)
    return list(session.exec(statement))


def _recipients(session: Session, kind: NotificationKind) -> list[int]:
    return sorted(n.user_id for n in _notifications(session, kind))


def _cohort(session: Session, world: World, *, apply_by: dt.date, starts_on: dt.date,
            mentors: tuple[User, ...] = ()) -> Cohort:
    cohort = cohorts_service.create_cohort(
        session, world.partner,
        draft(apply_by=apply_by, starts_on=starts_on, mentor_ids=[m.id for m in mentors]),
        now=dt.datetime.now(dt.UTC))
    for status in (CohortStatus.SUBMITTED, CohortStatus.APPROVED, CohortStatus.RECRUITING):
        actor = world.partner if status == CohortStatus.SUBMITTED else world.instructor
        cohort = cohorts_service.change_status(session, actor, cohort.slug, status,
                                               now=dt.datetime.now(dt.UTC))
    return cohort


def _status(session: Session, cohort: Cohort) -> CohortStatus:
    session.rollback()
    return session.exec(select(Cohort.status).where(Cohort.id == cohort.id)).one()


def test_applications_close_once_the_deadline_has_passed_everywhere(
        app: Flask, session: Session, world: World, catalogue: object) -> None:
    apply_by = dt.date.today() + dt.timedelta(days=20)
    cohort = _cohort(session, world, apply_by=apply_by,
                     starts_on=apply_by + dt.timedelta(days=10), mentors=(world.instructor,))
    late_evening = dt.datetime.combine(apply_by, dt.time(23), dt.UTC)  # still the 20th in UTC−12
    with app.app_context():
        jobs.advance_cohort_dates(session, late_evening)
        assert _status(session, cohort) == CohortStatus.RECRUITING
        summary = jobs.advance_cohort_dates(session, late_evening + dt.timedelta(hours=13))
    assert summary.startswith("1 moved")
    assert _status(session, cohort) == CohortStatus.SELECTING
    assert _recipients(session, NotificationKind.COHORT_STAGE) == sorted(
        [world.partner.id, world.instructor.id])
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "cohort.status_changed")
                         .order_by(AuditEvent.id.desc())).first()  # type: ignore[union-attr]
    assert event is not None and event.actor_id is None  # the system acted
    with app.app_context():
        jobs.advance_cohort_dates(session, late_evening + dt.timedelta(hours=14))
    assert len(_notifications(session, NotificationKind.COHORT_STAGE)) == 2


def test_training_starts_on_the_start_date_only_when_every_applicant_is_decided(
        app: Flask, session: Session, world: World, catalogue: object,
        make_user: Callable[..., User]) -> None:
    apply_by = dt.date.today() + dt.timedelta(days=20)
    starts_on = apply_by + dt.timedelta(days=10)
    cohort = _cohort(session, world, apply_by=apply_by, starts_on=starts_on)
    admit(session, world, cohort, world.member)
    waiting = cohorts_service.apply_to_cohort(session, make_user("student"), cohort.slug,
                                              MOTIVATION, now=dt.datetime.now(dt.UTC))
    cohort = cohorts_service.change_status(session, world.instructor, cohort.slug,
                                           CohortStatus.SELECTING, now=dt.datetime.now(dt.UTC))
    on_start = dt.datetime.combine(starts_on, dt.time(1), dt.UTC)
    with app.app_context():
        assert "1 waiting" in jobs.advance_cohort_dates(session, on_start)
    assert _status(session, cohort) == CohortStatus.SELECTING
    cohorts_service.decide_member(session, world.partner, cohort.slug, waiting.id or 0,
                                  MemberStatus.REJECTED, reason="Not this time.",
                                  now=dt.datetime.now(dt.UTC))
    with app.app_context():
        jobs.advance_cohort_dates(session, on_start - dt.timedelta(hours=16))  # not yet anywhere
        assert _status(session, cohort) == CohortStatus.SELECTING
        jobs.advance_cohort_dates(session, on_start)
    assert _status(session, cohort) == CohortStatus.TRAINING
    assert world.member.id in _recipients(session, NotificationKind.COHORT_STAGE)


def test_deadline_reminders_reach_the_firm_three_days_and_one_day_before(
        app: Flask, session: Session, world: World, catalogue: object,
        make_user: Callable[..., User]) -> None:
    apply_by = dt.date.today() + dt.timedelta(days=20)
    cohort = _cohort(session, world, apply_by=apply_by, starts_on=apply_by + dt.timedelta(days=5))
    cohorts_service.apply_to_cohort(session, world.member, cohort.slug, MOTIVATION,
                                    now=dt.datetime.now(dt.UTC))
    day = dt.datetime.combine(apply_by, dt.time(3), dt.UTC)
    with app.app_context():
        jobs.send_deadline_reminders(session, day - dt.timedelta(days=4))
        assert _recipients(session, NotificationKind.DEADLINE_REMINDER) == []
        for days_before in (3, 2, 2, 1, 0):
            jobs.send_deadline_reminders(session, day - dt.timedelta(days=days_before))
    reminders = _notifications(session, NotificationKind.DEADLINE_REMINDER)
    assert [n.user_id for n in reminders] == [world.partner.id, world.partner.id]
    assert "1 applicant" in reminders[0].subject


def test_event_reminders_go_to_members_and_mentors_a_day_and_an_hour_before(
        app: Flask, session: Session, world: World, make_cohort: Callable[..., Cohort]) -> None:
    cohort = make_cohort(CohortStatus.TRAINING, mentor_ids=[world.instructor.id])
    starts_at = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(second=0, microsecond=0)
    local = starts_at.astimezone(ZoneInfo(world.partner.timezone)).replace(tzinfo=None)
    cohorts_service.add_event(session, world.partner, cohort.slug, cohorts_service.EventDraft(
        title="Mock buyer call", kind="class", starts_local=local, duration_min=60),
        now=dt.datetime.now(dt.UTC))
    with app.app_context():
        jobs.send_event_reminders(session, starts_at - dt.timedelta(hours=25))
        assert _notifications(session, NotificationKind.EVENT_REMINDER) == []
        for before in (dt.timedelta(hours=23), dt.timedelta(hours=20),
                       dt.timedelta(minutes=50), dt.timedelta(minutes=5)):
            jobs.send_event_reminders(session, starts_at - before)
    reminders = _notifications(session, NotificationKind.EVENT_REMINDER)
    assert sorted(n.user_id for n in reminders) == sorted(
        [world.member.id, world.instructor.id] * 2)
    assert {n.subject for n in reminders} == {"Tomorrow: Mock buyer call",
                                              "In one hour: Mock buyer call"}


def test_the_weekly_digest_arrives_once_on_monday_morning_in_the_users_zone(
        app: Flask, session: Session, make_user: Callable[..., User], monday: dt.datetime) -> None:
    student = make_user("student")  # Asia/Shanghai: 08:00 there is 00:00 UTC
    instructor = make_user("instructor")
    idle = make_user("student")
    add_stream(session, student, monday - dt.timedelta(days=3))
    session.commit()
    notify_service.set_preferences(session, student,
                                   {NotificationKind.EVENT_REMINDER: Delivery.DIGEST})
    notify_service.notify(session, student.id or 0, NotificationKind.EVENT_REMINDER,
                          "Folded reminder", "", "folded-1", monday - dt.timedelta(days=1))
    session.commit()
    with app.app_context():
        jobs.send_weekly_digests(session, monday - dt.timedelta(hours=1))  # Sunday in Shanghai
        assert _notifications(session, NotificationKind.WEEKLY_DIGEST) == []
        for hour in (0, 1, 5):
            jobs.send_weekly_digests(session, monday + dt.timedelta(hours=hour))
    digests = {n.user_id: n for n in _notifications(session, NotificationKind.WEEKLY_DIGEST)}
    assert set(digests) == {student.id, instructor.id}  # the idle student's would be empty
    assert idle.id not in digests
    assert "1 practice stream(s), 1.0 hours live" in digests[student.id].body
    assert "Folded reminder" in digests[student.id].body
    assert "wait in the assessment queue" in digests[instructor.id].body


def test_inactive_students_are_nudged_at_most_once_a_week(
        app: Flask, session: Session, make_user: Callable[..., User], monday: dt.datetime) -> None:
    idle, active = make_user("student"), make_user("student")
    make_user("instructor")
    add_stream(session, active, monday - dt.timedelta(days=2))
    session.commit()
    with app.app_context():
        for day in range(8):
            jobs.send_inactivity_nudges(session, monday + dt.timedelta(days=day))
    nudges = _notifications(session, NotificationKind.INACTIVITY_NUDGE)
    assert [n.user_id for n in nudges] == [idle.id, active.id, idle.id]
    assert [n.created_at.date() for n in nudges] == [
        monday.date(), (monday + dt.timedelta(days=6)).date(),
        (monday + dt.timedelta(days=7)).date()]


def test_a_rerun_after_a_lost_claim_sends_nothing_twice(
        app: Flask, session: Session, make_user: Callable[..., User], monday: dt.datetime,
        make_runner: Callable[..., object]) -> None:
    """A restart mid-run claims the next period; the dedupe keys still hold."""
    make_user("student")
    runner = make_runner(lambda: monday)
    assert runner.run("inactivity_nudge", monday).status == "done"  # type: ignore[attr-defined]
    assert runner.run("inactivity_nudge", monday).status == "skipped"  # type: ignore[attr-defined]
    runner.run("inactivity_nudge", monday, period_key="after a restart")  # type: ignore[attr-defined]
    assert len(_notifications(session, NotificationKind.INACTIVITY_NUDGE)) == 1
