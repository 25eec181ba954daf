"""Admitting at the same moment never exceeds the seats: threads post at once to a live app.

Runs on whichever database the suite uses (SQLite, or PostgreSQL with
ACADEMY_TEST_DATABASE_URL): SQLite serialises writing requests with BEGIN IMMEDIATE,
PostgreSQL with SELECT … FOR UPDATE on the cohort row.
"""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlmodel import Session, col, func, select
from werkzeug.serving import make_server

from academy.auth.models import User
from academy.cohorts import service
from academy.cohorts.models import CohortMember, CohortStatus, MemberStatus
from tests.cohorts.conftest import MOTIVATION, NOW, World, fresh
from tests.helpers import TEST_PASSWORD

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SEATS = 2
RACERS = 6


@pytest.fixture
def live_app(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


class Browser:
    """A signed-in HTTP client with its own cookies, like a second person's browser."""

    def __init__(self, base: str, user: User) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())
        status, _ = self.post("/login", {"email": user.email, "password": TEST_PASSWORD})
        assert status == 302

    def token(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            match = _CSRF.search(response.read().decode())
        assert match
        return match.group(1)

    def post(self, path: str, data: dict[str, str], token: str | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode({"csrf_token": token or self.token(path), **data})
        try:
            with self.opener.open(self.base + path, body.encode(), timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def test_concurrent_admissions_never_exceed_the_seats(live_app: str, session: Session,
                                                      world: World, make_cohort, make_user,
                                                      make_firm) -> None:
    cohort = make_cohort(CohortStatus.RECRUITING, seats=SEATS)
    members = []
    for _ in range(RACERS):
        member = service.apply_to_cohort(session, make_user("student"), cohort.slug,
                                         MOTIVATION, now=NOW)
        members.append(service.decide_member(session, world.partner, cohort.slug, member.id,
                                             MemberStatus.SHORTLISTED, now=NOW))
    # Several people of the firm and the college, each in their own browser.
    deciders = [world.partner, world.instructor, world.admin,
                make_user("partner", firm=world.firm), make_user("instructor"),
                make_user("admin")]
    browsers = [Browser(live_app, user) for user in deciders]
    prepared = []
    for browser, member in zip(browsers, members, strict=True):
        path = f"/cohorts/{cohort.slug}/members/{member.id}"
        prepared.append((browser, f"{path}/decision", browser.token(path)))
    start = threading.Barrier(RACERS)
    results: list[tuple[int, str]] = []
    lock = threading.Lock()

    def admit(browser: Browser, path: str, token: str) -> None:
        start.wait()
        outcome = browser.post(path, {"target": "admitted"}, token)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=admit, args=args) for args in prepared]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(status for status, _ in results)
    assert statuses == [302] * SEATS + [409] * (RACERS - SEATS)
    assert all("All 2 seats are taken" in body for status, body in results if status == 409)
    fresh(session)
    admitted = session.exec(select(func.count()).select_from(CohortMember).where(
        CohortMember.cohort_id == cohort.id,
        col(CohortMember.status) == MemberStatus.ADMITTED)).one()
    assert admitted == SEATS
