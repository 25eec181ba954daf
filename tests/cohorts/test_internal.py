"""Internal cohorts: a firm trains its own staff without recruiting, selection or placement."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from academy.audit.models import AuditEvent
from academy.cohorts import service
from academy.cohorts.models import CohortKind, CohortMember, CohortStatus, MemberStatus
from academy.errors import InvalidTransition, NotAllowed
from tests.cohorts.conftest import MOTIVATION, NOW, STARTS_ON, World, draft, fresh
from tests.helpers import submit


def _member_id(session: Session, world: World) -> int:
    return session.exec(select(CohortMember.id)
                        .where(CohortMember.student_id == world.member.id)).one() or 0


def _targets(steps: list[service.Transition]) -> set[CohortStatus]:
    return {step.target for step in steps}


def test_an_internal_cohort_skips_recruiting_and_placement(
        session: Session, world: World, make_internal_cohort) -> None:
    cohort = make_internal_cohort(CohortStatus.APPROVED, members=[world.member])
    assert _targets(service.available_transitions(world.instructor, cohort)) == {
        CohortStatus.TRAINING, CohortStatus.CANCELLED}
    assert _targets(service.available_transitions(world.partner, cohort)) == {
        CohortStatus.CANCELLED}
    with pytest.raises(InvalidTransition):
        service.change_status(session, world.partner, cohort.slug, CohortStatus.RECRUITING,
                              now=NOW)
    cohort = service.change_status(session, world.instructor, cohort.slug,
                                   CohortStatus.TRAINING, now=NOW)
    assert _targets(service.available_transitions(world.instructor, cohort)) == {
        CohortStatus.CLOSED, CohortStatus.CANCELLED}
    with pytest.raises(InvalidTransition):
        service.change_status(session, world.instructor, cohort.slug, CohortStatus.INTERNSHIP,
                              now=NOW)
    service.decide_member(session, world.instructor, cohort.slug, _member_id(session, world),
                          MemberStatus.PASSED, now=NOW)
    cohort = service.change_status(session, world.instructor, cohort.slug, CohortStatus.CLOSED,
                                   now=NOW)
    assert cohort.status == CohortStatus.CLOSED


def test_an_order_class_cannot_take_the_internal_shortcut(
        session: Session, world: World, make_cohort) -> None:
    cohort = make_cohort(CohortStatus.APPROVED)
    assert CohortStatus.TRAINING not in _targets(
        service.available_transitions(world.instructor, cohort))
    with pytest.raises(InvalidTransition):
        service.change_status(session, world.instructor, cohort.slug, CohortStatus.TRAINING,
                              now=NOW)


def test_training_needs_a_member_first(session: Session, world: World,
                                      make_internal_cohort) -> None:
    cohort = make_internal_cohort(CohortStatus.APPROVED)
    with pytest.raises(InvalidTransition, match="Add at least one member"):
        service.change_status(session, world.instructor, cohort.slug, CohortStatus.TRAINING,
                              now=NOW)


def test_the_firm_drafts_internal_training_and_the_college_approves_it(
        session: Session, world: World, catalogue) -> None:
    cohort = service.create_cohort(session, world.partner, draft(kind=CohortKind.INTERNAL,
                                                                  apply_by=None), now=NOW)
    assert cohort.kind == CohortKind.INTERNAL
    assert cohort.apply_by == STARTS_ON  # recruits no one: no separate deadline
    created = session.exec(select(AuditEvent).where(AuditEvent.action == "cohort.created")).one()
    assert created.detail["kind"] == "internal"
    for outsider in (world.instructor, world.admin):
        with pytest.raises(NotAllowed):
            service.create_cohort(session, outsider, draft(kind=CohortKind.INTERNAL), now=NOW)
    service.change_status(session, world.partner, cohort.slug, CohortStatus.SUBMITTED, now=NOW)
    with pytest.raises(NotAllowed):
        service.change_status(session, world.partner, cohort.slug, CohortStatus.APPROVED,
                              now=NOW)
    approved = service.change_status(session, world.instructor, cohort.slug,
                                     CohortStatus.APPROVED, now=NOW)
    assert approved.status == CohortStatus.APPROVED


def test_the_college_may_mark_a_draft_internal(session: Session, world: World, make_cohort,
                                              client_for) -> None:
    cohort = make_cohort(CohortStatus.DRAFT)
    client = client_for(world.instructor)
    response = submit(client, f"/cohorts/{cohort.slug}/edit", {
        "name": cohort.name, "track": "host", "seats": 3, "internal": "y",
        "starts_on": cohort.starts_on.isoformat(), "ends_on": cohort.ends_on.isoformat(),
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    fresh(session)
    changed = service.get_cohort(session, world.instructor, cohort.slug)[0]
    assert changed.kind == CohortKind.INTERNAL
    assert changed.apply_by == changed.starts_on


def test_an_order_class_still_needs_its_deadline(session: Session, world: World,
                                                 catalogue) -> None:
    with pytest.raises(service.CohortError, match="applications close"):
        service.create_cohort(session, world.partner, draft(apply_by=None), now=NOW)


def test_internal_training_takes_no_applications(
        session: Session, world: World, make_internal_cohort, client_for) -> None:
    cohort = make_internal_cohort(CohortStatus.TRAINING, members=[world.member])
    with pytest.raises(InvalidTransition, match="takes no applications"):
        service.apply_to_cohort(session, world.member, cohort.slug, MOTIVATION, now=NOW)
    fresh(session)
    member_client = client_for(world.member)
    page = member_client.get(f"/cohorts/{cohort.slug}/apply")
    assert page.status_code == 409
    assert "takes no applications" in page.get_data(as_text=True)
    detail = member_client.get(f"/cohorts/{cohort.slug}").get_data(as_text=True)
    assert "Internal training" in detail and f"/cohorts/{cohort.slug}/apply" not in detail
    outsider = client_for(world.student)
    assert outsider.get(f"/cohorts/{cohort.slug}/apply").status_code == 404
    assert outsider.get(f"/cohorts/{cohort.slug}").status_code == 404
    assert cohort.slug not in outsider.get("/cohorts").get_data(as_text=True)
    assert cohort.slug in member_client.get("/cohorts").get_data(as_text=True)


def test_internal_training_refuses_offers_and_hides_placement(
        session: Session, world: World, make_internal_cohort, client_for) -> None:
    cohort = make_internal_cohort(CohortStatus.TRAINING, members=[world.member])
    member_id = _member_id(session, world)
    service.decide_member(session, world.instructor, cohort.slug, member_id,
                          MemberStatus.PASSED, now=NOW)
    with pytest.raises(InvalidTransition, match="makes no job offers"):
        service.record_offer(session, world.partner, cohort.slug, member_id, position="Host",
                             offered_on=STARTS_ON, now=NOW)
    fresh(session)  # the refused call locked the cohort (PostgreSQL) until the rollback
    client = client_for(world.partner)
    page = client.get(f"/cohorts/{cohort.slug}/members/{member_id}")
    assert page.status_code == 200
    assert 'id="placement-heading"' not in page.get_data(as_text=True)
    response = submit(client, f"/cohorts/{cohort.slug}/members/{member_id}",
                      {"position": "Live host", "offered_on": STARTS_ON.isoformat()},
                      action=f"/cohorts/{cohort.slug}/members/{member_id}/offers")
    assert response.status_code == 409
    dashboard = client.get("/cohorts/dashboard").get_data(as_text=True)
    assert f"funnel-{cohort.slug}" not in dashboard


def test_everything_else_works_as_in_an_order_class(
        session: Session, world: World, make_internal_cohort, client_for) -> None:
    cohort = make_internal_cohort(CohortStatus.TRAINING, members=[world.member])
    event = service.add_event(session, world.partner, cohort.slug, service.EventDraft(
        title="Opening class", kind="class", starts_local=dt.datetime(2030, 1, 6, 9, 0),
        duration_min=90), now=NOW)
    client = client_for(world.instructor)
    detail = client.get(f"/cohorts/{cohort.slug}").get_data(as_text=True)
    assert f"/cohorts/{cohort.slug}/events/{event.id}/attendance" in detail
    assert f"/cohorts/{cohort.slug}/members/add" in detail
    assert f"/cohorts/{cohort.slug}/applicants" not in detail
    board = client.get(f"/cohorts/{cohort.slug}/board")
    assert board.status_code == 200 and "Li Na" in board.get_data(as_text=True)
    assert service.readiness(session, world.member.id, cohort).total == 2  # required modules


@pytest.mark.parametrize("persona, expected", [
    ("anonymous", 302), ("student", 404), ("other_partner", 404), ("member", 200),
    ("partner", 200), ("instructor", 200), ("admin", 200),
])
def test_who_sees_an_internal_cohort(persona: str, expected: int, world: World,
                                    make_internal_cohort, client_for) -> None:
    cohort = make_internal_cohort(CohortStatus.TRAINING, members=[world.member])
    user = None if persona == "anonymous" else getattr(world, persona)
    assert client_for(user).get(f"/cohorts/{cohort.slug}").status_code == expected
