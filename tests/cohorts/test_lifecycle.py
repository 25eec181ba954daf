"""The stage machine of an order class: one table, who may take each step, all or nothing."""

from __future__ import annotations

import itertools

import pytest
from sqlmodel import Session, select

from academy.audit.models import AuditEvent
from academy.cohorts import service
from academy.cohorts.models import Cohort, CohortMember, CohortMentor, CohortStatus, MemberStatus
from academy.cohorts.service import TRANSITIONS, CohortError, Party
from academy.errors import InvalidTransition, NotAllowed, NotFound
from tests.cohorts.conftest import MOTIVATION, NOW, PATH, World, admit, draft

S = CohortStatus


def test_the_table_walks_the_designed_path_and_cancels_from_every_open_stage() -> None:
    walk = [S.DRAFT, *PATH]
    for source, target in itertools.pairwise(walk):
        assert (source, target) in TRANSITIONS
    open_stages = set(S) - {S.CLOSED, S.CANCELLED}
    assert {source for source, target in TRANSITIONS if target == S.CANCELLED} == open_stages
    assert not any(source in (S.CLOSED, S.CANCELLED) for source, _ in TRANSITIONS)
    assert TRANSITIONS[(S.SUBMITTED, S.DRAFT)].needs_reason  # sending back says why
    assert TRANSITIONS[(S.DRAFT, S.SUBMITTED)].parties == {Party.FIRM}
    assert TRANSITIONS[(S.SUBMITTED, S.APPROVED)].parties == {Party.COLLEGE}
    assert TRANSITIONS[(S.SELECTING, S.TRAINING)].parties == {Party.COLLEGE}


def test_a_partner_drafts_for_its_own_firm_with_rendered_description(
        session: Session, world: World, catalogue) -> None:
    cohort = service.create_cohort(session, world.partner, draft(
        description_md="Sell **LED panels** <script>alert(1)</script>",
        mentor_ids=[world.partner.id, world.instructor.id], markets=["us", "de"],
        languages=["en-us", "zh_Hans"]), now=NOW)
    assert cohort.firm_id == world.firm.id and cohort.status == S.DRAFT
    assert cohort.slug == "tiktok-shop-hosts-us-spring-intake"
    assert "<strong>LED panels</strong>" in cohort.description_html
    assert "<script>" not in cohort.description_html
    assert cohort.markets == ["US", "DE"] and cohort.languages == ["en-US", "zh-Hans"]
    mentors = set(session.exec(select(CohortMentor.user_id)))
    assert mentors == {world.partner.id, world.instructor.id}
    again = service.create_cohort(session, world.partner, draft(), now=NOW)
    assert again.slug == "tiktok-shop-hosts-us-spring-intake-2"
    chinese = service.create_cohort(session, world.partner, draft(name="义乌灯饰主播班"), now=NOW)
    assert chinese.slug == "order-class"


@pytest.mark.parametrize(("changes", "field"), [
    ({"name": "ab"}, "name"),
    ({"track": "dancer"}, "track"),
    ({"seats": 0}, "seats"),
    ({"seats": 501}, "seats"),
    ({"apply_by": NOW.date().replace(year=NOW.year + 2)}, "apply_by"),
    ({"ends_on": NOW.date()}, "ends_on"),
    ({"required_modules": ["operator-topic-1"]}, "required_modules"),  # another track's module
    ({"required_modules": ["no-such-module"]}, "required_modules"),
    ({"platforms": ["myspace"]}, "platforms"),
    ({"markets": ["XX"]}, "markets"),
    ({"markets": ["USA"]}, "markets"),
    ({"languages": ["not a language"]}, "languages"),
])
def test_bad_terms_are_refused_with_the_field_and_nothing_is_written(
        session: Session, world: World, catalogue, changes: dict, field: str) -> None:
    with pytest.raises(CohortError) as refused:
        service.create_cohort(session, world.partner, draft(**changes), now=NOW)
    assert refused.value.field == field
    session.rollback()
    assert session.exec(select(Cohort)).first() is None


def test_mentors_are_the_firms_staff_or_instructors(session: Session, world: World,
                                                    catalogue) -> None:
    for outsider in (world.other_partner, world.student, world.admin):
        with pytest.raises(CohortError) as refused:
            service.create_cohort(session, world.partner, draft(mentor_ids=[outsider.id]),
                                  now=NOW)
        assert refused.value.field == "mentors"
        session.rollback()


@pytest.mark.parametrize("persona", ["instructor", "admin", "student"])
def test_only_partner_staff_propose(session: Session, world: World, catalogue,
                                   persona: str) -> None:
    with pytest.raises(NotAllowed):
        service.create_cohort(session, getattr(world, persona), draft(), now=NOW)


def test_the_whole_walk_is_audited_and_the_timeline_shows_it(session: Session, world: World,
                                                             make_cohort) -> None:
    cohort = make_cohort(S.CLOSED)  # the member is admitted, trained … and must be decided
    assert cohort.status == S.CLOSED
    changes = session.exec(select(AuditEvent).where(
        AuditEvent.subject_type == "cohort", AuditEvent.action == "cohort.status_changed")
        .order_by(AuditEvent.id)).all()
    assert [(e.detail["from"], e.detail["to"]) for e in changes] == list(
        zip(["draft", *[s.value for s in PATH[:-1]]], [s.value for s in PATH], strict=True))


def test_closing_needs_every_member_decided(session: Session, world: World,
                                            make_cohort) -> None:
    cohort = make_cohort(S.PLACEMENT)  # the member is still in training
    with pytest.raises(InvalidTransition, match="needs a decision"):
        service.change_status(session, world.instructor, cohort.slug, S.CLOSED, now=NOW)
    session.rollback()
    member = session.exec(select(CohortMember)).one()
    service.decide_member(session, world.instructor, cohort.slug, member.id, MemberStatus.PASSED,
                          now=NOW)
    assert service.change_status(session, world.instructor, cohort.slug, S.CLOSED,
                                 now=NOW).status == S.CLOSED


