"""Drafting an order class and moving it through its stages: the one transition table.

Internal cohorts (``CohortKind.INTERNAL``: a firm training its own staff) are drafted, edited,
submitted and approved exactly as order classes are: the firm's partner staff propose them for
their own firm (ticking "internal" on the cohort form), either side may edit a draft (the
college may mark a draft internal or not), and the college approves, since it runs the
training. Instructors and admins do not create cohorts of either kind: a cohort always starts
as a firm's own request. After approval an internal cohort skips recruiting and selection and
ends without internship or placement; ``TRANSITIONS`` says so entry by entry through
``Transition.kinds``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import sqlalchemy as sa
from babel import Locale, UnknownLocaleError
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlmodel import Session, col, delete, func, select, update

from academy.audit.service import record_event
from academy.auth.models import AccountRole, User
from academy.cohorts.models import (
    Cohort,
    CohortKind,
    CohortMember,
    CohortMentor,
    CohortStatus,
    MemberStatus,
)
from academy.cohorts.service._base import (
    OPEN_STATUSES,
    UNDECIDED,
    CohortError,
    get_cohort,
    require_manager,
)
from academy.curriculum.models import TRACKS, Module
from academy.db import MAX_ID
from academy.errors import InvalidTransition, NotAllowed
from academy.markdown import render_user_text
from academy.practice.models import Platform
from academy.security import can_edit_cohort, is_college_staff, is_firm_staff

MAX_SEATS = 500
MAX_DESCRIPTION = 20_000
MAX_COMMITMENT = 2_000
MAX_REASON = 1_000
_SLUG_PART = re.compile(r"[^a-z0-9]+")
_MARKET = re.compile(r"^[A-Z]{2}$")
_TERRITORIES = frozenset(code for code in Locale("en").territories if _MARKET.match(code))
# Paths under /cohorts/ that are pages, not cohorts.
_RESERVED_SLUGS = frozenset({"new", "dashboard"})


class Party(StrEnum):
    """Who takes a step: the sponsoring firm's staff, or the college (instructors, admins)."""

    FIRM = "firm"
    COLLEGE = "college"


_BOTH_KINDS = frozenset(CohortKind)


@dataclass(frozen=True)
class Transition:
    source: CohortStatus
    target: CohortStatus
    parties: frozenset[Party]
    label: LazyString
    needs_reason: bool = False
    kinds: frozenset[CohortKind] = _BOTH_KINDS  # the kinds of cohort that may take this step


def _step(source: CohortStatus, target: CohortStatus, parties: set[Party], label: LazyString,
          needs_reason: bool = False, kinds: frozenset[CohortKind] = _BOTH_KINDS) -> Transition:
    return Transition(source, target, frozenset(parties), label, needs_reason, kinds)


_S = CohortStatus
_FIRM, _COLLEGE = Party.FIRM, Party.COLLEGE
_ORDER_CLASS = frozenset({CohortKind.ORDER_CLASS})
_INTERNAL = frozenset({CohortKind.INTERNAL})
# The stages before training, when the firm may still withdraw its order on its own.
_FIRM_MAY_CANCEL = (_S.DRAFT, _S.SUBMITTED, _S.APPROVED, _S.RECRUITING, _S.SELECTING)

