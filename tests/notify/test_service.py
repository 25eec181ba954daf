"""notify() inserts once, preferences decide delivery, mail failures back off, runs claim once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlmodel import Session, select

from academy.auth.models import User
from academy.notify import service
from academy.notify.mail import MemoryMailer
from academy.notify.models import Delivery, Notification, NotificationKind

NOW = dt.datetime(2030, 1, 7, 9, 0, tzinfo=dt.UTC)
KIND = NotificationKind.EVENT_REMINDER


def _notify(session: Session, user: User, key: str = "k1", now: dt.datetime = NOW) -> bool:
    created = service.notify(session, user.id or 0, KIND, "Subject", "Body", key, now)
    session.commit()
    return created


def _rows(session: Session, user: User) -> list[Notification]:
    session.rollback()
    session.expire_all()
    return list(session.exec(select(Notification).where(Notification.user_id == user.id)))


def test_a_duplicate_dedupe_key_is_skipped_without_error(session: Session,
                                                          make_user: Callable[..., User]) -> None:
    user = make_user("student")
    assert _notify(session, user) is True
    assert _notify(session, user) is False
    assert len(_rows(session, user)) == 1


def test_never_creates_nothing_and_digest_stays_out_of_the_mail_queue(
        session: Session, make_user: Callable[..., User]) -> None:
    user = make_user("student")
    service.set_preferences(session, user, {KIND: Delivery.NEVER,
                                            NotificationKind.COHORT_STAGE: Delivery.DIGEST})
    assert _notify(session, user) is False
    service.notify(session, user.id or 0, NotificationKind.COHORT_STAGE, "Stage", "", "s1", NOW)
    session.commit()
    [row] = _rows(session, user)
    assert row.delivery == Delivery.DIGEST and row.next_attempt_at is None
    mailer = MemoryMailer()
    assert service.deliver_pending(session, mailer, NOW).sent == 0
    assert mailer.outbox == []


def test_the_weekly_digest_cannot_be_folded_into_itself(session: Session,
                                                        make_user: Callable[..., User]) -> None:
    user = make_user("student")
    try:
        service.set_preferences(session, user, {NotificationKind.WEEKLY_DIGEST: Delivery.DIGEST})
    except service.PreferenceInvalid:
        pass
    else:
        raise AssertionError("digest of the digest was accepted")
    assert service.preferences(session, user)[NotificationKind.WEEKLY_DIGEST] == \
        Delivery.IMMEDIATELY


def test_mail_failure_is_retried_with_growing_back_off_and_the_inbox_keeps_it(
        session: Session, make_user: Callable[..., User]) -> None:
    user = make_user("student")
    _notify(session, user)
    mailer = MemoryMailer(fail_next=2)

    first = service.deliver_pending(session, mailer, NOW)
    assert (first.sent, first.failed) == (0, 1)
    [row] = _rows(session, user)
    assert row.attempts == 1 and row.sent_at is None
    assert row.next_attempt_at == NOW + dt.timedelta(minutes=5)

    assert service.deliver_pending(session, mailer, NOW + dt.timedelta(minutes=4)).failed == 0
    second = service.deliver_pending(session, mailer, NOW + dt.timedelta(minutes=5))
    assert second.failed == 1
    [row] = _rows(session, user)
    assert row.attempts == 2
    assert row.next_attempt_at == NOW + dt.timedelta(minutes=15)  # 5 min, then 10 min

    third = service.deliver_pending(session, mailer, NOW + dt.timedelta(minutes=15))
    assert third.sent == 1
    [row] = _rows(session, user)
    assert row.sent_at == NOW + dt.timedelta(minutes=15) and row.read_at is None
    assert [message.to for message in mailer.outbox] == [user.email]
    assert service.deliver_pending(session, mailer, NOW + dt.timedelta(days=1)).sent == 0
    assert service.list_inbox(session, user).total == 1


def test_mail_is_given_up_after_the_last_attempt_but_stays_in_the_inbox(
        session: Session, make_user: Callable[..., User]) -> None:
    user = make_user("student")
    _notify(session, user)
    mailer = MemoryMailer(fail_next=service.MAX_ATTEMPTS)
    moment = NOW
    for _attempt in range(service.MAX_ATTEMPTS):
        service.deliver_pending(session, mailer, moment)
        moment += service.LONGEST_RETRY
    [row] = _rows(session, user)
    assert row.attempts == service.MAX_ATTEMPTS and row.next_attempt_at is None
    assert service.deliver_pending(session, MemoryMailer(), moment + dt.timedelta(days=9)).sent == 0
    assert service.unread_count(session, user.id or 0) == 1


def test_retry_delay_doubles_up_to_a_ceiling() -> None:
    assert [service.retry_delay(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert service.retry_delay(20) == service.LONGEST_RETRY


def test_a_job_period_is_claimed_once(session: Session) -> None:
    assert service.claim_run(session, "weekly_digest", "2030-01-07T01", NOW) is True
    assert service.claim_run(session, "weekly_digest", "2030-01-07T01", NOW) is False
    assert service.claim_run(session, "weekly_digest", "2030-01-07T02", NOW) is True
