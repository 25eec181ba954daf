"""``academy courses sync`` killed mid-run leaves the old catalogue whole; a rerun succeeds.

The sync writes in one transaction, so SIGKILL (no cleanup, no rollback by the process) must
leave the database as it was: SQLite ignores the uncommitted WAL frames, PostgreSQL rolls back
the dropped connection's transaction. The kill is timed by the progress bar the command shows
on a terminal: it comes after the first module is written and long before the last.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlmodel import Session
from sqlmodel import select as sql_select

from academy.curriculum.models import Module
from academy.curriculum.sync import sync_courses
from academy.db import utcnow
from tests.curriculum.builders import write_catalogue, write_module, write_rubric

ACADEMY = Path(sys.executable).parent / "academy"
MODULES_PER_TRACK = 60
BODY = "\n\n".join(f"## Part {n}\n\nExplain the MOQ, the lead time and the Incoterm. " * 3
                   for n in range(12))


def catalogue(session: Session) -> dict[str, tuple[str, str, bool]]:
    session.rollback()
    return {module.slug: (module.title, module.content_hash, module.retired)
            for module in session.exec(sql_select(Module).execution_options(
                populate_existing=True))}


def sync_command(database_url: str, course_dir: Path, instance: Path) -> tuple[list[str], dict]:
    env = {**os.environ, "ACADEMY_DATABASE_URL": database_url,
           "ACADEMY_INSTANCE_PATH": str(instance), "ACADEMY_SECRET_KEY": "test-secret-key"}
    return [str(ACADEMY), "courses", "sync", str(course_dir)], env


def run_until_progress_then_kill(command: list[str], env: dict) -> tuple[int, bytes]:
    """Run ``command`` on a pseudo-terminal (so it draws its progress bar); SIGKILL it then."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(command, env=env, stdin=follower, stdout=follower,
                               stderr=follower, close_fds=True)
    os.close(follower)
    output = b""
    deadline = time.monotonic() + 120
    while b"Syncing courses" not in output and time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 1)
        if ready:
            try:
                output += os.read(leader, 4096)
            except OSError:
                break  # the process ended and closed the terminal
    process.send_signal(signal.SIGKILL)
    returncode = process.wait(timeout=30)
    os.close(leader)
    return returncode, output


def processes_running(argument: str) -> list[int]:
    """Ids of live processes (not zombies) whose command line contains ``argument``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command_line = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue  # it ended while we looked
        if argument.encode() in command_line and state != "Z":
            found.append(int(entry.name))
    return found


def wait_until_gone(argument: str, seconds: float = 10) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := processes_running(argument)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_a_sync_killed_midway_leaves_the_old_catalogue_and_a_rerun_succeeds(
        session: Session, tmp_path: Path, database_url: str) -> None:
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    write_catalogue(old_dir, per_track=2)
    sync_courses(session, old_dir, now=utcnow())
    before = catalogue(session)
    for track in ("host", "operator", "planner"):
        for number in range(1, MODULES_PER_TRACK + 1):
            write_module(new_dir, track, number, f"{track}-topic-{number}", body=BODY,
                         title=f"Revised {track} topic {number}")
    write_rubric(new_dir)
    command, env = sync_command(database_url, new_dir, tmp_path / "instance")

    returncode, output = run_until_progress_then_kill(command, env)

    assert returncode == -signal.SIGKILL, output.decode(errors="replace")
    assert b"Courses:" not in output, "the sync finished before it could be killed"
    assert catalogue(session) == before
    # Rendering workers must not outlive the sync: orphans would wait for work forever.
    assert wait_until_gone(str(new_dir)) == []

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{3 * MODULES_PER_TRACK - 6} added, 6 updated" in rerun.stdout
    after = catalogue(session)
    assert len(after) == 3 * MODULES_PER_TRACK
    assert all(title.startswith("Revised") and not retired
               for title, _hash, retired in after.values())
