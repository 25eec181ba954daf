"""Students apply and withdraw; the firm and the college select, admit and record results."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlmodel import Session, col, func, select

from academy.assessment.models import Assessment
from academy.audit.service import record_event
from academy.auth.models import AccountRole, User
from academy.cohorts.models import (
    Cohort,
    CohortKind,
    CohortMember,
    CohortStatus,
    MemberStatus,
    Placement,
)
from academy.cohorts.service._base import (
    SEATED,
    UNDECIDED,
    CohortError,
    HistoryEntry,
    get_cohort,
    get_managed_cohort,
    get_member,
    history,
    local_date,
    mentors_student,
)
from academy.cohorts.service.lifecycle import MAX_REASON, Party, parties_of
from academy.curriculum.models import Module, ModuleProgress
from academy.errors import InvalidTransition, NotAllowed
from academy.practice.models import PracticeStream
from academy.security import can_view_stream

MIN_MOTIVATION = 20
MAX_MOTIVATION = 2_000

_M, _C = MemberStatus, CohortStatus
_SELECTION = (_C.RECRUITING, _C.SELECTING)
_RESULTS = (_C.TRAINING, _C.INTERNSHIP, _C.PLACEMENT)
_BOTH = frozenset({Party.FIRM, Party.COLLEGE})


@dataclass(frozen=True)
class MemberStep:
    """A decision about one applicant or member, who takes it and in which cohort stages."""

    source: MemberStatus
    target: MemberStatus
    parties: frozenset[Party]
    cohort_stages: tuple[CohortStatus, ...]
    label: LazyString
    needs_reason: bool = False


#: Every decision about a member; withdrawing is the student's own (``withdraw_application``)
#: and admitted members enter training with the cohort (``change_status``).
MEMBER_TRANSITIONS: dict[tuple[MemberStatus, MemberStatus], MemberStep] = {
    (step.source, step.target): step for step in [
        MemberStep(_M.APPLIED, _M.SHORTLISTED, _BOTH, _SELECTION, _l("Shortlist")),
        MemberStep(_M.APPLIED, _M.REJECTED, _BOTH, _SELECTION, _l("Reject"), needs_reason=True),
        MemberStep(_M.SHORTLISTED, _M.ADMITTED, _BOTH, _SELECTION, _l("Admit")),
        MemberStep(_M.SHORTLISTED, _M.REJECTED, _BOTH, _SELECTION, _l("Reject"),
                   needs_reason=True),
        MemberStep(_M.TRAINING, _M.PASSED, frozenset({Party.COLLEGE}), _RESULTS,
                   _l("Passed the training")),
        MemberStep(_M.TRAINING, _M.FAILED, frozenset({Party.COLLEGE}), _RESULTS,
                   _l("Did not pass"), needs_reason=True),
    ]
}


def member_steps(user: User, cohort: Cohort, member: CohortMember) -> list[MemberStep]:
    """The decisions this user may take about ``member`` now."""
    parties = parties_of(user, cohort)
    return [step for (source, _target), step in MEMBER_TRANSITIONS.items()
            if source == member.status and step.parties & parties
            and cohort.status in step.cohort_stages]


@dataclass(frozen=True)
class RequiredModule:
    slug: str
    title: str
    done: bool


@dataclass(frozen=True)
class Readiness:
    """How far a student is towards a cohort's requirements."""

    modules: list[RequiredModule]
    streams: int
    practice_minutes: int
    mean_rubric_total: float | None  # over every assessment of the student's streams

    @property
    def done(self) -> int:
        return sum(module.done for module in self.modules)

    @property
    def total(self) -> int:
        return len(self.modules)

    @property
    def practice_hours(self) -> float:
        return round(self.practice_minutes / 60, 1)


