"""Pages at 1× and 10× data, in process, and the module page against a bare Flask app.

Each page is requested one request after another through Flask's test client (no network:
the figures are the application's own cost) on a data set and on one with ten times the
students, each with the same kind of history. The first students, and the first order class,
are identical in both, so a student's own pages show the same rows at both sizes. For every
page: the median latency, the throughput, and the SQL statements one request issues.

The module page is also measured against a bare Flask app in the same process that reads
the module's stored HTML from the same database by slug and renders it into a minimal page:
the floor of serving a stored module through Flask, without sign-in, CSRF, translation or
the site's layout.

Measurements alternate in short rounds (1× then 10×, page then baseline), so a busy moment
of the machine falls on both sides of each ratio. The app runs with the production settings,
its request log written to /dev/null.

    python -m benchmarks.pages [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, abort
from flask.testing import FlaskClient
from flask_login import login_required

from academy import create_app
from academy.db import engine_of, get_session
from academy.demo import DEMO_PASSWORD
from academy.demo_scale import ScaleReport, scale_email
from benchmarks.common import (
    build_data_set,
    csrf_token,
    machine,
    median,
    print_table,
    production_environment,
    verdict,
)

MODULE = "script-and-flow"  # mid-track, with prerequisites and neighbours
COHORT = "scale-order-class-0001"
STUDENT = scale_email(0)
INSTRUCTOR = "instructor@demo.test"
LATENCY_GROWTH_TARGET = 1.5
BASELINE_TARGET = 0.8


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    reader: str  # the email of the account that opens it


PAGES = (
    Page("module page", f"/modules/{MODULE}", STUDENT),
    Page("catalogue", "/courses", STUDENT),
    Page("my practice", "/practice", STUDENT),
    Page("class overview", "/practice/class", INSTRUCTOR),
    Page("class gradebook", "/gradebook/class", INSTRUCTOR),
    Page("cohort board", f"/cohorts/{COHORT}/board", INSTRUCTOR),
)


@dataclass(frozen=True)
class Size:
    students: int
    streams_per_student: int
    students_per_cohort: int
    seconds_per_page: float
    rounds: int


FULL = Size(students=100, streams_per_student=200, students_per_cohort=100,
            seconds_per_page=3.0, rounds=10)
QUICK = Size(students=6, streams_per_student=10, students_per_cohort=6,
             seconds_per_page=0.2, rounds=2)


@dataclass
class Measured:
    latencies: list[float]
    seconds: float
    statements: int

    @property
    def median_ms(self) -> float:
        return median(self.latencies) * 1000

    @property
    def per_second(self) -> float:
        return len(self.latencies) / self.seconds


def _signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"csrf_token": token, "email": email,
                                           "password": DEMO_PASSWORD})
    if response.status_code != 302:
        raise RuntimeError(f"could not sign in as {email}")
    return client


def _timed(fetch: Callable[[], object], seconds: float, latencies: list[float]) -> float:
    """Call ``fetch`` for ``seconds`` (at least 5 times); add each latency; return the time."""
    started = time.perf_counter()
    while True:
        before = time.perf_counter()
        fetch()
        latencies.append(time.perf_counter() - before)
        elapsed = time.perf_counter() - started
        if elapsed >= seconds and len(latencies) >= 5:
            return elapsed


def _getter(client: FlaskClient, url: str) -> Callable[[], bytes]:
    def fetch() -> bytes:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        return response.data

    return fetch


@contextlib.contextmanager
def _statement_counter(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SAVEPOINT",
                                                      "RELEASE")):
            statements.append(statement)

    engine = engine_of(app)
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _measure_pages(apps: dict[int, Flask], size: Size) -> dict[int, dict[str, Measured]]:
    """Every page at both sizes, in alternating rounds (a slow moment falls on both sizes)."""
    readers = {page.reader for page in PAGES}
    clients = {scale: {email: _signed_in(app, email) for email in readers}
               for scale, app in apps.items()}
    results: dict[int, dict[str, Measured]] = {scale: {} for scale in apps}
    for page in PAGES:
        fetches = {scale: _getter(clients[scale][page.reader], page.url) for scale in apps}
        latencies: dict[int, list[float]] = {scale: [] for scale in apps}
        seconds = dict.fromkeys(apps, 0.0)
        statements = {}
        for scale, fetch in fetches.items():
            for _ in range(3):
                fetch()  # warm caches: templates, the connection pool, SQLite's pages
            with _statement_counter(apps[scale]) as executed:
                fetch()
            statements[scale] = len(executed)
        for _ in range(size.rounds):
            for scale, fetch in fetches.items():
                seconds[scale] += _timed(fetch, size.seconds_per_page / size.rounds,
                                         latencies[scale])
        for scale in apps:
            results[scale][page.name] = Measured(latencies[scale], seconds[scale],
                                                 statements[scale])
    return results


BARE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1>{{ body_html|safe }}</main></body></html>"""


def _bare_flask(engine: sa.Engine) -> Flask:
    """A bare Flask app serving the stored module HTML from the same database, by slug.

    One route: one query for the module's title and stored HTML, rendered into a minimal page
    by a compiled Jinja template. No session, sign-in, CSRF, translation or layout: the floor
    of serving a stored module page through Flask.
    """
    bare = Flask("bare")
    page = bare.jinja_env.from_string(BARE_PAGE)
    stored = sa.text("SELECT title, body_html FROM module WHERE slug = :slug")

    @bare.get("/modules/<slug>")
    def stored_page(slug: str) -> str:
        with engine.connect() as connection:
            row = connection.execute(stored, {"slug": slug}).first()
        if row is None:
            abort(404)
        return page.render(title=row.title, body_html=row.body_html)

    return bare


