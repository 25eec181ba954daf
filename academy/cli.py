"""The `academy` command: serve the site, upgrade the database, manage accounts, demo data."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask import current_app, url_for
from flask.cli import FlaskGroup, with_appcontext
from werkzeug.serving import run_simple

from academy import create_app
from academy.auth import service as auth_service
from academy.auth.importing import (
    ImportRefused,
    PlannedRow,
    import_accounts,
    links_csv,
    plan_import,
    read_account_file,
)
from academy.auth.models import AccountRole
from academy.auth.service import AccountError, NewAccount
from academy.backup import (
    BackupError,
    backup_sqlite,
    pg_dump_command,
    pg_restore_command,
    restore_sqlite,
    schema_head,
    sqlite_file,
)
from academy.curriculum.sync import CourseProblems, check_courses, sync_courses
from academy.db import engine_of, new_session, upgrade_database, utcnow
from academy.demo import DEMO_PASSWORD, database_is_empty, load_demo_data
from academy.demo_scale import generate_scale_data
from academy.errors import InvalidTransition
from academy.notify import service as notify_service
from academy.scheduler import JOBS, build_scheduler, next_run_times, runner_for, start_inline


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=True)
def cli() -> None:
    """Live Academy: training for live-stream e-commerce talent."""


def _fail(message: object) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def _course_dir(directory: Path | None) -> Path:
    return directory or Path(current_app.config["COURSES_DIR"])


@contextmanager
def _progress_bar(label: str) -> Iterator[object]:
    """A progress callback that draws a bar on a terminal and stays quiet in a pipe or a log."""
    bar = None

    def on_progress(done: int, total: int, _path: str) -> None:
        nonlocal bar
        if not sys.stdout.isatty():
            return
        if bar is None:
            bar = click.progressbar(length=total, label=label)
            bar.__enter__()
        bar.update(1)

    try:
        yield on_progress
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def _sync_catalogue(directory: Path | None = None) -> bool:
    """Sync the course folder into the database; print the problems instead when it has any."""
    course_dir = _course_dir(directory)
    with new_session(engine_of(current_app)) as session, _progress_bar("Syncing courses") as bar:
        try:
            report = sync_courses(session, course_dir, now=utcnow(), on_progress=bar)
        except CourseProblems as error:
            for problem in error.problems:
                click.echo(str(problem), err=True)
            click.echo(f"{len(error.problems)} problem(s) in {course_dir}; nothing was changed.",
                       err=True)
            return False
    click.echo(f"Courses: {report.summary()}.")
    return True


def _load_demo() -> None:
    if not current_app.config["LOAD_DEMO_DATA"]:
        _fail("Demo data is never loaded in production (ACADEMY_ENV=production).")
    with new_session(engine_of(current_app)) as session:
        added = load_demo_data(session, now=utcnow())
    click.echo(f"Demo data: {added} item(s) added. "
               f"Demo accounts use the password {DEMO_PASSWORD!r}.")


def _generate_scale_data(students: int, seed: int) -> None:
    started = time.perf_counter()
    with new_session(engine_of(current_app)) as session, \
            _progress_bar("Generating students") as bar:
        report = generate_scale_data(session, students=students, now=utcnow(), seed=seed,
                                     on_progress=bar)
    click.echo(f"Scale data: {report.summary()} added in "
               f"{time.perf_counter() - started:.1f} s.")


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Upgrade the database, load demo data into an empty one, then serve the site."""
    engine = engine_of(current_app)
    upgrade_database(engine)
    with new_session(engine, write=False) as session:
        empty = database_is_empty(session)
    _sync_catalogue()
    if empty and current_app.config["LOAD_DEMO_DATA"]:
        _load_demo()
    if current_app.config["SCHEDULER"] == "inline" and start_inline(current_app):
        click.echo("Scheduler running inline (ACADEMY_SCHEDULER=inline).")
    click.echo(f"Live Academy on http://{host}:{port}/  (Ctrl+C stops it)")
    # Werkzeug's server directly: Flask refuses app.run() inside its own CLI. No reloader, so
    # nothing the app starts at boot ever runs twice.
    run_simple(host, port, current_app._get_current_object(), threaded=True,
               use_reloader=False, use_debugger=False)


@cli.group("db")
def db_group() -> None:
    """The database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Apply every migration the database does not have yet."""
    upgrade_database(engine_of(current_app))
    click.echo("Database is up to date.")


@cli.command("demo")
@click.option("--scale", "students", type=click.IntRange(min=1), default=None,
              help="Also generate this many students with ~200 practice streams each.")
