"""Running in production: gunicorn, static file caching, structured logs, backups, scale data."""

from __future__ import annotations

import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from academy import create_app
from academy.assessment.models import Assessment
from academy.assessment.service import rubric_total
from academy.auth.models import User
from academy.cli import cli
from academy.config import load_config
from academy.curriculum.models import Module, QuizAttempt, Rubric
from academy.curriculum.service import score_answers
from academy.curriculum.sync import sync_courses
from academy.db import engine_of, make_engine, new_session, upgrade_database, utcnow
from academy.demo_scale import SCALE_DOMAIN, generate_scale_data, scale_email
from academy.practice.kpi import derive_kpis
from academy.practice.models import PracticeStream
from academy.practice.service import StreamInput, validate_stream
from academy.static_files import LONG_CACHE, SHORT_CACHE, StaticFingerprints
from tests.conftest import COURSES
from tests.helpers import TEST_PASSWORD, submit

ROOT = Path(__file__).resolve().parents[1]
_STATIC_URL = re.compile(r'/static/css/app\.css\?v=([0-9a-f]{8})"')


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _json_lines(output: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


# gunicorn


def test_gunicorn_serves_the_app_with_json_logs_on_stdout(database_url: str,
                                                          tmp_path: Path) -> None:
    """The README's deploy command: every line it prints is one JSON object."""
    port = _free_port()
    env = {**os.environ, "ACADEMY_ENV": "production", "ACADEMY_SECRET_KEY": "deploy-test-key",
           "ACADEMY_DATABASE_URL": database_url, "ACADEMY_BIND": f"127.0.0.1:{port}",
           "ACADEMY_WORKERS": "2", "ACADEMY_INSTANCE_PATH": str(tmp_path / "instance")}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen([str(gunicorn), "-c", str(ROOT / "gunicorn.conf.py"),
                               "academy:create_app()"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            probe = urllib.request.Request(f"http://127.0.0.1:{port}/healthz",
                                           headers={"X-Request-ID": "probe-20261122"})
            try:
                with urllib.request.urlopen(probe, timeout=2) as response:  # noqa: S310
                    assert response.status == 200
                    assert response.headers["X-Request-ID"] == "probe-20261122"
                    break
            except OSError:
                assert server.poll() is None, server.communicate()
                assert time.monotonic() < deadline, "gunicorn did not answer in 30 s"
                time.sleep(0.2)
    finally:
        server.terminate()
        stdout, stderr = server.communicate(timeout=30)
    lines = _json_lines(stdout)
    assert stderr == ""
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    ours = [line for line in lines if line.get("request_id") == "probe-20261122"]
    assert {line["logger"] for line in ours} == {"academy.request", "gunicorn.access"}
    for line in ours:
        assert line["method"] == "GET" and line["path"] == "/healthz" and line["status"] == 200
        assert str(line["time"]).endswith("Z")


def test_gunicorn_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"ACADEMY_BIND": "0.0.0.0:9000", "ACADEMY_WORKERS": "3",
                        "ACADEMY_THREADS": "8", "ACADEMY_TIMEOUT": "45",
                        "ACADEMY_ACCESS_LOG": "off"}.items():
        monkeypatch.setenv(name, value)
    settings: dict[str, object] = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), settings)  # noqa: S102  (as gunicorn does)
    assert settings["worker_class"] == "gthread"
    assert (settings["bind"], settings["workers"], settings["threads"], settings["timeout"]) \
        == ("0.0.0.0:9000", 3, 8, 45)
    assert settings["accesslog"] is None


# Static files


