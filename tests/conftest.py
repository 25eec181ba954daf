"""Fixtures: a fresh migrated database per test, the app, a client, factories, query counting.

The schema is built once per run by the migrations (never ``create_all``) into a template that
each test copies: a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL when
``ACADEMY_TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

import academy.security
from academy import create_app
from academy.auth import service as auth_service
from academy.auth.models import AccountRole, PartnerFirm, User
from academy.auth.service import NewAccount
from academy.curriculum.sync import sync_courses
from academy.db import engine_of, make_engine, new_session, upgrade_database, utcnow
from academy.practice.models import PracticeStream
from tests.helpers import TEST_PASSWORD, submit
from tests.practice.factories import add_stream

COURSES = Path(__file__).resolve().parents[1] / "courses"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "real_password_hashing: use the production scrypt cost in this test"
    )


@pytest.fixture(autouse=True)
def fast_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash with a small scrypt cost: the production cost (~0.15 s a hash) would dominate the run.

    One test, marked ``real_password_hashing``, checks the production parameters.
    """
    if request.node.get_closest_marker("real_password_hashing") is None:
        monkeypatch.setattr(academy.security, "PASSWORD_HASH_METHOD", "scrypt:1024:8:1")


def _postgres_url() -> sa.URL | None:
    raw = os.environ.get("ACADEMY_TEST_DATABASE_URL")
    return sa.make_url(raw) if raw else None


def _admin_engine(url: sa.URL) -> sa.Engine:
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head, built once per run, that tests copy."""
    server = _postgres_url()
    if server is None:
        path = tmp_path_factory.mktemp("template") / "template.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade_database(engine)
        engine.dispose()
        yield str(path)
        return
    name = f"academy_template_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine(server)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = make_engine(server.set(database=name).render_as_string(hide_password=False))
    upgrade_database(engine)
    engine.dispose()  # PostgreSQL refuses to copy a template with open connections
    yield name
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def database_url(migrated_template: str, tmp_path: Path) -> Iterator[str]:
    """A fresh copy of the migrated template for this test, dropped afterwards."""
    server = _postgres_url()
    if server is None:
        path = tmp_path / "academy.db"
        shutil.copyfile(migrated_template, path)
        yield f"sqlite:///{path}"
        return
    name = f"academy_test_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine(server)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{migrated_template}"')
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = create_app({
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "COURSES_DIR": str(tmp_path / "courses"),
    })
    yield application
    engine_of(application).dispose()


@pytest.fixture
def session(app: Flask) -> Iterator[Session]:
    """A session for arranging data and checking results, beside the app's own sessions.

    Its transactions start deferred, so a test that reads and then lets the app (or the CLI)
    write does not hold SQLite's write lock against it; services it calls commit as usual.
    """
    with new_session(engine_of(app), write=False) as db_session:
        yield db_session


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def make_firm(session: Session) -> Callable[..., PartnerFirm]:
    counter = itertools.count(1)

    def factory(slug: str | None = None, name: str = "Test Export Co.") -> PartnerFirm:
        return auth_service.create_firm(
            session, None, slug=slug or f"firm-{next(counter)}", name=name, now=utcnow()
        )

    return factory


@pytest.fixture
def make_user(session: Session, make_firm: Callable[..., PartnerFirm]) -> Callable[..., User]:
    """Create an account through the service, so every account obeys the real rules."""
    counter = itertools.count(1)

    def factory(account_role: str = "student", *, email: str | None = None,
                password: str = TEST_PASSWORD, firm: PartnerFirm | None = None,
                display_name: str | None = None, locale: str = "en") -> User:
        number = next(counter)
        if account_role == AccountRole.PARTNER and firm is None:
            firm = make_firm()
        return auth_service.create_account(session, None, NewAccount(
            email=email or f"{account_role}{number}@example.test",
            display_name=display_name or f"{account_role.title()} {number}",
            password=password, account_role=AccountRole(account_role),
            firm_slug=firm.slug if firm else "", locale=locale,
        ), now=utcnow())

    return factory


@pytest.fixture
def client_for(app: Flask) -> Callable[[User | None], FlaskClient]:
    """A fresh test client signed in as ``user`` through the real form (None: anonymous)."""

    def sign_in(user: User | None) -> FlaskClient:
        client = app.test_client()
        if user is not None:
            response = submit(client, "/login", {"email": user.email, "password": TEST_PASSWORD})
            assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


@pytest.fixture
def login_as(client: FlaskClient, make_user: Callable[..., User]) -> Callable[..., User]:
    """Sign in through the real login form: ``login_as("partner") -> User``."""

    def sign_in(account_role: str | User = "student", **kwargs: object) -> User:
        user = account_role if isinstance(account_role, User) else make_user(account_role,
                                                                             **kwargs)
        response = submit(client, "/login", {"email": user.email, "password": TEST_PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return sign_in


@pytest.fixture
def real_catalogue(session: Session) -> None:
    """The shipped curriculum and rubric (courses/), synced as the site serves them."""
    sync_courses(session, COURSES, now=utcnow())


@pytest.fixture
def make_stream(session: Session) -> Callable[..., PracticeStream]:
    """A practice stream row written directly, ``days_ago`` before now."""

    def factory(student: User, days_ago: int = 1, **changes: object) -> PracticeStream:
        stream = add_stream(session, student, utcnow() - dt.timedelta(days=days_ago), **changes)
        session.commit()
        return stream

    return factory


@dataclass
class QueryCounter:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app: Flask) -> Callable[[], contextlib.AbstractContextManager[QueryCounter]]:
    """``with count_queries() as counted: client.get(...)`` then read ``counted.count``."""
    engine = engine_of(app)

    @contextlib.contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()

        def record(_conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
            if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SAVEPOINT",
                                                          "RELEASE")):
                counter.statements.append(statement)

        sa.event.listen(engine, "before_cursor_execute", record)
        try:
            yield counter
        finally:
            sa.event.remove(engine, "before_cursor_execute", record)

    return counting