def test_training_starts_with_every_applicant_decided_and_moves_the_admitted(
        session: Session, world: World, make_cohort, make_user) -> None:
    cohort = make_cohort(S.RECRUITING)
    admit(session, world, cohort, world.member)
    waiting = make_user("student")
    service.apply_to_cohort(session, waiting, cohort.slug, MOTIVATION, now=NOW)
    service.change_status(session, world.partner, cohort.slug, S.SELECTING, now=NOW)
    with pytest.raises(InvalidTransition, match="1 still wait"):
        service.change_status(session, world.instructor, cohort.slug, S.TRAINING, now=NOW)
    session.rollback()
    assert session.get(Cohort, cohort.id).status == S.SELECTING
    pending = session.exec(select(CohortMember).where(CohortMember.student_id == waiting.id)).one()
    service.decide_member(session, world.partner, cohort.slug, pending.id, MemberStatus.REJECTED,
                          reason="Needs more practice streams first.", now=NOW)
    service.change_status(session, world.instructor, cohort.slug, S.TRAINING, now=NOW)
    statuses = dict(session.exec(select(CohortMember.student_id, CohortMember.status)).all())
    assert statuses == {world.member.id: MemberStatus.TRAINING,
                        waiting.id: MemberStatus.REJECTED}


def test_training_needs_at_least_one_admitted_member(session: Session, world: World,
                                                     make_cohort) -> None:
    cohort = make_cohort(S.RECRUITING)
    service.change_status(session, world.partner, cohort.slug, S.SELECTING, now=NOW)
    with pytest.raises(InvalidTransition, match="at least one"):
        service.change_status(session, world.instructor, cohort.slug, S.TRAINING, now=NOW)


@pytest.mark.parametrize(("stage", "target"), [
    (S.DRAFT, S.APPROVED), (S.DRAFT, S.RECRUITING), (S.SUBMITTED, S.RECRUITING),
    (S.RECRUITING, S.TRAINING), (S.RECRUITING, S.DRAFT), (S.TRAINING, S.CLOSED),
])
def test_impossible_transitions_are_refused_and_change_nothing(
        session: Session, world: World, make_cohort, stage: CohortStatus,
        target: CohortStatus) -> None:
    cohort = make_cohort(stage)
    before = session.exec(select(AuditEvent.id)).all()
    with pytest.raises(InvalidTransition, match="not possible from the order class's current"):
        service.change_status(session, world.admin, cohort.slug, target, now=NOW)
    session.rollback()
    assert session.get(Cohort, cohort.id).status == stage
    assert session.exec(select(AuditEvent.id)).all() == before


@pytest.mark.parametrize(("stage", "target", "persona", "error"), [
    (S.DRAFT, S.SUBMITTED, "instructor", NotAllowed),   # the firm submits its own order
    (S.SUBMITTED, S.APPROVED, "partner", NotAllowed),   # a firm cannot approve itself
    (S.SELECTING, S.TRAINING, "partner", NotAllowed),   # the college runs the training
    (S.TRAINING, S.CANCELLED, "partner", NotAllowed),   # once training runs, the college
    (S.SUBMITTED, S.APPROVED, "other_partner", NotFound),  # never learns it exists
    (S.RECRUITING, S.SELECTING, "student", NotAllowed),
    (S.SUBMITTED, S.APPROVED, "student", NotFound),
])
def test_each_step_is_for_its_parties_only(session: Session, world: World, make_cohort,
                                           stage: CohortStatus, target: CohortStatus,
                                           persona: str, error: type[Exception]) -> None:
    cohort = make_cohort(stage)
    with pytest.raises(error):
        service.change_status(session, getattr(world, persona), cohort.slug, target,
                              reason="Because.", now=NOW)
    session.rollback()
    assert session.get(Cohort, cohort.id).status == stage


def test_send_back_needs_a_reason_and_reopens_the_draft(session: Session, world: World,
                                                        make_cohort) -> None:
    cohort = make_cohort(S.SUBMITTED)
    with pytest.raises(CohortError) as refused:
        service.change_status(session, world.instructor, cohort.slug, S.DRAFT, reason="  ",
                              now=NOW)
    assert refused.value.field == "reason"
    session.rollback()
    with pytest.raises(InvalidTransition, match="Only a draft"):
        service.update_cohort(session, world.partner, cohort.slug, draft(seats=9), now=NOW)
    session.rollback()
    service.change_status(session, world.instructor, cohort.slug, S.DRAFT,
                          reason="State the hiring commitment in numbers.", now=NOW)
    edited = service.update_cohort(session, world.partner, cohort.slug,
                                   draft(seats=9, name="Renamed"), now=NOW)
    assert edited.seats == 9 and edited.name == "Renamed" and edited.slug == cohort.slug
    reasons = [e.detail.get("reason") for e in session.exec(select(AuditEvent).where(
        AuditEvent.action == "cohort.status_changed"))]
    assert "State the hiring commitment in numbers." in reasons


def test_available_transitions_depend_on_who_asks(session: Session, world: World,
                                                  make_cohort) -> None:
    cohort = make_cohort(S.SUBMITTED)
    college = {step.target for step in service.available_transitions(world.instructor, cohort)}
    firm = {step.target for step in service.available_transitions(world.partner, cohort)}
    assert college == {S.APPROVED, S.DRAFT, S.CANCELLED}
    assert firm == {S.CANCELLED}
    assert service.available_transitions(world.other_partner, cohort) == []
