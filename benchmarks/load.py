"""Concurrent readers and writers against gunicorn on loopback; every acknowledged write checked.

Starts ``gunicorn -c gunicorn.conf.py "academy:create_app()"`` with production settings on a
free port of 127.0.0.1: on SQLite and, when ACADEMY_BENCH_DATABASE_URL is set, on a fresh
PostgreSQL database. Each client is a thread signed in as its own student, on its own
keep-alive connection. Readers open the module page, the catalogue, their practice list and
their gradebook; writers log practice streams through the real form, CSRF token and all.

After a bounded time it reports requests per second, the median and 99th-percentile latency
and the errors (any unexpected status or failed connection), then looks up every stream the
server acknowledged with its redirect: one acknowledged but missing is a lost write.

The clients run in this process on the same cores as the server, so the absolute rate
understates the server; compare the databases and runs with each other.

    python -m benchmarks.load [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from academy.config import PROJECT_ROOT
from academy.db import make_engine
from academy.demo import DEMO_PASSWORD
from academy.demo_scale import scale_email
from academy.practice.models import PracticeStream
from benchmarks.common import (
    build_data_set,
    csrf_token,
    machine,
    median,
    percentile,
    print_table,
    production_environment,
    scratch_database,
    servers,
    verdict,
)

READ_PATHS = ("/modules/script-and-flow", "/courses", "/practice", "/gradebook")
_STREAM_LOCATION = re.compile(r"/practice/streams/(\d+)$")
SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Plan:
    workers: int
    threads: int
    readers: int
    writers: int
    seconds: float

    @property
    def clients(self) -> int:
        return self.readers + self.writers


FULL = Plan(workers=4, threads=4, readers=40, writers=10, seconds=20)
QUICK = Plan(workers=2, threads=4, readers=4, writers=2, seconds=3)


@dataclass
class Tally:
    """What every client saw, merged under a lock."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    acknowledged: dict[int, str] = field(default_factory=dict)  # stream id -> its marker
    sign_in_seconds: list[float] = field(default_factory=list)
    sign_in_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Browser:
    """One person's keep-alive connection and cookies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method: str, path: str,
                form: dict[str, str] | None = None) -> tuple[int, str, str]:
        """Send one request; return the status, the Location header and the body."""
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode()
        except (OSError, http.client.HTTPException):
            self.reconnect()  # a fresh connection for the next request
            raise
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response.status, response.headers.get("Location", ""), text

    def reconnect(self) -> None:
        self.connection.close()
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def sign_in(self, email: str) -> None:
        token = csrf_token(self.request("GET", "/login")[2])
        status, _location, _body = self.request("POST", "/login", {
            "csrf_token": token, "email": email, "password": DEMO_PASSWORD})
        if status != 302:
            raise RuntimeError(f"{email} could not sign in ({status})")


def _stream_form(token: str, marker: str, number: int) -> dict[str, str]:
    started = dt.datetime.now(SHANGHAI) - dt.timedelta(hours=2, minutes=number % 600)
    return {
        "csrf_token": token, "started_at": started.strftime("%Y-%m-%dT%H:%M"),
        "duration_min": "60", "platform": "alibaba", "market": "US", "language": "en",
        "stream_role": "host", "team_code": "", "viewers_uv": "420", "views_pv": "800",
        "peak_concurrent": "60", "avg_watch_sec": "95", "comments": "88",
        "engaged_viewers": "63", "new_followers": "21", "product_click_uv": "84",
        "product_clicks": "130", "orders": "9", "buyers": "6", "gmv": "3600.00",
        "currency": "USD", "inquiries": "14", "rfqs": "3", "ad_spend": "210.00",
        "violations": "0", "recording_url": "", "notes_md": marker,
    }


def _client(number: int, writer: bool, port: int, start: threading.Barrier,
            deadline: list[float], tally: Tally) -> None:
    browser = Browser(port)
    before = time.perf_counter()
    try:
        browser.sign_in(scale_email(number))
    except (OSError, http.client.HTTPException, RuntimeError) as error:
        with tally.lock:
            tally.sign_in_errors.append(f"client {number}: {error!r}")
        try:  # one at a time now, so the measured window still has every client
            with tally.lock:
                browser.sign_in(scale_email(number))
        except (OSError, http.client.HTTPException, RuntimeError) as retry_error:
            with tally.lock:
                tally.errors.append(f"sign-in of client {number}: {retry_error!r}")
            start.abort()  # the run cannot measure what it promised; stop everyone
            return
    with tally.lock:
        tally.sign_in_seconds.append(time.perf_counter() - before)
    start.wait()
    # Waiting for the others outlasted gunicorn's keep-alive; a browser would reconnect too.
    browser.reconnect()
    latencies: list[float] = []
    errors: list[str] = []
    acknowledged: dict[int, str] = {}
    done = 0

    def timed(method: str, path: str, expected: int,
              form: dict[str, str] | None = None) -> tuple[str, str] | None:
        before = time.perf_counter()
        try:
            status, location, body = browser.request(method, path, form)
        except (OSError, http.client.HTTPException) as error:
            errors.append(f"{method} {path}: {error!r}")
            return None
        latencies.append(time.perf_counter() - before)
        if status != expected:
            errors.append(f"{method} {path}: {status}")
            return None
        return location, body

    while time.perf_counter() < deadline[0]:
        if not writer:
            timed("GET", READ_PATHS[done % len(READ_PATHS)], 200)
        else:
            page = timed("GET", "/practice/new", 200)
            if page is not None:
                marker = f"load test: client {number}, stream {done}"
                posted = timed("POST", "/practice/new", 302,
                               _stream_form(csrf_token(page[1]), marker, done))
                match = _STREAM_LOCATION.search(posted[0]) if posted else None
                if posted and match is None:
                    errors.append(f"POST /practice/new redirected to {posted[0]!r}")
                elif match is not None:
                    acknowledged[int(match.group(1))] = marker
        done += 1
    with tally.lock:
        tally.latencies += latencies
        tally.errors += errors
        tally.acknowledged.update(acknowledged)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_gunicorn(url: str, plan: Plan, folder: Path,
                    log: Path) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {**os.environ, **production_environment(
        ACADEMY_DATABASE_URL=url, ACADEMY_BIND=f"127.0.0.1:{port}",
        ACADEMY_WORKERS=str(plan.workers), ACADEMY_THREADS=str(plan.threads),
        ACADEMY_INSTANCE_PATH=str(folder / "instance"))}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with log.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603  (our own gunicorn, fixed arguments)
            [str(gunicorn), "-c", str(PROJECT_ROOT / "gunicorn.conf.py"), "academy:create_app()"],
            cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            probe.request("GET", "/healthz")
            if probe.getresponse().status == 200:
                return server, port
        except OSError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise RuntimeError("gunicorn did not start:\n" + log.read_text()[-3000:])
        time.sleep(0.2)


def _stored(url: str, acknowledged: dict[int, str]) -> int:
    """How many acknowledged streams are in the database with the numbers that were sent."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            found = dict(session.exec(select(PracticeStream.id, PracticeStream.notes_md).where(
                col(PracticeStream.id).in_(list(acknowledged)))).all())
    finally:
        engine.dispose()
    return sum(found.get(stream_id) == marker for stream_id, marker in acknowledged.items())