@click.option("--seed", default=11, show_default=True, help="Seed of the generated data.")
@with_appcontext
def demo(students: int | None, seed: int) -> None:
    """Load the demo firm and accounts (idempotent; refused in production).

    With --scale N, also generate N students with months of practice, quizzes and
    assessments, and order classes: data to try the site at the size of a college.
    """
    upgrade_database(engine_of(current_app))
    _sync_catalogue()
    _load_demo()
    if students is not None:
        _generate_scale_data(students, seed)


@cli.group("users")
def users_group() -> None:
    """Accounts."""


@users_group.command("create")
@click.argument("email")
@click.option("--role", "account_role", required=True,
              type=click.Choice([role.value for role in AccountRole]))
@click.option("--firm", "firm_slug", default="", help="Partner firm slug (partner staff only).")
@click.option("--name", "display_name", default="", help="Display name (default: from the email).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def users_create(email: str, account_role: str, firm_slug: str, display_name: str,
                 password_stdin: bool) -> None:
    """Create an account of any account role."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with new_session(engine_of(current_app)) as session:
        try:
            user = auth_service.create_account(session, None, NewAccount(
                email=email, display_name=display_name or email.split("@")[0],
                password=password, account_role=AccountRole(account_role), firm_slug=firm_slug,
            ), now=utcnow())
        except AccountError as error:
            _fail(error.message)
            return
    click.echo(f"Created {user.account_role.value} account {user.email} (id {user.id}).")


def _import_report_line(item: PlannedRow) -> str:
    if item.reasons:
        detail = " ".join(str(reason) for reason in item.reasons)
    else:
        detail = ", ".join(item.changes)
    return f"line {item.row.line}: {item.action.value} {item.row.email or '-'}  {detail}".rstrip()


@users_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and report every row; write nothing.")
@click.option("--links-out", default="-", show_default=True,
              type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
              help="CSV file for the new accounts' set-password links (- for standard output).")
@click.option("--site-url", envvar="ACADEMY_SITE_URL", default="http://127.0.0.1:5000",
              show_default=True, help="The site's address, used in the links.")
@with_appcontext
def users_import(file: Path, dry_run: bool, links_out: Path, site_url: str) -> None:
    """Import accounts from a CSV file (the columns of the site's import page).

    Prints what happens to each row and a summary; progress goes to standard error. New
    accounts get a set-password link each, e-mailed and written to --links-out; when the links
    go to standard output, the report goes to standard error.
    """
    links_to_stdout = str(links_out) == "-" and not dry_run
    try:
        account_file = read_account_file(file.read_bytes())
    except ImportRefused as error:
        _fail(error.message)
        return
    click.echo(f"Read {len(account_file.rows)} rows from {file} ({account_file.encoding}, "
               f"{account_file.delimiter!r} separated); checking them...", err=True)
    if account_file.ignored_columns:
        click.echo(f"Ignored columns: {', '.join(account_file.ignored_columns)}", err=True)
    with new_session(engine_of(current_app)) as session:
        plan = plan_import(session, account_file.rows)
        for item in plan.rows:
            click.echo(_import_report_line(item), err=links_to_stdout)
        click.echo(", ".join(f"{count} {action.value}" for action, count in plan.counts.items()),
                   err=links_to_stdout)
        if dry_run:
            click.echo("Dry run: nothing was written.")
            return
        try:  # before writing anything: links that cannot be saved would be lost
            links_file = click.open_file(str(links_out), "w", encoding="utf-8", lazy=False)
        except OSError as error:
            _fail(f"Cannot write the links to {links_out}: {error.strerror}")
            return
        click.echo("Writing...", err=True)
        with links_file, current_app.test_request_context(base_url=site_url):
            try:
                result = import_accounts(
                    session, None, plan, now=utcnow(),
                    link_for=lambda token: url_for("auth.set_password", token=token,
                                                   _external=True),
                )
            except InvalidTransition as error:
                _fail(error.message)
                return
            links = links_csv(result.links)
            links_file.write(links.removeprefix("\ufeff") if links_to_stdout else links)
    click.echo(f"Imported: {result.created} created, {result.updated} updated, "
               f"{result.unchanged} unchanged, {result.refused} refused.", err=True)


@cli.group("firms")
def firms_group() -> None:
    """Partner firms."""


@firms_group.command("create")
@click.argument("slug")
@click.argument("name")
@with_appcontext
def firms_create(slug: str, name: str) -> None:
    """Register a partner firm."""
    with new_session(engine_of(current_app)) as session:
        try:
            firm = auth_service.create_firm(session, None, slug=slug, name=name, now=utcnow())
        except AccountError as error:
            _fail(error.message)
            return
    click.echo(f"Created partner firm {firm.slug} ({firm.name}).")


@cli.group("courses")
def courses_group() -> None:
    """The curriculum: Markdown modules and rubrics in the course folder."""


_DIRECTORY = click.argument("directory", required=False,
                            type=click.Path(exists=True, file_okay=False, path_type=Path))


@courses_group.command("check")
@_DIRECTORY
@with_appcontext
def courses_check(directory: Path | None) -> None:
    """Check every module and rubric; print each problem as path:line: message."""
    course_dir = _course_dir(directory)
    catalogue = check_courses(course_dir)
    for problem in catalogue.problems:
        click.echo(str(problem))
    if not catalogue.ok:
        _fail(f"{len(catalogue.problems)} problem(s) in {course_dir}.")
    tracks = len({module.track for module in catalogue.modules})
    click.echo(f"OK: {len(catalogue.modules)} modules in {tracks} track(s) and "
               f"{len(catalogue.rubrics)} rubric(s) in {course_dir}.")


@courses_group.command("sync")
@_DIRECTORY
@with_appcontext
def courses_sync(directory: Path | None) -> None:
    """Load changed modules and rubrics into the database in one transaction."""
    upgrade_database(engine_of(current_app))
    if not _sync_catalogue(directory):
        sys.exit(1)


@cli.command("backup")
@click.argument("destination", type=click.Path(path_type=Path))
@with_appcontext
def backup(destination: Path) -> None:
    """Copy the database to DESTINATION (a new file or a folder) while the site keeps serving.

    On PostgreSQL, print the pg_dump command to run instead.
    """
    url = current_app.config["DATABASE_URL"]
    database = sqlite_file(url)
    if database is None:
        click.echo("PostgreSQL is backed up with its own tool; run:")
        click.echo(f"  {pg_dump_command(url, destination)}")
        click.echo("(give the password with PGPASSWORD or ~/.pgpass; it is never printed).")
        return
    try:
        written = backup_sqlite(database, destination, now=utcnow())
    except BackupError as error:
        _fail(error.message)
        return
    click.echo(f"Backed up {database} to {written} ({written.stat().st_size:,} bytes).")


@cli.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the existing database without asking.")
@with_appcontext
def restore(source: Path, yes: bool) -> None:
    """Replace the database with the backup SOURCE (SQLite; stop the site first)."""
    url = current_app.config["DATABASE_URL"]
    database = sqlite_file(url)
    if database is None:
        click.echo("PostgreSQL is restored with its own tool; run:")
        click.echo(f"  {pg_restore_command(url, source)}")
        return
    if database.exists() and database.stat().st_size > 0 and not yes and not (
            sys.stdin.isatty()
            and click.confirm(f"Replace the database {database} with {source}?")):
        _fail(f"{database} exists; nothing was restored (pass --yes to replace it).")
    engine_of(current_app).dispose()
    try:
        restored = restore_sqlite(source, database, now=utcnow())
    except BackupError as error:
        _fail(error.message)
        return
    click.echo(f"Restored {source} into {database}.")
    if restored.replaced_copy is not None:
        click.echo(f"The database it replaced is saved as {restored.replaced_copy}.")
    if restored.revision != schema_head():
        click.echo("The backup's schema is older than this version: run `academy db upgrade`.")


@cli.command("scheduler")
@with_appcontext
def scheduler() -> None:
    """Run the scheduled jobs in the foreground: the one scheduler process of production."""
    upgrade_database(engine_of(current_app))
    blocking = build_scheduler(runner_for(current_app), blocking=True)
    click.echo(f"Scheduler running {len(JOBS)} jobs (Ctrl+C stops it).")
    try:
        blocking.start()
    except (KeyboardInterrupt, SystemExit):
        blocking.shutdown(wait=False)


@cli.group("jobs")
def jobs_group() -> None:
    """Scheduled jobs: their next run times and recent runs."""


@jobs_group.command("list")
@with_appcontext
def jobs_list() -> None:
    """Show every job, when it next runs and how its last run ended."""
    next_runs = next_run_times(utcnow())
    with new_session(engine_of(current_app), write=False) as session:
        last = notify_service.last_runs(session)
    for name, job in JOBS.items():
        upcoming = next_runs[name]
        click.echo(f"{name}: {job.description}")
        click.echo(f"  next: {upcoming:%Y-%m-%d %H:%M} UTC" if upcoming else "  next: —")
        run = last.get(name)
        click.echo(f"  last: {run.period_key} {run.status.value} {run.detail}".rstrip()
                   if run else "  last: never")


@jobs_group.command("run")
@click.argument("name", type=click.Choice(list(JOBS)))
@with_appcontext
def jobs_run(name: str) -> None:
    """Run one job now (as a manual run; what it sends is still deduplicated)."""
    outcome = runner_for(current_app).run_now(name)
    click.echo(f"{name} ({outcome.period_key}): {outcome.status} {outcome.detail}".rstrip())
    if outcome.status == "failed":
        sys.exit(1)
