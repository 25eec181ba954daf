"""Fault-test fixtures: the test database's backend, and an app built on a URL of our choosing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from academy import create_app
from academy.db import engine_of


def backend_of(database_url: str) -> str:
    return sa.make_url(database_url).get_backend_name()


@pytest.fixture
def app_on(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """``app_on(url, **config)``: the site on a database URL the test controls (a proxy …)."""
    apps: list[Flask] = []

    def build(database_url: str, **config: object) -> Flask:
        app = create_app({
            "TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key",
            "COURSES_DIR": str(tmp_path / "courses"), **config,
        })
        apps.append(app)
        return app

    yield build
    for app in apps:
        engine_of(app).dispose()
