"""The inbox and preferences pages, their permissions and query counts; the admin's job list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlmodel import Session

from academy.auth.models import User
from academy.notify import service
from academy.notify.models import Delivery, NotificationKind
from tests.helpers import csrf_token, submit

NOW = dt.datetime(2030, 1, 7, 9, 0, tzinfo=dt.UTC)


def _give(session: Session, user: User, count: int, start: int = 0) -> None:
    for number in range(start, start + count):
        service.notify(session, user.id or 0, NotificationKind.EVENT_REMINDER,
                       f"Reminder {number}", f"Body {number}", f"view:{user.id}:{number}", NOW)
    session.commit()


def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    for url in ("/inbox", "/inbox/preferences", "/admin/jobs"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_inbox_lists_marks_read_and_counts_unread_in_the_navigation(
        client: FlaskClient, session: Session, login_as: Callable[..., User]) -> None:
    user = login_as("student")
    _give(session, user, 2)
    page = client.get("/inbox").get_data(as_text=True)
    assert "Reminder 0" in page and "Reminder 1" in page
    assert "Inbox (2 unread)" in page
    [first, _second] = service.list_inbox(session, user).notifications
    response = client.post(f"/inbox/{first.id}/read",
                           data={"csrf_token": csrf_token(client, "/inbox")})
    assert response.status_code == 302
    assert "Inbox (1 unread)" in client.get("/inbox").get_data(as_text=True)
    submit(client, "/inbox", {}, action="/inbox/read-all")
    page = client.get("/inbox").get_data(as_text=True)
    assert "unread)" not in page and "0 unread of 2" in page


def test_nobody_sees_or_marks_another_users_notification(
        client: FlaskClient, session: Session, login_as: Callable[..., User],
        make_user: Callable[..., User]) -> None:
    other = make_user("student")
    _give(session, other, 1)
    [theirs] = service.list_inbox(session, other).notifications
    login_as("student")
    assert "Reminder 0" not in client.get("/inbox").get_data(as_text=True)
    response = client.post(f"/inbox/{theirs.id}/read",
                           data={"csrf_token": csrf_token(client, "/inbox")})
    assert response.status_code == 404
    session.rollback()
    assert service.unread_count(session, other.id or 0) == 1


def test_the_inbox_issues_the_same_queries_at_two_sizes(
        client: FlaskClient, session: Session, login_as: Callable[..., User],
        count_queries: Callable[..., object]) -> None:
    user = login_as("student")
    _give(session, user, 3)
    with count_queries() as small:  # type: ignore[attr-defined]
        assert client.get("/inbox").status_code == 200
    _give(session, user, 60, start=3)
    with count_queries() as large:  # type: ignore[attr-defined]
        assert client.get("/inbox").status_code == 200
    assert small.count == large.count


def test_preferences_are_saved_and_respected(
        client: FlaskClient, session: Session, login_as: Callable[..., User]) -> None:
    user = login_as("student")
    choices = {kind.value: "immediately" for kind in NotificationKind}
    response = submit(client, "/inbox/preferences",
                      {**choices, "event_reminder": "never", "cohort_stage": "digest"})
    assert response.status_code == 302
    saved = service.preferences(session, user)
    assert saved[NotificationKind.EVENT_REMINDER] == Delivery.NEVER
    assert saved[NotificationKind.COHORT_STAGE] == Delivery.DIGEST
    _give(session, user, 1)
    assert service.list_inbox(session, user).total == 0
    refused = submit(client, "/inbox/preferences", {**choices, "weekly_digest": "digest"})
    assert refused.status_code == 422


def test_only_admins_see_the_job_runs(client: FlaskClient, session: Session,
                                      login_as: Callable[..., User]) -> None:
    service.claim_run(session, "weekly_digest", "2030-01-07T01", NOW)
    login_as("instructor")
    assert client.get("/admin/jobs").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/inbox")})
    login_as("admin")
    page = client.get("/admin/jobs").get_data(as_text=True)
    assert "weekly_digest" in page and "2030-01-07T01" in page and "running" in page
    assert "deliver_mail" in page
