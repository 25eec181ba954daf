"""The database goes away and comes back: 503 and a friendly page meanwhile, then recovery.

SQLite goes away when its file does (moved, restored, an unmounted disk); PostgreSQL when the
server or the network does, simulated by cutting a TCP link the app connects through. Nobody
restarts the site in between: it must notice the database is back by itself.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from academy.auth.models import User
from academy.db import engine_of
from tests.faults.conftest import backend_of
from tests.faults.servers import TcpLink
from tests.helpers import TEST_PASSWORD, csrf_token, submit

FRIENDLY = "The site cannot reach its database"


@contextlib.contextmanager
def sqlite_outage(app: Flask, database_url: str) -> Iterator[None]:
    """Move the database file away (and its WAL) while the block runs, then put it back.

    The pool's open handles would keep reading the moved file, so they are dropped first, as
    a worker that starts during the outage would have none.
    """
    engine_of(app).dispose()
    path = Path(sa.make_url(database_url).database or "")
    hidden = path.with_name(path.name + ".away")
    shutil.move(path, hidden)
    try:
        yield
    finally:
        shutil.move(hidden, path)


def _postgres_through(link_target: str) -> tuple[TcpLink, str]:
    url = sa.make_url(link_target)
    link = TcpLink((url.host or "127.0.0.1", url.port or 5432))
    link.restore()
    return link, url.set(host="127.0.0.1", port=link.port).render_as_string(hide_password=False)


@contextlib.contextmanager
def postgres_outage(link: TcpLink) -> Iterator[None]:
    link.cut()
    try:
        yield
    finally:
        link.restore()


def _signed_in(app: Flask, user: User) -> FlaskClient:
    client = app.test_client()
    response = submit(client, "/login", {"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client


def _assert_unavailable(response: object, *, html: bool = True) -> None:
    assert response.status_code == 503, response.status_code  # type: ignore[attr-defined]
    assert response.headers.get("Retry-After")  # type: ignore[attr-defined]
    body = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "Traceback" not in body and "OperationalError" not in body
    if html:
        assert FRIENDLY in body


def test_database_down_gives_503_everywhere_and_the_site_recovers_by_itself(
        database_url: str, app_on: Callable[..., Flask], make_user: Callable[..., User]) -> None:
    student = make_user("student")
    if backend_of(database_url) == "sqlite":
        app = app_on(database_url, PROPAGATE_TEST_ERRORS=False)
        outage: Callable[[], contextlib.AbstractContextManager[None]] = \
            lambda: sqlite_outage(app, database_url)  # noqa: E731
    else:
        link, proxied_url = _postgres_through(database_url)
        app = app_on(proxied_url, PROPAGATE_TEST_ERRORS=False)
        outage = lambda: postgres_outage(link)  # noqa: E731
    client = _signed_in(app, student)
    visitor = app.test_client()
    assert client.get("/practice").status_code == 200
    token = csrf_token(client, "/practice/new")

    with outage():
        health = visitor.get("/healthz")
        assert health.status_code == 503
        assert health.get_json() == {"status": "unavailable", "database": "unreachable"}
        _assert_unavailable(client.get("/practice"))
        _assert_unavailable(client.get("/"))
        _assert_unavailable(client.get("/courses"))
        _assert_unavailable(client.post("/practice/new", data={"csrf_token": token}))
        _assert_unavailable(visitor.get("/api/v1/modules",
                                        headers={"Authorization": "Bearer la_x"}), html=False)

    assert visitor.get("/healthz").status_code == 200
    assert client.get("/practice").status_code == 200
    assert client.get("/courses").status_code == 200
