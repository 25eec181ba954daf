"""Sessions: fixation, remember-me, sign-out everywhere, and the sign-in throttle per client.

tests/auth/test_views.py already proves that sign-in drops what the session held before
(``test_login_starts_a_new_session``), that sign-out kills a copied session cookie
(``test_logout_kills_a_copied_session_cookie``), that a password change signs out other
devices (``test_password_change_signs_out_other_devices``) and the per-account throttle
(``test_sixth_failed_login_is_429_with_a_clear_message``); tests/auth/test_service.py proves
the per-IP throttle on the service. These tests add what they leave open.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from academy import create_app
from academy.auth.models import User
from academy.auth.service import MAX_FAILURES_PER_IP
from academy.db import engine_of
from tests.helpers import TEST_PASSWORD, csrf_token, submit

SIGNED_IN_PAGE = "/account/password"


def signed_in(client: FlaskClient) -> bool:
    """Whether ``client``'s cookies open a page that needs an account."""
    return client.get(SIGNED_IN_PAGE).status_code == 200


def sign_in(client: FlaskClient, user: User, remember: bool = False,
            **kwargs: object) -> TestResponse:
    data: dict[str, object] = {"email": user.email, "password": TEST_PASSWORD}
    if remember:
        data["remember"] = "y"
    return submit(client, "/login", data, **kwargs)


def cookie_header(response: TestResponse, name: str) -> str:
    """The Set-Cookie header that sets ``name``, as the browser receives it."""
    return next(value for value in response.headers.getlist("Set-Cookie")
                if value.startswith(f"{name}="))


def test_sign_in_issues_a_new_session_cookie_and_the_old_one_stays_anonymous(
        app: Flask, client: FlaskClient, make_user: Callable[..., User]) -> None:
    user = make_user("student")
    client.get("/login")  # an attacker could plant this pre-login cookie in the victim's browser
    planted = client.get_cookie("session")
    assert planted is not None
    response = sign_in(client, user)
    assert response.status_code == 302
    issued = client.get_cookie("session")
    assert issued is not None and issued.value != planted.value
    attacker = app.test_client()
    attacker.set_cookie("session", planted.value)
    assert not signed_in(attacker)
    assert signed_in(client)


def test_remember_me_cookie_is_httponly_samesite_and_restores_the_session(
        app: Flask, client: FlaskClient, make_user: Callable[..., User]) -> None:
    user = make_user("student")
    response = sign_in(client, user, remember=True)
    header = cookie_header(response, "remember_token")
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "Max-Age=1209600" in header or "Expires=" in header  # 14 days, not forever
    remembered = client.get_cookie("remember_token")
    assert remembered is not None
    browser_restarted = app.test_client()  # the session cookie is gone, the remember cookie not
    browser_restarted.set_cookie("remember_token", remembered.value)
    assert signed_in(browser_restarted)


def test_without_remember_me_no_lasting_cookie_is_set(
        client: FlaskClient, make_user: Callable[..., User]) -> None:
    response = sign_in(client, make_user("student"))
    assert not any(value.startswith("remember_token=")
                   for value in response.headers.getlist("Set-Cookie"))
    assert "Expires=" not in cookie_header(response, "session")  # ends with the browser


def test_sign_out_clears_the_remember_cookie_and_a_copied_one_dies(
        app: Flask, client: FlaskClient, make_user: Callable[..., User]) -> None:
    user = make_user("student")
    sign_in(client, user, remember=True)
    remembered = client.get_cookie("remember_token")
    assert remembered is not None
    response = submit(client, "/", {}, action="/logout")
    assert response.status_code == 302
    assert client.get_cookie("remember_token") is None
    thief = app.test_client()
    thief.set_cookie("remember_token", remembered.value)
    assert not signed_in(thief)


def test_password_change_ends_remember_cookies_on_other_devices(
        app: Flask, client: FlaskClient, make_user: Callable[..., User]) -> None:
    user = make_user("student")
    laptop = app.test_client()
    sign_in(laptop, user, remember=True)
    remembered = laptop.get_cookie("remember_token")
    assert remembered is not None
    sign_in(client, user)
    new_password = "a brand new password"
    response = submit(client, SIGNED_IN_PAGE, {"current_password": TEST_PASSWORD,
                                               "new_password": new_password,
                                               "confirm": new_password})
    assert response.status_code == 302
    laptop_restarted = app.test_client()
    laptop_restarted.set_cookie("remember_token", remembered.value)
    assert not signed_in(laptop_restarted)


