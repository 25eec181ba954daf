"""Account rules, called as the CLI and other services call them."""

import datetime as dt
import time

import pytest
from flask import Flask
from sqlmodel import Session, func, select

from academy.audit.models import AuditEvent
from academy.auth import service
from academy.auth.models import AccountRole, LoginAttempt
from academy.auth.service import AccountError, NewAccount
from academy.db import engine_of, new_session, utcnow
from academy.errors import InvalidTransition, TooManyAttempts
from academy.security import hash_password, verify_password
from tests.helpers import TEST_PASSWORD

NOW = dt.datetime(2026, 11, 22, 9, 30, tzinfo=dt.UTC)


@pytest.mark.real_password_hashing
def test_passwords_are_hashed_with_scrypt_n_2_16() -> None:
    stored = hash_password("a long enough password")
    assert stored.startswith("scrypt:65536:8:1$")
    assert verify_password(stored, "a long enough password")
    assert not verify_password(stored, "a long enough passwore")


def test_register_student_lowercases_email_and_ignores_requested_role(session: Session) -> None:
    user = service.register_student(session, NewAccount(
        email="  Mei@Example.TEST ", display_name="Mei 美", password=TEST_PASSWORD,
        account_role=AccountRole.ADMIN,
    ))
    assert user.email == "mei@example.test"
    assert user.account_role == AccountRole.STUDENT
    assert user.password_hash != TEST_PASSWORD


@pytest.mark.parametrize(("changes", "field"), [
    ({"password": "short"}, "password"),
    ({"password": "x" * 129}, "password"),
    ({"email": "not-an-email"}, "email"),
    ({"display_name": "   "}, "display_name"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"locale": "fr"}, "locale"),
])
def test_invalid_account_is_refused_and_nothing_written(session: Session, changes: dict,
                                                         field: str) -> None:
    account = {"email": "a@example.test", "display_name": "A", "password": TEST_PASSWORD}
    with pytest.raises(AccountError) as refused:
        service.register_student(session, NewAccount(**{**account, **changes}))
    assert refused.value.field == field
    session.rollback()
    assert service.list_users(session).users == []


def test_partner_staff_need_an_existing_firm(session: Session) -> None:
    account = NewAccount(email="p@example.test", display_name="P", password=TEST_PASSWORD,
                         account_role=AccountRole.PARTNER, firm_slug="no-such-firm")
    with pytest.raises(AccountError, match="no partner firm"):
        service.create_account(session, None, account, now=NOW)


def test_create_account_is_audited(session: Session, make_user) -> None:
    admin = make_user("admin")
    user = service.create_account(session, admin, NewAccount(
        email="i@example.test", display_name="I", password=TEST_PASSWORD,
        account_role=AccountRole.INSTRUCTOR), now=NOW)
    event = session.exec(select(AuditEvent).where(AuditEvent.subject_id == user.id,
                                                  AuditEvent.action == "user.created")).one()
    assert event.actor_id == admin.id and event.detail["account_role"] == "instructor"
    assert event.at == NOW


def test_authenticate_accepts_the_right_password_and_records_it(session: Session,
                                                                 make_user) -> None:
    user = make_user("student", email="s@example.test")
    signed_in = service.authenticate(session, email="S@example.test", password=TEST_PASSWORD,
                                     ip="10.0.0.1", now=NOW)
    assert signed_in.id == user.id and signed_in.last_login_at == NOW
    attempt = session.exec(select(LoginAttempt)).one()
    assert attempt.succeeded and attempt.ip == "10.0.0.1"


def test_unknown_email_and_wrong_password_get_the_same_message(session: Session,
                                                                make_user) -> None:
    make_user("student", email="known@example.test")
    messages = []
    for email in ("known@example.test", "unknown@example.test"):
        with pytest.raises(AccountError) as refused:
            service.authenticate(session, email=email, password="wrong-password",
                                 ip="10.0.0.1", now=NOW)
        messages.append(str(refused.value.message))
    assert messages[0] == messages[1]


def test_deactivated_account_cannot_sign_in(session: Session, make_user) -> None:
    admin, user = make_user("admin"), make_user("student")
    service.set_account_active(session, admin, user.id, active=False, now=NOW)
    with pytest.raises(AccountError):
        service.authenticate(session, email=user.email, password=TEST_PASSWORD, ip="1.1.1.1",
                             now=NOW)


def test_five_failures_lock_the_account_for_fifteen_minutes(session: Session, make_user) -> None:
    user = make_user("student")
    for minute in range(service.MAX_FAILURES_PER_ACCOUNT):
        with pytest.raises(AccountError):
            service.authenticate(session, email=user.email, password="wrong-password",
                                 ip=f"10.0.0.{minute}", now=NOW + dt.timedelta(minutes=minute))
    with pytest.raises(TooManyAttempts):
        service.authenticate(session, email=user.email, password=TEST_PASSWORD, ip="10.0.1.1",
                             now=NOW + dt.timedelta(minutes=5))
    later = NOW + dt.timedelta(minutes=4) + service.THROTTLE_WINDOW + dt.timedelta(seconds=1)
    assert service.authenticate(session, email=user.email, password=TEST_PASSWORD,
                                ip="10.0.1.1", now=later).id == user.id


