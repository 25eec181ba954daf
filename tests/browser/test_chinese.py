"""A Chinese-reading student sees the main pages in Chinese, drawn with real CJK glyphs."""

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import check, open_menu, sign_in, switch_language
from tests.helpers import TEST_PASSWORD

# Acronyms the trade writes in Latin letters in Chinese too, and the brand name.
LATIN_IN_CHINESE = {"API", "GMV", "GPM", "KPI", "CSV", "PDF", "MOQ", "Live", "Academy"}
PAGES = ["/", "/courses", "/modules/host-compliance", "/modules/host-compliance/quiz",
         "/practice", "/practice/new", "/gradebook", "/certificates", "/cohorts", "/inbox"]


def _glyphs_differ(page: Page, first: str, second: str) -> bool:
    """Whether two characters draw differently: tofu boxes (no font) all look alike."""
    return page.evaluate(
        """([a, b]) => {
            const draw = (text) => {
                const canvas = document.createElement("canvas");
                canvas.width = 64; canvas.height = 64;
                const context = canvas.getContext("2d");
                context.font = "48px sans-serif";
                context.fillText(text, 4, 52);
                return canvas.toDataURL();
            };
            return draw(a) !== draw(b);
        }""", [first, second])


def test_the_language_switch_and_the_site_in_chinese(page: Page, live_server: str, make_user,
                                                     real_catalogue) -> None:
    student = make_user("student", locale="zh", display_name="王芳")
    page.goto(f"{live_server}/login")
    check(page)
    switch_language(page, "zh")  # the footer's switch, before signing in
    check(page)
    page.get_by_label("邮箱").fill(student.email)
    page.get_by_label("密码", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", level=1, name="您好，王芳")).to_be_visible()
    assert _glyphs_differ(page, "直", "播"), "Chinese renders as boxes: install fonts-noto-cjk"
    for path in PAGES:
        page.goto(f"{live_server}{path}")
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
        check(page)
        open_menu(page)
        for link in page.get_by_role("navigation", name="主导航").get_by_role("link").all():
            words = set(re.findall(r"[A-Za-z]+", link.inner_text()))
            assert words <= LATIN_IN_CHINESE, (path, link.inner_text())

    # Back to English: the account remembers it at the next sign-in.
    switch_language(page, "en")
    expect(page.get_by_role("heading", level=1, name="Inbox")).to_be_visible()
    page.context.clear_cookies()
    sign_in(page, live_server, student)
    expect(page.locator("html")).to_have_attribute("lang", "en")
