"""The practice log form and a quiz, completed with the keyboard alone, focus always visible.

Only ``page.keyboard`` acts here; the test reads which element has focus to know where it is,
as a sighted keyboard user would see it.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from academy.curriculum.content import read_catalogue
from tests.browser.conftest import check, sign_in
from tests.browser.test_student import COURSES, FIRST_MODULE

MAX_TABS = 80
FOCUSED = """() => {
    const element = document.activeElement;
    const style = getComputedStyle(element);
    const ring = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
        || style.boxShadow !== "none";
    const label = element.labels && element.labels.length ? element.labels[0].textContent
        : element.textContent;
    return {label: (label || "").replace(/\\s+/g, " ").trim(), type: element.type || "",
            tag: element.tagName.toLowerCase(), visible: ring,
            group: element.closest("fieldset")?.querySelector("legend")?.textContent
                .replace(/\\s+/g, " ").trim() || ""};
}"""


def _focus(page: Page) -> dict[str, str]:
    focused = page.evaluate(FOCUSED)
    assert focused["visible"], f"no visible focus on {focused['tag']} {focused['label'][:80]!r}"
    return focused


def _tab_to(page: Page, wanted: str) -> dict[str, str]:
    """Press Tab until the element labelled ``wanted`` has focus; every stop shows its focus."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = _focus(page)
        if focused["label"] == wanted:
            return focused
    raise AssertionError(f"Tab never reached {wanted!r}")


def _tab_into_group(page: Page, legend: str) -> dict[str, str]:
    """Press Tab until focus is inside the fieldset whose legend mentions ``legend``."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = _focus(page)
        if legend in focused["group"]:
            return focused
    raise AssertionError(f"Tab never reached the question {legend!r}")


def test_a_stream_is_logged_with_the_keyboard_alone(page: Page, live_server: str,
                                                    make_user) -> None:
    sign_in(page, live_server, make_user("student", display_name="Keyboard Kai"))
    page.goto(f"{live_server}/practice/new")
    check(page)
    _tab_to(page, "Started at")
    page.keyboard.type("11182026")  # month, day, year: the segments advance by themselves
    page.keyboard.press("Tab")  # to the hour
    page.keyboard.type("0830PM")
    _tab_to(page, "Duration (minutes)")
    page.keyboard.type("75")  # Tab selects the field's text, so typing replaces it
    _tab_to(page, "Platform")
    page.keyboard.press("ArrowDown")  # a closed select steps through its options
    for label, keys in [("Unique viewers (UV)", "420"), ("Views (PV)", "800"),
                        ("Viewers who clicked a product", "84"), ("Product clicks", "130"),
                        ("Orders", "9"), ("Buyers", "6"), ("GMV", "3600")]:
        _tab_to(page, label)
        page.keyboard.type(keys)
    _tab_to(page, "Log stream")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Stream logged.")).to_be_visible()
    check(page)
    gpm = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="GPM", exact=True))
    expect(gpm.get_by_role("cell").first).to_have_text("$4,500.00")  # 3600 × 1000 / 800
    page.goto(f"{live_server}/practice")
    check(page)
    expect(page.get_by_role("cell", name="75", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="11/18/26, 8:30 PM")).to_be_visible()


def test_a_quiz_is_passed_with_the_keyboard_alone(page: Page, live_server: str, make_user,
                                                  real_catalogue) -> None:
    module = next(m for m in read_catalogue(COURSES).modules if m.slug == FIRST_MODULE)
    sign_in(page, live_server, make_user("student", display_name="Keyboard Kai"))
    page.goto(f"{live_server}/modules/{FIRST_MODULE}/quiz")
    check(page)
    for question in module.front.quiz.questions:
        correct = {question.choices[index] for index in question.correct}
        focused = _tab_into_group(page, question.prompt)
        if focused["type"] == "radio":
            # Arrow keys move the choice within a radio group; Space picks the first one.
            while focused["label"] not in correct:
                page.keyboard.press("ArrowDown")
                focused = _focus(page)
            page.keyboard.press("Space")
        else:
            while question.prompt in focused["group"]:
                if focused["label"] in correct:
                    page.keyboard.press("Space")
                page.keyboard.press("Tab")
                focused = _focus(page)
            page.keyboard.press("Shift+Tab")
    _tab_to(page, "Submit answers")
    page.keyboard.press("Enter")
    expect(page.get_by_text("100% — Passed")).to_be_visible()
    check(page)