def readiness(session: Session, student_id: int, cohort: Cohort) -> Readiness:
    """The student's required modules, practice totals and mean rubric total, in three queries."""
    required = cohort.required_modules
    modules = session.exec(
        select(Module.slug, Module.title, ModuleProgress.completed_at)
        .join(ModuleProgress, sa.and_(col(ModuleProgress.module_id) == col(Module.id),
                                      col(ModuleProgress.user_id) == student_id), isouter=True)
        .where(col(Module.slug).in_(required))
    ).all() if required else []
    found = {slug: (title, completed_at is not None) for slug, title, completed_at in modules}
    streams, minutes = session.exec(
        select(func.count(), func.coalesce(func.sum(PracticeStream.duration_min), 0))
        .where(PracticeStream.student_id == student_id)
    ).one()
    hundredths = session.exec(
        select(func.avg(sa.type_coerce(Assessment.total, sa.BigInteger)))
        .join(PracticeStream, col(PracticeStream.id) == col(Assessment.practice_stream_id))
        .where(PracticeStream.student_id == student_id)
    ).one()
    return Readiness(
        modules=[RequiredModule(slug, *found.get(slug, (slug, False))) for slug in required],
        streams=int(streams), practice_minutes=int(minutes),
        mean_rubric_total=None if hundredths is None else round(float(hundredths) / 100, 1),
    )


def _audit_member(session: Session, actor: User, member: CohortMember, action: str,
                  now: dt.datetime, **detail: object) -> None:
    record_event(session, actor_id=actor.id, action=action, subject_type="cohort_member",
                 subject_id=member.id or 0, now=now,
                 detail={"cohort_id": member.cohort_id, **detail})


def apply_to_cohort(session: Session, student: User, slug: str, motivation: str, *,
                    now: dt.datetime) -> CohortMember:
    """Apply to a recruiting cohort before its deadline (the student's own date). Commits.

    A student who withdrew may apply again while the cohort recruits; the same row is reused.
    """
    cohort, membership = get_cohort(session, student, slug, for_update=True)
    if student.account_role != AccountRole.STUDENT:
        raise NotAllowed(_l("Only students apply to order classes."))
    refuse_internal_applications(cohort)
    if cohort.status != CohortStatus.RECRUITING:
        raise InvalidTransition(_l("This order class does not take applications now."))
    if local_date(student, now) > cohort.apply_by:
        raise InvalidTransition(_l("Applications closed on %(date)s.",
                                   date=cohort.apply_by.isoformat()))
    if membership is not None and membership.status != MemberStatus.WITHDRAWN:
        raise InvalidTransition(_l("You have already applied to this order class."))
    motivation = motivation.strip()
    if not MIN_MOTIVATION <= len(motivation) <= MAX_MOTIVATION:
        raise CohortError(_l("Tell the firm why you want to join in %(min)d to %(max)d "
                             "characters.", min=MIN_MOTIVATION, max=MAX_MOTIVATION),
                          "motivation")
    member = membership or CohortMember(cohort_id=cohort.id or 0, student_id=student.id or 0,
                                        applied_at=now)
    member.status = MemberStatus.APPLIED
    member.motivation = motivation
    member.applied_at = now
    member.decision_reason = ""
    member.decided_by_id = None
    member.decided_at = None
    session.add(member)
    session.flush()
    _audit_member(session, student, member, "cohort_member.applied", now)
    session.commit()
    return member


def refuse_internal_applications(cohort: Cohort) -> None:
    """An internal cohort trains the firm's own staff: nobody applies, the firm adds members."""
    if cohort.kind == CohortKind.INTERNAL:
        raise InvalidTransition(_l("This is an internal training of the firm's own staff: it "
                                   "takes no applications. The firm or the college adds its "
                                   "members."))


def withdraw_application(session: Session, student: User, slug: str, *,
                         now: dt.datetime) -> CohortMember:
    """Take back one's own application while it awaits a decision. Audited. Commits."""
    _cohort, membership = get_cohort(session, student, slug, for_update=True)
    if membership is None:
        raise InvalidTransition(_l("You have not applied to this order class."))
    if membership.status not in UNDECIDED:
        raise InvalidTransition(_l("Only an application that awaits a decision can be "
                                   "withdrawn."))
    membership.status = MemberStatus.WITHDRAWN
    membership.decided_at = now
    membership.decided_by_id = student.id
    session.add(membership)
    _audit_member(session, student, membership, "cohort_member.withdrawn", now)
    session.commit()
    return membership


