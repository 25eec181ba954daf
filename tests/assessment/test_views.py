"""Assessing through the form, the gradebook pages and exports, permissions and bounds."""

import io
import re
import zipfile

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from academy.assessment import service
from academy.assessment.models import Assessment
from academy.auth.models import AccountRole, User
from academy.paging import STUDENTS_PER_PAGE
from academy.security import hash_password
from tests.assessment.conftest import ALL_PROFICIENT, NOW
from tests.helpers import TEST_PASSWORD, csrf_token, submit
from tests.practice.factories import add_stream

LEVEL_FIELDS = {f"level-{key}": str(level) for key, level in ALL_PROFICIENT.items()}


def test_instructor_assesses_and_the_student_sees_it(app: Flask, client: FlaskClient,
                                                     login_as, make_user, make_stream,
                                                     real_catalogue) -> None:
    student = make_user("student")
    stream = make_stream(student)
    login_as("instructor")
    queue = client.get("/assessments/queue").get_data(as_text=True)
    assert f"/practice/streams/{stream.id}/assess" in queue
    form = client.get(f"/practice/streams/{stream.id}/assess").get_data(as_text=True)
    assert form.count('type="radio" name="level-') == 7 * 4  # 7 criteria × 4 described levels
    response = submit(client, f"/practice/streams/{stream.id}/assess",
                      {**LEVEL_FIELDS, "comments": "12:40 — missed the MOQ question",
                       "feedback_md": "Good *opening*."})
    assert response.status_code == 302
    viewer = app.test_client()
    submit(viewer, "/login", {"email": student.email, "password": TEST_PASSWORD})
    page = viewer.get(f"/practice/streams/{stream.id}").get_data(as_text=True)
    assert "67/100" in page and "missed the MOQ question" in page and "<em>opening</em>" in page
    assert f"/practice/streams/{stream.id}/edit" not in page  # numbers are frozen now
    assert viewer.get(f"/practice/streams/{stream.id}/edit").status_code == 200
    assert submit(viewer, f"/practice/streams/{stream.id}", {},
                  action=f"/practice/streams/{stream.id}/delete").status_code == 403


