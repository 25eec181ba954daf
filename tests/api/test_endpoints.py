"""Modules, progress and order classes over the API, with the site's permissions; errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from academy.cohorts import service as cohorts_service
from academy.cohorts.models import Cohort, CohortMember, CohortStatus, MemberStatus, Placement
from academy.curriculum import service as curriculum_service
from academy.db import utcnow
from tests.api.conftest import bearer
from tests.cohorts.conftest import NOW, World, draft


@pytest.fixture
def as_(world: World, token_for: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """``as_("partner")``: bearer headers for one of the world's personas."""
    return lambda persona, scope="write": bearer(token_for(getattr(world, persona), scope))


def test_modules_list_the_catalogue_with_the_readers_progress(
        client: FlaskClient, catalogue: Path, world: World, as_, session: Session) -> None:
    curriculum_service.mark_complete(session, world.member, "host-topic-2", now=NOW)
    first = client.get("/api/v1/modules?limit=4", headers=as_("member")).get_json()
    rest = client.get("/api/v1/modules", headers=as_("member"),
                      query_string={"cursor": first["next_cursor"], "limit": 100}).get_json()
    modules = first["data"] + rest["data"]
    assert rest["next_cursor"] is None
    assert [m["slug"] for m in modules] == [
        m.slug for track in curriculum_service.list_tracks(session, world.member)
        for m in track.modules]
    assert {m["slug"]: m["status"] for m in modules}["host-topic-2"] == "completed"
    assert modules[0]["best_quiz_score"] is None and modules[0]["track"] == "host"


def test_a_module_shows_its_outline_but_never_the_answers(
        client: FlaskClient, catalogue: Path, as_, session: Session) -> None:
    response = client.get("/api/v1/modules/host-topic-1", headers=as_("student"))
    assert response.status_code == 200
    module = response.get_json()
    stored = curriculum_service.get_module(session, "host-topic-1")
    assert module["objectives"] == stored.objectives
    assert module["quiz"] == {"questions": len(stored.quiz["questions"]),
                              "pass_mark": stored.quiz["pass_mark"]}
    text = response.get_data(as_text=True)
    for question in stored.quiz["questions"]:
        assert question["explain"] not in text and question["prompt"] not in text
    assert "answer" not in text
    assert client.get("/api/v1/modules/no-such-module",
                      headers=as_("student")).status_code == 404


def test_progress_is_the_students_record(client: FlaskClient, catalogue: Path, world: World,
                                         as_, session: Session) -> None:
    curriculum_service.mark_complete(session, world.member, "host-topic-1", now=NOW)
    attempt = curriculum_service.submit_quiz(
        session, world.member, "host-topic-1",
        {number: [0] for number in range(len(curriculum_service.get_module(
            session, "host-topic-1").quiz["questions"]))}, now=NOW)
    progress = client.get("/api/v1/me/progress", headers=as_("member")).get_json()
    module = next(m for m in progress["modules"] if m["slug"] == "host-topic-1")
    assert module["best_quiz_score"] == attempt.score
    assert module["status"] == ("quiz_passed" if attempt.passed else "completed")
    host = next(t for t in progress["tracks"] if t["track"] == "host")
    assert host["modules_completed"] == 1 and host["modules_total"] == 3
    assert [c["track"] for c in progress["certificates"]] == ["host", "operator", "planner"]
    assert progress["certificates"][0] == {"track": "host", "earned": False, "code": None,
                                           "issued_at": None, "revoked_at": None}
    assert progress["assessments"] == []
    assert client.get("/api/v1/me/progress", headers=as_("partner")).status_code == 403


def test_a_partner_token_lists_only_its_own_firms_cohorts(
        client: FlaskClient, world: World, make_cohort, as_, make_user,
        token_for, session: Session) -> None:
    """The issue's "done when": a partner token lists only its own cohorts."""
    ours = [make_cohort(CohortStatus.DRAFT), make_cohort(CohortStatus.RECRUITING)]
    theirs = cohorts_service.create_cohort(
        session, world.other_partner, draft(name="Audio hosts", required_modules=[]), now=NOW)
    listed = client.get("/api/v1/cohorts", headers=as_("partner")).get_json()
    assert {c["slug"] for c in listed["data"]} == {c.slug for c in ours}
    assert {c["firm"] for c in listed["data"]} == {world.firm.name}
    other = client.get("/api/v1/cohorts", headers=as_("other_partner")).get_json()
    assert [c["slug"] for c in other["data"]] == [theirs.slug]
    college = client.get("/api/v1/cohorts", headers=as_("instructor")).get_json()
    assert len(college["data"]) == 3
    student = client.get("/api/v1/cohorts", headers=as_("student")).get_json()
    assert [c["slug"] for c in student["data"]] == [ours[1].slug]


