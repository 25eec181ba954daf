"""Engine, one session per request, SQLite pragmas, UTC timestamps and the schema upgrade."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app, g, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from academy.config import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
UTC = dt.UTC
CENT = Decimal("0.01")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BUSY_TIMEOUT_SECONDS = 10.0
MAX_ID = 2**31 - 1  # id columns are 32-bit integers on every database


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """An aware UTC datetime on every database.

    SQLite stores no offset and hands back naive values; this type refuses naive input and
    returns aware UTC values, so code never compares naive with aware times.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class TwoPlaces(sa.types.TypeDecorator[Decimal]):
    """A Decimal with two places (money, a rubric total), stored as whole hundredths.

    Integers add up exactly in SQL on both databases (SQLite has no decimal type), and
    ``func.sum`` over such a column comes back as a Decimal again.
    """

    impl = sa.BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> int | None:
        if value is None:
            return None
        return int((Decimal(value) * 100).to_integral_value(rounding=ROUND_HALF_UP))

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        return None if value is None else (Decimal(int(value)) / 100).quantize(CENT)


def text_enum(enum: type[StrEnum]) -> sa.Enum:
    """Store a str enum as its value in a plain text column on every database."""
    return sa.Enum(
        enum,
        native_enum=False,
        values_callable=lambda members: [member.value for member in members],
        length=max(len(member.value) for member in enum),
        validate_strings=True,
    )


def _configure_sqlite(engine: Engine, busy_timeout: float) -> None:
    """WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE for writing requests.

    pysqlite's implicit transactions start deferred; a deferred transaction that later writes
    fails at once with "database is locked" (or loses updates) when another process writes
    (shared/research/reliability-perf.md §2). Writing work declares itself with the
    ``sqlite_begin="IMMEDIATE"`` execution option and takes the write lock up front; reads
    stay deferred so they run beside a writer under WAL.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def _open_existing_sqlite_file(path: Path, busy_timeout: float) -> Callable[[], Any]:
    """Connect to the file at ``path`` only if it exists (``mode=rw``).

    Plain ``sqlite3.connect`` creates an empty database where the file went missing (moved,
    restored, on an unmounted disk): the site would then fail on every query with "no such
    table" and keep the empty file open after the real one is back. Refusing to open it
    instead makes the site answer 503 until the file returns, and then recover by itself.
    """
    uri = f"{path.absolute().as_uri()}?mode=rw"

    def connect() -> Any:
        return sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=busy_timeout)

    return connect


def make_engine(url: str, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> Engine:
    """Create the engine for ``url``; SQLite file databases get their folder, file and pragmas.

    ``busy_timeout`` is how long a SQLite writer waits for another process's write lock before
    the request is refused with 503 (academy.errors.database_unavailable).
    """
    sa_url = sa.make_url(url)
    if sa_url.get_backend_name() == "sqlite":
        if sa_url.database and sa_url.database != ":memory:":
            path = Path(sa_url.database)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(exist_ok=True)
            engine = sa.create_engine(url, creator=_open_existing_sqlite_file(path, busy_timeout))
        else:
            engine = sa.create_engine(url, connect_args={"check_same_thread": False,
                                                         "timeout": busy_timeout})
        _configure_sqlite(engine, busy_timeout)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def writing(engine: Engine) -> Engine:
    """The same engine, declaring that its transactions will write (see _configure_sqlite)."""
    return engine.execution_options(sqlite_begin="IMMEDIATE")


def new_session(engine: Engine, *, write: bool = True) -> Session:
    """A session for the CLI, jobs and tests; objects stay readable after commit."""
    return Session(writing(engine) if write else engine, expire_on_commit=False)


def get_session() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = new_session(
            current_app.extensions["academy_engine"], write=request.method not in SAFE_METHODS
        )
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


def init_db(app: Flask) -> None:
    app.extensions["academy_engine"] = make_engine(
        app.config["DATABASE_URL"],
        busy_timeout=app.config.get("DATABASE_BUSY_TIMEOUT", BUSY_TIMEOUT_SECONDS))
    app.teardown_appcontext(_close_session)


def engine_of(app: Flask) -> Engine:
    return app.extensions["academy_engine"]


def alembic_config(engine: Engine) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option(
        "file_template",
        "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(rev)s_%%(slug)s",
    )
    config.attributes["engine"] = engine
    return config


def managed_by_models(name: str | None, _type: str, _parents: Any) -> bool:
    """Tell autogenerate to leave alone the hand-kept full-text search objects (``search_*``)."""
    return not (name or "").startswith("search_")


def upgrade_database(engine: Engine) -> None:
    """Bring the schema to the newest migration (a no-op when it is there already)."""
    command.upgrade(alembic_config(engine), "head")


def database_is_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except sa.exc.SQLAlchemyError:
        return False
    return True
