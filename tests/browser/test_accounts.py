"""A student registers, signs out and signs in again, in a real browser."""

from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot


def _no_horizontal_overflow(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_student_registers_signs_out_and_signs_in(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Register").click()
    page.get_by_label("Email").fill("lin.xia@example.test")
    page.get_by_label("Your name").fill("Lin Xia 林夏")
    page.get_by_label("Password", exact=True).fill("streaming-every-day")
    page.get_by_label("Repeat the password").fill("streaming-every-day")
    page.get_by_label("Time zone").select_option("Asia/Shanghai")
    screenshot(page, "register")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Hello, Lin Xia 林夏")).to_be_visible()

    if page.viewport_name == "phone":
        page.get_by_text("Menu").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_text("You are signed out.")).to_be_visible()

    page.get_by_label("Email").fill("lin.xia@example.test")
    page.get_by_label("Password").fill("streaming-every-day")
    screenshot(page, "login")
    assert _no_horizontal_overflow(page)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Hello, Lin Xia 林夏")).to_be_visible()


def test_wrong_password_shows_the_message_by_the_form(page: Page, live_server: str,
                                                      make_user) -> None:
    user = make_user("student")
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("not-my-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("The email or password is not correct.")