#: Every move a cohort can make, who may make it and for which kinds (shared/DESIGN.md §3).
#: An internal cohort goes draft → submitted → approved → training → closed.
TRANSITIONS: dict[tuple[CohortStatus, CohortStatus], Transition] = {
    (step.source, step.target): step for step in [
        _step(_S.DRAFT, _S.SUBMITTED, {_FIRM}, _l("Submit for approval")),
        _step(_S.SUBMITTED, _S.DRAFT, {_COLLEGE}, _l("Send back"), needs_reason=True),
        _step(_S.SUBMITTED, _S.APPROVED, {_COLLEGE}, _l("Approve")),
        _step(_S.APPROVED, _S.RECRUITING, {_FIRM, _COLLEGE}, _l("Open recruiting"),
              kinds=_ORDER_CLASS),
        _step(_S.RECRUITING, _S.SELECTING, {_FIRM, _COLLEGE}, _l("Close applications"),
              kinds=_ORDER_CLASS),
        _step(_S.SELECTING, _S.TRAINING, {_COLLEGE}, _l("Start training"), kinds=_ORDER_CLASS),
        _step(_S.APPROVED, _S.TRAINING, {_COLLEGE}, _l("Start training"), kinds=_INTERNAL),
        _step(_S.TRAINING, _S.INTERNSHIP, {_COLLEGE}, _l("Start internship"),
              kinds=_ORDER_CLASS),
        _step(_S.INTERNSHIP, _S.PLACEMENT, {_COLLEGE}, _l("Start placement"),
              kinds=_ORDER_CLASS),
        _step(_S.PLACEMENT, _S.CLOSED, {_COLLEGE}, _l("Close the order class"),
              kinds=_ORDER_CLASS),
        _step(_S.TRAINING, _S.CLOSED, {_COLLEGE}, _l("Close the internal training"),
              kinds=_INTERNAL),
        *[
            _step(source, _S.CANCELLED,
                  {_FIRM, _COLLEGE} if source in _FIRM_MAY_CANCEL else {_COLLEGE},
                  _l("Cancel the order class"), needs_reason=True)
            for source in OPEN_STATUSES
        ],
    ]
}


def parties_of(user: User, cohort: Cohort) -> frozenset[Party]:
    parties = set()
    if is_firm_staff(user, cohort.firm_id):
        parties.add(Party.FIRM)
    if is_college_staff(user):
        parties.add(Party.COLLEGE)
    return frozenset(parties)


def available_transitions(user: User, cohort: Cohort) -> list[Transition]:
    """The steps this user may take from the cohort's current stage; forward steps first."""
    parties = parties_of(user, cohort)
    steps = [step for (source, _target), step in TRANSITIONS.items()
             if source == cohort.status and step.parties & parties and cohort.kind in step.kinds]
    return sorted(steps, key=lambda step: step.needs_reason)


@dataclass(frozen=True)
class CohortDraft:
    """The terms of an order class as the firm states them.

    An internal cohort recruits no one, so it needs no ``apply_by`` (it is stored as the start
    date).
    """

    name: str
    track: str
    seats: int
    apply_by: dt.date | None
    starts_on: dt.date
    ends_on: dt.date
    description_md: str = ""
    required_modules: Sequence[str] = ()
    platforms: Sequence[str] = ()
    markets: Sequence[str] = ()
    languages: Sequence[str] = ()
    hiring_commitment: str = ""
    mentor_ids: Sequence[int] = ()
    kind: CohortKind = CohortKind.ORDER_CLASS


@dataclass(frozen=True)
class ModuleOption:
    slug: str
    track: str
    title: str


@dataclass(frozen=True)
class MentorOption:
    user_id: int
    display_name: str
    account_role: AccountRole


@dataclass(frozen=True)
class CohortFormOptions:
    """What the cohort form offers: the current modules of every track, possible mentors."""

    modules: list[ModuleOption] = field(default_factory=list)
    mentors: list[MentorOption] = field(default_factory=list)


def cohort_form_options(session: Session, firm_id: int) -> CohortFormOptions:
    """Current modules in catalogue order, and the firm's staff plus the instructors."""
    modules = session.exec(
        select(Module.slug, Module.track, Module.title)
        .where(Module.retired == sa.false())
        .order_by(Module.track, Module.position)
    ).all()
    mentors = session.exec(
        select(User.id, User.display_name, User.account_role)
        .where(User.is_active == sa.true(), sa.or_(
            User.account_role == AccountRole.INSTRUCTOR,
            sa.and_(User.account_role == AccountRole.PARTNER, User.firm_id == firm_id),
        ))
        .order_by(User.account_role, User.display_name)
    ).all()
    return CohortFormOptions(
        modules=[ModuleOption(*row) for row in modules],
        mentors=[MentorOption(user_id or 0, name, role) for user_id, name, role in mentors],
    )


