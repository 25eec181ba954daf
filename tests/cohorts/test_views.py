"""Order-class pages as people use them: real forms with CSRF, 422s next to the field."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from xml.etree import ElementTree

from sqlmodel import Session, select

from academy.auth.models import User
from academy.cohorts import service
from academy.cohorts.models import (
    Cohort,
    CohortEvent,
    CohortMember,
    CohortStatus,
    MemberStatus,
    Placement,
)
from academy.curriculum.models import Module, ModuleProgress, QuizAttempt
from academy.practice.models import Platform, PracticeStream, StreamRole
from tests.cohorts.conftest import (
    APPLY_BY,
    ENDS_ON,
    MOTIVATION,
    NOW,
    STARTS_ON,
    World,
    admit,
    fresh,
)
from tests.helpers import active_content, submit

S, M = CohortStatus, MemberStatus


def _body(response) -> str:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True)


def _cohort_form(**changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "name": "Amazon Live hosts for Germany", "track": "host", "seats": "4",
        "apply_by": APPLY_BY.isoformat(), "starts_on": STARTS_ON.isoformat(),
        "ends_on": ENDS_ON.isoformat(), "description": "We sell *smart lamps*.",
        "required_modules": ["host-topic-1", "host-topic-3"], "platforms": ["amazon_live"],
        "markets": "de, AT", "languages": "de en", "hiring_commitment": "Two hires at least.",
    }
    form.update(changes)
    return form


def _field_error(body: str, field: str) -> str:
    match = re.search(rf'id="{field}-error" class="field-error">([^<]*)<', body)
    assert match, f"no error shown next to {field}"
    return match.group(1)


def test_partner_proposes_an_order_class_through_the_form(session: Session, world: World,
                                                          catalogue, client_for) -> None:
    client = client_for(world.partner)
    page = _body(client.get("/cohorts/new"))
    assert "<legend>Planner</legend>" in page and "Planner Topic 2" in page
    assert "Chen Jing" in page and "Other Firm Staff" not in page  # mentor choices
    response = submit(client, "/cohorts/new", _cohort_form(mentors=[str(world.instructor.id)]))
    assert response.status_code == 302
    cohort = session.exec(select(Cohort)).one()
    assert response.headers["Location"] == f"/cohorts/{cohort.slug}"
    assert (cohort.firm_id, cohort.status, cohort.seats) == (world.firm.id, S.DRAFT, 4)
    assert cohort.required_modules == ["host-topic-1", "host-topic-3"]
    assert cohort.markets == ["DE", "AT"] and cohort.languages == ["de", "en"]
    detail = _body(client.get(f"/cohorts/{cohort.slug}"))
    assert "<em>smart lamps</em>" in detail and "Amazon Live" in detail
    assert "Host Topic 3" in detail and "Chen Jing" in detail
    assert "Submit for approval" in detail and "Order class drafted" in detail


def test_bad_terms_are_422_next_to_the_field_and_write_nothing(session: Session, world: World,
                                                               catalogue, client_for) -> None:
    client = client_for(world.partner)
    cases = [
        ({"seats": "0"}, "seats"),
        ({"name": ""}, "name"),
        ({"apply_by": "not a date"}, "apply_by"),
        ({"apply_by": ENDS_ON.isoformat()}, "apply_by"),  # service: closes after the start
        ({"markets": "US, Narnia"}, "markets"),
        ({"required_modules": ["operator-topic-1"]}, "required_modules"),
        ({"mentors": [str(world.other_partner.id)]}, "mentors"),
    ]
    for changes, field in cases:
        response = submit(client, "/cohorts/new", _cohort_form(**changes))
        assert response.status_code == 422, field
        assert _field_error(_body(response), field)
    fresh(session)
    assert session.exec(select(Cohort)).first() is None


def test_post_without_csrf_token_is_refused(session: Session, world: World, catalogue,
                                            client_for) -> None:
    client = client_for(world.partner)
    assert client.post("/cohorts/new", data=_cohort_form()).status_code == 400
    assert session.exec(select(Cohort)).first() is None


def test_names_are_escaped_and_descriptions_sanitised(session: Session, world: World,
                                                      make_cohort, client_for) -> None:
    cohort = make_cohort(name="<script>alert(1)</script> hosts",
                         description_md='<img src=x onerror="alert(1)"> [x](javascript:alert(1))')
    body = _body(client_for(world.student).get(f"/cohorts/{cohort.slug}"))
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body
    description = body[body.index('class="user-text"'):]
    assert active_content(description[:description.index("</div>")]) == []


def test_edit_keeps_the_slug_and_prefills_the_form(session: Session, world: World,
                                                   make_cohort, client_for) -> None:
    cohort = make_cohort(S.DRAFT, mentor_ids=[world.instructor.id])
    client = client_for(world.partner)
    form = _body(client.get(f"/cohorts/{cohort.slug}/edit"))
    assert 'value="TikTok Shop hosts — US spring intake"' in form
    checked = re.findall(r"<input checked [^>]*>", form)
    assert [tag for tag in checked if f'value="{world.instructor.id}"' in tag]
    response = submit(client, f"/cohorts/{cohort.slug}/edit", _cohort_form(name="New name"))
    assert response.headers["Location"] == f"/cohorts/{cohort.slug}"
    fresh(session)
    assert session.get(Cohort, cohort.id).name == "New name"


def test_the_college_sends_back_with_a_reason_shown_on_the_timeline(
        session: Session, world: World, make_cohort, client_for) -> None:
    cohort = make_cohort(S.SUBMITTED)
    client = client_for(world.instructor)
    url = f"/cohorts/{cohort.slug}"
    response = submit(client, url, {"target": "draft", "reason": ""},
                      action=f"{url}/status")
    assert response.status_code == 422
    assert "Give a reason" in _field_error(_body(response), "reason-draft")
    fresh(session)
    assert session.get(Cohort, cohort.id).status == S.SUBMITTED
    response = submit(client, url, {"target": "draft", "reason": "Add the salary range."},
                      action=f"{url}/status")
    assert response.status_code == 302
    page = _body(client_for(world.partner).get(url))
    assert "Add the salary range." in page and "Submitted for approval" in page
    assert "Edit the terms" in page


def test_an_impossible_step_is_a_409_with_a_clear_message(session: Session, world: World,
                                                          make_cohort, client_for) -> None:
    cohort = make_cohort(S.RECRUITING)
    url = f"/cohorts/{cohort.slug}"
    response = submit(client_for(world.admin), url, {"target": "closed"}, action=f"{url}/status")
    assert response.status_code == 409
    assert "not possible from the order class" in _body(response)
    response = submit(client_for(world.partner), url, {"target": "training"},
                      action=f"{url}/status")
    assert response.status_code == 409
    fresh(session)
    assert session.get(Cohort, cohort.id).status == S.RECRUITING


def test_a_student_applies_sees_readiness_and_is_rejected_with_a_reason(
        session: Session, world: World, make_cohort, client_for) -> None:
    cohort = make_cohort()
    student = client_for(world.student)
    detail = _body(student.get(f"/cohorts/{cohort.slug}"))
    assert "You have completed 0 of 2 required modules." in detail
    apply_url = f"/cohorts/{cohort.slug}/apply"
    response = submit(student, apply_url, {"motivation": "hire me"})
    assert response.status_code == 422
    assert _field_error(_body(response), "motivation")
    assert session.exec(select(CohortMember)).first() is None
    assert submit(student, apply_url, {"motivation": MOTIVATION}).status_code == 302
    fresh(session)
    member = session.exec(select(CohortMember)).one()

    partner = client_for(world.partner)
    applicants = _body(partner.get(f"/cohorts/{cohort.slug}/applicants"))
    assert "Outsider Student" in applicants and "0/2" in applicants
    member_url = f"/cohorts/{cohort.slug}/members/{member.id}"
    assert MOTIVATION in _body(partner.get(member_url))
    response = submit(partner, member_url, {"target": "rejected", "reason": ""},
                      action=f"{member_url}/decision")
    assert response.status_code == 422
    assert "the student will see it" in _field_error(_body(response), "reason-rejected")
    submit(partner, member_url, {"target": "rejected", "reason": "Apply again in autumn."},
           action=f"{member_url}/decision")
    detail = _body(student.get(f"/cohorts/{cohort.slug}"))
    assert "Not selected" in detail and "Apply again in autumn." in detail
    assert "Withdraw my application" not in detail


def test_student_withdraws_before_a_decision(session: Session, world: World, make_cohort,
                                             client_for) -> None:
    cohort = make_cohort()
    service.apply_to_cohort(session, world.student, cohort.slug, MOTIVATION, now=NOW)
    student = client_for(world.student)
    url = f"/cohorts/{cohort.slug}"
    assert "Withdraw my application" in _body(student.get(url))
    assert submit(student, url, {}, action=f"{url}/withdraw").status_code == 302
    fresh(session)
    assert session.exec(select(CohortMember.status)).one() == M.WITHDRAWN
    assert "You withdrew your application" in _body(student.get(url))


def test_the_member_answers_an_offer_on_the_cohort_page(session: Session, world: World,
                                                        make_cohort, client_for) -> None:
    cohort = make_cohort(S.PLACEMENT)
    member = session.exec(select(CohortMember)).one()
    service.decide_member(session, world.instructor, cohort.slug, member.id, M.PASSED, now=NOW)
    partner = client_for(world.partner)
    member_url = f"/cohorts/{cohort.slug}/members/{member.id}"
    response = submit(partner, member_url, {"position": "", "offered_on": ""},
                      action=f"{member_url}/offers")
    assert response.status_code == 422 and _field_error(_body(response), "position")
    response = submit(partner, member_url, {"position": "Live host (DE)",
                                            "offered_on": STARTS_ON.isoformat()},
                      action=f"{member_url}/offers")
    assert response.status_code == 302
    student = client_for(world.member)
    url = f"/cohorts/{cohort.slug}"
    assert "Live host (DE)" in _body(student.get(url))
    placement = session.exec(select(Placement)).one()
    response = submit(student, url, {"answer": "accepted"},
                      action=f"{url}/placements/{placement.id}/answer")
    assert response.status_code == 302
    hire_url = f"{member_url}/placements/{placement.id}/hire"
    assert submit(partner, member_url, {"starts_on": ""}, action=hire_url).status_code == 422
    assert submit(partner, member_url, {"starts_on": (STARTS_ON + dt.timedelta(days=30))
                                        .isoformat()}, action=hire_url).status_code == 302
    page = _body(student.get(url))
    assert "Hired" in page


def _seed_progress(session: Session, user: User, *, minutes: list[int], score: int | None,
                   completed: int) -> None:
    modules = session.exec(select(Module).where(Module.track == "host")
                           .order_by(Module.position)).all()
    for module in modules[:completed]:
        session.add(ModuleProgress(user_id=user.id, module_id=module.id, started_at=NOW,
                                   completed_at=NOW))
    if score is not None:
        session.add(QuizAttempt(user_id=user.id, module_id=modules[0].id, answers=[[0]],
                                score=score, passed=score >= 50, submitted_at=NOW))
    for number, duration in enumerate(minutes):
        session.add(PracticeStream(student_id=user.id, duration_min=duration,
                                   started_at=NOW - dt.timedelta(days=number),
                                   platform=Platform.TIKTOK_SHOP, market="US", language="en",
                                   stream_role=StreamRole.HOST))
    session.commit()


def test_board_sorts_in_sql_and_exports_safe_csv(session: Session, world: World, make_cohort,
                                                 make_user, client_for) -> None:
    cohort = make_cohort(seats=5)
    hostile = make_user("student", display_name="=HYPERLINK(\"http://evil\")")
    quiet = make_user("student", display_name="Quiet Wang")
    for student in (world.member, hostile, quiet):
        admit(session, world, cohort, student)
    _seed_progress(session, world.member, minutes=[60, 30], score=90, completed=2)
    _seed_progress(session, hostile, minutes=[240], score=40, completed=1)
    client = client_for(world.partner)
    board = _body(client.get(f"/cohorts/{cohort.slug}/board?sort=hours&dir=desc"))
    order = [board.index(name) for name in ("=HYPERLINK", "Li Na", "Quiet Wang")]
    assert order == sorted(order)  # 4 h, 1.5 h, nothing (last)
    assert 'aria-sort="descending"' in board
    assert client.get(f"/cohorts/{cohort.slug}/board?sort=status&dir=desc").status_code == 200
    assert client.get(f"/cohorts/{cohort.slug}/board?sort=nonsense").status_code == 200
    by_quiz = _body(client.get(f"/cohorts/{cohort.slug}/board?sort=quiz"))
    assert by_quiz.index("=HYPERLINK") < by_quiz.index("Li Na") < by_quiz.index("Quiet Wang")
    response = client.get(f"/cohorts/{cohort.slug}/board.csv?sort=name")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Name", "Email", "Status"]
    by_name = {row[0]: row for row in rows[1:]}
    assert "'=HYPERLINK(\"http://evil\")" in by_name
    li_na = by_name["Li Na"]
    assert li_na[2:8] == ["Admitted", "2", "2", "90.0", "2", "1.5"]
    assert li_na[8] == ""  # mean rubric total: filled in by the assessment area


def test_events_are_entered_and_shown_in_each_viewers_time_zone(
        session: Session, world: World, make_cohort, client_for) -> None:
    cohort = make_cohort(S.TRAINING)
    world.partner.timezone = "America/New_York"
    session.add(world.partner)
    session.commit()
    partner = client_for(world.partner)
    url = f"/cohorts/{cohort.slug}/events/new"
    response = submit(partner, url, {"title": "Factory tour", "kind": "visit",
                                      "starts_at": "2030-01-15T09:00", "duration_min": "120",
                                      "location": "Yiwu plant"})
    assert response.status_code == 302
    event = session.exec(select(CohortEvent)).one()
    assert event.starts_at == dt.datetime(2030, 1, 15, 14, 0, tzinfo=dt.UTC)
    member_page = _body(client_for(world.member).get(f"/cohorts/{cohort.slug}"))
    assert "Jan 15, 2030, 10:00:00\u202fPM" in member_page  # Shanghai is UTC+8
    assert "Asia/Shanghai" in member_page
    assert "Jan 15, 2030, 9:00:00\u202fAM" in _body(partner.get(f"/cohorts/{cohort.slug}"))
    bad = submit(partner, url, {"title": "x", "kind": "party", "starts_at": "tomorrow",
                                "duration_min": "0"})
    assert bad.status_code == 422
    body = _body(bad)
    for field in ("title", "kind", "starts_at", "duration_min"):
        assert _field_error(body, field)
    fresh(session)
    assert len(session.exec(select(CohortEvent)).all()) == 1


def test_dashboard_draws_the_funnel_as_svg(session: Session, world: World, make_cohort,
                                           make_user, client_for) -> None:
    cohort = make_cohort(S.PLACEMENT)
    member = session.exec(select(CohortMember)).one()
    service.decide_member(session, world.instructor, cohort.slug, member.id, M.PASSED, now=NOW)
    service.record_offer(session, world.partner, cohort.slug, member.id, position="Host",
                         offered_on=STARTS_ON, now=NOW)
    body = _body(client_for(world.partner).get("/cohorts/dashboard"))
    svgs = re.findall(r"<svg.*?</svg>", body, flags=re.S)
    assert len(svgs) == 2  # all cohorts, and the one cohort
    root = ElementTree.fromstring(svgs[0])
    assert root.get("role") == "img"
    assert "Applied" in body and "Hired" in body
    table = body[body.index("<tbody>"):body.index("</tbody>")]
    assert re.findall(r'class="num">(\d+)<', table)[:5] == ["1", "1", "1", "1", "0"]
