"""Modules in Chinese: a .zh.md beside the original, served to readers whose language is zh."""

import datetime as dt
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from academy.curriculum.models import Module, QuizAttempt
from academy.curriculum.sync import sync_courses
from tests.curriculum.builders import write_catalogue, write_translation
from tests.helpers import csrf_token, submit

NOW = dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def translated(app: Flask, session: Session) -> Path:
    course_dir = Path(app.config["COURSES_DIR"])
    write_catalogue(course_dir, per_track=1)
    write_translation(course_dir, "host", 1, "host-topic-1")
    sync_courses(session, course_dir, now=NOW)
    return course_dir


def _to_chinese(client: FlaskClient) -> None:
    token = csrf_token(client, "/courses")
    client.post("/language", data={"csrf_token": token, "locale": "zh", "next": "/"})


def test_sync_stores_the_rendered_translation(session: Session, translated: Path) -> None:
    module = session.exec(select(Module).where(Module.slug == "host-topic-1")).one()
    text = module.text("zh")
    assert text.title == "host-topic-1（中文）" and "中文正文" in text.body_html
    assert module.text("en").title == module.title
    assert module.text("fr").title == module.title  # no such translation: the original


def test_a_changed_translation_alone_resyncs_the_module(session: Session,
                                                        translated: Path) -> None:
    write_translation(translated, "host", 1, "host-topic-1", title="新标题")
    report = sync_courses(session, translated, now=NOW)
    assert report.updated == ["host-topic-1"]
    session.expire_all()
    module = session.exec(select(Module).where(Module.slug == "host-topic-1")).one()
    assert module.text("zh").title == "新标题"


def test_chinese_reader_gets_the_module_and_quiz_in_chinese(client: FlaskClient, login_as,
                                                            translated: Path,
                                                            session: Session) -> None:
    student = login_as("student")
    _to_chinese(client)
    assert "host-topic-1（中文）" in client.get("/courses").get_data(as_text=True)
    page = client.get("/modules/host-topic-1").get_data(as_text=True)
    assert "中文正文" in page and "The body of host-topic-1" not in page
    quiz = client.get("/modules/host-topic-1/quiz").get_data(as_text=True)
    assert "问题：" in quiz and "选项0" in quiz
    response = submit(client, "/modules/host-topic-1/quiz", {"q0": "0", "q1": ["0", "1", "3"]})
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "解释。" in result
    attempt = session.exec(select(QuizAttempt).where(QuizAttempt.user_id == student.id)).one()
    assert attempt.score == 100  # graded by the original's answers


def test_untranslated_modules_stay_in_english_for_chinese_readers(client: FlaskClient,
                                                                  login_as,
                                                                  translated: Path) -> None:
    login_as("student")
    _to_chinese(client)
    assert "The body of operator-topic-1." in client.get("/modules/operator-topic-1").get_data(
        as_text=True)


def test_chinese_reader_sees_translated_titles_of_neighbours_and_prerequisites(
        client: FlaskClient, login_as, app: Flask, session: Session) -> None:
    course_dir = Path(app.config["COURSES_DIR"])
    write_catalogue(course_dir, per_track=3)
    write_translation(course_dir, "host", 1, "host-topic-1")
    sync_courses(session, course_dir, now=NOW)
    login_as("student")
    _to_chinese(client)
    page = client.get("/modules/host-topic-2").get_data(as_text=True)
    assert re.search(r'rel="prev">← host-topic-1（中文）</a>', page)
    assert "Host Topic 3 →" in page  # untranslated: its English title
    assert page.count("host-topic-1（中文）") >= 2  # the neighbour and the prerequisite