_STORED_BODY = sa.text("SELECT body_html FROM module WHERE slug = :slug")


def _stored_body(slug: str) -> str:
    row = get_session().execute(_STORED_BODY, {"slug": slug}).first()
    if row is None:
        abort(404)
    return str(row.body_html)


ANONYMOUS_FLOOR = "/bench-floor/anonymous"
SIGNED_IN_FLOOR = "/bench-floor/signed-in"


def add_floor_routes(app: Flask) -> None:
    """Two probe routes on the app under test: what any of its pages costs before the page.

    Both serve the module's stored HTML, by one query, through everything the app does for
    every request (request log, security headers, the request's database session); the
    second also reads the session cookie and loads the signed-in user, as every page behind
    sign-in must. The module page can be no faster than the second; the gap between them and
    the bare app is the price of those duties, which no caching of the page removes.
    """
    app.add_url_rule(f"{ANONYMOUS_FLOOR}/<slug>", "bench_floor_anonymous", _stored_body)
    app.add_url_rule(f"{SIGNED_IN_FLOOR}/<slug>", "bench_floor_signed_in",
                     login_required(_stored_body))


def _module_against_bare(app: Flask, size: Size) -> dict[str, Measured]:
    """The module page, the two floors and the bare app, measured in alternating rounds."""
    student = _signed_in(app, STUDENT)
    fetches = {
        "bare Flask": _getter(_bare_flask(engine_of(app)).test_client(), f"/modules/{MODULE}"),
        "our app, anonymous, no layout": _getter(app.test_client(),  # no cookie at all
                                                 f"{ANONYMOUS_FLOOR}/{MODULE}"),
        "our app, signed in, no layout": _getter(student, f"{SIGNED_IN_FLOOR}/{MODULE}"),
        "module page": _getter(student, f"/modules/{MODULE}"),
    }
    for fetch in fetches.values():
        for _ in range(3):
            fetch()
    latencies: dict[str, list[float]] = {label: [] for label in fetches}
    seconds = dict.fromkeys(fetches, 0.0)
    for _ in range(size.rounds):
        for label, fetch in fetches.items():
            seconds[label] += _timed(fetch, size.seconds_per_page / size.rounds,
                                     latencies[label])
    return {label: Measured(latencies[label], seconds[label], 0) for label in fetches}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    size = QUICK if parser.parse_args().quick else FULL
    os.environ.update(production_environment())
    print(f"Building data sets: {size.students} and {size.students * 10} students with about "
          f"{size.streams_per_student} practice streams each …", flush=True)
    with tempfile.TemporaryDirectory(prefix="academy-bench-") as folder, \
            open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        built: dict[int, ScaleReport] = {}
        apps: dict[int, Flask] = {}
        for scale in (1, 10):
            url = f"sqlite:///{Path(folder) / f'x{scale}.db'}"
            built[scale] = build_data_set(url, students=size.students * scale,
                                          streams_per_student=size.streams_per_student,
                                          students_per_cohort=size.students_per_cohort)
            apps[scale] = create_app({"DATABASE_URL": url})
        add_floor_routes(apps[1])
        results = _measure_pages(apps, size)
        module_against_bare = _module_against_bare(apps[1], size)
        for app in apps.values():
            engine_of(app).dispose()
    _report(built, results, module_against_bare)


def _report(built: dict[int, ScaleReport], results: dict[int, dict[str, Measured]],
            module_against_bare: dict[str, Measured]) -> None:
    rows = []
    for page in PAGES:
        one, ten = results[1][page.name], results[10][page.name]
        growth = ten.median_ms / one.median_ms
        rows.append([page.name, f"{one.median_ms:.1f}", f"{ten.median_ms:.1f}", f"{growth:.2f}",
                     one.statements, ten.statements, f"{one.per_second:.0f}",
                     f"{ten.per_second:.0f}",
                     verdict(growth <= LATENCY_GROWTH_TARGET
                             and one.statements == ten.statements)])
    print_table(
        f"Pages in process, SQLite, production settings — {machine()}",
        ["page", "median ms 1×", "median ms 10×", "10× / 1×", "SQL 1×", "SQL 10×",
         "req/s 1×", "req/s 10×", "target"],
        rows,
        [f"1× = {built[1].summary()}", f"10× = {built[10].summary()}",
         f"target: latency 10× / 1× ≤ {LATENCY_GROWTH_TARGET} and the same SQL statement "
         f"count at both sizes"],
    )
    bare = module_against_bare["bare Flask"]
    rows = []
    for label, measured in module_against_bare.items():
        ratio = measured.per_second / bare.per_second
        rows.append([label, f"{measured.median_ms:.2f}", f"{measured.per_second:.0f}",
                     f"{ratio:.2f}",
                     verdict(ratio >= BASELINE_TARGET) if label == "module page" else ""])
    print_table(
        "Module page against bare Flask serving the same stored HTML from the same database, "
        "same process, alternating rounds",
        ["app", "median ms", "req/s", "page / baseline", "target"],
        rows,
        [f"target: module page ≥ {BASELINE_TARGET}× the baseline's throughput",
         "the two floors serve the same stored HTML by one query through this app, with no "
         "page around it: every request's duties (request log, security headers, the "
         "database session), then also the session cookie and loading the signed-in user; "
         "no page of the app can be faster than its floor"],
    )


if __name__ == "__main__":
    main()
