"""Accounts through the browser's eyes: forms, redirects, sessions and the admin pages."""

import re

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from academy.auth.models import AccountRole, User
from tests.helpers import TEST_PASSWORD, csrf_token, submit

REGISTRATION = {"email": "mei@example.test", "display_name": "Mei 美", "password": TEST_PASSWORD,
                "confirm": TEST_PASSWORD, "timezone": "Asia/Shanghai", "locale": "zh"}


def _users(session: Session) -> list[User]:
    session.expire_all()
    return list(session.exec(select(User)))


def test_student_registers_and_lands_signed_in(client: FlaskClient, session: Session) -> None:
    response = submit(client, "/register", REGISTRATION)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    [user] = _users(session)
    assert (user.email, user.account_role, user.locale) == ("mei@example.test", "student", "zh")
    assert "Mei 美" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(("changes", "message"), [
    ({"password": "short", "confirm": "short"}, "12 to 128 characters"),
    ({"confirm": "something else"}, "do not match"),
    ({"email": "not-an-email"}, "email"),
    ({"timezone": "Mars/Olympus"}, "Not a valid choice"),
])
def test_bad_registration_keeps_input_writes_nothing(client: FlaskClient, session: Session,
                                                     changes: dict, message: str) -> None:
    response = submit(client, "/register", {**REGISTRATION, **changes})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in body and 'aria-invalid="true"' in body
    assert 'value="Mei 美"' in body  # what the student typed is still there
    assert _users(session) == []


def test_registering_a_taken_email_is_refused(client: FlaskClient, make_user) -> None:
    make_user("student", email="mei@example.test")
    response = submit(client, "/register", REGISTRATION)
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)


def test_login_rejects_off_site_next(client: FlaskClient, make_user) -> None:
    user = make_user("student")
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        response = submit(client, f"/login?next={target}",
                          {"email": user.email, "password": TEST_PASSWORD})
        assert response.headers["Location"] == "/"
        client.get("/")  # stay signed in; the next login replaces the session
    response = submit(client, "/login?next=/admin/users",
                      {"email": user.email, "password": TEST_PASSWORD})
    assert response.headers["Location"] == "/admin/users"


def test_wrong_password_gives_a_generic_message(client: FlaskClient, make_user) -> None:
    user = make_user("student")
    wrong = submit(client, "/login", {"email": user.email, "password": "wrong-password"})
    unknown = submit(client, "/login", {"email": "nobody@example.test", "password": "whatever1"})
    assert wrong.status_code == unknown.status_code == 422
    assert "The email or password is not correct." in wrong.get_data(as_text=True)
    assert "The email or password is not correct." in unknown.get_data(as_text=True)


