"""A world of objects owned by different people, and clients for everyone who may touch them.

The access matrix acts on the objects of one student (the *owner*) as seven identities: a
visitor, the owner, another student, an instructor, partner staff of the firm that sponsors
the owner's order class (and mentors it), partner staff of another firm, and an admin. The
world is built once per test through the services, then snapshotted, so a request that
changes something can be undone before the next one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, SQLModel, select

from academy import create_app
from academy.api import service as api_service
from academy.assessment import service as assessment_service
from academy.assessment.models import Certificate
from academy.auth import importing, password_links
from academy.auth.models import PartnerFirm, User
from academy.cohorts import service as cohorts_service
from academy.cohorts.models import Cohort, CohortMember, CohortStatus, MemberStatus, Placement
from academy.curriculum import service as curriculum_service
from academy.curriculum.sync import sync_courses
from academy.db import engine_of
from academy.notify.models import Notification, NotificationKind
from academy.notify.service import notify
from academy.practice.models import PracticeStream
from tests.cohorts.conftest import NOW, PATH, STARTS_ON, draft
from tests.curriculum.builders import write_catalogue
from tests.helpers import TEST_PASSWORD, csrf_token, submit
from tests.practice.factories import add_stream

#: The identities of the matrix, in the order of its columns.
IDENTITIES = ("anonymous", "owner", "other_student", "instructor", "partner", "rival_partner",
              "admin")

MOTIVATION = "I host English streams every week and want to sell lighting abroad."
#: Written only into the owner's data: no page for another student or firm may show it.
OWNER_NAME = "Owner Student"
OWNER_NOTE = "owner-private-note-7f3a"
ACCOUNT_FILE = b"email,display_name\nnew.colleague@example.test,New Colleague\n"


@dataclass
class World:
    """Every object the matrix names in a URL, and who owns it.

    ``owner`` is the student whose objects the others try to reach. ``partner`` works for the
    firm that sponsors and mentors the owner's order class; ``rival_partner`` for another.
    """

    firm: PartnerFirm
    rival_firm: PartnerFirm
    users: dict[str, User]
    stream: PracticeStream  # the owner's, not assessed yet: editable and deletable
    assessed_stream: PracticeStream  # the owner's, assessed by the instructor
    module_slug: str
    attempt_id: int  # the owner's quiz attempt at module_slug
    certificate_code: str  # the owner's host certificate
    notification_id: int  # in the owner's inbox
    api_token_id: int  # the owner's token, listed on /account/tokens
    calendar_token: str  # the owner's private calendar feed
    api_secrets: dict[str, str]  # each signed-in identity's write token
    draft: Cohort  # the firm's draft order class
    recruiting: Cohort  # recruiting; the owner applied
    open_cohort: Cohort  # recruiting; nobody applied yet
    placing: Cohort  # at placement: the owner passed and holds an offer
    application: CohortMember  # the owner's application to ``recruiting``
    membership: CohortMember  # the owner's seat in ``placing``
    offer: Placement  # the owner's open offer in ``placing``
    passed_peer: CohortMember  # passed in ``placing``, no offer yet
    hired_peer_offer: Placement  # another member's accepted offer in ``placing``
    event_id: int  # on the schedule of ``placing``
    staged_import_id: int  # the admin's uploaded account list, not confirmed yet
    password_link: str  # the set-password link of an imported account

    @property
    def owner(self) -> User:
        return self.users["owner"]


def _walk(session: Session, partner: User, instructor: User, cohort: Cohort,
          target: CohortStatus) -> Cohort:
    """Move ``cohort`` along the lifecycle up to ``target``, as the party each step needs."""
    for status in PATH[PATH.index(cohort.status) + 1 if cohort.status in PATH else 0:]:
        actor = partner if status == CohortStatus.SUBMITTED else instructor
        cohort = cohorts_service.change_status(session, actor, cohort.slug, status, now=NOW)
        if status == target:
            break
    return cohort


def _seat(session: Session, partner: User, cohort: Cohort, student: User) -> CohortMember:
    member = cohorts_service.apply_to_cohort(session, student, cohort.slug, MOTIVATION, now=NOW)
    for target in (MemberStatus.SHORTLISTED, MemberStatus.ADMITTED):
        member = cohorts_service.decide_member(session, partner, cohort.slug, member.id or 0,
                                               target, now=NOW)
    return member


def build_world(app: Flask, session: Session, make_user: Callable[..., User],
                make_firm: Callable[..., PartnerFirm]) -> World:
    course_dir = Path(app.config["COURSES_DIR"])
    write_catalogue(course_dir, per_track=2)
    sync_courses(session, course_dir, now=NOW)

    firm = make_firm("yiwu-lighting", "Yiwu Lighting Export")
    rival_firm = make_firm("shenzhen-audio", "Shenzhen Audio")
    users = {
        "owner": make_user("student", display_name=OWNER_NAME),
        "other_student": make_user("student", display_name="Other Student"),
        "instructor": make_user("instructor", display_name="Chen Jing"),
        "partner": make_user("partner", firm=firm, display_name="Zhao Min"),
        "rival_partner": make_user("partner", firm=rival_firm, display_name="Rival Staff"),
        "admin": make_user("admin"),
    }
    owner, partner, instructor = users["owner"], users["partner"], users["instructor"]
    peers = [make_user("student", display_name=f"Peer {number}") for number in (1, 2)]

    stream = add_stream(session, owner, NOW - dt.timedelta(days=2), notes_md=OWNER_NOTE)
    assessed_stream = add_stream(session, owner, NOW - dt.timedelta(days=3))
    session.commit()
    assessment_service.assess_stream(
        session, instructor, assessed_stream.id or 0, levels={"product": 3, "compliance": 3},
        comments_text="", feedback_md="Clear **MOQ** answers.", now=NOW)

    other_stream = add_stream(session, users["other_student"], NOW - dt.timedelta(days=1))
    session.add(Certificate(code=uuid.uuid4().hex, user_id=users["other_student"].id or 0,
                            track="operator", issued_at=NOW))
    session.commit()
    assessment_service.assess_stream(
        session, instructor, other_stream.id or 0, levels={"product": 2, "compliance": 3},
        comments_text="", feedback_md="Slow start.", now=NOW)
    module_slug = "host-topic-1"
    attempt = curriculum_service.submit_quiz(session, owner, module_slug,
                                             {0: [0], 1: [0, 1, 3]}, now=NOW)
    curriculum_service.submit_quiz(session, users["other_student"], module_slug,
                                   {0: [1], 1: [0]}, now=NOW)
    certificate = Certificate(code=uuid.uuid4().hex, user_id=owner.id or 0, track="host",
                              issued_at=NOW)
    session.add(certificate)
    notify(session, owner.id or 0, NotificationKind.COHORT_STAGE, "Training starts",
           "Your order class starts training on Monday.", "security-world-1", NOW)
    session.commit()
    owner_token = api_service.issue_token(session, owner, name="HR system", scope="read",
                                          now=NOW)
    api_secrets = {name: api_service.issue_token(session, user, name="matrix", scope="write",
                                                 now=NOW).secret
                   for name, user in users.items()}
    calendar_token = cohorts_service.issue_calendar_token(session, owner, now=NOW)

    cohort_draft = cohorts_service.create_cohort(session, partner, draft(name="Draft class"),
                                                 now=NOW)
    recruiting = _walk(session, partner, instructor, cohorts_service.create_cohort(
        session, partner, draft(name="Recruiting class"), now=NOW), CohortStatus.RECRUITING)
    application = cohorts_service.apply_to_cohort(session, owner, recruiting.slug, MOTIVATION,
                                                  now=NOW)
    open_cohort = _walk(session, partner, instructor, cohorts_service.create_cohort(
        session, partner, draft(name="Open class"), now=NOW), CohortStatus.RECRUITING)

    placing = _walk(session, partner, instructor, cohorts_service.create_cohort(
        session, partner, draft(name="Placement class", mentor_ids=[partner.id]), now=NOW),
        CohortStatus.RECRUITING)
    members = [_seat(session, partner, placing, student) for student in (owner, *peers)]
    placing = _walk(session, partner, instructor, placing, CohortStatus.PLACEMENT)
    for member in members:
        cohorts_service.decide_member(session, instructor, placing.slug, member.id or 0,
                                      MemberStatus.PASSED, now=NOW)
    membership, passed_peer, hired_peer = members
    offer = cohorts_service.record_offer(session, partner, placing.slug, membership.id or 0,
                                         position="Live host, English", offered_on=STARTS_ON,
                                         now=NOW)
    hired_offer = cohorts_service.record_offer(session, partner, placing.slug,
                                               hired_peer.id or 0, position="Live host",
                                               offered_on=STARTS_ON, now=NOW)
    cohorts_service.answer_offer(session, peers[1], placing.slug, hired_offer.id or 0,
                                 accepted=True, now=NOW)
    # Under way (attendance opens at the start), and its members were seated before it ends.
    under_way = (NOW - dt.timedelta(hours=1)).astimezone(ZoneInfo(partner.timezone))
    event = cohorts_service.add_event(session, partner, placing.slug, cohorts_service.EventDraft(
        title="Factory visit", kind="visit", starts_local=under_way.replace(tzinfo=None),
        duration_min=120, location="Yiwu"), now=NOW)

    staged_import, _file = importing.stage_import(
        session, users["admin"], filename="accounts.csv", data=ACCOUNT_FILE, now=NOW)
    invitee = make_user("student", display_name="Invited Student")
    [link] = password_links.issue_links(session, [(invitee.id or 0, invitee.password_hash)], NOW)
    session.commit()

    return World(
        firm=firm, rival_firm=rival_firm, users=users, stream=stream,
        assessed_stream=assessed_stream, module_slug=module_slug, attempt_id=attempt.id or 0,
        certificate_code=certificate.code,
        notification_id=_owner_notification(session, owner),
        api_token_id=owner_token.token.id or 0, calendar_token=calendar_token,
        api_secrets=api_secrets, draft=cohort_draft, recruiting=recruiting,
        open_cohort=open_cohort, placing=placing, application=application,
        membership=membership, offer=offer, passed_peer=passed_peer,
        hired_peer_offer=hired_offer, event_id=event.id or 0,
        staged_import_id=staged_import.id or 0, password_link=link.token,
    )


def _owner_notification(session: Session, owner: User) -> int:
    return session.exec(select(Notification.id).where(Notification.user_id == owner.id)).one()


class Snapshot:
    """The world's database saved once and put back whenever a request may have changed it.

    SQLite copies the file with its online backup API. PostgreSQL copies every table into a
    schema of its own and back (foreign-key triggers off while it does), and resets the
    sequences: much faster than cloning a database per restore.
    """

    SCHEMA = "matrix_snapshot"

    def __init__(self, app: Flask, database_url: str) -> None:
        self.app = app
        self.url = sa.make_url(database_url)
        self.saved_file = f"{self.url.database}.snapshot"
        self.sequences: list[tuple[str, int, bool]] = []

    @property
    def _sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @staticmethod
    def _tables() -> list[str]:
        return [f'"{table.name}"' for table in SQLModel.metadata.sorted_tables]

    def take(self) -> None:
        engine = engine_of(self.app)
        engine.dispose()
        if self._sqlite:
            _sqlite_copy(str(self.url.database), self.saved_file)
            return
        with engine.begin() as connection:
            connection.exec_driver_sql(f"CREATE SCHEMA {self.SCHEMA}")
            for table in self._tables():
                connection.exec_driver_sql(
                    f"CREATE TABLE {self.SCHEMA}.{table} AS TABLE public.{table}")
            names = connection.exec_driver_sql(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'").scalars()
            for name in list(names):
                last_value, is_called = connection.exec_driver_sql(
                    f'SELECT last_value, is_called FROM public."{name}"'  # noqa: S608
                ).one()
                self.sequences.append((name, last_value, is_called))

    def restore(self) -> None:
        engine = engine_of(self.app)
        if self._sqlite:
            engine.dispose()
            _sqlite_copy(self.saved_file, str(self.url.database))
            return
        # Names come from the models' metadata and pg_sequences, never from input.
        statements = ["SET LOCAL session_replication_role = replica"]
        for table in self._tables():  # DELETE: TRUNCATE costs more on tables this small
            statements += [f"DELETE FROM public.{table}",  # noqa: S608
                           f"INSERT INTO public.{table} SELECT * FROM {self.SCHEMA}.{table}"]  # noqa: S608
        statements += [f"SELECT setval('public.\"{name}\"', {last_value}, {is_called})"
                       for name, last_value, is_called in self.sequences]
        with engine.begin() as connection:  # one round trip: psycopg sends the script at once
            connection.exec_driver_sql(";\n".join(statements))

    def drop(self) -> None:
        if self._sqlite:
            Path(self.saved_file).unlink(missing_ok=True)


def _sqlite_copy(source: str, target: str) -> None:
    with contextlib.closing(sqlite3.connect(source)) as src, \
            contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


#: Tables every authenticated API request writes to (the token's use and rate-limit count).
_BOOKKEEPING = frozenset({"api_token", "login_attempt", "alembic_version"})


def database_fingerprint(app: Flask) -> str:
    """A hash of every row the app keeps, bar request bookkeeping: equal means nothing written."""
    digest = hashlib.sha256()
    with engine_of(app).connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in _BOOKKEEPING:
                continue
            rows = connection.execute(sa.select(table).order_by(*table.primary_key.columns))
            digest.update(table.name.encode())
            for row in rows:
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


@dataclass
class Identity:
    """A client's signed-in cookie and a CSRF token valid for it, to replay on every request."""

    name: str
    cookie: str
    csrf: str
    api_secret: str = ""


