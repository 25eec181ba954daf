"""Personal access tokens: the account page, bearer authentication, scopes, the rate limit."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from academy.api import service
from academy.api.models import ApiToken
from academy.audit.models import AuditEvent
from academy.auth import service as auth_service
from academy.auth.models import User
from academy.db import engine_of, new_session, utcnow
from tests.api.conftest import bearer
from tests.helpers import csrf_token, submit

_SECRET = re.compile(r'id="new-token" type="text" readonly value="(la_[A-Za-z0-9_-]+)"')


def _tokens(session: Session) -> list[ApiToken]:
    session.rollback()  # see what the app committed since
    session.expire_all()
    return list(session.exec(select(ApiToken).order_by(ApiToken.id)))


def test_token_is_shown_once_and_stored_only_as_its_hash(client: FlaskClient, login_as,
                                                         session: Session) -> None:
    login_as("partner")
    response = submit(client, "/account/tokens", {"name": "HR system", "scope": "read"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "shown only once" in page
    secret = _SECRET.search(page).group(1)
    [token] = _tokens(session)
    assert token.name == "HR system" and token.scopes == "read"
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(token.model_dump())
    later = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in later and "HR system" in later and "Never" in later
    assert client.get("/api/v1/cohorts", headers=bearer(secret)).status_code == 200


def test_last_use_is_recorded_and_shown(client: FlaskClient, login_as, token_for,
                                        session: Session) -> None:
    user = login_as("student")
    secret = token_for(user)
    client.get("/api/v1/modules", headers=bearer(secret))
    [token] = _tokens(session)
    assert token.last_used_at is not None
    assert utcnow() - token.last_used_at < dt.timedelta(minutes=1)
    assert "Never" not in client.get("/account/tokens").get_data(as_text=True)


def test_an_unused_token_reads_never_used_in_chinese(client: FlaskClient, login_as,
                                                     token_for) -> None:
    """"Never" has three meanings (never used, never run, never send); each has its Chinese."""
    token_for(login_as("student", locale="zh"))
    assert "从未使用" in client.get("/account/tokens").get_data(as_text=True)


@pytest.mark.parametrize(("form", "field"), [
    ({"name": "", "scope": "write"}, "name"),
    ({"name": "x" * 101, "scope": "write"}, "name"),
    ({"name": "Logger", "scope": "admin"}, "scope"),
])
def test_a_bad_token_form_is_422_and_creates_nothing(client: FlaskClient, login_as,
                                                     session: Session, form: dict[str, str],
                                                     field: str) -> None:
    login_as("student")
    response = submit(client, "/account/tokens", form)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert _tokens(session) == []


def test_the_token_form_needs_its_csrf_token(client: FlaskClient, login_as,
                                             session: Session) -> None:
    login_as("student")
    response = client.post("/account/tokens", data={"name": "Logger", "scope": "write"})
    assert response.status_code in (400, 422)
    assert _tokens(session) == []


def test_the_token_page_needs_a_signed_in_user(client: FlaskClient) -> None:
    response = client.get("/account/tokens")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_revoked_token_gets_401(client: FlaskClient, login_as, token_for,
                                  session: Session) -> None:
    user = login_as("student")
    secret = token_for(user)
    [token] = _tokens(session)
    response = submit(client, "/account/tokens", {},
                      action=f"/account/tokens/{token.id}/revoke")
    assert response.status_code == 302
    assert _tokens(session)[0].revoked_at is not None
    response = client.get("/api/v1/modules", headers=bearer(secret))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'
    assert response.mimetype == "application/problem+json"
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "Revoked" in page and f"/account/tokens/{token.id}/revoke" not in page
    actions = [event.action for event in session.exec(select(AuditEvent))]
    assert "api_token.created" in actions and "api_token.revoked" in actions


def test_nobody_revokes_another_users_token(client: FlaskClient, login_as, make_user,
                                            token_for, session: Session) -> None:
    owner = make_user("student")
    secret = token_for(owner)
    [token] = _tokens(session)
    login_as("student")
    token_form = csrf_token(client, "/account/tokens")
    response = client.post(f"/account/tokens/{token.id}/revoke",
                           data={"csrf_token": token_form})
    assert response.status_code == 404
    assert _tokens(session)[0].revoked_at is None
    assert client.get("/api/v1/modules", headers=bearer(secret)).status_code == 200


@pytest.mark.parametrize("header", [
    None, "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer la_not-a-real-token",
    "Bearer not-even-our-prefix", "Bearer la_" + "x" * 5000,
])
def test_missing_or_unknown_tokens_get_401(client: FlaskClient, header: str | None) -> None:
    response = client.get("/api/v1/me/progress",
                          headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="api"')
    problem = response.get_json()
    assert problem["status"] == 401 and problem["title"] == "Unauthorized"
    assert "Bearer" in problem["detail"]


def test_a_signed_in_browser_session_is_not_an_api_credential(client: FlaskClient,
                                                              login_as) -> None:
    login_as("student")
    assert client.get("/api/v1/me/progress").status_code == 401
    response = client.post("/api/v1/me/streams", json={"duration_min": 60})
    assert response.status_code == 401


def test_a_deactivated_accounts_tokens_stop_working(client: FlaskClient, make_user, token_for,
                                                    session: Session) -> None:
    admin, student = make_user("admin"), make_user("student")
    secret = token_for(student)
    assert client.get("/api/v1/modules", headers=bearer(secret)).status_code == 200
    auth_service.set_account_active(session, admin, student.id, active=False, now=utcnow())
    assert client.get("/api/v1/modules", headers=bearer(secret)).status_code == 401


def test_a_read_token_may_not_write(client: FlaskClient, make_user, token_for) -> None:
    secret = token_for(make_user("student"), "read")
    response = client.post("/api/v1/me/streams", headers=bearer(secret), json={})
    assert response.status_code == 403
    assert "only read" in response.get_json()["detail"]
    assert client.get("/api/v1/me/streams", headers=bearer(secret)).status_code == 200


def test_the_rate_limit_answers_429_with_retry_after(client: FlaskClient, make_user,
                                                     token_for) -> None:
    secret = token_for(make_user("student"))
    remaining = []
    for _ in range(service.RATE_LIMIT):
        response = client.get("/api/v1/cohorts", headers=bearer(secret))
        assert response.status_code == 200
        remaining.append(int(response.headers["RateLimit-Remaining"]))
    assert remaining == list(range(service.RATE_LIMIT - 1, -1, -1))
    response = client.get("/api/v1/cohorts", headers=bearer(secret))
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.get_json()["status"] == 429


def test_the_window_starts_again_after_a_minute(session: Session, make_user,
                                                token_for) -> None:
    secret = token_for(make_user("student"))
    start = utcnow()
    for _ in range(service.RATE_LIMIT):
        service.authenticate(session, secret, now=start)
    with pytest.raises(service.RateLimited) as refused:
        service.authenticate(session, secret, now=start + dt.timedelta(seconds=45))
    assert refused.value.retry_after == 15
    caller = service.authenticate(session, secret, now=start + dt.timedelta(seconds=61))
    assert caller.remaining == service.RATE_LIMIT - 1


def test_concurrent_requests_are_each_counted_once(app: Flask, make_user,
                                                   token_for: Callable[..., str],
                                                   session: Session) -> None:
    """Do workers racing on one token lose counts? The UPDATE must be atomic."""
    secret = token_for(make_user("student"))
    now, failures = utcnow(), []

    def use_token() -> None:
        try:
            for _ in range(10):
                with new_session(engine_of(app)) as worker_session:
                    service.authenticate(worker_session, secret, now=now)
        except Exception as error:
            failures.append(error)

    workers = [threading.Thread(target=use_token) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert failures == []
    assert _tokens(session)[0].window_count == 80


def test_at_most_twenty_active_tokens(session: Session, make_user: Callable[..., User]) -> None:
    user = make_user("instructor")
    for number in range(service.MAX_ACTIVE_TOKENS):
        service.issue_token(session, user, name=f"t{number}", scope="read", now=utcnow())
    with pytest.raises(service.TokenInvalid):
        service.issue_token(session, user, name="one more", scope="read", now=utcnow())
