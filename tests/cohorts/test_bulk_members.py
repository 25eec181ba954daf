"""Adding students to a cohort from a pasted list or a CSV: preview, confirm, seats, audit."""

from __future__ import annotations

import io

import pytest
from sqlmodel import Session, col, func, select

from academy.audit.models import AuditEvent
from academy.cohorts import service
from academy.cohorts.models import CohortMember, CohortStatus, MemberStatus
from academy.cohorts.service import EnrolmentOutcome
from academy.errors import InvalidTransition, NotAllowed
from academy.notify.models import Delivery, Notification, NotificationKind, NotificationPreference
from tests.cohorts.conftest import MOTIVATION, NOW, World, add_students, fresh
from tests.helpers import csrf_token, submit

_O = EnrolmentOutcome


def _members(session: Session) -> int:
    fresh(session)
    return session.exec(select(func.count()).select_from(CohortMember)).one()


def _audits(session: Session) -> int:
    return session.exec(select(func.count()).select_from(AuditEvent)).one()


def _enrolment_notices(session: Session) -> list[Notification]:
    fresh(session)
    return list(session.exec(select(Notification).where(
        Notification.kind == NotificationKind.COHORT_ENROLMENT).order_by(
        col(Notification.user_id))))


def test_pasted_lists_and_csv_files_are_read_like_a_person_means_them() -> None:
    assert service.read_email_list(" A@x.test, b@x.test;\n<c@x.test>\n\n d@x.test ") == [
        "a@x.test", "b@x.test", "c@x.test", "d@x.test"]
    with_header = "\ufeffName,Email\n王芳,Wang@x.test\nLi Lei,li@x.test\n,\n".encode()
    assert service.read_email_csv(with_header) == ["wang@x.test", "li@x.test"]
    chinese_header = "姓名,邮箱\n王芳,wang@x.test\n".encode("gb18030")
    assert service.read_email_csv(chinese_header) == ["wang@x.test"]
    assert service.read_email_csv(b"one@x.test,extra\ntwo@x.test\n") == [
        "one@x.test", "two@x.test"]


def test_the_preview_says_what_happens_to_each_line_and_writes_nothing(
        session: Session, world: World, make_internal_cohort, make_user) -> None:
    cohort = make_internal_cohort(CohortStatus.APPROVED, members=[world.member], seats=3)
    newcomer, late = make_user("student"), make_user("student")
    before_members, before_audits = _members(session), _audits(session)
    plan = service.preview_enrolment(session, world.partner, cohort.slug, [
        newcomer.email, world.member.email, "nobody@example.test", world.instructor.email,
        newcomer.email, world.student.email, late.email,
    ])
    assert [line.outcome for line in plan.lines] == [
        _O.ADDED, _O.ALREADY_MEMBER, _O.NO_STUDENT_ACCOUNT, _O.NO_STUDENT_ACCOUNT, _O.DUPLICATE,
        _O.ADDED, _O.OVER_SEATS,
    ]
    assert [line.display_name for line in plan.lines] == [
        newcomer.display_name, world.member.display_name, "", "", "",
        world.student.display_name, "",
    ]
    assert plan.seats_taken == 1
    assert (_members(session), _audits(session)) == (before_members, before_audits)


def test_a_deactivated_student_is_not_added(session: Session, world: World,
                                           make_internal_cohort) -> None:
    cohort = make_internal_cohort(CohortStatus.APPROVED)
    world.student.is_active = False
    session.add(world.student)
    session.commit()
    plan = service.preview_enrolment(session, world.instructor, cohort.slug,
                                     [world.student.email])
    assert plan.lines[0].outcome == _O.NO_STUDENT_ACCOUNT
    assert plan.lines[0].display_name == ""


def test_the_preview_does_not_tell_a_firm_which_addresses_have_accounts_of_other_kinds(
        world: World, make_internal_cohort, client_for) -> None:
    """An instructor's address reads exactly like one nobody uses: no name, the same answer."""
    cohort = make_internal_cohort(CohortStatus.APPROVED)
    client = client_for(world.partner)

    def preview_row(email: str) -> str:
        body = submit(client, f"/cohorts/{cohort.slug}/members/add",
                      {"emails": email}).get_data(as_text=True)
        return body.split('class="outcome-', 1)[1].split("</tr>", 1)[0].replace(email, "EMAIL")

    staff_row = preview_row(world.instructor.email)
    assert staff_row == preview_row("nobody@example.test")
    assert "No active student account with this e-mail" in staff_row
    assert world.instructor.display_name not in staff_row


