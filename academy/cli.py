"""The `academy` command: serve the site, upgrade the database, manage accounts, demo data."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from academy import create_app
from academy.auth import service as auth_service
from academy.auth.models import AccountRole
from academy.auth.service import AccountError, NewAccount
from academy.db import engine_of, new_session, upgrade_database, utcnow
from academy.demo import DEMO_PASSWORD, database_is_empty, load_demo_data


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=True)
def cli() -> None:
    """Live Academy: training for live-stream e-commerce talent."""


def _fail(message: object) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def _load_demo() -> None:
    if not current_app.config["LOAD_DEMO_DATA"]:
        _fail("Demo data is never loaded in production (ACADEMY_ENV=production).")
    with new_session(engine_of(current_app)) as session:
        added = load_demo_data(session, now=utcnow())
    click.echo(f"Demo data: {added} item(s) added. "
               f"Demo accounts use the password {DEMO_PASSWORD!r}.")


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
    if empty and current_app.config["LOAD_DEMO_DATA"]:
        _load_demo()
    click.echo(f"Live Academy on http://{host}:{port}/  (Ctrl+C stops it)")
    current_app.run(host=host, port=port, threaded=True, use_reloader=False, debug=False)


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
@with_appcontext
def demo() -> None:
    """Load the demo firm and accounts (idempotent; refused in production)."""
    upgrade_database(engine_of(current_app))
    _load_demo()


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
