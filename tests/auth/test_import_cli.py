"""`academy users import FILE [--dry-run]` as an administrator types it."""

import csv
import io
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, func, select

from academy.auth import importing
from academy.auth.models import PasswordLink, User
from academy.cli import cli
from academy.notify.models import Notification

CLASS_CSV = (
    "email;name;role;locale\r\n"
    "li.wei@example.test;李伟;学生;zh\r\n"
    "wang.fang@example.test;王芳;;\r\n"
    "li.wei@example.test;李伟;;\r\n"
)


def _count(session: Session, model: type) -> int:
    session.rollback()  # end the read snapshot: see what the command wrote
    return session.exec(select(func.count()).select_from(model)).one()


def _file(tmp_path: Path, text: str = CLASS_CSV, encoding: str = "gbk") -> Path:
    path = tmp_path / "class.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_dry_run_reports_every_row_and_writes_nothing(
    runner, session: Session, tmp_path: Path
) -> None:
    result = runner.invoke(cli, args=["users", "import", str(_file(tmp_path)), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "line 2: create li.wei@example.test" in result.stdout
    assert "line 3: create wang.fang@example.test" in result.stdout
    assert "line 4: refuse li.wei@example.test  The same email is on line 2." in result.stdout
    assert "2 create, 0 update, 0 unchanged, 1 refuse" in result.stdout
    assert "Read 3 rows" in result.stderr and "gb18030" in result.stderr
    assert "nothing was written" in result.stdout
    assert _count(session, User) == 0 and _count(session, PasswordLink) == 0


def test_import_writes_the_links_file(runner, session: Session, tmp_path: Path) -> None:
    links_out = tmp_path / "links.csv"
    result = runner.invoke(
        cli,
        args=[
            "users",
            "import",
            str(_file(tmp_path)),
            "--links-out",
            str(links_out),
            "--site-url",
            "https://academy.example",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Imported: 2 created, 0 updated, 0 unchanged, 1 refused." in result.stderr
    rows = list(csv.DictReader(io.StringIO(links_out.read_text(encoding="utf-8-sig"))))
    assert [row["display_name"] for row in rows] == ["李伟", "王芳"]
    assert rows[0]["set_password_link"].startswith("https://academy.example/auth/set-password/")
    assert _count(session, User) == 2 and _count(session, Notification) == 2


def test_links_go_to_stdout_and_the_report_to_stderr(
    runner, session: Session, tmp_path: Path
) -> None:
    result = runner.invoke(cli, args=["users", "import", str(_file(tmp_path, encoding="utf-8"))])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["email"] for row in rows] == ["li.wei@example.test", "wang.fang@example.test"]
    assert "line 4: refuse" in result.stderr


def test_an_unreadable_file_exits_1(runner, session: Session, tmp_path: Path) -> None:
    path = tmp_path / "class.xlsx"
    path.write_bytes(b"PK\x03\x04 workbook")
    result = runner.invoke(cli, args=["users", "import", str(path)])
    assert result.exit_code == 1 and "Excel workbook" in result.stderr
    assert _count(session, User) == 0


def test_an_unwritable_links_file_is_refused_before_anything_is_written(
    runner, session: Session, tmp_path: Path
) -> None:
    target = tmp_path / "missing-folder" / "links.csv"
    result = runner.invoke(
        cli, args=["users", "import", str(_file(tmp_path)), "--links-out", str(target)]
    )
    assert result.exit_code == 1 and "Cannot write the links" in result.stderr
    assert _count(session, User) == 0


def test_an_account_created_meanwhile_stops_the_import_cleanly(
    runner, session: Session, tmp_path: Path, monkeypatch
) -> None:
    """On PostgreSQL another admin can create one of the accounts between check and write.

    (SQLite cannot race here: the command holds the write lock from its first statement.) The
    unique e-mail then refuses the bulk insert; the command says so and writes nothing.
    """
    def another_admin_got_in_first(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise sa.exc.IntegrityError("INSERT INTO user ...", {}, Exception("duplicate email"))

    monkeypatch.setattr(importing, "apply_plan", another_admin_got_in_first)
    result = runner.invoke(cli, args=["users", "import", str(_file(tmp_path)),
                                      "--links-out", str(tmp_path / "links.csv")])
    assert result.exit_code == 1
    assert "Another change to these accounts happened at the same moment" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert _count(session, User) == 0 and _count(session, PasswordLink) == 0
