"""The certificate rule, issuing, the public check, revocation and the PDF."""

import shutil
import subprocess
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from academy.assessment import certificates, service
from academy.assessment.certificates import FontMissing
from academy.curriculum.models import Module, QuizAttempt
from academy.errors import InvalidTransition, NotAllowed, NotFound
from tests.assessment.conftest import ALL_PROFICIENT, NOW
from tests.helpers import submit

GOOD = {key: 4 for key in ALL_PROFICIENT}


def _pass_every_quiz(session: Session, student, track: str, skip: int = 0) -> None:  # type: ignore[no-untyped-def]
    modules = session.exec(select(Module).where(Module.track == track)).all()
    for module in modules[skip:]:
        session.add(QuizAttempt(user_id=student.id, module_id=module.id, answers=[],
                                score=100, passed=True, submitted_at=NOW))
    session.commit()


def _assess(session: Session, instructor, stream, levels) -> None:  # type: ignore[no-untyped-def]
    service.assess_stream(session, instructor, stream.id, levels=levels, comments_text="",
                          feedback_md="", now=NOW)


def test_checklist_says_what_is_missing(session: Session, make_user, make_stream,
                                        real_catalogue) -> None:
    student, instructor = make_user("student"), make_user("instructor")
    _pass_every_quiz(session, student, "host", skip=1)
    for days in (1, 2):
        _assess(session, instructor, make_stream(student, days_ago=days), GOOD)
    _assess(session, instructor, make_stream(student, stream_role="operator"), GOOD)
    checklist = certificates.certificate_checklist(session, student, "host")
    quizzes, streams, mean = checklist.items
    assert not quizzes.done and "Rules and compliance for live hosts" in str(quizzes.detail)
    assert not streams.done and "2 assessed so far" in str(streams.detail)
    assert mean.done and not checklist.earned


def test_rule_met_issues_once_with_an_unguessable_code(session: Session, make_user,
                                                       make_stream, real_catalogue) -> None:
    student, instructor = make_user("student"), make_user("instructor")
    _pass_every_quiz(session, student, "host")
    for days, levels in ((1, GOOD), (2, GOOD), (3, ALL_PROFICIENT)):  # 100, 100, 66.67
        _assess(session, instructor, make_stream(student, days_ago=days), levels)
    assert certificates.certificate_checklist(session, student, "host").earned
    certificate = certificates.issue_certificate(session, student, "host", now=NOW)
    assert len(certificate.code) >= 20
    again = certificates.issue_certificate(session, student, "host", now=NOW)
    assert again.id == certificate.id


def test_mean_below_70_is_not_enough(session: Session, make_user, make_stream,
                                     real_catalogue) -> None:
    student, instructor = make_user("student"), make_user("instructor")
    _pass_every_quiz(session, student, "host")
    for days in (1, 2, 3):
        _assess(session, instructor, make_stream(student, days_ago=days), ALL_PROFICIENT)
    checklist = certificates.certificate_checklist(session, student, "host")
    assert [item.done for item in checklist.items] == [True, True, False]
    with pytest.raises(InvalidTransition):
        certificates.issue_certificate(session, student, "host", now=NOW)


def test_verification_and_revocation(session: Session, make_user, make_stream, real_catalogue,
                                     client: FlaskClient, login_as) -> None:
    student, instructor = make_user("student", display_name="陈晓明"), make_user("instructor")
    _pass_every_quiz(session, student, "planner")
    for days in (1, 2, 3):
        _assess(session, instructor, make_stream(student, days_ago=days, stream_role="planner"),
                GOOD)
    code = certificates.issue_certificate(session, student, "planner", now=NOW).code
    page = client.get(f"/certificates/{code}").get_data(as_text=True)  # public: no sign-in
    assert "This certificate is valid." in page and "陈晓明" in page
    assert client.get("/certificates/not-a-real-code").status_code == 404
    with pytest.raises(NotAllowed):
        certificates.revoke_certificate(session, instructor, code, reason="x", now=NOW)
    login_as("admin")
    response = submit(client, f"/certificates/{code}", {"reason": "Plagiarised self-review"},
                      action=f"/certificates/{code}/revoke")
    assert response.status_code == 302
    assert "was revoked" in client.get(f"/certificates/{code}").get_data(as_text=True)


def test_pdf_carries_the_chinese_name_and_the_verification_url(
        session: Session, make_user, make_stream, real_catalogue, client: FlaskClient, login_as,
        tmp_path: Path) -> None:
    instructor = make_user("instructor")
    student = login_as("student", display_name="李晓红")
    _pass_every_quiz(session, student, "operator")
    for days in (1, 2, 3):
        _assess(session, instructor, make_stream(student, days_ago=days, stream_role="operator"),
                GOOD)
    submit(client, "/certificates", {}, action="/certificates/operator/issue")
    code = certificates.certificate_checklist(session, student, "operator").certificate.code
    response = client.get(f"/certificates/{code}/certificate.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    (tmp_path / "c.pdf").write_bytes(response.data)
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "install Debian's poppler-utils to read the certificate back"
    text = subprocess.run([pdftotext, str(tmp_path / "c.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "李晓红" in text and f"/certificates/{code}" in text and "Operator" in text


def test_someone_elses_certificate_pdf_is_not_found(session: Session, make_user, make_stream,
                                                    real_catalogue, client: FlaskClient,
                                                    login_as) -> None:
    student, instructor = make_user("student"), make_user("instructor")
    _pass_every_quiz(session, student, "host")
    for days in (1, 2, 3):
        _assess(session, instructor, make_stream(student, days_ago=days), GOOD)
    code = certificates.issue_certificate(session, student, "host", now=NOW).code
    login_as("student")
    assert client.get(f"/certificates/{code}/certificate.pdf").status_code == 404
    with pytest.raises(NotFound):
        certificates.own_certificate(session, make_user("partner"), code)


def test_missing_font_gives_a_clear_refusal(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(certificates.shutil, "which", lambda _name: None)  # no fontconfig
    with pytest.raises(FontMissing, match="fonts-noto-cjk"):
        certificates.find_cjk_font(str(tmp_path / "nowhere.ttc"))


def test_text_the_font_cannot_draw_is_refused() -> None:
    font = certificates.find_cjk_font()
    assert certificates.covers_text(font, "李晓红 Zhang Wei")
    assert not certificates.covers_text(font, "\U0001f600\U0001F9FF")
