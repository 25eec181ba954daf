"""Every order-class route, tried by every persona: who gets in, who is told no, who gets 404.

Personas: anonymous, a student outside the cohort, a member, the firm's partner staff, another
firm's partner staff, an instructor and an admin. A forbidden object is a 404 to those who must
not learn it exists (another firm, students outside a cohort that does not recruit) and a 403
to those who may see it but not do this.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from academy.auth.models import User
from academy.cohorts import service
from academy.cohorts.models import Cohort, CohortEvent, CohortMember, CohortStatus
from tests.cohorts.conftest import NOW, World
from tests.helpers import csrf_token

PERSONAS = ("anonymous", "student", "member", "partner", "other_partner", "instructor", "admin")
LOGIN = 302


def codes(*statuses: int) -> dict[str, int]:
    return dict(zip(PERSONAS, statuses, strict=True))


@dataclass(frozen=True)
class Route:
    method: str
    url: str  # placeholders: {t} training cohort, {r} recruiting, {d} draft, {m} member, {e}
    expected: dict[str, int]
    data: dict[str, object] = field(default_factory=dict)


ROUTES = [
    Route("GET", "/cohorts", codes(LOGIN, 200, 200, 200, 200, 200, 200)),
    Route("GET", "/cohorts/new", codes(LOGIN, 403, 403, 200, 200, 403, 403)),
    Route("GET", "/cohorts/{t}", codes(LOGIN, 404, 200, 200, 404, 200, 200)),
    Route("GET", "/cohorts/{r}", codes(LOGIN, 200, 200, 200, 404, 200, 200)),
    Route("GET", "/cohorts/{d}", codes(LOGIN, 404, 404, 200, 404, 200, 200)),
    Route("GET", "/cohorts/{d}/edit", codes(LOGIN, 403, 403, 200, 404, 200, 200)),
    Route("GET", "/cohorts/{t}/edit", codes(LOGIN, 403, 403, 409, 404, 409, 409)),
    Route("GET", "/cohorts/{r}/apply", codes(LOGIN, 200, 200, 403, 403, 403, 403)),
    Route("GET", "/cohorts/{t}/apply", codes(LOGIN, 404, 200, 403, 403, 403, 403)),
    Route("GET", "/cohorts/{t}/applicants", codes(LOGIN, 403, 403, 200, 404, 200, 200)),
    Route("GET", "/cohorts/{t}/members/{m}", codes(LOGIN, 403, 403, 200, 404, 200, 200)),
    Route("GET", "/cohorts/{t}/board", codes(LOGIN, 403, 403, 200, 404, 200, 200)),
    Route("GET", "/cohorts/{t}/board.csv", codes(LOGIN, 403, 403, 200, 404, 200, 200)),
    Route("GET", "/cohorts/{t}/events/new", codes(LOGIN, 403, 403, 200, 404, 200, 200)),
    Route("GET", "/cohorts/dashboard", codes(LOGIN, 403, 403, 200, 200, 200, 200)),
    Route("GET", "/calendar", codes(LOGIN, 200, 200, 200, 200, 200, 200)),
    # Posts carry input the form refuses, so a persona let through gets 422 and nothing changes.
    Route("POST", "/cohorts/new", codes(LOGIN, 403, 403, 422, 422, 403, 403)),
    Route("POST", "/cohorts/{d}/edit", codes(LOGIN, 403, 403, 422, 404, 422, 422)),
    Route("POST", "/cohorts/{t}/status", codes(LOGIN, 403, 403, 422, 404, 422, 422),
          {"target": "nonsense"}),
    Route("POST", "/cohorts/{r}/apply", codes(LOGIN, 422, 422, 403, 403, 403, 403),
          {"motivation": "too short"}),
    Route("POST", "/cohorts/{t}/withdraw", codes(LOGIN, 404, 409, 403, 403, 403, 403)),
    Route("POST", "/cohorts/{t}/members/{m}/decision",
          codes(LOGIN, 403, 403, 422, 404, 422, 422), {"target": "nonsense"}),
    Route("POST", "/cohorts/{t}/members/{m}/offers", codes(LOGIN, 403, 403, 422, 404, 422, 422)),
    Route("POST", "/cohorts/{t}/members/{m}/placements/1/hire",
          codes(LOGIN, 403, 403, 422, 404, 422, 422)),
    Route("POST", "/cohorts/{t}/placements/1/answer",
          codes(LOGIN, 404, 422, 422, 404, 422, 422), {"answer": "maybe"}),
    Route("POST", "/cohorts/{t}/events/new", codes(LOGIN, 403, 403, 422, 404, 422, 422)),
    # Removing really removes (302 back to the page): each persona gets a fresh event.
    Route("POST", "/cohorts/{t}/events/{e}/remove", codes(LOGIN, 403, 403, 302, 404, 302, 302)),
    Route("POST", "/calendar", codes(LOGIN, 200, 200, 200, 200, 200, 200)),
    Route("POST", "/calendar/revoke", codes(LOGIN, 302, 302, 302, 302, 302, 302)),
]


@pytest.mark.parametrize("route", ROUTES, ids=[f"{r.method} {r.url}" for r in ROUTES])
def test_every_route_for_every_persona(route: Route, session: Session, world: World,
                                       make_cohort, client_for: Callable[[User | None],
                                                                         FlaskClient]) -> None:
    training = make_cohort(CohortStatus.TRAINING)
    recruiting = make_cohort(CohortStatus.RECRUITING, name="Recruiting class")
    drafted = make_cohort(CohortStatus.DRAFT, name="Draft class")
    member = session.exec(select(CohortMember).where(
        CohortMember.student_id == world.member.id)).one()
    before = dict(session.exec(select(Cohort.slug, Cohort.status)).all())
    seen = {}
    for persona in PERSONAS:
        user = None if persona == "anonymous" else getattr(world, persona)
        client = client_for(user)
        event = service.add_event(session, world.instructor, training.slug, service.EventDraft(
            title="Mock stream", kind="practice", starts_local=dt.datetime(2030, 1, 1, 9),
            duration_min=60), now=NOW)
        session.expunge(event)  # the app may delete it, and SQLite reuses the id
        url = route.url.format(t=training.slug, r=recruiting.slug, d=drafted.slug, m=member.id,
                               e=event.id)
        if route.method == "GET":
            response = client.get(url)
        else:
            token = csrf_token(client, "/login" if user is None else "/calendar")
            response = client.post(url, data={"csrf_token": token, **route.data})
        seen[persona] = response.status_code
        if persona == "anonymous":
            assert "/login" in response.headers.get("Location", "")
    assert seen == route.expected
    assert dict(session.exec(select(Cohort.slug, Cohort.status)).all()) == before
    if "remove" not in route.url:
        assert len(session.exec(select(CohortEvent)).all()) == len(PERSONAS)


def test_students_list_only_recruiting_cohorts_and_their_own(session: Session, world: World,
                                                             make_cohort, client_for) -> None:
    make_cohort(CohortStatus.TRAINING, name="Class with the member")
    make_cohort(CohortStatus.RECRUITING, name="Open class")
    make_cohort(CohortStatus.APPROVED, name="Approved class")
    make_cohort(CohortStatus.DRAFT, name="Draft class")
    outsider = client_for(world.student).get("/cohorts").get_data(as_text=True)
    assert "Open class" in outsider
    assert "Class with the member" not in outsider and "Approved class" not in outsider
    assert "Draft class" not in outsider
    member = client_for(world.member).get("/cohorts").get_data(as_text=True)
    assert "Class with the member" in member and "Open class" in member


def test_a_partner_lists_only_its_own_firms_cohorts(session: Session, world: World,
                                                    make_cohort, client_for) -> None:
    make_cohort(CohortStatus.RECRUITING, name="Our class")
    body = client_for(world.other_partner).get("/cohorts").get_data(as_text=True)
    assert "Our class" not in body
    assert "Our class" in client_for(world.partner).get("/cohorts").get_data(as_text=True)
    assert "Our class" in client_for(world.admin).get("/cohorts").get_data(as_text=True)


def test_another_firms_dashboard_shows_none_of_our_cohorts(session: Session, world: World,
                                                           make_cohort, client_for) -> None:
    make_cohort(CohortStatus.TRAINING, name="Our class")
    body = client_for(world.other_partner).get("/cohorts/dashboard").get_data(as_text=True)
    assert "Our class" not in body
    assert "Our class" in client_for(world.partner).get("/cohorts/dashboard").get_data(
        as_text=True)
    staff = client_for(world.instructor)
    assert staff.get("/cohorts/dashboard?firm=shenzhen-audio").status_code == 200
    assert "Our class" not in staff.get("/cohorts/dashboard?firm=shenzhen-audio").get_data(
        as_text=True)
    assert staff.get("/cohorts/dashboard?firm=no-such-firm").status_code == 404
    # A partner cannot look at another firm by naming it.
    assert "Our class" not in client_for(world.other_partner).get(
        "/cohorts/dashboard?firm=yiwu-lighting").get_data(as_text=True)