def test_confirm_admits_within_the_seats_in_one_transaction_and_audits(
        session: Session, world: World, make_internal_cohort) -> None:
    cohort = make_internal_cohort(CohortStatus.APPROVED, seats=5)
    students = add_students(session, 7)
    plan = service.enrol_students(session, world.instructor, cohort.slug,
                                  [student.email for student in students], now=NOW)
    assert plan.count(_O.ADDED) == 5 and plan.count(_O.OVER_SEATS) == 2
    fresh(session)
    rows = session.exec(select(CohortMember).where(CohortMember.cohort_id == cohort.id)).all()
    assert len(rows) == 5
    assert {row.status for row in rows} == {MemberStatus.ADMITTED}
    assert all(row.admitted_at == NOW and row.decided_by_id == world.instructor.id
               for row in rows)
    audits = session.exec(select(AuditEvent).where(
        col(AuditEvent.action).in_(["cohort_member.enrolled", "cohort.members_enrolled"]))).all()
    assert sorted(event.subject_id for event in audits
                  if event.action == "cohort_member.enrolled") == sorted(row.id for row in rows)
    summary = next(event for event in audits if event.action == "cohort.members_enrolled")
    assert summary.subject_id == cohort.id and summary.actor_id == world.instructor.id
    assert summary.detail["added"] == 5 and summary.detail["over_seats"] == 2


def test_confirm_plans_again_so_seats_taken_meanwhile_are_not_given_twice(
        session: Session, world: World, make_internal_cohort) -> None:
    cohort = make_internal_cohort(CohortStatus.APPROVED, seats=2)
    first, second, third = add_students(session, 3)
    preview = service.preview_enrolment(session, world.partner, cohort.slug,
                                        [first.email, second.email])
    assert preview.count(_O.ADDED) == 2
    service.enrol_students(session, world.instructor, cohort.slug, [third.email], now=NOW)
    done = service.enrol_students(session, world.partner, cohort.slug,
                                  [first.email, second.email], now=NOW)
    assert [line.outcome for line in done.lines] == [_O.ADDED, _O.OVER_SEATS]
    assert _members(session) == 2


def test_members_added_during_training_start_training(
        session: Session, world: World, make_internal_cohort) -> None:
    cohort = make_internal_cohort(CohortStatus.TRAINING, members=[world.member])
    service.enrol_students(session, world.partner, cohort.slug, [world.student.email], now=NOW)
    fresh(session)
    status = session.exec(select(CohortMember.status)
                          .where(CohortMember.student_id == world.student.id)).one()
    assert status == MemberStatus.TRAINING


def test_an_applicant_is_admitted_on_their_own_row(session: Session, world: World,
                                                  make_cohort) -> None:
    cohort = make_cohort(CohortStatus.RECRUITING)
    applied = service.apply_to_cohort(session, world.student, cohort.slug, MOTIVATION, now=NOW)
    plan = service.enrol_students(session, world.instructor, cohort.slug, [world.student.email],
                                  now=NOW)
    assert plan.count(_O.ADDED) == 1
    fresh(session)
    member = session.get(CohortMember, applied.id)
    assert member is not None and member.status == MemberStatus.ADMITTED
    enrolled = session.exec(select(AuditEvent).where(
        AuditEvent.action == "cohort_member.enrolled")).one()
    assert enrolled.subject_id == applied.id and enrolled.detail["from"] == "applied"


@pytest.mark.parametrize("status", [CohortStatus.DRAFT, CohortStatus.SUBMITTED,
                                    CohortStatus.TRAINING])
def test_an_order_class_takes_members_only_while_it_selects(
        status: CohortStatus, session: Session, world: World, make_cohort) -> None:
    cohort = make_cohort(status)
    with pytest.raises(InvalidTransition):
        service.enrol_students(session, world.instructor, cohort.slug, [world.student.email],
                               now=NOW)


@pytest.mark.parametrize("status", [CohortStatus.RECRUITING, CohortStatus.SELECTING])
def test_the_firm_cannot_add_students_who_never_applied_to_an_order_class(
        status: CohortStatus, session: Session, world: World, make_cohort) -> None:
    """Joining shows the firm a student's progress and streams: the firm admits applicants."""
    cohort = make_cohort(status)
    for refused in (service.start_enrolment, service.preview_enrolment):
        with pytest.raises(NotAllowed):
            refused(session, world.partner, cohort.slug,
                    *([[world.student.email]] if refused is service.preview_enrolment else []))
    with pytest.raises(NotAllowed):
        service.enrol_students(session, world.partner, cohort.slug, [world.student.email],
                               now=NOW)
    assert _members(session) == (0 if status == CohortStatus.RECRUITING else 1)
    assert _enrolment_notices(session) == []


