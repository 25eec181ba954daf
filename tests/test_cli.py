"""The `academy` command as an administrator types it."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from flask import Flask
from sqlmodel import Session, select

from academy.auth.models import AccountRole, PartnerFirm, User
from academy.cli import cli
from academy.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from academy.security import verify_password


def _user(session: Session, email: str) -> User | None:
    session.expire_all()
    return session.exec(select(User).where(User.email == email)).first()


def test_users_create_reads_the_password_from_stdin(runner, session: Session) -> None:
    result = runner.invoke(cli, args=["users", "create", "Teacher@College.test", "--role",
                                 "instructor", "--name", "Teacher Wu", "--password-stdin"],
                           input="a long password\n")
    assert result.exit_code == 0, result.output
    user = _user(session, "teacher@college.test")
    assert user.account_role == AccountRole.INSTRUCTOR and user.display_name == "Teacher Wu"
    assert verify_password(user.password_hash, "a long password")


def test_users_create_prompts_for_the_password_twice(runner, session: Session) -> None:
    result = runner.invoke(cli, args=["users", "create", "a@college.test", "--role", "admin"],
                           input="a long password\na long password\n")
    assert result.exit_code == 0, result.output
    assert _user(session, "a@college.test").account_role == AccountRole.ADMIN


def test_users_create_reports_a_broken_rule_and_exits_1(runner, session: Session) -> None:
    result = runner.invoke(cli, args=["users", "create", "p@firm.test", "--role", "partner",
                                 "--firm", "nowhere", "--password-stdin"],
                           input="a long password\n")
    assert result.exit_code == 1
    assert "There is no partner firm nowhere." in result.output
    assert _user(session, "p@firm.test") is None


def test_firms_create_then_partner_staff(runner, session: Session) -> None:
    created = runner.invoke(cli, args=["firms", "create", "shenzhen-audio", "Shenzhen Audio"])
    assert created.exit_code == 0
    result = runner.invoke(cli, args=["users", "create", "hr@audio.test", "--role", "partner",
                                 "--firm", "shenzhen-audio", "--password-stdin"],
                           input="a long password\n")
    assert result.exit_code == 0, result.output
    firm = session.exec(select(PartnerFirm).where(PartnerFirm.slug == "shenzhen-audio")).one()
    assert _user(session, "hr@audio.test").firm_id == firm.id
    again = runner.invoke(cli, args=["firms", "create", "shenzhen-audio", "Again"])
    assert again.exit_code == 1 and "already exists" in again.output


def test_demo_is_idempotent(runner, session: Session) -> None:
    first = runner.invoke(cli, args=["demo"])
    assert first.exit_code == 0 and "6 item(s) added" in first.output
    second = runner.invoke(cli, args=["demo"])
    assert second.exit_code == 0 and "0 item(s) added" in second.output
    for email, _name, account_role in DEMO_ACCOUNTS:
        user = _user(session, email)
        assert user.account_role == account_role
        assert verify_password(user.password_hash, DEMO_PASSWORD)


def test_demo_is_refused_in_production(app: Flask, session: Session) -> None:
    app.config["LOAD_DEMO_DATA"] = False
    result = app.test_cli_runner().invoke(cli, args=["demo"])
    assert result.exit_code == 1 and "never loaded in production" in result.output
    assert session.exec(select(User)).first() is None


def test_db_upgrade_is_a_no_op_on_a_current_database(runner) -> None:
    result = runner.invoke(cli, args=["db", "upgrade"])
    assert result.exit_code == 0 and "up to date" in result.output


def test_serve_migrates_loads_demo_and_answers_http(tmp_path: Path) -> None:
    """The quick start's `academy serve`, as a real process on a free port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "ACADEMY_INSTANCE_PATH": str(tmp_path / "instance"),
           "ACADEMY_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}"}
    academy = Path(sys.executable).with_name("academy")
    server = subprocess.Popen([str(academy), "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                assert time.monotonic() < deadline, "academy serve did not answer in 60 s"
                time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as page:
            assert "Sign in" in page.read().decode()
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0]
    assert "Demo data: 6 item(s) added" in output
    assert "Courses: 21 added" in output
