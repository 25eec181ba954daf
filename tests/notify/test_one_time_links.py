"""A set-password link goes out by mail, and the inbox copy of a sent mail no longer holds it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import Flask
from sqlmodel import Session, select

from academy.auth.importing import ImportRow, import_accounts, plan_import
from academy.auth.models import User
from academy.auth.password_links import send_new_link
from academy.notify import service
from academy.notify.mail import MemoryMailer
from academy.notify.models import Notification, NotificationKind

NOW = dt.datetime(2030, 1, 7, 9, 0, tzinfo=dt.UTC)
NOTE = "[the link was sent by e-mail]"


def set_password_url(token: str) -> str:
    return f"https://academy.example/auth/set-password/{token}"


def _import_mei(app: Flask, session: Session) -> str:
    """Import one account, as an admin's file does; returns its mailed set-password link."""
    with app.app_context():
        plan = plan_import(
            session, [ImportRow(line=2, email="mei@example.test", display_name="Mei Lin")]
        )
        result = import_accounts(session, None, plan, now=NOW, link_for=set_password_url)
    return result.links[0].link


def _stored_body(session: Session) -> str:
    session.rollback()
    session.expire_all()
    return session.exec(select(Notification.body)).one()


def test_a_sent_invitation_keeps_the_mail_but_not_the_link(app: Flask, session: Session) -> None:
    link = _import_mei(app, session)
    token = link.rsplit("/", 1)[1]
    assert link in _stored_body(session)  # queued: the mail still has to carry it
    mailer = MemoryMailer()

    assert service.deliver_pending(session, mailer, NOW).sent == 1

    [mail] = mailer.outbox
    assert mail.to == "mei@example.test" and link in mail.body
    body = _stored_body(session)
    assert token not in body and "set-password" not in body
    assert NOTE in body and body.startswith("Hello Mei Lin,")
    assert body == mail.body.replace(link, NOTE)


def test_an_invitation_whose_mail_failed_keeps_its_link_until_it_is_sent(
    app: Flask, session: Session
) -> None:
    link = _import_mei(app, session)
    mailer = MemoryMailer(fail_next=1)

    assert service.deliver_pending(session, mailer, NOW).failed == 1
    assert link in _stored_body(session)
    assert mailer.outbox == []

    retry = NOW + service.retry_delay(1)
    assert service.deliver_pending(session, mailer, retry).sent == 1
    assert link in mailer.outbox[0].body
    assert link not in _stored_body(session)


def test_a_link_sent_again_by_an_admin_is_not_kept_either(
    app: Flask, session: Session, make_user: Callable[..., User]
) -> None:
    admin, student = make_user("admin"), make_user("student")
    links: list[str] = []

    def link_for(token: str) -> str:
        links.append(set_password_url(token))
        return links[-1]

    with app.app_context():
        send_new_link(session, admin, student.id or 0, NOW, link_for=link_for)
    [link] = links
    mailer = MemoryMailer()

    assert service.deliver_pending(session, mailer, NOW).sent == 1

    assert link in mailer.outbox[0].body
    body = _stored_body(session)
    assert link not in body and NOTE in body


def test_other_notifications_keep_their_links_when_sent(
    session: Session, make_user: Callable[..., User]
) -> None:
    user = make_user("student")
    body = "Your class moved: https://academy.example/cohorts/spring-hosts"
    service.notify(
        session, user.id or 0, NotificationKind.EVENT_REMINDER, "Moved", body, "moved-1", NOW
    )
    session.commit()

    assert service.deliver_pending(session, MemoryMailer(), NOW).sent == 1
    assert _stored_body(session) == body