def test_sixth_failed_login_is_429_with_a_clear_message(client: FlaskClient, make_user) -> None:
    user = make_user("student")
    for _ in range(5):
        submit(client, "/login", {"email": user.email, "password": "wrong-password"})
    response = submit(client, "/login", {"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 429
    assert "wait 15 minutes" in response.get_data(as_text=True)


def test_login_starts_a_new_session(client: FlaskClient, make_user) -> None:
    user = make_user("student")
    with client.session_transaction() as before:
        before["planted"] = "by an attacker"
    submit(client, "/login", {"email": user.email, "password": TEST_PASSWORD})
    with client.session_transaction() as after:
        assert "planted" not in after


def test_logout_kills_a_copied_session_cookie(client: FlaskClient, login_as) -> None:
    login_as("student")
    copied = client.get_cookie("session").value
    response = submit(client, "/", {}, action="/logout")
    assert response.headers["Location"] == "/login"
    client.set_cookie("session", copied)
    assert client.get("/account/password").status_code == 302  # back to sign-in


def test_logout_needs_post_with_csrf(client: FlaskClient, login_as) -> None:
    login_as("student")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/account/password").status_code == 200


def test_password_change_signs_out_other_devices(app, client: FlaskClient, login_as) -> None:
    user = login_as("student")
    other_device = app.test_client()
    submit(other_device, "/login", {"email": user.email, "password": TEST_PASSWORD})
    assert other_device.get("/account/password").status_code == 200
    response = submit(client, "/account/password", {
        "current_password": TEST_PASSWORD, "new_password": "a brand new password",
        "confirm": "a brand new password"})
    assert response.status_code == 302
    assert client.get("/account/password").status_code == 200  # this device stays in
    assert other_device.get("/account/password").status_code == 302


def test_wrong_current_password_is_shown_next_to_the_field(client: FlaskClient,
                                                          login_as) -> None:
    login_as("student")
    response = submit(client, "/account/password", {
        "current_password": "wrong-password", "new_password": "a brand new password",
        "confirm": "a brand new password"})
    assert response.status_code == 422
    assert 'id="current_password-error"' in response.get_data(as_text=True)


ADMIN_PAGES = ["/admin/users", "/admin/users/new", "/admin/users/{user}", "/admin/firms"]
ADMIN_POSTS = ["/admin/users/new", "/admin/users/{user}/role", "/admin/users/{user}/active",
               "/admin/firms"]


@pytest.mark.parametrize("url", ADMIN_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient, make_user, url) -> None:
    target = make_user("student")
    response = client.get(url.format(user=target.id))
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("account_role", ["student", "instructor", "partner"])
@pytest.mark.parametrize("url", ADMIN_PAGES + ADMIN_POSTS)
def test_only_admins_open_admin_routes(client: FlaskClient, login_as, make_user,
                                       account_role: str, url: str) -> None:
    target = make_user("student")
    login_as(account_role)
    token = csrf_token(client, "/account/password")
    response = client.post(url.format(user=target.id), data={"csrf_token": token}) \
        if url in ADMIN_POSTS and url not in ADMIN_PAGES else client.get(url.format(user=target.id))
    assert response.status_code == 403


def test_admin_creates_a_partner_account(client: FlaskClient, login_as, make_firm,
                                         session: Session) -> None:
    login_as("admin")
    make_firm("yiwu-lights", "Yiwu Lights")
    response = submit(client, "/admin/users/new", {
        "email": "buyer.relations@yiwu.test", "display_name": "Zhou", "account_role": "partner",
        "firm_slug": "yiwu-lights", "password": TEST_PASSWORD, "timezone": "Asia/Shanghai",
        "locale": "zh"})
    assert response.status_code == 302
    created = session.exec(select(User).where(User.email == "buyer.relations@yiwu.test")).one()
    assert created.account_role == AccountRole.PARTNER
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Account created" in page  # the history shows the audit event


def test_partner_account_without_firm_is_refused_next_to_the_field(client: FlaskClient,
                                                                   login_as) -> None:
    login_as("admin")
    response = submit(client, "/admin/users/new", {
        "email": "p@example.test", "display_name": "P", "account_role": "partner",
        "firm_slug": "", "password": TEST_PASSWORD, "timezone": "UTC", "locale": "en"})
    assert response.status_code == 422
    assert 'id="firm_slug-error"' in response.get_data(as_text=True)


def test_admin_changes_role_and_deactivates(client: FlaskClient, login_as, make_user,
                                            session: Session) -> None:
    login_as("admin")
    target = make_user("student")
    page = f"/admin/users/{target.id}"
    response = submit(client, page, {"account_role": "instructor", "firm_slug": ""},
                      action=f"{page}/role")
    assert response.status_code == 302
    response = submit(client, page, {"active": "0"}, action=f"{page}/active")
    assert response.status_code == 302
    session.expire_all()
    changed = session.get(User, target.id)
    assert changed.account_role == AccountRole.INSTRUCTOR and not changed.is_active
    history = client.get(page).get_data(as_text=True)
    assert "Account role changed" in history and "Account deactivated" in history


def test_admin_user_page_of_unknown_account_is_404(client: FlaskClient, login_as) -> None:
    login_as("admin")
    assert client.get("/admin/users/999999").status_code == 404


def test_admin_adds_a_firm_and_bad_slug_is_422(client: FlaskClient, login_as) -> None:
    login_as("admin")
    bad = submit(client, "/admin/firms", {"slug": "Bad Slug", "name": "X"})
    assert bad.status_code == 422 and "hyphens" in bad.get_data(as_text=True)
    good = submit(client, "/admin/firms", {"slug": "ningbo-tools", "name": "Ningbo Tools 宁波工具"})
    assert good.status_code == 302
    assert "Ningbo Tools 宁波工具" in client.get("/admin/firms").get_data(as_text=True)


def test_account_list_issues_the_same_queries_at_any_size(client: FlaskClient, login_as,
                                                          make_user, make_firm,
                                                          count_queries) -> None:
    login_as("admin")
    make_user("partner")
    with count_queries() as small:
        assert client.get("/admin/users").status_code == 200
    firm = make_firm()
    for number in range(60):
        make_user("partner" if number % 2 else "student", firm=firm if number % 2 else None)
    with count_queries() as large:
        assert client.get("/admin/users").status_code == 200
    assert small.count == large.count <= 3


def test_account_list_pages_keep_the_filter(client: FlaskClient, login_as, make_user) -> None:
    login_as("admin")
    for _ in range(52):
        make_user("student")
    first = client.get("/admin/users?role=student").get_data(as_text=True)
    next_link = re.search(r'href="([^"]*)" rel="next"', first).group(1)
    assert "page=2" in next_link and "role=student" in next_link
    second = client.get("/admin/users?role=student&page=2").get_data(as_text=True)
    assert 'rel="prev"' in second and 'rel="next"' not in second
