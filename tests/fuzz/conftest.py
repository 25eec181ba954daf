"""Fuzzing fixtures: one populated site per test function, reused by every hypothesis example.

Building a database per example would cost seconds; instead each test builds one ``FuzzWorld``
(every account role, a synced catalogue, order classes at two stages, a stream, a certificate,
API tokens) and each example compares a snapshot of every table before and after its request.
That comparison is what makes reuse safe: an example that leaves the world changed must have
been accepted, and is checked as such.

The hypothesis profile keeps CI short and repeatable: derandomized (the same examples on every
run) unless ``ACADEMY_FUZZ_RANDOM=1``; ``ACADEMY_FUZZ_EXAMPLES`` raises the count for a long
local run.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, settings
from sqlmodel import Session, SQLModel

import academy.all_models  # noqa: F401  (every table in SQLModel.metadata)
from academy.api import service as api_service
from academy.assessment.models import Certificate
from academy.auth.models import PartnerFirm, User
from academy.cohorts import service as cohorts_service
from academy.cohorts.models import Cohort, CohortMember, CohortStatus, MemberStatus, Placement
from academy.curriculum.sync import sync_courses
from academy.db import engine_of
from academy.practice.models import PracticeStream
from tests.curriculum.builders import write_catalogue
from tests.practice.factories import add_stream

settings.register_profile(
    "academy-fuzz",
    max_examples=int(os.environ.get("ACADEMY_FUZZ_EXAMPLES", "25")),
    deadline=None,
    derandomize=os.environ.get("ACADEMY_FUZZ_RANDOM") != "1",
    database=None,
    print_blob=True,
    # The world fixture is built once per test on purpose (see the module docstring).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.data_too_large, HealthCheck.large_base_example],
)
FUZZ = settings.get_profile("academy-fuzz")

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
RECRUITING_PATH = [CohortStatus.SUBMITTED, CohortStatus.APPROVED, CohortStatus.RECRUITING]
PLACEMENT_PATH = [CohortStatus.SELECTING, CohortStatus.TRAINING, CohortStatus.INTERNSHIP,
                  CohortStatus.PLACEMENT]


@dataclass
class FuzzWorld:
    firm: PartnerFirm
    partner: User
    instructor: User
    admin: User
    student: User
    member: User
    recruiting: Cohort
    placing: Cohort
    passed_member: CohortMember
    offer: Placement
    stream: PracticeStream
    certificate: Certificate
    tokens: dict[str, str]


def _cohort(session: Session, world_partner: User, instructor: User, name: str) -> Cohort:
    draft = cohorts_service.CohortDraft(
        name=name, track="host", seats=5, apply_by=NOW.date() + dt.timedelta(days=20),
        starts_on=NOW.date() + dt.timedelta(days=30), ends_on=NOW.date() + dt.timedelta(days=150),
        description_md="Train **hosts**.", required_modules=["host-topic-1"],
        platforms=["tiktok_shop"], markets=["US"], languages=["en"],
        hiring_commitment="We interview everyone who passes.")
    cohort = cohorts_service.create_cohort(session, world_partner, draft, now=NOW)
    for target in RECRUITING_PATH:
        actor = world_partner if target == CohortStatus.SUBMITTED else instructor
        cohort = cohorts_service.change_status(session, actor, cohort.slug, target, now=NOW)
    return cohort


@pytest.fixture
def world(app: Flask, session: Session, make_user: Callable[..., User],
          make_firm: Callable[..., PartnerFirm]) -> FuzzWorld:
    course_dir = Path(app.config["COURSES_DIR"])
    write_catalogue(course_dir, per_track=2)
    sync_courses(session, course_dir, now=NOW)
    firm = make_firm("yiwu-lighting", "Yiwu Lighting Export")
    partner = make_user("partner", firm=firm)
    instructor, admin = make_user("instructor"), make_user("admin")
    student, member = make_user("student"), make_user("student")
    recruiting = _cohort(session, partner, instructor, "Hosts for the US, spring")
    placing = _cohort(session, partner, instructor, "Hosts for Germany, autumn")
    passed = cohorts_service.apply_to_cohort(
        session, member, placing.slug, "I stream in English every week and sell lighting.",
        now=NOW)
    for target in (MemberStatus.SHORTLISTED, MemberStatus.ADMITTED):
        passed = cohorts_service.decide_member(session, partner, placing.slug, passed.id or 0,
                                               target, now=NOW)
    for target in PLACEMENT_PATH:
        placing = cohorts_service.change_status(session, instructor, placing.slug, target,
                                                now=NOW)
    passed = cohorts_service.decide_member(session, instructor, placing.slug, passed.id or 0,
                                           MemberStatus.PASSED, now=NOW)
    offer = cohorts_service.record_offer(session, partner, placing.slug, passed.id or 0,
                                         position="Live host, English",
                                         offered_on=placing.starts_on, now=NOW)
    stream = add_stream(session, student, NOW - dt.timedelta(days=2))
    certificate = Certificate(code="fuzz-certificate-code", user_id=member.id, track="host",
                              issued_at=NOW)
    session.add(certificate)
    session.commit()
    tokens = {
        name: api_service.issue_token(session, user, name="fuzz", scope="write", now=NOW).secret
        for name, user in (("student", student), ("partner", partner),
                           ("instructor", instructor), ("member", member))
    }
    return FuzzWorld(firm=firm, partner=partner, instructor=instructor, admin=admin,
                     student=student, member=member, recruiting=recruiting, placing=placing,
                     passed_member=passed, offer=offer, stream=stream, certificate=certificate,
                     tokens=tokens)


Snapshot = dict[str, list[tuple[object, ...]]]


@pytest.fixture
def snapshot(app: Flask) -> Callable[..., Snapshot]:
    """Every row of every table (minus ``ignore``), read in one short transaction."""
    engine = engine_of(app)
    present = set(sa.inspect(engine).get_table_names())
    tables = [table for table in SQLModel.metadata.sorted_tables if table.name in present]

    def take(ignore: frozenset[str] = frozenset()) -> Snapshot:
        with engine.connect() as connection:
            return {
                table.name: sorted(
                    (tuple(repr(value) for value in row)
                     for row in connection.execute(sa.select(table))),
                )
                for table in tables if table.name not in ignore
            }

    return take


def changed_tables(before: Snapshot, after: Snapshot) -> set[str]:
    return {name for name in before if before[name] != after[name]}
