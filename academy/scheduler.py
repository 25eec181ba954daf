"""APScheduler wiring: the job registry, the exactly-once claim in job_run, the scheduler.

APScheduler 3.x with its in-memory job store only decides *when* to try a job; the database
decides *whether* it runs. Each run first inserts ``(job, period_key)`` into ``job_run``
(unique together): the process that inserts the row runs the job for that period, every
other one — a second ``academy scheduler``, a web worker with ``ACADEMY_SCHEDULER=inline``,
a restart in the same minute — skips. The jobs are idempotent themselves (dedupe keys), so a
run that died half-way is finished by the next period's run without sending anything twice.
Production runs one ``academy scheduler`` process (shared/research/reliability-perf.md §2.1).
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import threading
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from flask import Flask
from sqlalchemy.engine import Engine
from sqlmodel import Session

from academy.db import engine_of, new_session, utcnow
from academy.notify import jobs
from academy.notify.mail import Mailer, build_mailer
from academy.notify.models import JobStatus
from academy.notify.service import claim_run, deliver_pending, finish_run

log = logging.getLogger(__name__)


def _every_minutes(minutes: int) -> Callable[[dt.datetime], str]:
    def period(now: dt.datetime) -> str:
        moment = now.astimezone(dt.UTC)
        return moment.replace(minute=moment.minute - moment.minute % minutes, second=0,
                              microsecond=0).strftime("%Y-%m-%dT%H:%M")
    return period


def _hourly(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H")


def _daily(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).date().isoformat()


def _deliver_mail(session: Session, now: dt.datetime, mailer: Mailer) -> str:
    return deliver_pending(session, mailer, now).summary()


@dataclass(frozen=True)
class ScheduledJob:
    """A job: the service call, when APScheduler tries it, and the period one run covers."""

    name: str
    run: Callable[..., str]  # (session, now) or, with uses_mailer, (session, now, mailer)
    trigger: BaseTrigger
    period: Callable[[dt.datetime], str]
    description: str
    uses_mailer: bool = False


def _cron(**fields: Any) -> CronTrigger:
    return CronTrigger(timezone=dt.UTC, **fields)


#: Every scheduled job by name (``academy jobs list`` shows them, ``academy jobs run`` runs one).
JOBS: dict[str, ScheduledJob] = {job.name: job for job in [
    ScheduledJob("cohort_dates", jobs.advance_cohort_dates, _cron(minute=2), _hourly,
                 "Close applications after the deadline; start training on the start date."),
    ScheduledJob("deadline_reminders", jobs.send_deadline_reminders, _cron(minute=7), _hourly,
                 "Remind partner firms of near deadlines while applicants are undecided."),
    ScheduledJob("event_reminders", jobs.send_event_reminders, _cron(minute="*/5"),
                 _every_minutes(5), "Remind members and mentors 24 h and 1 h before events."),
    ScheduledJob("weekly_digest", jobs.send_weekly_digests, _cron(minute=15), _hourly,
                 "Monday digests, from 08:00 in each user's time zone."),
    ScheduledJob("inactivity_nudge", jobs.send_inactivity_nudges, _cron(hour=2, minute=30),
                 _daily, "Nudge students with no practice stream for 7 days (weekly at most)."),
    ScheduledJob("deliver_mail", _deliver_mail, _cron(minute="*"), _every_minutes(1),
                 "Mail due notifications; retry failures with back-off.", uses_mailer=True),
]}


@dataclass(frozen=True)
class RunOutcome:
    job: str
    period_key: str
    status: str  # a JobStatus value, or "skipped" when another runner holds the period
    detail: str = ""


class JobRunner:
    """Runs registered jobs against one database, claiming each period first.

    Every run opens its own sessions (and the app's context, for translations), so runners in
    several threads or processes share nothing but the database.
    """

    def __init__(self, engine: Engine, mailer: Mailer, *, app: Flask | None = None,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.engine = engine
        self.mailer = mailer
        self.app = app
        self.clock = clock

    def run(self, name: str, now: dt.datetime | None = None, *,
            period_key: str | None = None) -> RunOutcome:
        """Claim ``name`` for the period of ``now`` and run it; skip when the period is taken.

        A job that raises is recorded as failed with its error; the next period runs again.
        """
        job = JOBS[name]
        now = now or self.clock()
        period = period_key or job.period(now)
        with new_session(self.engine) as session:
            if not claim_run(session, name, period, now):
                return RunOutcome(name, period, "skipped")
        try:
            with self.app.app_context() if self.app else nullcontext(), \
                    new_session(self.engine) as session:
                args = (session, now, self.mailer) if job.uses_mailer else (session, now)
                detail, status = job.run(*args), JobStatus.DONE
        except Exception as error:
            log.exception("job %s (%s) failed", name, period)
            detail, status = f"{type(error).__name__}: {error}", JobStatus.FAILED
        with new_session(self.engine) as session:
            finish_run(session, name, period, status, detail, max(now, self.clock()))
        return RunOutcome(name, period, status.value, detail)

    def run_now(self, name: str) -> RunOutcome:
        """Run a job by hand: its own period key, so it never takes a scheduled period away.

        The job's dedupe keys still keep anything it sends to once.
        """
        now = self.clock()
        return self.run(name, now, period_key=f"manual {now:%Y-%m-%dT%H:%M:%S.%f}")


def mailer_for(app: Flask) -> Mailer:
    """The app's mail backend (``ACADEMY_MAIL_BACKEND``), made once per process."""
    return app.extensions.setdefault("academy_mailer", build_mailer(app.config))


def runner_for(app: Flask) -> JobRunner:
    return JobRunner(engine_of(app), mailer_for(app), app=app)


def next_run_times(now: dt.datetime) -> dict[str, dt.datetime | None]:
    """When APScheduler would next try each job after ``now``."""
    return {name: job.trigger.get_next_fire_time(None, now) for name, job in JOBS.items()}


def build_scheduler(runner: JobRunner, *, blocking: bool) -> BaseScheduler:
    """An APScheduler 3 scheduler with every job in its in-memory store (never a shared one)."""
    scheduler_class = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = scheduler_class(timezone=dt.UTC, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 120})
    for job in JOBS.values():
        scheduler.add_job(runner.run, job.trigger, args=[job.name], id=job.name, name=job.name)
    return scheduler


_inline_lock = threading.Lock()
_inline: dict[str, BaseScheduler] = {}


def start_inline(app: Flask) -> bool:
    """Start a background scheduler in this process once (``ACADEMY_SCHEDULER=inline``).

    A second call — another app in the process, a reloader importing twice — does nothing, and
    a second process is held off by the job_run claims. Returns whether this call started it.
    """
    with _inline_lock:
        if "scheduler" in _inline:
            return False
        scheduler = build_scheduler(runner_for(app), blocking=False)
        scheduler.start()
        _inline["scheduler"] = scheduler
    atexit.register(stop_inline)
    return True


def stop_inline() -> None:
    with _inline_lock:
        scheduler = _inline.pop("scheduler", None)
    if scheduler is not None and scheduler.running:
        scheduler.shutdown(wait=False)