def test_incomplete_rubric_is_422_and_keeps_the_choices(client: FlaskClient, login_as,
                                                        make_user, make_stream,
                                                        real_catalogue) -> None:
    stream = make_stream(make_user("student"))
    login_as("instructor")
    partial = {k: v for k, v in LEVEL_FIELDS.items() if "compliance" not in k}
    response = submit(client, f"/practice/streams/{stream.id}/assess",
                      {**partial, "comments": "no time on this line"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="level-compliance-error"' in body
    assert re.search(r'name="level-teamwork" value="3" checked', body)


def test_gradebook_shows_tracks_and_the_trend(client: FlaskClient, login_as, make_user,
                                              make_stream, session: Session,
                                              real_catalogue) -> None:
    student = login_as("student")
    instructor = make_user("instructor")
    for days in (1, 2):
        service.assess_stream(session, instructor, make_stream(student, days_ago=days).id,
                              levels=ALL_PROFICIENT, comments_text="", feedback_md="", now=NOW)
    page = client.get("/gradebook").get_data(as_text=True)
    assert "66.7" in page and "Rubric levels per assessed stream" in page
    assert "<svg" in page


def test_class_exports_keep_chinese_and_neutralise_formulas(client: FlaskClient, login_as,
                                                            make_user, real_catalogue) -> None:
    make_user("student", display_name="=HYPERLINK(1) 王芳")
    login_as("instructor")
    text = client.get("/gradebook/class.csv").data.decode("utf-8-sig")
    assert "'=HYPERLINK(1) 王芳" in text
    workbook = zipfile.ZipFile(io.BytesIO(client.get("/gradebook/class.xlsx").data))
    strings = workbook.read("xl/sharedStrings.xml").decode()
    assert "'=HYPERLINK(1) 王芳" in strings
    assert "<f>" not in workbook.read("xl/worksheets/sheet1.xml").decode()


@pytest.mark.parametrize(("url", "allowed"), [
    ("/assessments/queue", {"instructor"}),
    ("/gradebook", {"student"}),
    ("/gradebook/class", {"instructor", "admin"}),
    ("/gradebook/class.csv", {"instructor", "admin"}),
    ("/gradebook/class.xlsx", {"instructor", "admin"}),
    ("/gradebook/students/{student}", {"instructor", "admin"}),
    ("/certificates", {"student"}),
    ("/practice/streams/{stream}/assess", {"instructor"}),
])
@pytest.mark.parametrize("account_role", ["student", "instructor", "partner", "admin"])
def test_route_permissions(client: FlaskClient, login_as, make_user, make_stream, real_catalogue,
                           url: str, allowed: set[str], account_role: str) -> None:
    student = make_user("student")
    stream = make_stream(student)
    login_as(account_role)
    status = client.get(url.format(student=student.id, stream=stream.id)).status_code
    if account_role == "partner" and url.endswith("/assess"):
        assert status == 404  # partner staff assess only the members they mentor
    else:
        assert status == (200 if account_role in allowed else 403)


def test_students_cannot_post_assessments_or_revoke(client: FlaskClient, login_as, make_user,
                                                    make_stream, real_catalogue) -> None:
    stream = make_stream(make_user("student"))
    login_as("student")
    token = csrf_token(client, "/gradebook")
    assert client.post(f"/practice/streams/{stream.id}/assess",
                       data={"csrf_token": token, **LEVEL_FIELDS}).status_code == 403
    assert client.post("/certificates/whatever/revoke",
                       data={"csrf_token": token, "reason": "x"}).status_code == 403


def _students(session: Session, count: int, instructor: User) -> None:
    password_hash = hash_password("irrelevant-password")
    users = [User(email=f"bulk{index}-{count}@example.test", display_name=f"Bulk {index}",
                  password_hash=password_hash, account_role=AccountRole.STUDENT)
             for index in range(count)]
    session.add_all(users)
    session.flush()
    for index, user in enumerate(users):
        stream = add_stream(session, user, NOW)
        if index % 2:
            session.flush()
            session.add(Assessment(practice_stream_id=stream.id,
                                           assessor_id=instructor.id, rubric_id=1,
                                           levels=ALL_PROFICIENT, total=66, created_at=NOW,
                                           updated_at=NOW))
    session.commit()


@pytest.mark.parametrize("url", ["/assessments/queue", "/gradebook/class",
                                 "/gradebook/class.csv", "/gradebook/class.xlsx"])
def test_staff_pages_issue_the_same_queries_at_10_and_1000_students(
        client: FlaskClient, login_as, session: Session, count_queries, real_catalogue,
        url: str) -> None:
    instructor = login_as("instructor")
    _students(session, 10, instructor)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    _students(session, 990, instructor)
    with count_queries() as large:
        assert client.get(url).status_code == 200
    assert small.count == large.count


def test_class_gradebook_pages_the_class(client: FlaskClient, login_as, session: Session,
                                         real_catalogue) -> None:
    instructor = login_as("instructor")
    _students(session, STUDENTS_PER_PAGE + 3, instructor)
    first = client.get("/gradebook/class").get_data(as_text=True)
    assert first.count('href="/gradebook/students/') == STUDENTS_PER_PAGE
    assert 'rel="next"' in first
    second = client.get("/gradebook/class?page=2").get_data(as_text=True)
    assert second.count('href="/gradebook/students/') == 3
    assert 'rel="prev"' in second and 'rel="next"' not in second
    shown = set(re.findall(r'href="/gradebook/students/(\d+)"', first + second))
    assert len(shown) == STUDENTS_PER_PAGE + 3
    by_hours = client.get("/gradebook/class?sort=hours&order=desc&page=2").get_data(
        as_text=True)
    assert by_hours.count('href="/gradebook/students/') == 3 and "sort=hours" in by_hours
    assert client.get("/gradebook/class?page=3").status_code == 404
    assert client.get("/gradebook/class?page=3&sort=quiz").status_code == 404
    exported = client.get("/gradebook/class.csv").data.decode("utf-8-sig")
    assert len(exported.strip().splitlines()) == STUDENTS_PER_PAGE + 3 + 1