@dataclass(frozen=True)
class CohortEditor:
    """A draft to edit with its current mentors and what the form may offer."""

    cohort: Cohort
    mentor_ids: list[int]
    options: CohortFormOptions


def cohort_editor(session: Session, user: User, slug: str) -> CohortEditor:
    """Open a cohort for editing: the firm or the college, and only while it is a draft."""
    cohort, _membership = get_cohort(session, user, slug)
    require_manager(user, cohort)
    if not can_edit_cohort(user, cohort):
        raise _not_editable()
    mentor_ids = list(session.exec(select(CohortMentor.user_id)
                                   .where(CohortMentor.cohort_id == cohort.id)))
    return CohortEditor(cohort, mentor_ids, cohort_form_options(session, cohort.firm_id))


def _not_editable() -> InvalidTransition:
    return InvalidTransition(_l("Only a draft can be edited. Once submitted, the terms are "
                                "fixed unless the college sends the order class back."))


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return _SLUG_PART.sub("-", ascii_name.lower()).strip("-")[:60].strip("-") or "order-class"


def _unique_slug(session: Session, name: str) -> str:
    base = slugify(name)
    taken = set(session.exec(
        select(Cohort.slug).where(sa.or_(Cohort.slug == base, col(Cohort.slug).like(f"{base}-%")))
    )) | _RESERVED_SLUGS
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _clean_codes(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(value.strip() for value in values if value.strip()))


def _language_tag(tag: str) -> str:
    try:
        locale = Locale.parse(tag.replace("_", "-"), sep="-")
    except (ValueError, TypeError, UnknownLocaleError) as error:
        raise CohortError(
            _l("“%(tag)s” is not a language code such as en, es-MX or zh-Hans.", tag=tag),
            "languages") from error
    return "-".join(part for part in (locale.language, locale.script, locale.territory) if part)


def _validated(session: Session, draft: CohortDraft, firm_id: int) -> dict[str, object]:
    """Check the draft against the rules and return the cohort's column values."""
    name = draft.name.strip()
    if not 3 <= len(name) <= 200:
        raise CohortError(_l("Enter a name of 3 to 200 characters."), "name")
    if draft.track not in TRACKS:
        raise CohortError(_l("Choose a track from the list."), "track")
    if not 1 <= draft.seats <= MAX_SEATS:
        raise CohortError(_l("Offer between 1 and %(max)d seats.", max=MAX_SEATS), "seats")
    if len(draft.description_md) > MAX_DESCRIPTION:
        raise CohortError(_l("Keep the description under %(max)d characters.",
                             max=MAX_DESCRIPTION), "description")
    if len(draft.hiring_commitment) > MAX_COMMITMENT:
        raise CohortError(_l("Keep the hiring commitment under %(max)d characters.",
                             max=MAX_COMMITMENT), "hiring_commitment")
    internal = draft.kind == CohortKind.INTERNAL
    apply_by = draft.starts_on if internal else draft.apply_by
    if apply_by is None:
        raise CohortError(_l("Enter the date applications close."), "apply_by")
    if apply_by > draft.starts_on:
        raise CohortError(_l("Applications must close on or before the start date."),
                          "apply_by")
    if draft.starts_on > draft.ends_on:
        raise CohortError(_l("The end date must not be before the start date."), "ends_on")
    required = _clean_codes(draft.required_modules)
    if required:
        current = set(session.exec(
            select(Module.slug).where(col(Module.slug).in_(required), Module.track == draft.track,
                                      Module.retired == sa.false())
        ))
        unknown = [slug for slug in required if slug not in current]
        if unknown:
            raise CohortError(
                _l("Choose required modules from the current modules of the track: %(slugs)s "
                   "is not one.", slugs=", ".join(unknown)), "required_modules")
    platforms = _clean_codes(draft.platforms)
    if any(platform not in {p.value for p in Platform} for platform in platforms):
        raise CohortError(_l("Choose platforms from the list."), "platforms")
    markets = [market.upper() for market in _clean_codes(draft.markets)]
    bad_markets = [market for market in markets if market not in _TERRITORIES]
    if bad_markets:
        raise CohortError(_l("Use two-letter country codes such as US, DE or AE (not %(codes)s).",
                             codes=", ".join(bad_markets)), "markets")
    languages = list(dict.fromkeys(_language_tag(tag) for tag in _clean_codes(draft.languages)))
    mentor_ids = list(dict.fromkeys(draft.mentor_ids))
    if mentor_ids:
        allowed = set(session.exec(
            select(User.id).where(col(User.id).in_([user_id for user_id in mentor_ids
                                                    if 1 <= user_id <= MAX_ID]),
                                  User.is_active == sa.true(),
                                  sa.or_(User.account_role == AccountRole.INSTRUCTOR,
                                         sa.and_(User.account_role == AccountRole.PARTNER,
                                                 User.firm_id == firm_id)))
        ))
        if set(mentor_ids) - allowed:
            raise CohortError(_l("Mentors are the firm's own staff and the college's instructors."),
                              "mentors")
    return {
        "name": name, "track": draft.track, "seats": draft.seats, "kind": draft.kind,
        "apply_by": apply_by, "starts_on": draft.starts_on, "ends_on": draft.ends_on,
        "description_md": draft.description_md.strip(),
        "description_html": render_user_text(draft.description_md.strip()),
        "required_modules": required, "platforms": platforms, "markets": markets,
        "languages": languages, "hiring_commitment": draft.hiring_commitment.strip(),
        "mentor_ids": mentor_ids,
    }


