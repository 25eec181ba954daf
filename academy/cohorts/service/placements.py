"""Placements: offers to members who passed, their answers, and hires."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from academy.audit.service import record_event
from academy.auth.models import User
from academy.cohorts.models import (
    Cohort,
    CohortKind,
    CohortMember,
    CohortStatus,
    MemberStatus,
    Placement,
    PlacementStatus,
)
from academy.cohorts.service._base import (
    CohortError,
    get_cohort,
    get_managed_cohort,
    get_member,
)
from academy.errors import InvalidTransition, NotFound
from academy.security import can_answer_offer

_P = PlacementStatus
#: Every move a placement can make: an offer is answered, an accepted offer ends in a hire.
PLACEMENT_TRANSITIONS = frozenset({
    (_P.OFFERED, _P.ACCEPTED), (_P.OFFERED, _P.DECLINED), (_P.ACCEPTED, _P.HIRED),
})
OPEN_PLACEMENTS = (_P.OFFERED, _P.ACCEPTED, _P.HIRED)
_PLACEMENT_STAGES = (CohortStatus.TRAINING, CohortStatus.INTERNSHIP, CohortStatus.PLACEMENT)


def refuse_internal_placements(cohort: Cohort) -> None:
    """An internal cohort's members already work for the firm: there is nothing to place."""
    if cohort.kind == CohortKind.INTERNAL:
        raise InvalidTransition(_l("An internal training makes no job offers: its members "
                                   "already work for the firm."))


def _audit(session: Session, actor: User, member: CohortMember, placement: Placement,
           action: str, now: dt.datetime) -> None:
    record_event(session, actor_id=actor.id, action=action, subject_type="cohort_member",
                 subject_id=member.id or 0, now=now,
                 detail={"cohort_id": member.cohort_id, "placement_id": placement.id,
                         "position": placement.position, "status": placement.status.value})


def record_offer(session: Session, actor: User, slug: str, member_id: int, *, position: str,
                 offered_on: dt.date, now: dt.datetime) -> Placement:
    """Record the firm's job offer to a member who passed. One open offer at a time.

    The firm's staff or the college record it. Audited. Commits.
    """
    cohort = get_managed_cohort(session, actor, slug, for_update=True)
    member = get_member(session, cohort, member_id)
    refuse_internal_placements(cohort)
    if cohort.status not in _PLACEMENT_STAGES:
        raise InvalidTransition(_l("Offers are recorded from training until the order class "
                                   "closes."))
    if member.status != MemberStatus.PASSED:
        raise InvalidTransition(_l("Offers go to members who passed the training."))
    position = position.strip()
    if not 2 <= len(position) <= 200:
        raise CohortError(_l("Name the position in 2 to 200 characters."), "position")
    if offered_on < cohort.starts_on:
        raise CohortError(_l("The offer cannot predate the order class (it started on "
                             "%(date)s).", date=cohort.starts_on.isoformat()), "offered_on")
    open_offer = session.exec(
        select(Placement.id).where(Placement.member_id == member.id,
                                   col(Placement.status).in_(OPEN_PLACEMENTS))
    ).first()
    if open_offer is not None:
        raise InvalidTransition(_l("This member already has an open or accepted offer. Record "
                                   "its answer first."))
    placement = Placement(member_id=member.id or 0, position=position, offered_on=offered_on,
                          recorded_by_id=actor.id or 0, created_at=now)
    session.add(placement)
    session.flush()
    _audit(session, actor, member, placement, "placement.offered", now)
    session.commit()
    return placement


def _placement(session: Session, cohort: Cohort, placement_id: int
               ) -> tuple[Placement, CohortMember]:
    row = session.exec(
        select(Placement, CohortMember)
        .join(CohortMember, col(CohortMember.id) == col(Placement.member_id))
        .where(Placement.id == placement_id, CohortMember.cohort_id == cohort.id)
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise NotFound(_l("There is no such offer in this order class."))
    return row[0], row[1]


def _move(placement: Placement, target: PlacementStatus) -> None:
    if (placement.status, target) not in PLACEMENT_TRANSITIONS:
        raise InvalidTransition(
            _l("Only an accepted offer ends in a hire.") if target == _P.HIRED
            else _l("This offer has been answered already."))
    placement.status = target


def answer_offer(session: Session, actor: User, slug: str, placement_id: int, *,
                 accepted: bool, now: dt.datetime) -> Placement:
    """The student accepts or declines an offer (or the firm or college records the answer).

    Audited. Commits.
    """
    cohort, _membership = get_cohort(session, actor, slug, for_update=True)
    refuse_internal_placements(cohort)
    placement, member = _placement(session, cohort, placement_id)
    if not can_answer_offer(actor, cohort, member):
        raise NotFound(_l("There is no such offer in this order class."))
    _move(placement, _P.ACCEPTED if accepted else _P.DECLINED)
    placement.answered_at = now
    session.add(placement)
    _audit(session, actor, member, placement,
           "placement.accepted" if accepted else "placement.declined", now)
    session.commit()
    return placement


def record_hire(session: Session, actor: User, slug: str, placement_id: int, *,
                starts_on: dt.date, now: dt.datetime) -> Placement:
    """Record that a member who accepted an offer is hired, from ``starts_on``. Audited. Commits."""
    cohort = get_managed_cohort(session, actor, slug, for_update=True)
    refuse_internal_placements(cohort)
    placement, member = _placement(session, cohort, placement_id)
    if starts_on < placement.offered_on:
        raise CohortError(_l("The first working day cannot be before the offer."), "starts_on")
    _move(placement, _P.HIRED)
    placement.starts_on = starts_on
    session.add(placement)
    _audit(session, actor, member, placement, "placement.hired", now)
    session.commit()
    return placement


def placements_of(session: Session, member: CohortMember | None) -> list[Placement]:
    """A member's offers, newest first (the caller has checked who may see them)."""
    if member is None:
        return []
    return list(session.exec(
        select(Placement).where(Placement.member_id == member.id)
        .order_by(col(Placement.created_at).desc(), col(Placement.id).desc())
    ))