@pytest.mark.parametrize("persona, expected", [
    ("partner", 403), ("other_partner", 404), ("instructor", 200), ("admin", 200),
])
def test_only_the_college_opens_add_members_on_an_order_class(
        persona: str, expected: int, world: World, make_cohort, client_for) -> None:
    cohort = make_cohort(CohortStatus.RECRUITING)
    client = client_for(getattr(world, persona))
    response = client.get(f"/cohorts/{cohort.slug}/members/add")
    assert response.status_code == expected
    if persona == "partner":
        assert "Applicants page" in response.get_data(as_text=True)
    detail = client.get(f"/cohorts/{cohort.slug}").get_data(as_text=True)
    assert ("/members/add" in detail) == (expected == 200)


def test_a_partner_confirming_on_an_order_class_is_refused_and_nothing_is_written(
        session: Session, world: World, make_cohort, client_for) -> None:
    cohort = make_cohort(CohortStatus.RECRUITING)
    client = client_for(world.partner)
    response = client.post(f"/cohorts/{cohort.slug}/members/add/confirm",
                           data={"csrf_token": csrf_token(client, "/calendar"),
                                 "emails": world.student.email})
    assert response.status_code == 403
    assert _members(session) == 0 and _enrolment_notices(session) == []


def test_the_firm_still_sees_add_members_on_its_internal_training(
        world: World, make_internal_cohort, client_for) -> None:
    cohort = make_internal_cohort(CohortStatus.APPROVED)
    detail = client_for(world.partner).get(f"/cohorts/{cohort.slug}").get_data(as_text=True)
    assert f"/cohorts/{cohort.slug}/members/add" in detail


@pytest.mark.parametrize("persona, expected", [
    ("anonymous", 302), ("student", 403), ("member", 403), ("other_partner", 404),
    ("partner", 200), ("instructor", 200), ("admin", 200),
])
def test_who_may_open_the_add_members_page(persona: str, expected: int, world: World,
                                          make_internal_cohort, client_for) -> None:
    cohort = make_internal_cohort(CohortStatus.APPROVED, members=[world.member])
    user = None if persona == "anonymous" else getattr(world, persona)
    assert client_for(user).get(f"/cohorts/{cohort.slug}/members/add").status_code == expected


@pytest.mark.parametrize("persona, expected", [
    ("anonymous", 302), ("student", 403), ("other_partner", 404), ("partner", 302),
    ("instructor", 302), ("admin", 302),
])
def test_who_may_confirm(persona: str, expected: int, session: Session, world: World,
                         make_internal_cohort, client_for) -> None:
    cohort = make_internal_cohort(CohortStatus.APPROVED)
    user = None if persona == "anonymous" else getattr(world, persona)
    client = client_for(user)
    token = csrf_token(client, "/login" if user is None else "/calendar")
    response = client.post(f"/cohorts/{cohort.slug}/members/add/confirm",
                           data={"csrf_token": token, "emails": world.member.email})
    assert response.status_code == expected
    assert _members(session) == (1 if expected == 302 and user is not None else 0)


def test_an_instructor_enrols_forty_students_from_a_pasted_list(
        session: Session, world: World, make_internal_cohort, client_for) -> None:
    cohort = make_internal_cohort(CohortStatus.APPROVED, seats=40)
    students = add_students(session, 42)
    client = client_for(world.instructor)
    pasted = "\n".join(student.email for student in students[:40]) + "\nnobody@example.test"
    preview = submit(client, f"/cohorts/{cohort.slug}/members/add", {"emails": pasted})
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert ("Confirm: add 40 members" in body
            and "No active student account with this e-mail" in body)
    assert _members(session) == 0
    confirm = submit(client, f"/cohorts/{cohort.slug}/members/add", {"emails": pasted},
                     action=f"/cohorts/{cohort.slug}/members/add/confirm")
    assert confirm.status_code == 302 and confirm.location.endswith(f"/cohorts/{cohort.slug}/board")
    assert _members(session) == 40
    board = client.get(f"/cohorts/{cohort.slug}/board").get_data(as_text=True)
    assert "40 members added." in board and "1 line was not added" in board


def test_a_csv_upload_is_previewed(session: Session, world: World, make_internal_cohort,
                                   client_for) -> None:
    cohort = make_internal_cohort(CohortStatus.APPROVED)
    client = client_for(world.partner)
    data = f"姓名,邮箱\nLi Na,{world.member.email}\n".encode("gb18030")
    response = submit(client, f"/cohorts/{cohort.slug}/members/add",
                      {"file": (io.BytesIO(data), "staff.csv")},
                      content_type="multipart/form-data")
    assert response.status_code == 200
    assert "Confirm: add 1 member" in response.get_data(as_text=True)
    empty = submit(client, f"/cohorts/{cohort.slug}/members/add", {"emails": " \n"})
    assert empty.status_code == 422
    assert "Paste e-mail addresses or choose a CSV file." in empty.get_data(as_text=True)