def test_deactivating_an_account_ends_its_sessions(
        app: Flask, client: FlaskClient, make_user: Callable[..., User]) -> None:
    user = make_user("student")
    sign_in(client, user, remember=True)
    admin_client = app.test_client()
    sign_in(admin_client, make_user("admin"))
    page = f"/admin/users/{user.id}"
    response = submit(admin_client, page, {"active": "0"}, action=f"{page}/active")
    assert response.status_code == 302
    assert not signed_in(client)
    restarted = app.test_client()
    remembered = client.get_cookie("remember_token")
    if remembered is not None:  # the failed request above may already have cleared it
        restarted.set_cookie("remember_token", remembered.value)
    assert not signed_in(restarted)


@pytest.fixture
def production_app(database_url: str, tmp_path: Path,
                   monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app as ACADEMY_ENV=production builds it (secure cookies follow from that alone)."""
    monkeypatch.setenv("ACADEMY_ENV", "production")
    monkeypatch.setenv("ACADEMY_SECRET_KEY", "production-test-key")
    monkeypatch.setenv("ACADEMY_LOG_FORMAT", "text")
    application = create_app({"TESTING": True, "DATABASE_URL": database_url,
                              "COURSES_DIR": str(tmp_path / "courses")})
    yield application
    engine_of(application).dispose()


def test_production_marks_session_and_remember_cookies_secure(
        production_app: Flask, make_user: Callable[..., User]) -> None:
    client = production_app.test_client()
    user = make_user("student")
    site = "https://academy.example"
    page = client.get("/login", base_url=site).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    response = client.post("/login", base_url=site, headers={"Referer": f"{site}/login"},
                           data={"csrf_token": token.group(1), "email": user.email,
                                 "password": TEST_PASSWORD, "remember": "y"})
    assert response.status_code == 302
    for name in ("session", "remember_token"):
        header = cookie_header(response, name)
        assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header, header


def fail_sign_ins(client: FlaskClient, count: int, **kwargs: object) -> None:
    for number in range(count):
        response = submit(client, "/login", {"email": f"guess{number}@example.test",
                                             "password": "wrong-password"}, **kwargs)
        assert response.status_code == 422


def test_a_forged_forwarded_for_header_does_not_escape_the_ip_throttle(
        client: FlaskClient, make_user: Callable[..., User]) -> None:
    """Without a trusted proxy configured, X-Forwarded-For is the client's to invent."""
    user = make_user("student")
    for number in range(MAX_FAILURES_PER_IP):
        response = submit(client, "/login", {"email": f"guess{number}@example.test",
                                             "password": "wrong-password"},
                          headers={"X-Forwarded-For": f"198.51.100.{number}"})
        assert response.status_code == 422
    response = sign_in(client, user, headers={"X-Forwarded-For": "192.0.2.77"})
    assert response.status_code == 429


def test_behind_the_proxy_the_ip_throttle_counts_each_client_not_the_proxy(
        proxied_app: Flask, make_user: Callable[..., User]) -> None:
    """One noisy client must not lock every other client out of signing in."""
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    noisy = proxied_app.test_client()
    fail_sign_ins(noisy, MAX_FAILURES_PER_IP, environ_base=proxy,
                  headers={"X-Forwarded-For": "203.0.113.9"})
    user = make_user("student")
    refused = sign_in(noisy, user, environ_base=proxy,
                      headers={"X-Forwarded-For": "203.0.113.9"})
    assert refused.status_code == 429
    neighbour = proxied_app.test_client()
    welcomed = sign_in(neighbour, user, environ_base=proxy,
                       headers={"X-Forwarded-For": "203.0.113.10"})
    assert welcomed.status_code == 302


def test_csrf_token_of_one_session_is_refused_in_another(
        app: Flask, client: FlaskClient, make_user: Callable[..., User]) -> None:
    """Tokens are bound to the session: one read from the attacker's own page is no use."""
    victim = make_user("student")
    sign_in(client, victim)
    attacker = app.test_client()
    sign_in(attacker, make_user("student"))
    stolen = csrf_token(attacker, SIGNED_IN_PAGE)
    response = client.post("/inbox/read-all", data={"csrf_token": stolen})
    assert response.status_code == 400


def test_a_session_cookie_signed_with_another_key_is_refused(
        app: Flask, client: FlaskClient, make_user: Callable[..., User]) -> None:
    """The cookie is the whole session, so only the server's key may have signed it."""
    user = make_user("student")
    forger = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"],
                         "SECRET_KEY": "a key the attacker guessed",
                         "COURSES_DIR": app.config["COURSES_DIR"]})
    forged_client = forger.test_client()
    sign_in(forged_client, user)
    forged = forged_client.get_cookie("session")
    assert forged is not None and signed_in(forged_client)
    engine_of(forger).dispose()
    client.set_cookie("session", forged.value)
    assert not signed_in(client)
