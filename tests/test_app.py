"""The application shell: headers, health check, error pages, CSRF, configuration."""

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import abort

from academy import create_app
from academy.config import ConfigError, load_config
from tests.helpers import csrf_token


def test_every_response_carries_the_security_headers(client: FlaskClient) -> None:
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_for_a_signed_in_user_are_not_cached(client: FlaskClient, login_as) -> None:
    login_as("student")
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_session_cookie_is_httponly_and_samesite_lax(client: FlaskClient, login_as) -> None:
    login_as("student")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_secure_cookies_when_configured(database_url: str, tmp_path: Path) -> None:
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x", "SECURE_COOKIES": True})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]


def test_health_check_reports_a_reachable_database(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_health_check_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    app = create_app({
        "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        "SECRET_KEY": "x",
    })
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_unknown_page_gets_the_sites_404_page(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    assert "Live Academy" in response.get_data(as_text=True)


def test_post_without_csrf_token_is_refused_with_400(client: FlaskClient) -> None:
    response = client.post("/login", data={"email": "a@b.test", "password": "whatever123"})
    assert response.status_code == 400
    assert "Bad request" in response.get_data(as_text=True)


def test_unexpected_error_shows_a_reference_and_no_traceback(app: Flask) -> None:
    app.config["PROPAGATE_TEST_ERRORS"] = False

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Error reference" in body and "secret internals" not in body
    assert "Traceback" not in body


@pytest.mark.parametrize("status", [403, 422, 429])
def test_error_pages_use_the_site_layout(app: Flask, status: int) -> None:
    @app.route(f"/status-{status}")
    def fail() -> str:
        abort(status)

    response = app.test_client().get(f"/status-{status}")
    assert response.status_code == status
    assert '<main id="main"' in response.get_data(as_text=True)


def test_production_needs_an_explicit_secret_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ACADEMY_SECRET_KEY"):
        load_config({"ACADEMY_ENV": "production"}, tmp_path)


def test_development_generates_and_keeps_a_secret_key(tmp_path: Path) -> None:
    first = load_config({}, tmp_path)["SECRET_KEY"]
    assert len(first) == 64
    assert load_config({}, tmp_path)["SECRET_KEY"] == first


def test_malformed_setting_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ACADEMY_SECURE_COOKIES"):
        load_config({"ACADEMY_SECURE_COOKIES": "maybe"}, tmp_path)


def test_language_follows_the_browser_then_the_switch(client: FlaskClient) -> None:
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)
    page = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh-Hans">' in page.get_data(as_text=True)
    token = csrf_token(client, "/login")
    response = client.post("/language", data={"csrf_token": token, "locale": "zh",
                                              "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert '<html lang="zh-Hans">' in client.get("/login").get_data(as_text=True)


def test_language_switch_refuses_an_off_site_next(client: FlaskClient) -> None:
    token = csrf_token(client, "/login")
    response = client.post("/language", data={"csrf_token": token, "locale": "en",
                                              "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_an_id_too_large_for_the_database_is_404(client: FlaskClient, login_as) -> None:
    login_as("instructor")
    assert client.get("/practice/streams/99999999999999999999").status_code == 404
    assert client.get("/admin/users/2147483648").status_code in (403, 404)


def test_a_nul_character_is_refused_with_400(client: FlaskClient, login_as) -> None:
    login_as("student")
    token = csrf_token(client, "/practice/new")
    response = client.post("/practice/new", data={"csrf_token": token, "notes_md": "a\x00b"})
    assert response.status_code == 400
    assert client.get("/courses/search?q=a%00b").status_code == 400