def test_static_urls_carry_the_files_fingerprint_and_are_cached_for_a_year(
        client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    match = _STATIC_URL.search(page)
    assert match is not None, "the stylesheet's URL has no fingerprint"
    response = client.get(f"/static/css/app.css?v={match.group(1)}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == LONG_CACHE == \
        "public, max-age=31536000, immutable"


def test_static_files_without_their_current_fingerprint_get_a_short_cache(
        client: FlaskClient) -> None:
    for url in ("/static/css/app.css", "/static/css/app.css?v=00000000"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == SHORT_CACHE


def test_fingerprints_are_computed_once_in_production_and_follow_edits_in_development(
        tmp_path: Path) -> None:
    sheet = tmp_path / "app.css"
    sheet.write_text("body { color: black; }")
    production = StaticFingerprints(str(tmp_path), watch=False)
    development = StaticFingerprints(str(tmp_path), watch=True)
    first = production.fingerprint("app.css")
    assert first is not None and first == development.fingerprint("app.css")
    sheet.write_text("body { color: navy; }")
    os.utime(sheet, ns=(time.time_ns() + 10**9, time.time_ns() + 10**9))
    assert production.fingerprint("app.css") == first
    assert development.fingerprint("app.css") not in (None, first)
    assert production.fingerprint("../outside.css") is None
    assert production.fingerprint("missing.css") is None


# Logging


@pytest.fixture
def json_client(database_url: str, tmp_path: Path) -> Iterator[FlaskClient]:
    """A client of an app that logs JSON, on the same database as the ``app`` fixture."""
    application = create_app({"TESTING": True, "DATABASE_URL": database_url,
                              "SECRET_KEY": "test-secret-key", "LOG_FORMAT": "json",
                              "COURSES_DIR": str(tmp_path / "courses")})
    yield application.test_client()
    engine_of(application).dispose()


def test_json_logs_hold_one_object_per_request_with_its_id(
        json_client: FlaskClient, capsys: pytest.CaptureFixture[str]) -> None:
    response = json_client.get("/login", headers={"X-Request-ID": "edge-7f3a9c21"})
    refused = json_client.get("/login", headers={"X-Request-ID": 'bad id {"level":"x"}'})
    lines = _json_lines(capsys.readouterr().out)
    requests = [line for line in lines if line["logger"] == "academy.request"]
    assert [line["request_id"] for line in requests] == [
        "edge-7f3a9c21", refused.headers["X-Request-ID"]]
    assert response.headers["X-Request-ID"] == "edge-7f3a9c21"
    assert re.fullmatch(r"[0-9a-f]{32}", refused.headers["X-Request-ID"])
    first = requests[0]
    assert (first["level"], first["method"], first["path"], first["status"]) == \
        ("INFO", "GET", "/login", 200)
    assert isinstance(first["duration_ms"], float)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", str(first["time"]))


def test_logs_never_hold_a_password_or_a_feed_token(
        json_client: FlaskClient, make_user: Callable[..., User],
        capsys: pytest.CaptureFixture[str]) -> None:
    user = make_user("student")
    signed_in = submit(json_client, "/login", {"email": user.email, "password": TEST_PASSWORD})
    assert signed_in.status_code == 302
    submit(json_client, "/login", {"email": user.email, "password": "wrong-horse-battery"})
    json_client.get("/calendar/kV9sN2qLx8pWz3rT5yU7aB1cD4eF6gH0.ics")
    output = capsys.readouterr().out
    assert output.strip()
    for secret in (TEST_PASSWORD, "wrong-horse-battery", "kV9sN2qLx8pWz3rT5yU7aB1cD4eF6gH0"):
        assert secret not in output
    assert "/calendar/[redacted].ics" in output


def test_log_format_is_json_in_production_and_text_in_development(tmp_path: Path) -> None:
    production = load_config({"ACADEMY_ENV": "production", "ACADEMY_SECRET_KEY": "k"}, tmp_path)
    development = load_config({}, tmp_path)
    assert (production["LOG_FORMAT"], development["LOG_FORMAT"]) == ("json", "text")
    chosen = load_config({"ACADEMY_ENV": "production", "ACADEMY_SECRET_KEY": "k",
                          "ACADEMY_LOG_FORMAT": "text"}, tmp_path)
    assert chosen["LOG_FORMAT"] == "text"


# Backup and restore


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on its own SQLite file with the real catalogue, whatever the suite runs on."""
    application = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key",
                              "DATABASE_URL": f"sqlite:///{tmp_path / 'live' / 'academy.db'}"})
    upgrade_database(engine_of(application))
    with new_session(engine_of(application)) as session:
        sync_courses(session, COURSES, now=utcnow())
    yield application
    engine_of(application).dispose()


def _rows(path: Path, table: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()  # noqa: S608


class _LoginWriter(threading.Thread):
    """Another process's writes: login attempts, one per transaction, until told to stop."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path, self.written, self.stopping = path, 0, threading.Event()

    def run(self) -> None:
        with closing(sqlite3.connect(self.path, timeout=10, isolation_level=None)) as db:
            while not self.stopping.is_set():
                db.execute("INSERT INTO login_attempt (email, ip, at, succeeded) "
                           "VALUES (?, '10.0.0.1', '2026-11-22 10:00:00.000000', 0)",
                           (f"writer{self.written}@example.test",))
                self.written += 1


def test_backup_while_writing_then_restore_into_a_fresh_instance(
        sqlite_app: Flask, tmp_path: Path) -> None:
    live = tmp_path / "live" / "academy.db"
    with new_session(engine_of(sqlite_app)) as session:
        generate_scale_data(session, students=3, streams_per_student=20, now=utcnow())
    writer = _LoginWriter(live)
    writer.start()
    while writer.written < 200:
        time.sleep(0.01)
    before = writer.written
    (tmp_path / "saved").mkdir()
    result = sqlite_app.test_cli_runner().invoke(cli, args=["backup", str(tmp_path / "saved")])
    after = writer.written
    while writer.written < after + 200:
        time.sleep(0.01)
    writer.stopping.set()
    writer.join()
    assert result.exit_code == 0, result.output
    backup = next((tmp_path / "saved").glob("academy-*.db"))
    assert "Backed up" in result.output

    fresh = tmp_path / "fresh" / "academy.db"
    restored_app = create_app({"TESTING": True, "SECRET_KEY": "k",
                               "DATABASE_URL": f"sqlite:///{fresh}"})
    restored = restored_app.test_cli_runner().invoke(cli, args=["restore", str(backup)])
    assert restored.exit_code == 0, restored.output
    engine_of(restored_app).dispose()
    for table in ("user", "practice_stream", "assessment", "quiz_attempt", "module"):
        assert _rows(fresh, table) == _rows(live, table), table
    attempts = _rows(fresh, "login_attempt")
    # One moment's database: every write before it, none of those after it, no gaps.
    assert before <= len(attempts) <= after
    assert attempts == _rows(live, "login_attempt")[:len(attempts)]


def test_restore_refuses_to_replace_a_database_without_yes(sqlite_app: Flask,
                                                           tmp_path: Path) -> None:
    runner = sqlite_app.test_cli_runner()
    assert runner.invoke(cli, args=["backup", str(tmp_path / "copy.db")]).exit_code == 0
    refused = runner.invoke(cli, args=["restore", str(tmp_path / "copy.db")])
    assert refused.exit_code == 1 and "--yes" in refused.output
    confirmed = runner.invoke(cli, args=["restore", "--yes", str(tmp_path / "copy.db")])
    assert confirmed.exit_code == 0, confirmed.output
    replaced = next((tmp_path / "live").glob("academy-replaced-*.db"))
    assert _rows(replaced, "module") == _rows(tmp_path / "copy.db", "module")
    assert f"saved as {replaced}" in confirmed.output
    again = runner.invoke(cli, args=["backup", str(tmp_path / "copy.db")])
    assert again.exit_code == 1 and "already exists" in again.output


def test_restore_refuses_files_that_are_not_our_database(sqlite_app: Flask,
                                                         tmp_path: Path) -> None:
    text = tmp_path / "notes.db"
    text.write_text("not a database")
    foreign = tmp_path / "foreign.db"
    with closing(sqlite3.connect(foreign)) as db:
        db.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY)")
    runner = sqlite_app.test_cli_runner()
    for source, message in ((text, "is not a SQLite database"),
                            (foreign, "is not a Live Academy database")):
        result = runner.invoke(cli, args=["restore", "--yes", str(source)])
        assert result.exit_code == 1 and message in result.output
    assert _rows(tmp_path / "live" / "academy.db", "module")  # the catalogue is still there


def test_backup_on_postgresql_prints_the_pg_dump_command_without_the_password(
        tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "k", "DATABASE_URL":
                      "postgresql+psycopg://academy:s3cret-pw@db.example:5432/academy"})
    result = app.test_cli_runner().invoke(cli, args=["backup", str(tmp_path / "a.dump")])
    assert result.exit_code == 0
    assert "pg_dump --format=custom" in result.output
    assert "postgresql://academy@db.example:5432/academy" in result.output
    assert "s3cret-pw" not in result.output
    engine_of(app).dispose()


# Scale data


def test_scale_data_is_realistic_and_obeys_the_logging_rules(session: Session,
                                                             real_catalogue: None) -> None:
    now = utcnow()
    report = generate_scale_data(session, students=6, streams_per_student=40, now=now)
    assert report.students == 6 and report.streams >= 6 * 30
    students = session.exec(select(User).where(col(User.email).endswith(SCALE_DOMAIN),
                                               User.account_role == "student")).all()
    assert len(students) == 6
    streams = session.exec(select(PracticeStream).order_by(PracticeStream.started_at)).all()
    for stream in streams:  # the rules a student's own log must pass
        validate_stream(StreamInput.from_stream(stream, "Asia/Shanghai"),
                        timezone="Asia/Shanghai", now=now)
    assert {stream.team_code != "" for stream in streams} == {True, False}
    assert len({stream.platform for stream in streams}) >= 5
    third = len(streams) // 3
    early, late = streams[:third], streams[-third:]

    def mean_ctr(rows: list[PracticeStream]) -> float:
        rates = [derive_kpis(row)["product_ctr"] for row in rows]
        known = [float(rate) for rate in rates if rate is not None]
        return sum(known) / len(known)

    assert mean_ctr(late) > mean_ctr(early)  # skill grows with practice
    criteria = session.exec(select(Rubric)).one().criteria
    assessments = session.exec(select(Assessment)).all()
    assert assessments
    assert all(a.total == rubric_total(criteria, a.levels) for a in assessments)
    quizzes = {module.id: module.quiz for module in session.exec(select(Module))}
    attempts = session.exec(select(QuizAttempt)).all()
    assert attempts
    assert all(a.score == score_answers(quizzes[a.module_id], a.answers) for a in attempts)


def test_a_generated_student_is_the_same_in_a_data_set_of_any_size(session: Session,
                                                                   tmp_path: Path) -> None:
    """The pages benchmark compares one student's pages at two sizes: they must match."""
    now = utcnow()

    def first_students_streams(db: Session) -> list[tuple[object, ...]]:
        first = db.exec(select(User.id).where(User.email == scale_email(0))).one()
        return [(s.started_at, s.platform, s.market, s.viewers_uv, s.gmv, s.team_code)
                for s in db.exec(select(PracticeStream).where(PracticeStream.student_id == first)
                                 .order_by(PracticeStream.started_at, PracticeStream.team_code))]

    generate_scale_data(session, students=2, streams_per_student=15, now=now)
    engine = make_engine(f"sqlite:///{tmp_path / 'larger.db'}")
    upgrade_database(engine)
    with new_session(engine) as larger:
        generate_scale_data(larger, students=7, streams_per_student=15, now=now)
        assert first_students_streams(larger) == first_students_streams(session)
    engine.dispose()


def test_demo_scale_tops_up_to_n_students(runner, session: Session) -> None:  # type: ignore[no-untyped-def]
    first = runner.invoke(cli, args=["demo", "--scale", "2"])
    assert first.exit_code == 0, first.output
    assert "Scale data: 2 students" in first.output
    again = runner.invoke(cli, args=["demo", "--scale", "2"])
    assert again.exit_code == 0 and "Scale data: 0 students" in again.output
    learners = session.exec(select(User).where(col(User.email).like(f"learner%@{SCALE_DOMAIN}")))
    assert len(learners.all()) == 2


def test_demo_scale_is_refused_in_production(app: Flask, session: Session) -> None:
    app.config["LOAD_DEMO_DATA"] = False
    result = app.test_cli_runner().invoke(cli, args=["demo", "--scale", "2"])
    assert result.exit_code == 1 and "never loaded in production" in result.output
    assert session.exec(select(PracticeStream)).first() is None

