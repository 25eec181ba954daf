"""Several processes log streams while another holds the write lock: no error reaches a user.

SQLite lets one writer at a time; a writer that waits longer than the busy timeout is refused
with a friendly 503 and Retry-After, never the driver's "database is locked". PostgreSQL makes
the writers wait for the table lock instead. Either way every acknowledged stream is stored and
no refused one is.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, select

from academy.auth.models import User
from academy.practice.models import PracticeStream
from tests.faults.conftest import backend_of

PROJECT = Path(__file__).resolve().parents[2]
WRITERS, STREAMS_EACH, BUSY_TIMEOUT, LOCK_HELD = 3, 10, 0.3, 1.5


@contextlib.contextmanager
def write_lock(database_url: str) -> Iterator[None]:
    """Hold the database's write lock (SQLite) or the streams table's (PostgreSQL)."""
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        if backend_of(database_url) == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.begin()
            connection.exec_driver_sql("LOCK TABLE practice_stream IN EXCLUSIVE MODE")
        try:
            yield
        finally:
            connection.rollback()
    engine.dispose()


def test_concurrent_writers_are_served_or_refused_cleanly_and_nothing_acknowledged_is_lost(
        database_url: str, make_user: Callable[..., User], session: Session) -> None:
    students = [make_user("student") for _ in range(WRITERS)]
    writers = [subprocess.Popen(
        [sys.executable, "-m", "tests.faults.stream_writer", database_url, student.email,
         str(STREAMS_EACH), str(BUSY_TIMEOUT)],
        cwd=PROJECT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        for student in students]
    for writer in writers:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    with write_lock(database_url):
        for writer in writers:
            assert writer.stdin is not None
            writer.stdin.write("go\n")
            writer.stdin.flush()
        time.sleep(LOCK_HELD)
    results = [json.loads(writer.communicate(timeout=120)[0]) for writer in writers]
    responses = [response for result in results for response in result]

    assert {response["status"] for response in responses} <= {302, 503}
    assert not any(response["leaked"] for response in responses)
    refused = [response for response in responses if response["status"] == 503]
    assert all(response["retry_after"] for response in refused)
    if backend_of(database_url) == "sqlite":
        assert refused, "the held lock outlasted the busy timeout: some writes must be refused"
    session.rollback()
    stored = set(session.exec(select(PracticeStream.notes_md)).all())
    acknowledged = {response["notes"] for response in responses if response["status"] == 302}
    assert stored == acknowledged
    assert len(acknowledged) + len(refused) == WRITERS * STREAMS_EACH
