"""`academy jobs list` and `academy jobs run NAME`."""

from __future__ import annotations

from sqlmodel import Session, select

from academy.cli import cli
from academy.notify.models import JobRun, JobStatus


def test_jobs_run_records_a_manual_run_and_jobs_list_shows_it(runner, session: Session) -> None:
    result = runner.invoke(cli, ["jobs", "run", "inactivity_nudge"])
    assert result.exit_code == 0, result.output
    assert "inactivity_nudge (manual " in result.output and "done" in result.output
    run = session.exec(select(JobRun)).one()
    assert run.status == JobStatus.DONE and run.period_key.startswith("manual ")

    listing = runner.invoke(cli, ["jobs", "list"])
    assert listing.exit_code == 0, listing.output
    for name in ("cohort_dates", "deadline_reminders", "event_reminders", "weekly_digest",
                 "inactivity_nudge", "deliver_mail"):
        assert f"{name}: " in listing.output
    assert "next: " in listing.output and "done 0 nudge(s)" in listing.output


def test_jobs_run_refuses_an_unknown_job(runner) -> None:
    result = runner.invoke(cli, ["jobs", "run", "no_such_job"])
    assert result.exit_code != 0 and "no_such_job" in result.output
