"""What the benchmarks share: throw-away databases, data sets, sign-in, percentiles, tables."""

from __future__ import annotations

import contextlib
import os
import platform
import re
import secrets
import statistics
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import sqlalchemy as sa

from academy.config import PROJECT_ROOT
from academy.curriculum.sync import sync_courses
from academy.db import make_engine, new_session, upgrade_database, utcnow
from academy.demo import load_demo_data
from academy.demo_scale import ScaleReport, generate_scale_data

COURSES = PROJECT_ROOT / "courses"
BENCH_DATABASE_ENV = "ACADEMY_BENCH_DATABASE_URL"
CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def machine() -> str:
    """The machine the figures were measured on, for the table's heading."""
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kilobytes = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kilobytes / 1024 ** 2:.0f} GiB"
    return (f"{os.cpu_count()} cores{memory}, Python {platform.python_version()}, "
            f"{platform.system()} {platform.machine()}")


def servers() -> list[tuple[str, str | None]]:
    """The databases to run on: SQLite always, PostgreSQL when ACADEMY_BENCH_DATABASE_URL is set."""
    found: list[tuple[str, str | None]] = [("SQLite", None)]
    if os.environ.get(BENCH_DATABASE_ENV):
        found.append(("PostgreSQL", os.environ[BENCH_DATABASE_ENV]))
    return found


@contextlib.contextmanager
def scratch_database(folder: Path, server: str | None = None) -> Iterator[str]:
    """A new, empty database for one run, dropped afterwards.

    A SQLite file in ``folder``, or a database created on the PostgreSQL ``server`` (a URL of
    a role that may create databases).
    """
    name = f"academy_bench_{uuid.uuid4().hex[:10]}"
    if server is None:
        yield f"sqlite:///{folder / name}.db"
        return
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def build_data_set(url: str, *, students: int, streams_per_student: int,
                   students_per_cohort: int = 100) -> ScaleReport:
    """Migrate, sync the shipped courses, add the demo accounts and ``students`` generated ones."""
    engine = make_engine(url)
    try:
        upgrade_database(engine)
        with new_session(engine) as session:
            sync_courses(session, COURSES, now=utcnow())
            load_demo_data(session, now=utcnow())
            session.commit()
            return generate_scale_data(session, students=students, now=utcnow(),
                                       streams_per_student=streams_per_student,
                                       students_per_cohort=students_per_cohort)
    finally:
        engine.dispose()


def production_environment(**settings: str) -> dict[str, str]:
    """ACADEMY_* variables of a production process with a fresh secret key.

    Loopback is plain HTTP, so cookies are not marked Secure; ``settings`` add or replace.
    """
    return {"ACADEMY_ENV": "production", "ACADEMY_SECRET_KEY": secrets.token_hex(32),
            "ACADEMY_SECURE_COOKIES": "false", **settings}


def csrf_token(html: str) -> str:
    match = CSRF_TOKEN.search(html)
    if match is None:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0.99 is p99) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]],
                notes: Sequence[str] = ()) -> None:
    """A plain-text table: the first column left-aligned, the figures right-aligned."""
    cells = [[str(cell) for cell in row] for row in [header, *rows]]
    widths = [max(len(row[index]) for row in cells) for index in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(cell.ljust(widths[0]) if index == 0 else cell.rjust(widths[index])
                         for index, cell in enumerate(row)).rstrip()

    print(f"\n{title}")
    print(line(cells[0]))
    print("  ".join("-" * width for width in widths))
    for row in cells[1:]:
        print(line(row))
    for note in notes:
        print(note)


def verdict(holds: bool) -> str:
    return "ok" if holds else "MISS"
