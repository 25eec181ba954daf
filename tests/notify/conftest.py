"""Notify fixtures: a frozen clock on a future Monday, order classes, job runners."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from academy.db import make_engine, utcnow
from academy.notify.mail import MemoryMailer
from academy.scheduler import JobRunner
from tests.cohorts.conftest import admit, catalogue, make_cohort, world  # noqa: F401


def next_monday(days_ahead: int = 14) -> dt.datetime:
    """00:00 UTC of the first Monday at least ``days_ahead`` days from today.

    Accounts are created at the real time, so the frozen clock lies far enough ahead that a
    new account already counts as inactive for a week.
    """
    day = utcnow().date() + dt.timedelta(days=days_ahead)
    day += dt.timedelta(days=(7 - day.weekday()) % 7)
    return dt.datetime.combine(day, dt.time(), dt.UTC)


@pytest.fixture
def monday() -> dt.datetime:
    return next_monday()


@pytest.fixture
def make_runner(app: Flask, database_url: str) -> Iterator[Callable[..., JobRunner]]:
    """``make_runner(clock)``: a job runner with its own engine, as a separate scheduler has."""
    engines = []

    def factory(clock: Callable[[], dt.datetime] = utcnow,
                mailer: MemoryMailer | None = None) -> JobRunner:
        engine = make_engine(database_url)
        engines.append(engine)
        return JobRunner(engine, mailer or MemoryMailer(), app=app, clock=clock)

    yield factory
    for engine in engines:
        engine.dispose()