def test_the_cohort_list_pages_past_the_services_page_size(
        client: FlaskClient, world: World, make_cohort, as_, session: Session) -> None:
    """Does the cursor walk ``list_cohorts``' pages of 50 without losing or repeating one?"""
    template = make_cohort(CohortStatus.DRAFT)
    rows = [Cohort(**{**template.model_dump(exclude={"id"}), "slug": f"bulk-{n}",
                      "name": f"Bulk {n}"}) for n in range(60)]
    session.add_all(rows)
    session.commit()
    seen, cursor = [], None
    while True:
        page = client.get("/api/v1/cohorts", headers=as_("partner"),
                          query_string={"limit": 17, **({"cursor": cursor} if cursor else {})})
        body = page.get_json()
        seen += [c["slug"] for c in body["data"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    listed = []
    for number in (1, 2):
        listed += [item.cohort.slug for item in cohorts_service.list_cohorts(
            session, world.partner, page=number).cohorts]
    assert seen == listed and len(seen) == 61


def _board_cohort(session: Session, world: World, make_cohort) -> tuple[Cohort, CohortMember]:
    cohort = make_cohort(CohortStatus.PLACEMENT)
    member = session.exec(select(CohortMember)).one()
    cohorts_service.decide_member(session, world.instructor, cohort.slug, member.id or 0,
                                  MemberStatus.PASSED, now=NOW)
    return cohort, member


def test_members_are_the_progress_board(client: FlaskClient, world: World, make_cohort, as_,
                                        session: Session) -> None:
    cohort, member = _board_cohort(session, world, make_cohort)
    url = f"/api/v1/cohorts/{cohort.slug}/members"
    rows = client.get(url, headers=as_("partner")).get_json()["data"]
    [board_row] = cohorts_service.progress_board(session, world.partner, cohort.slug).rows
    assert rows == [{
        "member_id": member.id, "student_id": world.member.id, "display_name": "Li Na",
        "email": world.member.email, "status": "passed",
        "applied_at": rows[0]["applied_at"], "decided_at": rows[0]["decided_at"],
        "required_modules_done": board_row.modules_done, "required_modules_total": 2,
        "mean_best_quiz": None, "streams": 0, "practice_hours": 0.0,
        "mean_rubric_total": None, "last_activity": None,
    }]
    assert rows[0]["applied_at"].endswith("Z")
    assert client.get(url, headers=as_("instructor")).status_code == 200
    assert client.get(url, headers=as_("other_partner")).status_code == 404
    assert client.get(url, headers=as_("member")).status_code == 403
    assert client.get(url, headers=as_("student")).status_code == 404


def test_placements_are_offered_and_listed_by_the_firm(client: FlaskClient, world: World,
                                                       make_cohort, as_,
                                                       session: Session) -> None:
    cohort, member = _board_cohort(session, world, make_cohort)
    url = f"/api/v1/cohorts/{cohort.slug}/placements"
    offer = {"member_id": member.id, "position": "Live host, English",
             "offered_on": (cohort.starts_on + dt.timedelta(days=60)).isoformat()}
    assert client.post(url, headers=as_("partner", "read"), json=offer).status_code == 403
    assert client.post(url, headers=as_("other_partner"), json=offer).status_code == 404
    assert client.post(url, headers=as_("member"), json=offer).status_code == 403
    response = client.post(url, headers=as_("partner"), json=offer)
    assert response.status_code == 201
    placement = response.get_json()
    assert placement["status"] == "offered" and placement["member_id"] == member.id
    again = client.post(url, headers=as_("partner"), json=offer)
    assert again.status_code == 409
    listed = client.get(url, headers=as_("partner")).get_json()
    assert listed == {"data": [placement], "next_cursor": None}
    assert client.get(url, headers=as_("instructor")).get_json()["data"] == [placement]
    assert client.get(url, headers=as_("other_partner")).status_code == 404
    assert client.get(url, headers=as_("member")).status_code == 403
    session.rollback()
    assert len(session.exec(select(Placement)).all()) == 1


@pytest.mark.parametrize(("offer", "field"), [
    ({"position": "x", "offered_on": "2030-01-01"}, "position"),
    ({"position": "Host", "offered_on": "2000-01-01"}, "offered_on"),
    ({"position": "Host", "offered_on": "next week"}, "offered_on"),
    ({"position": "Host", "offered_on": "2030-01-01", "salary": 1}, "salary"),
])
def test_a_bad_offer_is_422_and_records_nothing(client: FlaskClient, world: World,
                                                make_cohort, as_, session: Session,
                                                offer: dict[str, object], field: str) -> None:
    cohort, member = _board_cohort(session, world, make_cohort)
    response = client.post(f"/api/v1/cohorts/{cohort.slug}/placements",
                           headers=as_("partner"), json={"member_id": member.id, **offer})
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    session.rollback()
    assert session.exec(select(Placement)).all() == []


def test_unknown_member_ids_are_not_found_even_huge_ones(client: FlaskClient, world: World,
                                                         make_cohort, as_,
                                                         session: Session) -> None:
    cohort, _member = _board_cohort(session, world, make_cohort)
    url = f"/api/v1/cohorts/{cohort.slug}/placements"
    offer = {"position": "Host", "offered_on": utcnow().date().isoformat()}
    assert client.post(url, headers=as_("partner"),
                       json={"member_id": 999_999, **offer}).status_code == 404
    response = client.post(url, headers=as_("partner"), json={"member_id": 10**20, **offer})
    assert response.status_code == 422 and "member_id" in response.get_json()["errors"]


@pytest.mark.parametrize(("method", "url", "status"), [
    ("GET", "/api/v1/nothing-here", 404),
    ("GET", "/api/v1", 404),
    ("PUT", "/api/v1/modules", 405),
    ("DELETE", "/api/v1/me/progress", 405),
    ("GET", "/api/v1/me/streams/99999999999999999999", 404),
    ("GET", "/api/v1/me/streams/-1", 404),
    ("GET", "/api/v1/modules/a%00b", 404),
    ("GET", "/api/v1/cohorts/a%00b/members", 404),
])
def test_routing_errors_are_problem_details(client: FlaskClient, make_user, token_for,
                                            method: str, url: str, status: int) -> None:
    response = client.open(url, method=method, headers=bearer(token_for(make_user("student"))))
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["status"] == status
    if status == 405:
        assert "GET" in response.headers["Allow"]


def test_api_responses_are_not_cached_and_set_no_cookie(client: FlaskClient, make_user,
                                                        token_for) -> None:
    response = client.get("/api/v1/modules", headers=bearer(token_for(make_user("student"))))
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    assert response.headers["RateLimit-Limit"] == "120"