def sign_in(app: Flask, user: User | None) -> Identity:
    client = app.test_client()
    if user is None:
        token = csrf_token(client, "/login")
        name = "anonymous"
    else:
        response = submit(client, "/login", {"email": user.email, "password": TEST_PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)
        token = csrf_token(client, "/account/password")
        name = user.email
    cookie = client.get_cookie("session")
    assert cookie is not None
    return Identity(name, cookie.value, token)


@pytest.fixture
def world(app: Flask, session: Session, make_user: Callable[..., User],
          make_firm: Callable[..., PartnerFirm]) -> World:
    return build_world(app, session, make_user, make_firm)


@pytest.fixture
def identities(app: Flask, world: World) -> dict[str, Identity]:
    signed_in = {"anonymous": sign_in(app, None)}
    for name, user in world.users.items():
        signed_in[name] = sign_in(app, user)
        signed_in[name].api_secret = world.api_secrets[name]
    return signed_in


@pytest.fixture
def snapshot(app: Flask, database_url: str, session: Session, world: World,
             identities: dict[str, Identity]) -> Iterator[Snapshot]:
    """The world with everyone signed in, saved; ``restore()`` puts it back."""
    session.close()
    saved = Snapshot(app, database_url)
    saved.take()
    yield saved
    engine_of(app).dispose()
    saved.drop()


def client_as(app: Flask, identity: Identity) -> FlaskClient:
    """A fresh client carrying ``identity``'s cookie (nothing a previous request set)."""
    client = app.test_client()
    client.set_cookie("session", identity.cookie)
    return client


@pytest.fixture
def proxied_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app behind one reverse proxy that sets X-Forwarded-For (ACADEMY_PROXY_COUNT=1)."""
    application = create_app({"TESTING": True, "DATABASE_URL": database_url,
                              "SECRET_KEY": "test-secret-key", "PROXY_COUNT": 1,
                              "COURSES_DIR": str(tmp_path / "courses")})
    yield application
    engine_of(application).dispose()
