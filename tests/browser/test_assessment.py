"""An instructor assesses; the student sees it, earns a certificate and downloads it."""

import shutil
import subprocess

from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from academy.assessment import service
from academy.curriculum.models import Module, QuizAttempt
from tests.assessment.conftest import ALL_PROFICIENT, NOW
from tests.browser.conftest import screenshot
from tests.helpers import TEST_PASSWORD

EXCELLENT = {key: 4 for key in ALL_PROFICIENT}


def _sign_in(page: Page, live_server: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_assessment_to_certificate(page: Page, live_server: str, session: Session, make_user,
                                   make_stream, real_catalogue, tmp_path) -> None:
    student = make_user("student", display_name="周杰 Zhou Jie")
    instructor = make_user("instructor", display_name="Teacher Lin")
    for module in session.exec(select(Module).where(Module.track == "planner")):
        session.add(QuizAttempt(user_id=student.id, module_id=module.id, answers=[], score=90,
                                passed=True, submitted_at=NOW))
    session.commit()
    for days in (3, 4):
        stream = make_stream(student, days_ago=days, stream_role="planner")
        service.assess_stream(session, instructor, stream.id, levels=EXCELLENT,
                              comments_text="", feedback_md="", now=NOW)
    last = make_stream(student, days_ago=1, stream_role="planner")

    _sign_in(page, live_server, instructor.email)
    page.goto(f"{live_server}/assessments/queue")
    page.get_by_role("link", name="Assess", exact=True).first.click()
    for criterion, level in EXCELLENT.items():
        page.locator(f"input[name='level-{criterion}'][value='{level}']").check()
    page.get_by_label("Comments on the recording").fill("12:40 — answered the MOQ question well")
    page.get_by_label("Overall feedback").fill("Clear **compliance** wording. 继续保持！")
    screenshot(page, "assess")
    page.get_by_role("button", name="Save assessment").click()
    expect(page.get_by_text("Assessment saved.")).to_be_visible()

    _sign_in(page, live_server, student.email)
    page.goto(f"{live_server}/practice/streams/{last.id}")
    expect(page.get_by_text("100/100")).to_be_visible()
    expect(page.get_by_text("answered the MOQ question well")).to_be_visible()
    page.goto(f"{live_server}/gradebook")
    expect(page.get_by_role("img", name="Rubric levels per assessed stream")).to_be_visible()
    page.goto(f"{live_server}/certificates")
    page.get_by_role("button", name="Issue my certificate").click()
    expect(page.get_by_text("Congratulations!")).to_be_visible()
    screenshot(page, "certificates")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    pdf = tmp_path / "certificate.pdf"
    download.value.save_as(pdf)
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "install Debian's poppler-utils to read the certificate back"
    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "周杰 Zhou Jie" in text

    page.get_by_role("link", name="Public verification page").click()
    expect(page.get_by_text("This certificate is valid.")).to_be_visible()
    expect(page.get_by_text("周杰 Zhou Jie")).to_be_visible()
    screenshot(page, "verification")
