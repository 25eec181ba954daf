"""An admin sends an account a fresh set-password link: it replaces older ones and is mailed."""

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from academy.audit.models import AuditEvent
from academy.auth.importing import ImportRow, import_accounts, plan_import
from academy.auth.models import User
from academy.auth.password_links import send_new_link
from academy.db import utcnow
from academy.errors import InvalidTransition, NotAllowed
from academy.notify.models import Notification, NotificationKind
from tests.helpers import submit

NEW_PASSWORD = "a new studio password"


def link_path(link: str) -> str:
    return link[link.index("/auth/set-password/"):]


def shown_link(response) -> str:  # type: ignore[no-untyped-def]
    page = response.get_data(as_text=True)
    return page.split('readonly value="')[1].split('"')[0] if 'readonly value="' in page else ""


def imported_student(app: Flask, session: Session) -> User:
    """A student created by an import: no password chosen yet."""
    with app.app_context():
        plan = plan_import(session, [ImportRow(line=2, email="mei@example.test",
                                               display_name="Mei Lin", locale="zh")])
        import_accounts(session, None, plan, now=utcnow(), link_for=str)
    return session.exec(select(User).where(User.email == "mei@example.test")).one()


def test_an_admin_sends_a_link_that_replaces_the_old_one(
        app: Flask, client: FlaskClient, session: Session,
        login_as: Callable[..., User]) -> None:
    login_as("admin")
    student = imported_student(app, session)

    first = submit(client, f"/admin/users/{student.id}/password-link", {})
    second = submit(client, f"/admin/users/{student.id}/password-link", {})

    assert first.status_code == second.status_code == 200
    old_link, new_link = shown_link(first), shown_link(second)
    assert old_link != new_link and "/auth/set-password/" in new_link
    session.rollback()
    mails = session.exec(select(Notification).where(
        Notification.user_id == student.id).order_by(Notification.id)).all()
    assert [mail.kind for mail in mails] == [NotificationKind.ACCOUNT_INVITE] * 3  # + import
    assert new_link in mails[2].body and "直播学院" in mails[2].subject + mails[2].body  # zh
    assert len(session.exec(select(AuditEvent).where(
        AuditEvent.action == "user.password_link_sent")).all()) == 2

    visitor = app.test_client()
    assert visitor.get(link_path(old_link)).status_code == 404
    done = submit(visitor, link_path(new_link), {"password": NEW_PASSWORD,
                                                 "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert visitor.get(link_path(new_link)).status_code == 404


def test_an_account_in_use_gets_its_link_by_mail_only(
        client: FlaskClient, session: Session, login_as: Callable[..., User],
        make_user: Callable[..., User]) -> None:
    """Another admin's account included: a link only the sender saw would be a takeover."""
    login_as("admin")
    for account in (make_user("student"), make_user("admin")):
        response = submit(client, f"/admin/users/{account.id}/password-link", {})
        assert response.status_code == 200
        assert shown_link(response) == ""
        assert "went to the account's own e-mail address only" in response.get_data(as_text=True)
        session.rollback()
        [mail] = session.exec(select(Notification).where(
            Notification.user_id == account.id)).all()
        assert "/auth/set-password/" in mail.body


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
