"""`academy courses check` and `academy courses sync` as an author runs them."""

from pathlib import Path

from flask import Flask
from sqlmodel import Session, select

from academy.cli import cli
from academy.curriculum.models import Module
from tests.curriculum.builders import write_catalogue, write_module


def test_check_passes_a_valid_folder_with_a_summary(runner, tmp_path: Path) -> None:
    write_catalogue(tmp_path, per_track=2)
    result = runner.invoke(cli, args=["courses", "check", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].startswith(
        "OK: 6 modules in 3 track(s) and 1 rubric(s)")


def test_check_prints_path_line_message_and_exits_1(runner, tmp_path: Path) -> None:
    write_catalogue(tmp_path)
    broken = write_module(tmp_path, "host", 3, "broken", hours=0)
    result = runner.invoke(cli, args=["courses", "check", str(tmp_path)])
    assert result.exit_code == 1
    line = next(line for line in result.output.splitlines() if line.startswith(str(broken)))
    assert line.startswith(f"{broken}:4: ") and "hours" in line


def test_check_reports_bad_yaml_without_a_traceback(runner, tmp_path: Path) -> None:
    path = tmp_path / "host" / "01-bad.md"
    path.parent.mkdir(parents=True)
    path.write_text("---\ntitle: [unclosed\n---\nBody\n", encoding="utf-8")
    result = runner.invoke(cli, args=["courses", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert str(path) in result.output and "Traceback" not in result.output


def test_sync_reports_counts_then_nothing_changes(app: Flask, runner, session: Session) -> None:
    course_dir = Path(app.config["COURSES_DIR"])
    write_catalogue(course_dir, per_track=2)
    first = runner.invoke(cli, args=["courses", "sync"])
    assert first.exit_code == 0, first.output
    assert "7 added, 0 updated, 0 unchanged, 0 retired" in first.output
    second = runner.invoke(cli, args=["courses", "sync"])
    assert "0 added, 0 updated, 7 unchanged, 0 retired" in second.output
    assert len(session.exec(select(Module)).all()) == 6


def test_sync_of_a_broken_folder_exits_1_and_changes_nothing(app: Flask, runner,
                                                             session: Session,
                                                             tmp_path: Path) -> None:
    write_catalogue(tmp_path)
    write_module(tmp_path, "operator", 9, "loop", prerequisites=["loop"])
    result = runner.invoke(cli, args=["courses", "sync", str(tmp_path)])
    assert result.exit_code == 1
    assert "nothing was changed" in result.output
    assert session.exec(select(Module)).first() is None
