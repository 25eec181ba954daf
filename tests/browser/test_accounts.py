"""Signing in, and an administrator giving a partner firm's staff member an account."""

from playwright.sync_api import Page, expect

from academy.auth.models import AccountRole, User
from tests.browser.conftest import check, sign_in


def test_wrong_password_shows_the_message_by_the_form(page: Page, live_server: str,
                                                      make_user) -> None:
    user = make_user("student")
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("not-my-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("The email or password is not correct.")
    check(page)


def test_an_admin_creates_a_partner_account(page: Page, live_server: str, make_user,
                                            make_firm) -> None:
    make_firm("yiwu-lighting", "Yiwu Lighting Export")
    admin = make_user("admin", display_name="Admin Wu 吴")
    sign_in(page, live_server, admin)
    expect(page.get_by_role("heading", name="Health")).to_be_visible()
    check(page, screenshot="dashboard-admin")

    page.get_by_role("link", name="Create an account").click()
    check(page, screenshot="new-account")
    page.get_by_label("Email").fill("zhao.min@yiwu-lighting.example")
    page.get_by_label("Name", exact=True).fill("Zhao Min 赵敏")
    page.get_by_label("Account role").select_option(label="Partner firm staff")
    page.get_by_label("Partner firm").select_option(label="Yiwu Lighting Export")
    page.get_by_label("Initial password").fill("a-long-first-password")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Account zhao.min@yiwu-lighting.example created.")).to_be_visible()
    expect(page.get_by_role("heading", level=1, name="Zhao Min 赵敏")).to_be_visible()
    check(page, screenshot="account")

    page.get_by_role("link", name="All accounts").click()
    expect(page.get_by_role("link", name="Zhao Min 赵敏")).to_be_visible()
    check(page, screenshot="accounts")

    partner = User(email="zhao.min@yiwu-lighting.example", display_name="Zhao Min 赵敏",
                   account_role=AccountRole.PARTNER)
    sign_in(page, live_server, partner, password="a-long-first-password")
    heading = page.get_by_role("heading", name="Order classes of Yiwu Lighting Export")
    expect(heading).to_be_visible()
    expect(page.get_by_text("No order class yet. Propose one")).to_be_visible()
    check(page, screenshot="dashboard-partner-new")
