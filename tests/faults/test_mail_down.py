"""The mail server refuses connections: no notification is lost, and each is mailed once.

Real SMTP over TCP: first to a port where nothing listens (connection refused), then to a
small SMTP server started on that same port. The outbox keeps the message, waits out its
back-off, and hands it over exactly once when the server is back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlmodel import Session, select

from academy.auth.models import User
from academy.notify import service
from academy.notify.mail import SmtpMailer
from academy.notify.models import Notification, NotificationKind
from tests.faults.servers import free_port, smtp_server

NOW = dt.datetime(2026, 11, 22, 9, 0, tzinfo=dt.UTC)


def _outbox(session: Session) -> list[Notification]:
    session.rollback()
    return list(session.exec(select(Notification).order_by(Notification.id)
                             .execution_options(populate_existing=True)))


def test_mail_down_keeps_every_notification_and_delivers_each_once_when_it_is_back(
        session: Session, make_user: Callable[..., User]) -> None:
    users = [make_user("student"), make_user("instructor")]
    for user in users:
        service.notify(session, user.id or 0, NotificationKind.COHORT_STAGE,
                       f"Stage changed for {user.display_name}", "The class is recruiting.",
                       f"fault-test:{user.id}", NOW)
    session.commit()
    port = free_port()
    mailer = SmtpMailer(host="127.0.0.1", port=port, sender="academy@example.test",
                        starttls=False, timeout=5)

    down = service.deliver_pending(session, mailer, NOW)
    assert (down.sent, down.failed) == (0, 2)
    assert all(row.sent_at is None and row.attempts == 1 for row in _outbox(session))
    retry_at = NOW + service.retry_delay(1)
    assert {row.next_attempt_at for row in _outbox(session)} == {retry_at}

    with smtp_server(port) as received:
        early = service.deliver_pending(session, mailer, retry_at - dt.timedelta(seconds=1))
        assert (early.sent, early.failed, received) == (0, 0, [])  # still backing off

        back = service.deliver_pending(session, mailer, retry_at)
        assert (back.sent, back.failed) == (2, 0)
        again = service.deliver_pending(session, mailer, retry_at + dt.timedelta(days=1))
        assert again.sent == 0

    assert len(received) == 2
    assert sorted(user.email for user in users) == sorted(
        line.split(b": ", 1)[1].strip().decode() for message in received
        for line in message.splitlines() if line.startswith(b"To: "))
    assert all(row.sent_at == retry_at and row.attempts == 2 for row in _outbox(session))
    assert service.list_inbox(session, users[0]).total == 1
