"""The dashboard: what each account role sees first, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient
from sqlmodel import Session

from academy.cohorts import service as cohorts
from academy.cohorts.models import CohortStatus
from academy.curriculum.models import Module, QuizAttempt
from tests.cohorts.conftest import NOW, World, admit
from tests.helpers import TEST_PASSWORD, submit
from tests.practice.factories import add_stream


def _signed_in(app, user) -> FlaskClient:  # type: ignore[no-untyped-def]
    client = app.test_client()
    response = submit(client, "/login", {"email": user.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client


def _streams(session: Session, student, count: int) -> None:  # type: ignore[no-untyped-def]
    for index in range(count):
        add_stream(session, student, NOW - dt.timedelta(days=400) + dt.timedelta(hours=index),
                   stream_role="host")
    session.commit()


def _event(session: Session, world: World, slug: str, title: str, days: int) -> None:
    cohorts.add_event(session, world.partner, slug, cohorts.EventDraft(
        title=title, kind="class", starts_local=(NOW + dt.timedelta(days=days)).replace(
            tzinfo=None), duration_min=90, location="Room 204"), now=NOW)


def test_a_new_student_is_told_what_to_do_first(app, world: World, catalogue) -> None:  # type: ignore[no-untyped-def]
    page = _signed_in(app, world.student).get("/").get_data(as_text=True)
    assert "Next module" in page and "/modules/host-topic-1" in page
    assert "0 of 3 modules done in the Host track" in page
    assert "No stream logged yet." in page and 'href="/practice/new"' in page
    assert "Nothing scheduled. Join an order class" in page
    assert "Pass the quiz of every module in the track" in page


def test_a_student_sees_next_module_streams_events_and_progress(
        app, session: Session, world: World, make_cohort) -> None:  # type: ignore[no-untyped-def]
    cohort = make_cohort(CohortStatus.TRAINING)  # world.member is in it
    _event(session, world, cohort.slug, "Lighting product walk-through", days=2)
    _event(session, world, cohort.slug, "Mock stream with the firm", days=9)
    for module in session.exec(Module.__table__.select().where(  # type: ignore[attr-defined]
            Module.track == "operator", Module.position == 1)):
        session.add(QuizAttempt(user_id=world.member.id, module_id=module.id, answers=[],
                                score=100, passed=True, submitted_at=NOW))
    session.commit()
    _streams(session, world.member, 3)

    page = _signed_in(app, world.member).get("/").get_data(as_text=True)
    assert "/modules/operator-topic-2" in page  # the track begun, the first module not passed
    assert "1 of 3 modules done in the Operator track" in page
    assert page.count('href="/practice/streams/') == 3
    assert 'class="sparkline"' in page
    assert page.index("Lighting product walk-through") < page.index("Mock stream with the firm")
    assert "Room 204" in page


def test_student_dashboard_queries_do_not_grow_with_the_data(
        app, session: Session, world: World, make_cohort, count_queries) -> None:  # type: ignore[no-untyped-def]
    cohort = make_cohort(CohortStatus.TRAINING)
    client = _signed_in(app, world.member)
    _streams(session, world.member, 2)
    with count_queries() as small:
        assert client.get("/").status_code == 200
    _streams(session, world.member, 200)
    for day in range(1, 12):
        _event(session, world, cohort.slug, f"Class {day}", days=day)
    with count_queries() as large:
        page = client.get("/").get_data(as_text=True)
    assert small.count == large.count <= 12, (small.count, large.count)
    assert page.count('href="/practice/streams/') == 5 and page.count("Room 204") == 5


def test_instructor_sees_the_queue_and_the_classes_they_mentor(
        app, session: Session, world: World, make_cohort, count_queries) -> None:  # type: ignore[no-untyped-def]
    make_cohort(CohortStatus.RECRUITING, name="Mentored class", mentor_ids=[world.instructor.id])
    make_cohort(CohortStatus.RECRUITING, name="Someone else's class")
    _streams(session, world.student, 2)
    client = _signed_in(app, world.instructor)
    with count_queries() as small:
        page = client.get("/").get_data(as_text=True)
    assert "2 streams wait for an assessment." in page
    assert "Mentored class" in page and "Someone else" not in page
    _streams(session, world.student, 50)
    for index in range(5):
        make_cohort(CohortStatus.RECRUITING, name=f"Class {index}",
                    mentor_ids=[world.instructor.id])
    with count_queries() as large:
        page = client.get("/").get_data(as_text=True)
    assert "52 streams wait for an assessment." in page and "Class 4" in page
    assert small.count == large.count <= 8, (small.count, large.count)


def test_partner_sees_their_order_classes_with_the_pipeline(
        app, session: Session, world: World, make_cohort, count_queries) -> None:  # type: ignore[no-untyped-def]
    cohort = make_cohort(CohortStatus.RECRUITING, name="Spring hosts")
    admit(session, world, cohort, world.member)
    client = _signed_in(app, world.partner)
    with count_queries() as small:
        page = client.get("/").get_data(as_text=True)
    assert "Order classes of Yiwu Lighting Export" in page and "Spring hosts" in page
    assert '<td class="num">1</td><td class="num">1</td>' in page  # applied, admitted
    for index in range(4):
        make_cohort(CohortStatus.RECRUITING, name=f"Autumn hosts {index}")
    with count_queries() as large:
        page = client.get("/").get_data(as_text=True)
    assert small.count == large.count <= 8 and "Autumn hosts 3" in page, small.count
    other = _signed_in(app, world.other_partner).get("/").get_data(as_text=True)
    assert "Spring hosts" not in other and "No order class yet. Propose one" in other


def test_admin_sees_accounts_jobs_and_health(app, world: World, make_user,
                                             count_queries) -> None:  # type: ignore[no-untyped-def]
    client = _signed_in(app, world.admin)
    with count_queries() as small:
        page = client.get("/").get_data(as_text=True)
    assert "The database answers." in page and "No job failed on its last run." in page
    assert 'href="/admin/users/new"' in page
    for _ in range(10):
        make_user("student")
    with count_queries() as large:
        page = client.get("/").get_data(as_text=True)
    assert small.count == large.count <= 8, (small.count, large.count)
    assert "<dt>Student</dt><dd>12</dd>" in page


def test_a_cancelled_class_drops_off_the_upcoming_events(
        app, session: Session, world: World, make_cohort) -> None:  # type: ignore[no-untyped-def]
    cohort = make_cohort(CohortStatus.TRAINING)  # world.member is in it
    _event(session, world, cohort.slug, "Lighting product walk-through", days=2)
    cohorts.change_status(session, world.instructor, cohort.slug, CohortStatus.CANCELLED,
                          reason="The firm withdrew.", now=NOW)
    page = _signed_in(app, world.member).get("/").get_data(as_text=True)
    assert "Lighting product walk-through" not in page
    assert "Nothing scheduled." in page


def test_a_firm_sees_its_internal_trainings_beside_its_order_classes(
        app, session: Session, world: World, make_internal_cohort, make_user,
        count_queries) -> None:  # type: ignore[no-untyped-def]
    staff = [make_user("student") for _ in range(3)]
    make_internal_cohort(CohortStatus.TRAINING, members=staff, name="Live-room onboarding")
    client = _signed_in(app, world.partner)
    with count_queries() as queries:
        page = client.get("/").get_data(as_text=True)
    assert "Internal trainings" in page and "Live-room onboarding" in page
    assert "3 members" in page and queries.count <= 9
    other = _signed_in(app, world.other_partner).get("/").get_data(as_text=True)
    assert "Live-room onboarding" not in other and "Internal trainings" not in other
