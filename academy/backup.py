"""Backups: SQLite's online backup API in both directions; on PostgreSQL, pg_dump's commands.

Plain file copies are not used: copying a WAL database while it serves can catch the main
file and its ``-wal`` file at different moments, and copying over a live database leaves its
``-wal`` and ``-shm`` files describing another file.
"""

from __future__ import annotations

import datetime as dt
import os
import shlex
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from academy.db import MIGRATIONS_DIR

SQLITE_HEADER = b"SQLite format 3\x00"


class BackupError(Exception):
    """The backup or restore cannot be done; ``message`` says why, for the command line."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for a server database or an in-memory one."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def _quick_check(connection: sqlite3.Connection) -> str:
    return str(connection.execute("PRAGMA quick_check").fetchone()[0])


def backup_sqlite(source: Path, destination: Path, *, now: dt.datetime) -> Path:
    """Copy the database at ``source`` to ``destination`` while the site keeps serving.

    SQLite's backup API copies every page in one step inside one read transaction, so the copy
    is the database as it stood at one moment; under WAL the site's writers are not blocked
    meanwhile. The copy is checked, made a single self-contained file (rollback journal, not
    WAL), written under a temporary name and renamed, so a half-written file never carries the
    backup's name. A ``destination`` folder receives ``academy-<UTC time>.db``; an existing
    file is never overwritten. Returns the path written.
    """
    if destination.is_dir():
        destination = destination / f"academy-{now:%Y%m%d-%H%M%S}.db"
    if destination.exists():
        raise BackupError(f"{destination} already exists; choose another name.")
    if not source.is_file():
        raise BackupError(f"There is no database at {source}.")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    with closing(sqlite3.connect(source, timeout=30)) as live, \
            closing(sqlite3.connect(partial)) as copy:
        live.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
        check = _quick_check(copy)
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"The copy failed SQLite's check ({check}); nothing was written.")
    os.replace(partial, destination)
    return destination


def _known_revisions() -> set[str]:
    return {script.revision for script in ScriptDirectory(str(MIGRATIONS_DIR)).walk_revisions()}


def check_backup(path: Path) -> str:
    """Check that ``path`` is a sound SQLite database with this application's schema.

    Returns its schema revision. Raises ``BackupError`` for anything else: another kind of
    file, a damaged database, a database of another application, or one made by a newer
    version of Live Academy (a revision this code does not know).
    """
    if not path.is_file():
        raise BackupError(f"There is no file at {path}.")
    with path.open("rb") as file:
        if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupError(f"{path} is not a SQLite database.")
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            check = _quick_check(db)
            tables = {name for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            revision = db.execute("SELECT version_num FROM alembic_version").fetchone() \
                if "alembic_version" in tables else None
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} cannot be read as a database: {error}.") from error
    if check != "ok":
        raise BackupError(f"{path} is damaged (SQLite's check says: {check}).")
    if revision is None or "user" not in tables:
        raise BackupError(f"{path} is not a Live Academy database (no schema revision).")
    if revision[0] not in _known_revisions():
        raise BackupError(f"{path} has schema revision {revision[0]}, which this version of "
                          f"Live Academy does not know; restore it with the version that made it.")
    return str(revision[0])


@dataclass(frozen=True)
class Restored:
    revision: str  # the backup's schema revision
    replaced_copy: Path | None  # where the database it replaced was saved first


def restore_sqlite(backup: Path, target: Path, *, now: dt.datetime) -> Restored:
    """Replace the database at ``target`` with ``backup``.

    The backup is checked first (``check_backup``). The database it replaces is saved beside
    it (``<name>-replaced-<UTC time>.db``), so a restore of the wrong file can be undone. The
    copy uses the backup API, which keeps the target's ``-wal`` and ``-shm`` files consistent.
    Stop the site first: its open transactions would see the database change under them. The
    caller asks before replacing an existing database.
    """
    revision = check_backup(backup)
    replaced_copy = None
    if target.is_file() and target.stat().st_size > 0:
        replaced_copy = backup_sqlite(
            target, target.with_name(f"{target.stem}-replaced-{now:%Y%m%d-%H%M%S}.db"), now=now)
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)) as source, \
            closing(sqlite3.connect(target, timeout=30)) as live:
        source.backup(live)
    return Restored(revision, replaced_copy)


def schema_head() -> str:
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None
    return head


def _libpq_url(url: str) -> str:
    """The server URL as libpq tools take it, without its password (never printed)."""
    given = sa.make_url(url)
    return sa.URL.create("postgresql", username=given.username, host=given.host,
                         port=given.port, database=given.database,
                         query=given.query).render_as_string(hide_password=False)


def pg_dump_command(url: str, destination: Path) -> str:
    return (f"pg_dump --format=custom --no-owner --file {shlex.quote(str(destination))} "
            f"{shlex.quote(_libpq_url(url))}")


def pg_restore_command(url: str, source: Path) -> str:
    return (f"pg_restore --clean --if-exists --no-owner --dbname {shlex.quote(_libpq_url(url))} "
            f"{shlex.quote(str(source))}")
