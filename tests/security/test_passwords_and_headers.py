"""Password rules at the form, and the transport headers behind a TLS-terminating proxy."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from academy.auth.models import User
from academy.auth.service import AccountError, check_password_rules
from academy.config import ConfigError, load_config
from academy.security import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from tests.helpers import submit


def register(client: FlaskClient, email: str, password: str) -> int:
    return submit(client, "/register", {
        "email": email, "display_name": "Mei", "password": password, "confirm": password,
        "timezone": "Asia/Shanghai", "locale": "en"}).status_code


@pytest.mark.parametrize(("length", "accepted"), [
    (MIN_PASSWORD_LENGTH - 1, False), (MIN_PASSWORD_LENGTH, True), (64, True),
    (MAX_PASSWORD_LENGTH, True), (MAX_PASSWORD_LENGTH + 1, False)])
def test_passwords_of_12_to_128_characters_are_accepted(app: Flask, session: Session,
                                                        length: int, accepted: bool) -> None:
    """ASVS 2.1.1 and 2.1.2; spaces and any Unicode count, nothing is truncated."""
    assert MIN_PASSWORD_LENGTH >= 12 and MAX_PASSWORD_LENGTH >= 64
    password = ("密码 pass phrase " * 20)[:length]
    status = register(app.test_client(), "mei@example.test", password)
    assert status == (302 if accepted else 422)
    session.rollback()
    assert (session.exec(select(User)).first() is not None) == accepted


def test_https_responses_carry_hsts(client: FlaskClient) -> None:
    response = client.get("/login", base_url="https://academy.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_behind_a_tls_proxy_responses_carry_hsts(proxied_app: Flask) -> None:
    """The proxy speaks plain HTTP to the app and says the client used HTTPS."""
    response = proxied_app.test_client().get(
        "/login", environ_base={"REMOTE_ADDR": "127.0.0.1"},
        headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize("raw", ["all", "-1", "6"])
def test_a_proxy_count_that_makes_no_sense_is_refused_at_start(tmp_path: Path, raw: str) -> None:
    """Trusting more hops than there are proxies would let clients choose their address."""
    with pytest.raises(ConfigError, match="ACADEMY_PROXY_COUNT"):
        load_config({"ACADEMY_PROXY_COUNT": raw}, tmp_path)


@pytest.mark.parametrize("password", ["qwerty123456", "QWERTY123456", "1qaz2wsx3edc"])
def test_passwords_from_published_breaches_are_refused(app: Flask, session: Session,
                                                       password: str) -> None:
    """ASVS 2.1.7: a common breached password is refused with a reason, whatever its case."""
    assert len(password) >= MIN_PASSWORD_LENGTH  # long enough: the breach list refuses it
    client = app.test_client()
    response = submit(client, "/register", {
        "email": "mei@example.test", "display_name": "Mei", "password": password,
        "confirm": password, "timezone": "Asia/Shanghai", "locale": "en"})
    assert response.status_code == 422
    assert "most common in published breaches" in response.get_data(as_text=True)
    session.rollback()
    assert session.exec(select(User)).first() is None


def test_the_breach_check_applies_to_every_way_of_setting_a_password() -> None:
    """Registration, password change and set-password links share one rule."""
    with pytest.raises(AccountError, match="published breaches"):
        check_password_rules("leavemealone", "new_password")
    check_password_rules("leave me alone in the studio")
