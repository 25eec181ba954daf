"""The benchmarks run from a fresh clone with one command each (their smoke mode)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from academy.curriculum.sync import sync_courses
from academy.db import engine_of, utcnow
from benchmarks.pages import ANONYMOUS_FLOOR, SIGNED_IN_FLOOR, _bare_flask, add_floor_routes
from tests.curriculum.builders import write_catalogue

ROOT = Path(__file__).resolve().parents[1]
# Each benchmark, and texts its table must show.
BENCHMARKS = {
    "benchmarks.pages": ("module page", "class gradebook", "cohort board", "bare Flask"),
    "benchmarks.load": ("SQLite", "writes acked", "lost", "slowest sign-in s"),
    "benchmarks.sync": ("SQLite", "cold s", "unchanged s"),
}


def test_every_benchmark_runs_in_quick_mode_and_prints_its_table() -> None:
    """No figure is asserted: a wall-clock target on a shared machine would only flake."""
    for module, expected in BENCHMARKS.items():
        result = subprocess.run([sys.executable, "-m", module, "--quick"], cwd=ROOT,
                                env={**os.environ, "PYTHONPATH": str(ROOT)},
                                capture_output=True, text=True, timeout=180, check=False)
        assert result.returncode == 0, f"{module}:\n{result.stdout}\n{result.stderr}"
        table = result.stdout
        assert "\n------" in table, f"{module} printed no table:\n{table}"
        for text in expected:
            assert text in table, f"{module}: {text!r} missing from\n{table}"


def test_the_bare_baseline_serves_the_stored_module_html_from_the_database(
        app: Flask, session: Session, tmp_path: Path) -> None:
    write_catalogue(tmp_path, per_track=1)
    sync_courses(session, tmp_path, now=utcnow())
    bare = _bare_flask(engine_of(app)).test_client()
    page = bare.get("/modules/host-topic-1").get_data(as_text=True)
    assert "<title>Host Topic 1</title>" in page and "The body of host-topic-1." in page
    assert bare.get("/modules/no-such-module").status_code == 404


def test_the_floors_serve_the_stored_html_through_the_app_one_only_when_signed_in(
        app: Flask, session: Session, tmp_path: Path, client: FlaskClient, login_as) -> None:
    write_catalogue(tmp_path, per_track=1)
    sync_courses(session, tmp_path, now=utcnow())
    add_floor_routes(app)
    anonymous = app.test_client()
    response = anonymous.get(f"{ANONYMOUS_FLOOR}/host-topic-1")
    assert response.status_code == 200 and "The body of host-topic-1." in response.text
    assert "Content-Security-Policy" in response.headers  # the app's own duties ran
    assert anonymous.get(f"{SIGNED_IN_FLOOR}/host-topic-1").status_code == 302
    login_as("student")
    signed_in = client.get(f"{SIGNED_IN_FLOOR}/host-topic-1")
    assert signed_in.status_code == 200 and "The body of host-topic-1." in signed_in.text