def test_many_failures_from_one_ip_lock_that_ip(session: Session) -> None:
    for number in range(service.MAX_FAILURES_PER_IP):
        with pytest.raises(AccountError):
            service.authenticate(session, email=f"guess{number}@example.test",
                                 password="wrong-password", ip="203.0.113.9", now=NOW)
    with pytest.raises(TooManyAttempts):
        service.authenticate(session, email="other@example.test", password="x" * 10,
                             ip="203.0.113.9", now=NOW)
    with pytest.raises(AccountError):  # another IP is still heard
        service.authenticate(session, email="other@example.test", password="x" * 10,
                             ip="203.0.113.10", now=NOW)


def test_session_token_dies_when_the_version_is_bumped(session: Session, make_user) -> None:
    user = make_user("student")
    token = user.get_id()
    assert service.get_user_for_session(session, token).id == user.id
    service.end_all_sessions(session, user)
    assert service.get_user_for_session(session, token) is None
    assert service.get_user_for_session(session, "garbage") is None


def test_change_password_needs_the_current_one(session: Session, make_user) -> None:
    user = make_user("student")
    with pytest.raises(AccountError) as refused:
        service.change_password(session, user, current_password="wrong-password",
                                new_password="a new password", now=NOW)
    assert refused.value.field == "current_password"
    version = user.session_version
    service.change_password(session, user, current_password=TEST_PASSWORD,
                            new_password="a new password", now=NOW)
    assert user.session_version == version + 1
    assert service.authenticate(session, email=user.email, password="a new password",
                                ip="1.1.1.1", now=NOW).id == user.id


def test_role_change_is_audited_with_before_and_after(session: Session, make_user,
                                                      make_firm) -> None:
    admin, user = make_user("admin"), make_user("student")
    firm = make_firm("yiwu-lights")
    service.change_account_role(session, admin, user.id, account_role=AccountRole.PARTNER,
                                firm_slug="yiwu-lights", now=NOW)
    assert user.account_role == AccountRole.PARTNER and user.firm_id == firm.id
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "user.role_changed")).one()
    assert event.detail == {"before": {"account_role": "student", "firm_id": None},
                            "after": {"account_role": "partner", "firm_id": firm.id}}


def test_admin_cannot_lock_themselves_out(session: Session, make_user) -> None:
    admin = make_user("admin")
    with pytest.raises(InvalidTransition):
        service.set_account_active(session, admin, admin.id, active=False, now=NOW)
    with pytest.raises(InvalidTransition):
        service.change_account_role(session, admin, admin.id, account_role=AccountRole.STUDENT,
                                    firm_slug="", now=NOW)


def test_list_users_filters_and_paginates(session: Session, make_user) -> None:
    for _ in range(service.USERS_PER_PAGE + 2):
        make_user("student")
    make_user("instructor", display_name="Chen Jing")
    first = service.list_users(session, account_role="student")
    assert len(first.users) == service.USERS_PER_PAGE and first.has_next
    second = service.list_users(session, account_role="student", page=2)
    assert len(second.users) == 2 and not second.has_next
    assert [u.display_name for u, _ in service.list_users(session, query="chen").users] == [
        "Chen Jing"]


@pytest.mark.parametrize("slug", ["Bad Slug", "-lead", "trail-", "a--b", ""])
def test_firm_slug_must_be_url_safe(session: Session, slug: str) -> None:
    with pytest.raises(AccountError):
        service.create_firm(session, None, slug=slug, name="Firm", now=utcnow())


def test_password_check_does_not_hold_the_write_lock(app: Flask, session: Session, make_user,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Another writer commits while a sign-in's scrypt runs; on SQLite it would wait 10 s."""
    user = make_user("student", email="busy@example.test")
    real_verify = service.verify_password
    others: list[str] = []

    def verify_while_someone_writes(password_hash: str, password: str) -> bool:
        with new_session(engine_of(app)) as other:
            other.add(LoginAttempt(email="other@example.test", ip="10.9.9.9", at=NOW,
                                   succeeded=True))
            other.commit()
        others.append("wrote")
        return real_verify(password_hash, password)

    monkeypatch.setattr(service, "verify_password", verify_while_someone_writes)
    with new_session(engine_of(app)) as request_session:
        started = time.perf_counter()
        signed_in = service.authenticate(request_session, email=user.email,
                                         password=TEST_PASSWORD, ip="10.0.0.9", now=NOW)
        assert time.perf_counter() - started < 5
    assert signed_in.id == user.id and others == ["wrote"]
    assert session.exec(select(func.count()).select_from(LoginAttempt)).one() == 2