def test_a_csv_field_over_the_csv_modules_limit_is_a_form_error_not_a_crash(
        session: Session, world: World, make_internal_cohort, client_for) -> None:
    cohort = make_internal_cohort(CohortStatus.APPROVED)
    client = client_for(world.partner)
    data = f"email\n{world.member.email}\n{'x' * 140_000}\n".encode()
    response = submit(client, f"/cohorts/{cohort.slug}/members/add",
                      {"file": (io.BytesIO(data), "huge.csv")},
                      content_type="multipart/form-data")
    assert response.status_code == 422
    assert "cannot be read as a list of e-mail addresses" in response.get_data(as_text=True)
    assert _members(session) == 0


@pytest.mark.parametrize("step", ["preview", "confirm"])
def test_the_same_statements_for_10_or_400_addresses(
        step: str, session: Session, world: World, make_internal_cohort, client_for,
        count_queries) -> None:
    counts = []
    client = client_for(world.instructor)
    for size, prefix in ((10, "small"), (400, "large")):
        cohort = make_internal_cohort(CohortStatus.APPROVED, seats=500, name=f"Staff {prefix}")
        emails = "\n".join(student.email for student in add_students(session, size, prefix))
        url = f"/cohorts/{cohort.slug}/members/add"
        token = csrf_token(client, url)
        action = url if step == "preview" else f"{url}/confirm"
        with count_queries() as counted:
            response = client.post(action, data={"csrf_token": token, "emails": emails})
        assert response.status_code == (200 if step == "preview" else 302)
        counts.append(counted.count)
    print(f"{step}: {counts[0]} statements for 10 addresses, {counts[1]} for 400")
    assert counts[0] == counts[1] <= 12
    assert _members(session) == (410 if step == "confirm" else 0)
    assert len(_enrolment_notices(session)) == (410 if step == "confirm" else 0)


def test_each_added_student_is_told_who_added_them_to_which_cohort(
        session: Session, world: World, make_internal_cohort, make_cohort) -> None:
    training = make_internal_cohort(CohortStatus.APPROVED, members=[world.member], seats=2,
                                    name="Night shift hosts")
    newcomer, late = add_students(session, 2, "told")
    service.enrol_students(session, world.partner, training.slug,
                           [world.member.email, newcomer.email, late.email], now=NOW)
    order_class = make_cohort(CohortStatus.RECRUITING, name="Amazon hosts for Germany")
    service.enrol_students(session, world.instructor, order_class.slug, [late.email], now=NOW)
    notices = _enrolment_notices(session)
    # The member was added by the fixture (by the college); over the seats, ``late`` joined
    # the order class only; nobody is told twice about one joining.
    assert sorted((notice.user_id, notice.subject) for notice in notices) == sorted([
        (world.member.id, "You were added to “Night shift hosts”"),
        (newcomer.id, "You were added to “Night shift hosts”"),
        (late.id, "You were added to “Amazon hosts for Germany”"),
    ])
    by_user = {notice.user_id: notice for notice in notices}
    assert by_user[newcomer.id].body.startswith(
        f"{world.firm.name} added you to its training “Night shift hosts”.")
    assert by_user[late.id].body.startswith(
        f"The college added you to “Amazon hosts for Germany” of {world.firm.name}.")
    assert all(notice.delivery == Delivery.IMMEDIATELY and notice.next_attempt_at == NOW
               and notice.sent_at is None for notice in notices)


def test_the_notice_follows_the_students_delivery_choice(
        session: Session, world: World, make_internal_cohort) -> None:
    cohort = make_internal_cohort(CohortStatus.APPROVED)
    quiet, digest = add_students(session, 2, "choice")
    session.add_all([
        NotificationPreference(user_id=quiet.id or 0, kind=NotificationKind.COHORT_ENROLMENT,
                               delivery=Delivery.NEVER),
        NotificationPreference(user_id=digest.id or 0, kind=NotificationKind.COHORT_ENROLMENT,
                               delivery=Delivery.DIGEST),
    ])
    session.commit()
    service.enrol_students(session, world.partner, cohort.slug, [quiet.email, digest.email],
                           now=NOW)
    assert [(notice.user_id, notice.delivery, notice.next_attempt_at)
            for notice in _enrolment_notices(session)] == [(digest.id, Delivery.DIGEST, None)]
    assert _members(session) == 2
