"""Order-class fixtures: a catalogue, two firms with staff, and cohorts at any stage."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlmodel import Session

from academy.auth.models import AccountRole, PartnerFirm, User
from academy.cohorts import service
from academy.cohorts.models import Cohort, CohortKind, CohortMember, CohortStatus, MemberStatus
from academy.curriculum.sync import sync_courses
from academy.security import hash_password
from tests.curriculum.builders import write_catalogue

# Pages act at the real time, so the cohorts' dates lie ahead of today.
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
APPLY_BY = NOW.date() + dt.timedelta(days=20)
STARTS_ON = NOW.date() + dt.timedelta(days=30)
ENDS_ON = NOW.date() + dt.timedelta(days=150)
MOTIVATION = "I stream in English every week and want to sell lighting to US buyers."

# The order a cohort walks (the steps the tests take to reach a stage).
PATH = [CohortStatus.SUBMITTED, CohortStatus.APPROVED, CohortStatus.RECRUITING,
        CohortStatus.SELECTING, CohortStatus.TRAINING, CohortStatus.INTERNSHIP,
        CohortStatus.PLACEMENT, CohortStatus.CLOSED]


@pytest.fixture
def catalogue(app: Flask, session: Session) -> Path:
    course_dir = Path(app.config["COURSES_DIR"])
    write_catalogue(course_dir, per_track=3)
    sync_courses(session, course_dir, now=NOW)
    return course_dir


def draft(**changes: object) -> service.CohortDraft:
    values: dict[str, object] = {
        "name": "TikTok Shop hosts — US spring intake", "track": "host", "seats": 3,
        "apply_by": APPLY_BY, "starts_on": STARTS_ON, "ends_on": ENDS_ON,
        "description_md": "Train **hosts** for our lighting range.",
        "required_modules": ["host-topic-1", "host-topic-2"], "platforms": ["tiktok_shop"],
        "markets": ["US"], "languages": ["en"],
        "hiring_commitment": "We interview everyone who passes and hire at least two.",
    }
    values.update(changes)
    return service.CohortDraft(**values)  # type: ignore[arg-type]


@dataclass
class World:
    """Two firms, their staff, the college and two students; every persona of the matrix."""

    firm: PartnerFirm
    other_firm: PartnerFirm
    partner: User
    other_partner: User
    instructor: User
    admin: User
    student: User
    member: User


@pytest.fixture
def world(make_user: Callable[..., User], make_firm: Callable[..., PartnerFirm]) -> World:
    firm = make_firm("yiwu-lighting", "Yiwu Lighting Export")
    other_firm = make_firm("shenzhen-audio", "Shenzhen Audio")
    return World(
        firm=firm, other_firm=other_firm,
        partner=make_user("partner", firm=firm, display_name="Zhao Min"),
        other_partner=make_user("partner", firm=other_firm, display_name="Other Firm Staff"),
        instructor=make_user("instructor", display_name="Chen Jing"),
        admin=make_user("admin"),
        student=make_user("student", display_name="Outsider Student"),
        member=make_user("student", display_name="Li Na"),
    )


def advance(session: Session, world: World, cohort: Cohort, target: CohortStatus) -> Cohort:
    """Walk ``cohort`` along PATH up to ``target``, as the party each step needs."""
    for status in PATH[PATH.index(cohort.status) + 1 if cohort.status in PATH else 0:]:
        actor = world.partner if status == CohortStatus.SUBMITTED else world.instructor
        cohort = service.change_status(session, actor, cohort.slug, status, now=NOW)
        if status == target:
            break
    return cohort


@pytest.fixture
def make_cohort(session: Session, world: World, catalogue: Path) -> Callable[..., Cohort]:
    """``make_cohort(CohortStatus.RECRUITING, seats=2)``: a cohort of the world's firm.

    From TRAINING on, the world's ``member`` is in it (admitted before training starts; in a
    closed cohort they passed).
    """

    def factory(status: CohortStatus = CohortStatus.RECRUITING, **changes: object) -> Cohort:
        cohort = service.create_cohort(session, world.partner, draft(**changes), now=NOW)
        if status == CohortStatus.DRAFT:
            return cohort
        stop = CohortStatus.RECRUITING if PATH.index(status) > PATH.index(
            CohortStatus.RECRUITING) else status
        cohort = advance(session, world, cohort, stop)
        if status == stop:
            return cohort
        member = admit(session, world, cohort, world.member)
        if status != CohortStatus.CLOSED:
            return advance(session, world, cohort, status)
        cohort = advance(session, world, cohort, CohortStatus.PLACEMENT)
        service.decide_member(session, world.instructor, cohort.slug, member.id or 0,
                              MemberStatus.PASSED, now=NOW)
        return advance(session, world, cohort, status)

    return factory


def admit(session: Session, world: World, cohort: Cohort, student: User) -> CohortMember:
    member = service.apply_to_cohort(session, student, cohort.slug, MOTIVATION, now=NOW)
    for target in (MemberStatus.SHORTLISTED, MemberStatus.ADMITTED):
        member = service.decide_member(session, world.partner, cohort.slug, member.id or 0,
                                       target, now=NOW)
    return member


def fresh(session: Session) -> None:
    """Forget what the test session has read, so it sees what the app wrote since."""
    session.rollback()
    session.expire_all()


@pytest.fixture
def make_internal_cohort(session: Session, world: World,
                         catalogue: Path) -> Callable[..., Cohort]:
    """``make_internal_cohort(CohortStatus.TRAINING, members=[user], joined=NOW)``.

    An internal training of the world's firm, approved by the college, with ``members``
    added from a list at ``joined``; from TRAINING on, training has started.
    """

    def factory(status: CohortStatus = CohortStatus.APPROVED, *, members: Sequence[User] = (),
                joined: dt.datetime = NOW, **changes: object) -> Cohort:
        cohort = service.create_cohort(
            session, world.partner, draft(kind=CohortKind.INTERNAL, **changes), now=NOW)
        if status == CohortStatus.DRAFT:
            return cohort
        cohort = service.change_status(session, world.partner, cohort.slug,
                                       CohortStatus.SUBMITTED, now=NOW)
        if status == CohortStatus.SUBMITTED:
            return cohort
        cohort = service.change_status(session, world.instructor, cohort.slug,
                                       CohortStatus.APPROVED, now=NOW)
        if members:
            service.enrol_students(session, world.instructor, cohort.slug,
                                   [member.email for member in members], now=joined)
        if status == CohortStatus.TRAINING:
            cohort = service.change_status(session, world.instructor, cohort.slug,
                                           CohortStatus.TRAINING, now=NOW)
        return cohort

    return factory


def add_students(session: Session, count: int, prefix: str = "bulk") -> list[User]:
    """``count`` student accounts written in one batch (they never sign in)."""
    password = hash_password("not-used-to-sign-in")
    users = [User(email=f"{prefix}{n}@example.test", display_name=f"{prefix.title()} {n:03d}",
                  password_hash=password, account_role=AccountRole.STUDENT)
             for n in range(count)]
    session.add_all(users)
    session.commit()
    return users