def _set_mentors(session: Session, cohort: Cohort, mentor_ids: list[int]) -> None:
    """Make the cohort's mentors exactly ``mentor_ids`` (the caller commits)."""
    current = set(session.exec(select(CohortMentor.user_id)
                               .where(CohortMentor.cohort_id == cohort.id)))
    wanted = set(mentor_ids)
    if current - wanted:
        session.exec(delete(CohortMentor).where(
            col(CohortMentor.cohort_id) == cohort.id,
            col(CohortMentor.user_id).in_(current - wanted)))
    for user_id in mentor_ids:
        if user_id not in current:
            session.add(CohortMentor(cohort_id=cohort.id or 0, user_id=user_id))


def create_cohort(session: Session, actor: User, draft: CohortDraft, *,
                  now: dt.datetime) -> Cohort:
    """Draft a new cohort (an order class or internal training) for the actor's own firm.

    Partner staff only (see the module docstring). Audited. Commits. The slug is made from
    the name once and never changes, so links stay valid.
    """
    if actor.account_role != AccountRole.PARTNER or actor.firm_id is None:
        raise NotAllowed(_l("Order classes are proposed by partner firm staff."))
    values = _validated(session, draft, actor.firm_id)
    mentor_ids = values.pop("mentor_ids")
    cohort = Cohort(slug=_unique_slug(session, draft.name), firm_id=actor.firm_id,
                    created_by_id=actor.id or 0, created_at=now, updated_at=now,
                    **values)  # type: ignore[arg-type]
    session.add(cohort)
    session.flush()
    _set_mentors(session, cohort, mentor_ids)  # type: ignore[arg-type]
    record_event(session, actor_id=actor.id, action="cohort.created", subject_type="cohort",
                 subject_id=cohort.id or 0, now=now,
                 detail={"name": cohort.name, "kind": cohort.kind.value})
    session.commit()
    return cohort


