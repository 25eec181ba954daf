"""Applying, selecting, admitting within the seats, training results and placements."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from academy.audit.models import AuditEvent
from academy.cohorts import service
from academy.cohorts.models import (
    CohortMember,
    CohortStatus,
    MemberStatus,
    Placement,
    PlacementStatus,
)
from academy.cohorts.service import MEMBER_TRANSITIONS, CohortError
from academy.curriculum.models import Module, ModuleProgress
from academy.errors import InvalidTransition, NotAllowed, NotFound
from academy.practice.models import Platform, PracticeStream, StreamRole
from tests.cohorts.conftest import APPLY_BY, MOTIVATION, NOW, World, admit

S, M = CohortStatus, MemberStatus


def _apply(session: Session, student, cohort) -> CohortMember:  # type: ignore[no-untyped-def]
    return service.apply_to_cohort(session, student, cohort.slug, MOTIVATION, now=NOW)


def test_member_decisions_are_one_table() -> None:
    assert set(MEMBER_TRANSITIONS) == {
        (M.APPLIED, M.SHORTLISTED), (M.APPLIED, M.REJECTED), (M.SHORTLISTED, M.ADMITTED),
        (M.SHORTLISTED, M.REJECTED), (M.TRAINING, M.PASSED), (M.TRAINING, M.FAILED)}


def test_student_applies_once_withdraws_and_applies_again(session: Session, world: World,
                                                          make_cohort) -> None:
    cohort = make_cohort()
    member = _apply(session, world.student, cohort)
    assert member.status == M.APPLIED and member.motivation == MOTIVATION
    with pytest.raises(InvalidTransition, match="already applied"):
        _apply(session, world.student, cohort)
    session.rollback()
    assert service.withdraw_application(session, world.student, cohort.slug,
                                        now=NOW).status == M.WITHDRAWN
    again = _apply(session, world.student, cohort)
    assert again.id == member.id and again.status == M.APPLIED
    actions = session.exec(select(AuditEvent.action).where(
        AuditEvent.subject_type == "cohort_member").order_by(AuditEvent.id)).all()
    assert actions == ["cohort_member.applied", "cohort_member.withdrawn",
                       "cohort_member.applied"]


def test_motivation_is_required(session: Session, world: World, make_cohort) -> None:
    cohort = make_cohort()
    with pytest.raises(CohortError) as refused:
        service.apply_to_cohort(session, world.student, cohort.slug, "  hire me ", now=NOW)
    assert refused.value.field == "motivation"
    session.rollback()
    assert session.exec(select(CohortMember)).first() is None


def test_applications_close_at_the_deadline_in_the_students_time_zone(
        session: Session, world: World, make_cohort, make_user) -> None:
    cohort = make_cohort()
    # 23:30 on the deadline in Shanghai is 15:30 UTC the same day: still open.
    last_minute = dt.datetime.combine(APPLY_BY, dt.time(15, 30), tzinfo=dt.UTC)
    assert service.apply_to_cohort(session, world.student, cohort.slug, MOTIVATION,
                                   now=last_minute).status == M.APPLIED
    late = make_user("student")
    with pytest.raises(InvalidTransition, match="Applications closed"):
        service.apply_to_cohort(session, late, cohort.slug, MOTIVATION,
                                now=last_minute + dt.timedelta(hours=1))


@pytest.mark.parametrize("stage", [S.DRAFT, S.SUBMITTED, S.APPROVED])
def test_students_cannot_see_or_apply_before_recruiting(session: Session, world: World,
                                                        make_cohort, stage) -> None:
    cohort = make_cohort(stage)
    with pytest.raises(NotFound):
        _apply(session, world.student, cohort)


def test_staff_do_not_apply(session: Session, world: World, make_cohort) -> None:
    cohort = make_cohort()
    for persona in (world.partner, world.instructor):
        with pytest.raises(NotAllowed):
            _apply(session, persona, cohort)
        session.rollback()


def test_withdrawing_is_only_before_a_decision(session: Session, world: World,
                                               make_cohort) -> None:
    cohort = make_cohort()
    admit(session, world, cohort, world.student)
    with pytest.raises(InvalidTransition, match="awaits a decision"):
        service.withdraw_application(session, world.student, cohort.slug, now=NOW)


def test_rejection_needs_a_reason_the_student_then_sees(session: Session, world: World,
                                                        make_cohort) -> None:
    cohort = make_cohort()
    member = _apply(session, world.student, cohort)
    with pytest.raises(CohortError):
        service.decide_member(session, world.partner, cohort.slug, member.id, M.REJECTED,
                              now=NOW)
    session.rollback()
    service.decide_member(session, world.partner, cohort.slug, member.id, M.REJECTED,
                          reason="We need Spanish speakers this time.", now=NOW)
    page = service.cohort_page(session, world.student, cohort.slug, now=NOW)
    assert page.membership.status == M.REJECTED
    assert page.membership.decision_reason == "We need Spanish speakers this time."


def test_admitting_skips_no_step_and_respects_the_seats(session: Session, world: World,
                                                        make_cohort, make_user) -> None:
    cohort = make_cohort(seats=2)
    students = [make_user("student") for _ in range(3)]
    members = [_apply(session, student, cohort) for student in students]
    with pytest.raises(InvalidTransition):  # applied → admitted skips the shortlist
        service.decide_member(session, world.partner, cohort.slug, members[0].id, M.ADMITTED,
                              now=NOW)
    session.rollback()
    for member in members:
        service.decide_member(session, world.partner, cohort.slug, member.id, M.SHORTLISTED,
                              now=NOW)
    for member in members[:2]:
        service.decide_member(session, world.instructor, cohort.slug, member.id, M.ADMITTED,
                              now=NOW)
    with pytest.raises(InvalidTransition, match="All 2 seats are taken"):
        service.decide_member(session, world.partner, cohort.slug, members[2].id, M.ADMITTED,
                              now=NOW)
    session.rollback()
    assert session.get(CohortMember, members[2].id).status == M.SHORTLISTED


def test_another_firm_never_reaches_the_applicants(session: Session, world: World,
                                                   make_cohort) -> None:
    cohort = make_cohort()
    member = _apply(session, world.student, cohort)
    for call in (
        lambda: service.decide_member(session, world.other_partner, cohort.slug, member.id,
                                      M.SHORTLISTED, now=NOW),
        lambda: service.member_page(session, world.other_partner, cohort.slug, member.id),
        lambda: service.list_applicants(session, world.other_partner, cohort.slug),
    ):
        with pytest.raises(NotFound):
            call()


def test_a_member_of_another_cohort_is_not_found_through_this_one(
        session: Session, world: World, make_cohort, make_firm, make_user) -> None:
    cohort = make_cohort()
    other = make_cohort(name="Another class")
    member = _apply(session, world.student, other)
    with pytest.raises(NotFound):
        service.member_page(session, world.partner, cohort.slug, member.id)


def test_only_the_college_records_training_results(session: Session, world: World,
                                                   make_cohort) -> None:
    cohort = make_cohort(S.TRAINING)
    member = session.exec(select(CohortMember)).one()
    with pytest.raises(NotAllowed):
        service.decide_member(session, world.partner, cohort.slug, member.id, M.PASSED, now=NOW)
    session.rollback()
    with pytest.raises(CohortError):  # failing needs a reason
        service.decide_member(session, world.instructor, cohort.slug, member.id, M.FAILED,
                              now=NOW)
    session.rollback()
    assert service.decide_member(session, world.instructor, cohort.slug, member.id, M.PASSED,
                                 now=NOW).status == M.PASSED


def _passed_member(session: Session, world: World, make_cohort):  # type: ignore[no-untyped-def]
    cohort = make_cohort(S.PLACEMENT)
    member = session.exec(select(CohortMember)).one()
    service.decide_member(session, world.instructor, cohort.slug, member.id, M.PASSED, now=NOW)
    return cohort, member


def test_offer_answer_and_hire(session: Session, world: World, make_cohort) -> None:
    cohort, member = _passed_member(session, world, make_cohort)
    offered_on = cohort.starts_on + dt.timedelta(days=60)
    offer = service.record_offer(session, world.partner, cohort.slug, member.id,
                                 position="Live host, English", offered_on=offered_on, now=NOW)
    with pytest.raises(InvalidTransition, match="already has an open"):
        service.record_offer(session, world.partner, cohort.slug, member.id,
                             position="Second offer", offered_on=offered_on, now=NOW)
    session.rollback()
    with pytest.raises(InvalidTransition, match="Only an accepted offer"):
        service.record_hire(session, world.partner, cohort.slug, offer.id,
                            starts_on=offered_on, now=NOW)
    session.rollback()
    with pytest.raises(NotFound):  # someone else's offer
        service.answer_offer(session, world.student, cohort.slug, offer.id, accepted=True,
                             now=NOW)
    session.rollback()
    service.answer_offer(session, world.member, cohort.slug, offer.id, accepted=True, now=NOW)
    with pytest.raises(CohortError) as refused:
        service.record_hire(session, world.partner, cohort.slug, offer.id,
                            starts_on=offered_on - dt.timedelta(days=1), now=NOW)
    assert refused.value.field == "starts_on"
    session.rollback()
    hired = service.record_hire(session, world.partner, cohort.slug, offer.id,
                                starts_on=offered_on + dt.timedelta(days=14), now=NOW)
    assert hired.status == PlacementStatus.HIRED
    actions = session.exec(select(AuditEvent.action).where(
        AuditEvent.subject_type == "cohort_member", AuditEvent.subject_id == member.id,
        AuditEvent.action.like("placement.%")).order_by(AuditEvent.id)).all()
    assert actions == ["placement.offered", "placement.accepted", "placement.hired"]


def test_a_declined_offer_makes_room_for_another(session: Session, world: World,
                                                 make_cohort) -> None:
    cohort, member = _passed_member(session, world, make_cohort)
    offered_on = cohort.starts_on + dt.timedelta(days=60)
    first = service.record_offer(session, world.partner, cohort.slug, member.id,
                                 position="Operator", offered_on=offered_on, now=NOW)
    service.answer_offer(session, world.partner, cohort.slug, first.id, accepted=False, now=NOW)
    with pytest.raises(InvalidTransition, match="answered already"):
        service.answer_offer(session, world.member, cohort.slug, first.id, accepted=True,
                             now=NOW)
    session.rollback()
    service.record_offer(session, world.partner, cohort.slug, member.id, position="Host",
                         offered_on=offered_on, now=NOW)
    assert len(session.exec(select(Placement)).all()) == 2


def test_offers_only_go_to_members_who_passed(session: Session, world: World,
                                              make_cohort) -> None:
    cohort = make_cohort(S.PLACEMENT)
    member = session.exec(select(CohortMember)).one()  # still in training
    with pytest.raises(InvalidTransition, match="passed"):
        service.record_offer(session, world.partner, cohort.slug, member.id, position="Host",
                             offered_on=cohort.starts_on, now=NOW)


def test_readiness_counts_required_modules_and_practice(session: Session, world: World,
                                                        make_cohort) -> None:
    cohort = make_cohort()
    module = session.exec(select(Module).where(Module.slug == "host-topic-1")).one()
    session.add(ModuleProgress(user_id=world.student.id, module_id=module.id, started_at=NOW,
                               completed_at=NOW))
    for minutes in (60, 90):
        session.add(PracticeStream(student_id=world.student.id, started_at=NOW,
                                   duration_min=minutes, platform=Platform.TIKTOK_SHOP,
                                   market="US", language="en", stream_role=StreamRole.HOST))
    session.commit()
    readiness = service.readiness(session, world.student.id, cohort)
    assert (readiness.done, readiness.total) == (1, 2)
    assert [m.title for m in readiness.modules] == ["Host Topic 1", "Host Topic 2"]
    assert readiness.streams == 2 and readiness.practice_hours == 2.5
