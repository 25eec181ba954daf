"""Generated order classes: a sponsoring firm each, at every stage, with applicants and hires."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import insert
from sqlmodel import Session

from academy.auth.models import AccountRole, PartnerFirm, User
from academy.cohorts.models import (
    Cohort,
    CohortMember,
    CohortStatus,
    MemberStatus,
    Placement,
    PlacementStatus,
)
from academy.curriculum.models import TRACKS, Module
from academy.demo_scale.students import seeded

COHORT_APPLICANTS = 30
COHORT_STAGES = (CohortStatus.RECRUITING, CohortStatus.SELECTING, CohortStatus.TRAINING,
                 CohortStatus.INTERNSHIP, CohortStatus.PLACEMENT, CohortStatus.CLOSED)


def _member_status(stage: CohortStatus, rng: random.Random) -> MemberStatus:
    """Where an applicant stands once the cohort has reached ``stage``."""
    roll = rng.random()
    if stage == CohortStatus.RECRUITING:
        return MemberStatus.SHORTLISTED if roll < 0.3 else MemberStatus.APPLIED
    if stage == CohortStatus.SELECTING:
        return (MemberStatus.ADMITTED if roll < 0.4 else MemberStatus.REJECTED if roll < 0.6
                else MemberStatus.SHORTLISTED)
    if roll < 0.3:
        return MemberStatus.REJECTED if roll < 0.25 else MemberStatus.WITHDRAWN
    if stage in (CohortStatus.TRAINING, CohortStatus.INTERNSHIP):
        return MemberStatus.TRAINING
    return MemberStatus.PASSED if roll < 0.85 else MemberStatus.FAILED


def generate_cohorts(session: Session, applicants: dict[int, dict[str, list[int]]],
                     modules: dict[str, list[Module]], *, domain: str, password_hash: str,
                     seed: int, now: dt.datetime) -> int:
    """One order class per entry of ``applicants``, with its own firm and partner; commits each.

    ``applicants`` maps each cohort's number to the students it recruits from, by track (a
    class of the college); stages cycle from recruiting to closed. Returns how many members
    were written.
    """
    written = 0
    for number, student_ids in applicants.items():
        rng = seeded(seed, "cohort", number)
        firm_id = session.scalars(insert(PartnerFirm).returning(PartnerFirm.id), [{
            "slug": f"scale-firm-{number:04d}", "name": f"Export Firm {number} 出口公司",
            "description": "Generated partner firm.", "website": ""}]).one()
        partner_id = session.scalars(insert(User).returning(User.id), [{
            "email": f"partner{number:04d}@{domain}", "display_name": f"HR {number}",
            "password_hash": password_hash, "account_role": AccountRole.PARTNER,
            "firm_id": firm_id, "created_at": now}]).one()
        track = rng.choice([track for track in TRACKS if student_ids.get(track)])
        stage = COHORT_STAGES[number % len(COHORT_STAGES)]
        starts = (now + dt.timedelta(days=30 - 40 * COHORT_STAGES.index(stage))).date()
        cohort_id = session.scalars(insert(Cohort).returning(Cohort.id), [{
            "slug": f"scale-order-class-{number:04d}", "firm_id": firm_id,
            "name": f"{track.title()} order class {number}", "track": track,
            "seats": rng.randint(10, 20), "status": stage,
            "apply_by": starts - dt.timedelta(days=14), "starts_on": starts,
            "ends_on": starts + dt.timedelta(days=90),
            "required_modules": [module.slug for module in modules.get(track, [])[:3]],
            "created_by_id": partner_id, "created_at": now, "updated_at": now}]).one()
        members = []
        for student_id in rng.sample(student_ids[track], min(COHORT_APPLICANTS,
                                                             len(student_ids[track]))):
            status = _member_status(stage, rng)
            decided = status not in (MemberStatus.APPLIED, MemberStatus.SHORTLISTED)
            members.append({
                "cohort_id": cohort_id, "student_id": student_id, "status": status,
                "motivation": "I want to host B2B streams for an exporter.",
                "applied_at": now - dt.timedelta(days=rng.uniform(20, 60)),
                "decided_by_id": partner_id if decided else None,
                "decided_at": now - dt.timedelta(days=10) if decided else None})
        member_ids = session.scalars(insert(CohortMember).returning(
            CohortMember.id, sort_by_parameter_order=True), members).all()
        hired = stage == CohortStatus.CLOSED
        placements = [{"member_id": member_id, "position": "Live-stream host",
                       "status": PlacementStatus.HIRED if hired else PlacementStatus.OFFERED,
                       "offered_on": (now - dt.timedelta(days=5)).date(),
                       "starts_on": now.date() if hired else None,
                       "recorded_by_id": partner_id, "created_at": now}
                      for member_id, member in zip(member_ids, members, strict=True)
                      if member["status"] == MemberStatus.PASSED]
        if placements:
            session.execute(insert(Placement), placements)
        session.commit()
        written += len(members)
    return written