def update_cohort(session: Session, actor: User, slug: str, draft: CohortDraft, *,
                  now: dt.datetime) -> Cohort:
    """Change a draft's terms; once submitted they are fixed unless the college sends it back.

    Audited. Commits.
    """
    cohort, _membership = get_cohort(session, actor, slug, for_update=True)
    require_manager(actor, cohort)
    if not can_edit_cohort(actor, cohort):
        raise _not_editable()
    values = _validated(session, draft, cohort.firm_id)
    _set_mentors(session, cohort, values.pop("mentor_ids"))  # type: ignore[arg-type]
    for name, value in values.items():
        setattr(cohort, name, value)
    cohort.updated_at = now
    session.add(cohort)
    record_event(session, actor_id=actor.id, action="cohort.edited", subject_type="cohort",
                 subject_id=cohort.id or 0, now=now)
    session.commit()
    return cohort


def _count_members(session: Session, cohort: Cohort, statuses: Sequence[MemberStatus]) -> int:
    return session.exec(
        select(func.count()).select_from(CohortMember)
        .where(CohortMember.cohort_id == cohort.id, col(CohortMember.status).in_(statuses))
    ).one()


def _check_guards(session: Session, cohort: Cohort, target: CohortStatus) -> None:
    """The conditions a stage needs beyond the table (raise before anything changes)."""
    if target == CohortStatus.TRAINING:
        undecided = _count_members(session, cohort, UNDECIDED)
        if undecided:
            raise InvalidTransition(_l(
                "Decide on every applicant before training starts: %(count)d still wait.",
                count=undecided))
        if not _count_members(session, cohort, (MemberStatus.ADMITTED,)):
            raise InvalidTransition(_l("Admit at least one applicant before training starts.")
                                    if cohort.kind == CohortKind.ORDER_CLASS
                                    else _l("Add at least one member before training starts."))
    if target == CohortStatus.CLOSED:
        open_members = _count_members(session, cohort, (*UNDECIDED, MemberStatus.ADMITTED,
                                                        MemberStatus.TRAINING))
        if open_members:
            raise InvalidTransition(_l(
                "Every member needs a decision before the order class closes: %(count)d "
                "still applied, shortlisted, admitted or in training.", count=open_members))


def change_status(session: Session, actor: User, slug: str, target: CohortStatus, *,
                  reason: str = "", now: dt.datetime) -> Cohort:
    """Move the cohort one step along ``TRANSITIONS``; all or nothing. Audited. Commits.

    Starting training moves every admitted member into training. Sending back and cancelling
    need a reason, which the timeline shows.
    """
    cohort, _membership = get_cohort(session, actor, slug, for_update=True)
    require_manager(actor, cohort)
    step = TRANSITIONS.get((cohort.status, target))
    if step is None or cohort.kind not in step.kinds:
        raise InvalidTransition(_l(
            "That step is not possible from the order class's current stage. Reload the page "
            "to see the steps open now."))
    if not step.parties & parties_of(actor, cohort):
        raise NotAllowed(
            _l("“%(step)s” is for the college to decide.", step=step.label)
            if Party.COLLEGE in step.parties
            else _l("“%(step)s” is for the sponsoring firm to do.", step=step.label))
    reason = reason.strip()
    if step.needs_reason and not reason:
        raise CohortError(_l("Give a reason: the firm and the college will see it."), "reason")
    if len(reason) > MAX_REASON:
        raise CohortError(_l("Keep the reason under %(max)d characters.", max=MAX_REASON),
                          "reason")
    _check_guards(session, cohort, target)
    if target == CohortStatus.TRAINING:
        session.exec(update(CohortMember).where(
            col(CohortMember.cohort_id) == cohort.id,
            col(CohortMember.status) == MemberStatus.ADMITTED,
        ).values(status=MemberStatus.TRAINING))
    source = cohort.status
    cohort.status = target
    cohort.updated_at = now
    session.add(cohort)
    record_event(session, actor_id=actor.id, action="cohort.status_changed",
                 subject_type="cohort", subject_id=cohort.id or 0, now=now,
                 detail={"from": source.value, "to": target.value, "reason": reason})
    session.commit()
    return cohort