def decide_member(session: Session, actor: User, slug: str, member_id: int,
                  target: MemberStatus, *, reason: str = "", now: dt.datetime) -> CohortMember:
    """Take one step of ``MEMBER_TRANSITIONS`` for a member: shortlist, admit, reject, result.

    Admitting never exceeds the seats: the cohort row is locked first (see ``get_cohort``), so
    concurrent admissions are counted one after the other. A rejection or failure needs a
    reason, which the student sees. Audited. Commits.
    """
    cohort = get_managed_cohort(session, actor, slug, for_update=True)
    member = get_member(session, cohort, member_id)
    step = MEMBER_TRANSITIONS.get((member.status, target))
    if step is None:
        raise InvalidTransition(_l("This decision is not possible for this person now. Reload "
                                   "the page to see the current status."))
    if not step.parties & parties_of(actor, cohort):
        raise NotAllowed(_l("Training results are for the college to record."))
    if cohort.status not in step.cohort_stages:
        raise InvalidTransition(
            _l("Applicants are decided while the order class recruits or selects.")
            if step.cohort_stages == _SELECTION
            else _l("Training results are recorded once training has started."))
    reason = reason.strip()
    if step.needs_reason and not reason:
        raise CohortError(_l("Give a reason: the student will see it."), "reason")
    if len(reason) > MAX_REASON:
        raise CohortError(_l("Keep the reason under %(max)d characters.", max=MAX_REASON),
                          "reason")
    if target == MemberStatus.ADMITTED:
        taken = session.exec(
            select(func.count()).select_from(CohortMember)
            .where(CohortMember.cohort_id == cohort.id, col(CohortMember.status).in_(SEATED))
        ).one()
        if taken >= cohort.seats:
            raise InvalidTransition(_l(
                "All %(seats)d seats are taken. Admit no one else, or ask the firm to "
                "propose a larger order class.", seats=cohort.seats))
    source = member.status
    member.status = target
    if target == MemberStatus.ADMITTED:
        member.admitted_at = now
    member.decision_reason = reason
    member.decided_by_id = actor.id
    member.decided_at = now
    session.add(member)
    _audit_member(session, actor, member, f"cohort_member.{target.value}", now,
                  **{"from": source.value, "to": target.value, "reason": reason})
    session.commit()
    return member


@dataclass(frozen=True)
class MemberPage:
    """One applicant or member as the firm and the college see them."""

    cohort: Cohort
    member: CohortMember
    student: User
    readiness: Readiness
    placements: list[Placement]
    history: list[HistoryEntry]
    steps: list[MemberStep]
    seats_taken: int
    sees_practice: bool  # the viewer may open the student's practice streams (staff, mentors)


def member_page(session: Session, actor: User, slug: str, member_id: int) -> MemberPage:
    """An applicant's motivation, readiness, decisions and offers; managers of the cohort only.

    A partner reaches only applicants of its own firm's cohorts: anyone else is not found.
    """
    cohort = get_managed_cohort(session, actor, slug)
    member = get_member(session, cohort, member_id)
    student = session.get(User, member.student_id)
    assert student is not None
    placements = list(session.exec(
        select(Placement).where(Placement.member_id == member.id)
        .order_by(col(Placement.created_at).desc(), col(Placement.id).desc())
    ))
    seats_taken = session.exec(
        select(func.count()).select_from(CohortMember)
        .where(CohortMember.cohort_id == cohort.id, col(CohortMember.status).in_(SEATED))
    ).one()
    return MemberPage(
        cohort=cohort, member=member, student=student,
        readiness=readiness(session, member.student_id, cohort), placements=placements,
        history=history(session, "cohort_member", member.id or 0),
        steps=member_steps(actor, cohort, member), seats_taken=seats_taken,
        sees_practice=can_view_stream(actor, member.student_id, mentors_student=mentors_student(
            session, actor, member.student_id)),
    )
