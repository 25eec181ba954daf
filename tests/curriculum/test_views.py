"""Learning pages as students and staff use them."""

import datetime as dt
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from academy.curriculum.models import Module, ModuleProgress, QuizAttempt
from academy.curriculum.sync import sync_courses
from tests.curriculum.builders import write_catalogue, write_module
from tests.helpers import csrf_token, submit

NOW = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)
RIGHT = {"q0": "0", "q1": ["0", "1", "3"]}


@pytest.fixture
def catalogue(app: Flask, session: Session) -> Path:
    course_dir = Path(app.config["COURSES_DIR"])
    write_catalogue(course_dir, per_track=2)
    sync_courses(session, course_dir, now=NOW)
    return course_dir


def _body(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def test_catalogue_lists_tracks_in_order_with_progress(client: FlaskClient, login_as,
                                                       catalogue: Path) -> None:
    login_as("student")
    submit(client, "/modules/host-topic-1", {}, action="/modules/host-topic-1/complete")
    body = _body(client.get("/courses"))
    assert body.index("Host") < body.index("Operator") < body.index("Planner")
    assert body.index("Host Topic 1") < body.index("Host Topic 2")
    assert '<progress value="1" max="2">' in body
    assert "Completed" in body and "Not started" in body


def test_module_page_shows_objectives_sources_and_neighbours(client: FlaskClient, login_as,
                                                             catalogue: Path) -> None:
    login_as("student")
    body = _body(client.get("/modules/host-topic-2"))
    assert "Explain the topic to a buyer" in body
    assert 'href="https://example.com/source"' in body
    assert 'rel="prev"' in body and "/modules/host-topic-1" in body
    assert "Complete these first" in body  # the prerequisite is not done: a notice, still readable
    assert "The body of host-topic-2." in body


def test_prerequisite_notice_disappears_once_done(client: FlaskClient, login_as,
                                                  catalogue: Path) -> None:
    login_as("student")
    submit(client, "/modules/host-topic-1", {}, action="/modules/host-topic-1/complete")
    assert "Complete these first" not in _body(client.get("/modules/host-topic-2"))


def test_quiz_page_never_reveals_the_answers(client: FlaskClient, login_as,
                                            catalogue: Path) -> None:
    login_as("student")
    body = _body(client.get("/modules/host-topic-1/quiz"))
    assert "Which Incoterm" in body and "select all that apply" in body
    assert "buyer books the main carriage" not in body  # explanations come after submitting
    assert "answer" not in re.sub(r"<[^>]+>", "", body).lower().replace("answers", "")


def test_passing_the_quiz_completes_the_module(client: FlaskClient, login_as, catalogue: Path,
                                               session: Session) -> None:
    student = login_as("student")
    response = submit(client, "/modules/host-topic-1/quiz", RIGHT)
    assert response.status_code == 302
    result = _body(client.get(response.headers["Location"]))
    assert "100%" in result and "Passed" in result and "buyer books the main carriage" in result
    progress = session.exec(select(ModuleProgress).where(
        ModuleProgress.user_id == student.id)).one()
    assert progress.completed_at is not None
    assert "Quiz passed" in _body(client.get("/courses"))


def test_select_all_needs_every_right_choice(client: FlaskClient, login_as, catalogue: Path,
                                             session: Session) -> None:
    login_as("student")
    response = submit(client, "/modules/host-topic-1/quiz", {"q0": "0", "q1": ["0", "1"]})
    result = _body(client.get(response.headers["Location"]))
    assert "50%" in result  # pass mark 50: passed, with the select-all question wrong
    attempt = session.exec(select(QuizAttempt)).one()
    assert attempt.answers == [[0], [0, 1]] and attempt.score == 50 and attempt.passed


def test_best_attempt_counts_and_history_is_listed(client: FlaskClient, login_as,
                                                   catalogue: Path) -> None:
    login_as("student")
    submit(client, "/modules/host-topic-1/quiz", {"q0": "1", "q1": ["2"]})
    submit(client, "/modules/host-topic-1/quiz", RIGHT)
    submit(client, "/modules/host-topic-1/quiz", {"q0": "2", "q1": ["0"]})
    assert "best 100%" in _body(client.get("/courses"))
    history = _body(client.get("/modules/host-topic-1/quiz"))
    assert history.count("not passed") == 2 and "100% passed" in history


@pytest.mark.parametrize("answers", [
    {"q0": "0"},                       # a question left out
    {"q0": "7", "q1": ["0"]},          # a choice that does not exist
    {"q0": ["0", "1"], "q1": ["0"]},   # two answers to a single-answer question
    {"q0": "x", "q1": "<script>"},     # not numbers at all
])
def test_bad_quiz_submission_is_422_and_writes_nothing(client: FlaskClient, login_as,
                                                       catalogue: Path, session: Session,
                                                       answers: dict) -> None:
    login_as("student")
    response = submit(client, "/modules/host-topic-1/quiz", answers)
    assert response.status_code == 422
    assert 'role="alert"' in _body(response)
    assert session.exec(select(QuizAttempt)).first() is None


def test_unanswered_quiz_keeps_what_was_ticked(client: FlaskClient, login_as,
                                               catalogue: Path) -> None:
    login_as("student")
    response = submit(client, "/modules/host-topic-1/quiz", {"q1": ["0", "3"]})
    body = _body(response)
    assert response.status_code == 422
    assert re.search(r'name="q1" value="0" checked', body)
    assert re.search(r'name="q1" value="3" checked', body)


def test_another_students_attempt_is_not_found(client: FlaskClient, app: Flask, login_as,
                                               make_user, catalogue: Path) -> None:
    login_as("student")
    response = submit(client, "/modules/host-topic-1/quiz", RIGHT)
    other = app.test_client()
    intruder = make_user("student")
    submit(other, "/login", {"email": intruder.email, "password": "correct-horse-battery"})
    assert other.get(response.headers["Location"]).status_code == 404


def test_unknown_module_is_404(client: FlaskClient, login_as, catalogue: Path) -> None:
    login_as("student")
    assert client.get("/modules/no-such-module").status_code == 404
    assert client.get("/modules/no-such-module/quiz").status_code == 404


@pytest.mark.parametrize("url", ["/courses", "/courses/search?q=x", "/modules/host-topic-1",
                                 "/modules/host-topic-1/quiz", "/courses/statistics"])
def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient, catalogue: Path,
                                                url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("account_role", ["instructor", "partner", "admin"])
def test_only_students_take_quizzes_and_mark_complete(client: FlaskClient, login_as,
                                                      catalogue: Path, account_role: str) -> None:
    login_as(account_role)
    assert client.get("/modules/host-topic-1").status_code == 200
    assert client.get("/modules/host-topic-1/quiz").status_code == 403
    token = csrf_token(client, "/modules/host-topic-1")
    assert client.post("/modules/host-topic-1/quiz", data={"csrf_token": token}).status_code == 403
    assert client.post("/modules/host-topic-1/complete",
                       data={"csrf_token": token}).status_code == 403


@pytest.mark.parametrize(("account_role", "status"), [
    ("student", 403), ("partner", 403), ("instructor", 200), ("admin", 200)])
def test_statistics_are_for_staff(client: FlaskClient, login_as, catalogue: Path,
                                  account_role: str, status: int) -> None:
    login_as(account_role)
    assert client.get("/courses/statistics").status_code == status


def test_statistics_count_completions_and_pass_rate(app: Flask, client: FlaskClient, login_as,
                                                    make_user, catalogue: Path) -> None:
    for answers in (RIGHT, {"q0": "1", "q1": ["2"]}):
        student = app.test_client()
        user = make_user("student")
        submit(student, "/login", {"email": user.email, "password": "correct-horse-battery"})
        submit(student, "/modules/operator-topic-1/quiz", answers)
    login_as("instructor")
    body = _body(client.get("/courses/statistics"))
    row = body[body.index("Operator Topic 1"):]
    row = row[:row.index("</tr>")]
    assert re.findall(r'class="num">([^<]*)<', row) == ["1", "2", "1", "50%"]


def test_retired_module_stays_readable_but_leaves_the_catalogue(client: FlaskClient, login_as,
                                                                catalogue: Path,
                                                                session: Session) -> None:
    (catalogue / "planner" / "02-planner-topic-2.md").unlink()
    sync_courses(session, catalogue, now=NOW)
    login_as("student")
    assert "Planner Topic 2" not in _body(client.get("/courses"))
    page = client.get("/modules/planner-topic-2")
    assert page.status_code == 200 and "has been retired" in _body(page)
    assert 'rel="next"' not in _body(client.get("/modules/planner-topic-1"))


def test_search_finds_words_in_bodies_with_snippets(client: FlaskClient, login_as, app: Flask,
                                                    session: Session) -> None:
    course_dir = Path(app.config["COURSES_DIR"])
    write_module(course_dir, "host", 1, "incoterms", body=(
        "## Terms\n\nQuote FOB Ningbo or CIF Hamburg; the buyer compares landed cost.\n"))
    write_module(course_dir, "operator", 1, "obs-setup", title="OBS set-up",
                 body="## Scenes\n\nBuild a scene per camera <script>alert(1)</script>.\n")
    sync_courses(session, course_dir, now=NOW)
    login_as("student")
    body = _body(client.get("/courses/search?q=hamburg"))
    assert "/modules/incoterms" in body and "<mark>Hamburg</mark>" in body
    assert "/modules/obs-setup" not in body
    assert "/modules/obs-setup" in _body(client.get("/courses/search?q=scen"))  # prefix
    hostile = _body(client.get("/courses/search?q=camera"))
    assert "<script>alert" not in hostile
    for query in ['"', "' OR 1=1--", "NEAR(", "*", "a:b"]:
        assert client.get("/courses/search", query_string={"q": query}).status_code == 200


def _grow(session: Session, make_user, course_dir: Path, modules: int, students: int) -> None:
    write_catalogue(course_dir, per_track=modules)
    sync_courses(session, course_dir, now=NOW)
    ids = [m.id for m in session.exec(select(Module))]
    for _ in range(students):
        student = make_user("student")
        for module_id in ids:
            session.add(ModuleProgress(user_id=student.id, module_id=module_id, started_at=NOW,
                                       completed_at=NOW))
            session.add(QuizAttempt(user_id=student.id, module_id=module_id, answers=[[0], [0]],
                                    score=50, passed=True, submitted_at=NOW))
    session.commit()


@pytest.mark.parametrize("url", ["/courses", "/modules/host-topic-2",
                                 "/modules/host-topic-2/quiz"])
def test_student_pages_issue_the_same_queries_at_any_size(app: Flask, client: FlaskClient,
                                                          login_as, make_user, session: Session,
                                                          count_queries, url: str) -> None:
    course_dir = Path(app.config["COURSES_DIR"])
    _grow(session, make_user, course_dir, modules=2, students=1)
    student = login_as("student")
    submit(client, "/modules/host-topic-1/quiz", RIGHT)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    _grow(session, make_user, course_dir, modules=10, students=5)
    for _ in range(3):
        submit(client, "/modules/host-topic-2/quiz", RIGHT)
    assert student.id
    with count_queries() as large:
        assert client.get(url).status_code == 200
    assert small.count == large.count


def test_statistics_page_issues_the_same_queries_at_any_size(app: Flask, client: FlaskClient,
                                                             login_as, make_user,
                                                             session: Session,
                                                             count_queries) -> None:
    course_dir = Path(app.config["COURSES_DIR"])
    _grow(session, make_user, course_dir, modules=2, students=1)
    login_as("instructor")
    with count_queries() as small:
        client.get("/courses/statistics")
    _grow(session, make_user, course_dir, modules=10, students=6)
    with count_queries() as large:
        client.get("/courses/statistics")
    assert small.count == large.count <= 5


def test_module_page_reads_only_what_it_shows(client: FlaskClient, login_as, catalogue: Path,
                                              count_queries) -> None:
    login_as("student")
    submit(client, "/modules/host-topic-1", {}, action="/modules/host-topic-1/complete")
    with count_queries() as counted:
        body = _body(client.get("/modules/host-topic-2"))
    assert "Builds on:" in body and "Complete these first" not in body
    reads_of_modules = [statement for statement in counted.statements
                        if re.search(r"FROM module\b", statement)]
    assert len(reads_of_modules) == 2
    assert not any("module.quiz" in statement or "module.body_text" in statement
                   or "module.translations," in statement for statement in reads_of_modules)