def run(label: str, server: str | None, plan: Plan, folder: Path) -> list[object]:
    with scratch_database(folder, server) as url:
        build_data_set(url, students=plan.clients, streams_per_student=20)
        gunicorn, port = _start_gunicorn(url, plan, folder, folder / f"gunicorn-{label}.log")
        tally = Tally()
        start = threading.Barrier(plan.clients + 1)
        deadline = [float("inf")]
        clients = [threading.Thread(target=_client, args=(
            number, number >= plan.readers, port, start, deadline, tally))
            for number in range(plan.clients)]
        try:
            for client in clients:
                client.start()
            try:
                start.wait()
            except threading.BrokenBarrierError:
                log = (folder / f"gunicorn-{label}.log").read_text()
                raise RuntimeError(f"{label}: {tally.errors[0]}\n{log[-4000:]}") from None
            began = time.perf_counter()
            deadline[0] = began + plan.seconds
            for client in clients:
                client.join()
            elapsed = time.perf_counter() - began
        finally:
            gunicorn.terminate()
            gunicorn.wait(timeout=60)
        stored = _stored(url, tally.acknowledged)
    lost = len(tally.acknowledged) - stored
    for error, count in Counter(tally.errors).most_common(5):
        print(f"  {label}: {count} × {error}")
    print(f"  {label}: {plan.clients} sign-ins at once before the run: "
          f"{len(tally.sign_in_errors)} failed (retried one at a time), slowest "
          f"{max(tally.sign_in_seconds):.1f} s", flush=True)
    for error in tally.sign_in_errors[:2]:
        print(f"    {error}")
    requests = len(tally.latencies)
    return [label, f"{plan.workers} × {plan.threads}",
            f"{plan.clients} ({plan.readers} + {plan.writers})", f"{elapsed:.1f}", requests,
            f"{requests / elapsed:.0f}", f"{median(tally.latencies) * 1000:.0f}",
            f"{percentile(tally.latencies, 0.99) * 1000:.0f}", len(tally.errors),
            len(tally.acknowledged), lost, len(tally.sign_in_errors),
            f"{median(tally.sign_in_seconds):.1f}", f"{max(tally.sign_in_seconds):.1f}",
            verdict(not tally.errors and lost == 0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    plan = QUICK if parser.parse_args().quick else FULL
    rows = []
    with tempfile.TemporaryDirectory(prefix="academy-load-") as folder:
        for label, server in servers():
            print(f"{label}: {plan.workers} gunicorn workers, {plan.clients} clients for "
                  f"{plan.seconds:.0f} s …", flush=True)
            rows.append(run(label, server, plan, Path(folder)))
    print_table(
        f"gunicorn (gthread) on 127.0.0.1, production settings — {machine()}",
        ["database", "workers × threads", "clients (readers + writers)", "seconds", "requests",
         "req/s", "p50 ms", "p99 ms", "errors", "writes acked", "lost", "sign-ins failed",
         "median sign-in s", "slowest sign-in s", "target"],
        rows,
        ["target: 0 errors and 0 lost writes",
         f"sign-ins: all {plan.clients} clients sign in at once before the measured window "
         "(a failed one is retried alone)",
         "readers: module page, catalogue, own practice list, own gradebook; writers: the "
         "practice log form (GET, then POST)"],
    )


if __name__ == "__main__":
    main()
