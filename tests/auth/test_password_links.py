"""One-time set-password links: single use, expiry, wrong tokens, superseded links, the form."""

import datetime as dt
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from academy.auth.importing import ImportRow, import_accounts, plan_import
from academy.auth.models import PasswordLink, User
from academy.auth.password_links import LINK_LIFETIME, set_password_with_link
from academy.db import utcnow
from academy.errors import NotFound
from academy.security import hash_password, verify_password
from tests.helpers import csrf_token

NEW_PASSWORD = "chosen by the person"


@pytest.fixture
def link(app: Flask, session: Session) -> Iterator[str]:
    """The path of a fresh link for a freshly imported student, issued now."""
    with app.app_context():
        plan = plan_import(
            session, [ImportRow(line=2, email="mei@example.test", display_name="Mei Lin")]
        )
        result = import_accounts(
            session, None, plan, now=utcnow(), link_for=lambda token: f"/auth/set-password/{token}"
        )
    yield result.links[0].link


def choose(
    client: FlaskClient, path: str, password: str = NEW_PASSWORD, confirm: str | None = None
):  # type: ignore[no-untyped-def]
    return client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "password": password,
            "confirm": password if confirm is None else confirm,
        },
    )


def sign_in(client: FlaskClient, password: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/login",
        data={
            "csrf_token": csrf_token(client, "/login"),
            "email": "mei@example.test",
            "password": password,
        },
    )


def test_the_link_sets_the_password_and_signs_in_once(client: FlaskClient, link: str) -> None:
    page = client.get(link)
    assert page.status_code == 200 and "mei@example.test" in page.get_data(as_text=True)
    response = choose(client, link)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Mei Lin" in client.get("/").get_data(as_text=True)
    assert client.get(link).status_code == 404  # used up
    stranger = client.application.test_client()
    assert sign_in(stranger, NEW_PASSWORD).status_code == 302


def test_the_page_of_a_link_sends_no_referrer(client: FlaskClient, link: str) -> None:
    """The page's address is the link: neither its requests nor its redirect may carry it."""
    assert client.get(link).headers["Referrer-Policy"] == "no-referrer"
    assert choose(client, link, confirm="something else").headers["Referrer-Policy"] == (
        "no-referrer"
    )
    assert choose(client, link).headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/").headers["Referrer-Policy"] == "same-origin"  # the rest of the site


def test_the_account_cannot_sign_in_before_the_link_is_used(client: FlaskClient, link: str) -> None:
    assert sign_in(client, "").status_code == 422
    assert sign_in(client, "!unset!").status_code == 422


@pytest.mark.parametrize(
    "path", ["/auth/set-password/not-a-token", "/auth/set-password/" + "x" * 43]
)
def test_a_wrong_token_is_404(client: FlaskClient, link: str, path: str) -> None:
    assert client.get(path).status_code == 404
    token = csrf_token(client, "/login")  # the session's token, valid on every form
    assert (
        client.post(
            path, data={"csrf_token": token, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        ).status_code
        == 404
    )


def test_an_expired_link_is_404(client: FlaskClient, link: str, session: Session) -> None:
    stored = session.exec(select(PasswordLink)).one()
    stored.expires_at = utcnow() - dt.timedelta(seconds=1)
    session.add(stored)
    session.commit()
    assert client.get(link).status_code == 404


def test_links_last_seven_days(session: Session, link: str) -> None:
    stored = session.exec(select(PasswordLink)).one()
    assert stored.expires_at - stored.created_at == LINK_LIFETIME == dt.timedelta(days=7)


def test_a_password_set_otherwise_voids_the_link(
    client: FlaskClient, link: str, session: Session
) -> None:
    user = session.exec(select(User).where(User.email == "mei@example.test")).one()
    user.password_hash = hash_password("set by other means")
    session.add(user)
    session.commit()
    assert client.get(link).status_code == 404


def test_a_deactivated_account_cannot_use_its_link(
    client: FlaskClient, link: str, session: Session
) -> None:
    user = session.exec(select(User).where(User.email == "mei@example.test")).one()
    user.is_active = False
    session.add(user)
    session.commit()
    assert client.get(link).status_code == 404


def test_the_password_policy_and_confirmation_apply(client: FlaskClient, link: str) -> None:
    short = choose(client, link, "short")
    assert short.status_code == 422 and "12 to 128 characters" in short.get_data(as_text=True)
    mismatch = choose(client, link, NEW_PASSWORD, confirm="something else")
    assert mismatch.status_code == 422 and "do not match" in mismatch.get_data(as_text=True)
    assert client.get(link).status_code == 200  # a refused attempt does not use the link


def test_the_form_needs_its_csrf_token(client: FlaskClient, link: str) -> None:
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 400
    assert client.get(link).status_code == 200


def test_the_service_refuses_a_second_use(app: Flask, session: Session, link: str) -> None:
    token = link.rsplit("/", 1)[1]
    user = set_password_with_link(session, token, NEW_PASSWORD, utcnow())
    assert verify_password(user.password_hash, NEW_PASSWORD)
    with app.app_context(), pytest.raises(NotFound):
        set_password_with_link(session, token, "another password!", utcnow())
