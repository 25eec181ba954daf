"""A student reads a real module, marks it complete and passes its quiz, in a real browser."""

import datetime as dt
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlmodel import Session

from academy.curriculum.content import read_catalogue
from academy.curriculum.sync import sync_courses
from tests.browser.conftest import screenshot
from tests.helpers import TEST_PASSWORD

COURSES = Path(__file__).resolve().parents[2] / "courses"


def test_student_reads_completes_and_passes_a_module(page: Page, live_server: str,
                                                     session: Session, make_user) -> None:
    sync_courses(session, COURSES, now=dt.datetime.now(dt.UTC))
    module = next(m for m in read_catalogue(COURSES).modules if m.slug == "host-compliance")
    student = make_user("student", display_name="Zhang Wei 张伟")

    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(student.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}/courses")
    page.get_by_role("link", name=module.front.title).click()
    expect(page.get_by_role("heading", level=1, name=module.front.title)).to_be_visible()
    expect(page.get_by_role("heading", name="The law a live host works under")).to_be_visible()
    screenshot(page, "module")

    page.get_by_role("button", name="Mark as complete").click()
    expect(page.get_by_text("Marked as complete.")).to_be_visible()
    page.get_by_role("link", name="Take the quiz").click()
    for question in module.front.quiz.questions:
        group = page.get_by_role("group", name=question.prompt)
        for index in sorted(question.correct):
            group.get_by_label(question.choices[index], exact=True).check()
    screenshot(page, "quiz")
    page.get_by_role("button", name="Submit answers").click()
    expect(page.get_by_text("100% — Passed")).to_be_visible()
    screenshot(page, "quiz-result")

    page.goto(f"{live_server}/courses")
    expect(page.get_by_text("Quiz passed · best 100%")).to_be_visible()
