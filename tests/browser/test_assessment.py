"""An instructor assesses a stream; the student sees it, earns a certificate and downloads it."""

import re
import shutil
import subprocess

from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from academy.assessment import service
from academy.curriculum.models import Module, QuizAttempt
from tests.assessment.conftest import ALL_PROFICIENT, NOW
from tests.browser.conftest import ARTIFACTS, check, go_to, screenshot, sign_in

EXCELLENT = {key: 4 for key in ALL_PROFICIENT}


def test_an_instructor_assesses_and_the_student_downloads_the_certificate(
        page: Page, live_server: str, session: Session, make_user, make_stream, real_catalogue,
        tmp_path) -> None:
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

    # The instructor starts from the dashboard's queue count.
    sign_in(page, live_server, instructor)
    expect(page.get_by_text("1 stream waits for an assessment.")).to_be_visible()
    check(page, screenshot="dashboard-instructor")
    page.get_by_role("link", name="Assess the oldest first").click()
    check(page, screenshot="assessment-queue")
    page.get_by_role("link", name="Assess", exact=True).first.click()
    check(page, screenshot="assess")
    for criterion in service.rubric_criteria(session):
        group = page.get_by_role("group", name=re.compile(f"^{re.escape(criterion['title'])}"))
        group.get_by_role("radio", name=re.compile(rf"^{EXCELLENT[criterion['key']]}\b")).check()
    page.get_by_label("Comments on the recording").fill("12:40 — answered the MOQ question well")
    page.get_by_label("Overall feedback").fill("Clear **compliance** wording. 继续保持！")
    page.get_by_role("button", name="Save assessment").click()
    expect(page.get_by_text("Assessment saved.")).to_be_visible()
    check(page)

    # The student reads the feedback, sees the gradebook and earns the certificate.
    sign_in(page, live_server, student)
    page.goto(f"{live_server}/practice/streams/{last.id}")
    expect(page.get_by_text("100/100")).to_be_visible()
    expect(page.get_by_text("answered the MOQ question well")).to_be_visible()
    check(page, screenshot="assessed-stream")
    go_to(page, "Gradebook")
    expect(page.get_by_role("img", name="Rubric levels per assessed stream")).to_be_visible()
    check(page, screenshot="gradebook")
    go_to(page, "Certificates")
    check(page)
    page.get_by_role("button", name="Issue my certificate").click()
    expect(page.get_by_text("Congratulations!")).to_be_visible()
    check(page, screenshot="certificates")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download PDF").click()
    pdf = tmp_path / "certificate.pdf"
    download.value.save_as(pdf)
    shutil.copy(pdf, ARTIFACTS / f"certificate-{page.viewport_name}.pdf")  # type: ignore[attr-defined]
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "install Debian's poppler-utils to read the certificate back"
    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "周杰 Zhou Jie" in text

    # Anyone can check it; printed, the page is the certificate's facts without the site around.
    page.get_by_role("link", name="Public verification page").click()
    expect(page.get_by_text("This certificate is valid.")).to_be_visible()
    expect(page.get_by_text("周杰 Zhou Jie")).to_be_visible()
    check(page, screenshot="verification")
    page.emulate_media(media="print")
    expect(page.get_by_role("banner")).to_be_hidden()
    expect(page.get_by_role("contentinfo")).to_be_hidden()
    expect(page.get_by_text("This certificate is valid.")).to_be_visible()
    screenshot(page, "verification-print")
    page.emulate_media(media="screen")
