"""An admin sends an account a fresh set-password link: it replaces older ones and is mailed."""

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from academy.audit.models import AuditEvent
from academy.auth.models import User
from academy.auth.password_links import send_new_link
from academy.db import utcnow
from academy.errors import InvalidTransition, NotAllowed
from academy.notify.models import Notification, NotificationKind
from tests.helpers import submit

NEW_PASSWORD = "a new studio password"


def link_path(link: str) -> str:
    return link[link.index("/auth/set-password/"):]


def test_an_admin_sends_a_link_that_replaces_the_old_one(
        app: Flask, client: FlaskClient, session: Session,
        login_as: Callable[..., User], make_user: Callable[..., User]) -> None:
    login_as("admin")
    student = make_user("student", display_name="Mei Lin", locale="zh")

    first = submit(client, f"/admin/users/{student.id}/password-link", {})
    second = submit(client, f"/admin/users/{student.id}/password-link", {})

    assert first.status_code == second.status_code == 200
    old_link, new_link = (response.get_data(as_text=True).split('readonly value="')[1]
                          .split('"')[0] for response in (first, second))
    assert old_link != new_link and "/auth/set-password/" in new_link
    session.rollback()
    mails = session.exec(select(Notification).where(Notification.user_id == student.id)).all()
    assert [mail.kind for mail in mails] == [NotificationKind.ACCOUNT_INVITE] * 2
    assert new_link in mails[1].body and "直播学院" in mails[1].subject + mails[1].body  # zh
    assert len(session.exec(select(AuditEvent).where(
        AuditEvent.action == "user.password_link_sent")).all()) == 2

    visitor = app.test_client()
    assert visitor.get(link_path(old_link)).status_code == 404
    done = submit(visitor, link_path(new_link), {"password": NEW_PASSWORD,
                                                 "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert visitor.get(link_path(new_link)).status_code == 404


def test_only_admins_send_links_and_only_to_active_accounts(
        session: Session, make_user: Callable[..., User]) -> None:
    instructor, student = make_user("instructor"), make_user("student")
    with pytest.raises(NotAllowed):
        send_new_link(session, instructor, student.id, utcnow(), link_for=str)
    admin = make_user("admin")
    student.is_active = False
    session.add(student)
    session.commit()
    with pytest.raises(InvalidTransition):
        send_new_link(session, admin, student.id, utcnow(), link_for=str)
    assert session.exec(select(Notification)).all() == []
