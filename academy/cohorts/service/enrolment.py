"""Adding existing students to a cohort in bulk: a preview that writes nothing, then a confirm.

The college (and, for its internal training, the sponsoring firm) pastes a list of e-mail
addresses (or uploads a CSV); the preview says, line by line, who would be added and why anyone
else would not; the confirm repeats the same plan under the cohort's lock and writes it in one
transaction, so a seat taken between preview and confirm is never given twice.

The preview tells the firm no more about accounts than adding them must: a name only for those
who will be added or are members already, and one answer for an unknown address and an account
that is no active student, so the list is no way to find out who has an account of which kind.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, func, insert, select, update

from academy.audit.models import AuditEvent
from academy.audit.service import record_event
from academy.auth.models import AccountRole, PartnerFirm, User
from academy.cohorts.models import Cohort, CohortKind, CohortMember, CohortStatus, MemberStatus
from academy.cohorts.service._base import SEATED, CohortError, get_managed_cohort
from academy.cohorts.service.lifecycle import Party, parties_of
from academy.errors import InvalidTransition, NotAllowed
from academy.notify.models import NotificationKind
from academy.notify.service import Message, notify_many

MAX_EMAILS = 2_000
_SEPARATORS = re.compile(r"[\s,;]+")
_EMAIL_HEADERS = frozenset({"email", "e-mail", "email address", "邮箱", "电子邮件", "电子邮箱"})

#: The stages in which each kind of cohort takes members directly: an order class while it
#: selects (as admitting an applicant), internal training once approved and during training.
DIRECT_ENROLMENT_STAGES: dict[CohortKind, tuple[CohortStatus, ...]] = {
    CohortKind.ORDER_CLASS: (CohortStatus.RECRUITING, CohortStatus.SELECTING),
    CohortKind.INTERNAL: (CohortStatus.APPROVED, CohortStatus.TRAINING),
}
#: Who adds members directly. Joining an order class shows the firm the student's progress and
#: streams, so the firm takes only those who applied (through the applicants); the college may
#: place a student itself. Internal training is the firm's own: its staff add members too.
DIRECT_ENROLMENT_PARTIES: dict[CohortKind, frozenset[Party]] = {
    CohortKind.ORDER_CLASS: frozenset({Party.COLLEGE}),
    CohortKind.INTERNAL: frozenset({Party.FIRM, Party.COLLEGE}),
}


class EnrolmentOutcome(StrEnum):
    """What the confirm would do with one line of the list."""

    ADDED = "added"
    ALREADY_MEMBER = "already_member"
    # No account, or one that is not an active student: one answer, so the kind is not told.
    NO_STUDENT_ACCOUNT = "no_student_account"
    OVER_SEATS = "over_seats"
    DUPLICATE = "duplicate"


#: The outcomes whose line shows the account's name; any other line shows none.
NAMED_OUTCOMES = frozenset({EnrolmentOutcome.ADDED, EnrolmentOutcome.ALREADY_MEMBER})


@dataclass(frozen=True)
class EnrolmentLine:
    email: str
    outcome: EnrolmentOutcome
    display_name: str = ""


@dataclass(frozen=True)
class EnrolmentPlan:
    """The list as read, line by line, with the seats before it is applied."""

    cohort: Cohort
    lines: list[EnrolmentLine]
    seats_taken: int

    def count(self, outcome: EnrolmentOutcome) -> int:
        return sum(line.outcome == outcome for line in self.lines)

    @property
    def emails(self) -> list[str]:
        """The addresses to send back with the confirm (every line, in order)."""
        return [line.email for line in self.lines]


def read_email_list(text: str) -> list[str]:
    """Addresses from pasted text: one per line, or separated by commas, semicolons, spaces."""
    return [token.strip("<>\"'").lower() for token in _SEPARATORS.split(text)
            if token.strip("<>\"'")]


def read_email_csv(data: bytes) -> list[str]:
    """Addresses from a CSV file: its "email" column if it has that header, else column one.

    Excel saves UTF-8 with a BOM, or GB18030 on a Chinese Windows; both are read.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as error:
            raise CohortError(_l("Save the file as CSV (UTF-8) and upload it again."),
                              "file") from error
    try:
        rows = [row for row in csv.reader(io.StringIO(text))
                if any(cell.strip() for cell in row)]
    except csv.Error as error:  # a field over the csv module's limit, a NUL byte
        raise CohortError(_l("This file cannot be read as a list of e-mail addresses. Save "
                             "it as CSV (UTF-8) with one address per row and upload it again."),
                          "file") from error
    column = 0
    if rows:
        header = [cell.strip().lower() for cell in rows[0]]
        found = next((index for index, cell in enumerate(header) if cell in _EMAIL_HEADERS), None)
        if found is not None:
            column, rows = found, rows[1:]
    return [row[column].strip().lower() for row in rows
            if len(row) > column and row[column].strip()]


def emails_from(pasted: str, csv_data: bytes | None) -> list[str]:
    """The addresses of a pasted list followed by those of an uploaded CSV file (if any)."""
    return read_email_list(pasted) + (read_email_csv(csv_data) if csv_data else [])


def _enrolment_cohort(session: Session, actor: User, slug: str, *, for_update: bool) -> Cohort:
    cohort = get_managed_cohort(session, actor, slug, for_update=for_update)
    if not DIRECT_ENROLMENT_PARTIES[cohort.kind] & parties_of(actor, cohort):
        raise NotAllowed(_l("Only the college adds members to an order class directly; your "
                            "firm admits students who applied, on the Applicants page."))
    if cohort.status not in DIRECT_ENROLMENT_STAGES[cohort.kind]:
        raise InvalidTransition(
            _l("Members are added to an internal training once it is approved and during "
               "training.") if cohort.kind == CohortKind.INTERNAL
            else _l("Members are added while the order class recruits or selects."))
    return cohort


class _Account(NamedTuple):
    """An account named on the list, with its row in the cohort if it has one."""

    student_id: int
    display_name: str
    locale: str
    account_role: AccountRole
    is_active: bool
    member_id: int | None
    member_status: MemberStatus | None


class _Plan(NamedTuple):
    plan: EnrolmentPlan
    new_students: list[int]  # to add as new members
    existing: dict[int, MemberStatus]  # rows to admit (by id), with their status now
    added: list[_Account]  # everyone the plan adds, new or existing


def _plan(session: Session, cohort: Cohort, emails: Sequence[str]) -> _Plan:
    """What to do with each line, and with which rows."""
    if len(emails) > MAX_EMAILS:
        raise CohortError(_l("Add at most %(max)d addresses at a time.", max=MAX_EMAILS),
                          "emails")
    wanted = sorted(set(emails))
    found = {
        email: _Account(*account)
        for email, *account in session.exec(
            select(User.email, User.id, User.display_name, User.locale, User.account_role,
                   User.is_active, CohortMember.id, CohortMember.status)
            .join(CohortMember, sa.and_(col(CohortMember.student_id) == col(User.id),
                                        col(CohortMember.cohort_id) == cohort.id),
                  isouter=True)
            .where(col(User.email).in_(wanted))
        ).all()
    } if wanted else {}
    seats_taken = session.exec(
        select(func.count()).select_from(CohortMember)
        .where(CohortMember.cohort_id == cohort.id, col(CohortMember.status).in_(SEATED))
    ).one()
    free = cohort.seats - seats_taken
    seen: set[str] = set()
    lines: list[EnrolmentLine] = []
    new_students: list[int] = []
    existing: dict[int, MemberStatus] = {}
    added: list[_Account] = []
    for email in emails:
        account = found.get(email)
        if email in seen:
            outcome = EnrolmentOutcome.DUPLICATE
        elif (account is None or account.account_role != AccountRole.STUDENT
              or not account.is_active):
            outcome = EnrolmentOutcome.NO_STUDENT_ACCOUNT
        elif account.member_status in SEATED:
            outcome = EnrolmentOutcome.ALREADY_MEMBER
        elif free <= 0:
            outcome = EnrolmentOutcome.OVER_SEATS
        else:
            outcome = EnrolmentOutcome.ADDED
            free -= 1
            added.append(account)
            if account.member_id is None:
                new_students.append(account.student_id)
            else:
                existing[account.member_id] = MemberStatus(account.member_status)
        seen.add(email)
        named = account is not None and outcome in NAMED_OUTCOMES
        lines.append(EnrolmentLine(email, outcome, account.display_name if named else ""))
    return _Plan(EnrolmentPlan(cohort, lines, seats_taken), new_students, existing, added)


def start_enrolment(session: Session, actor: User, slug: str) -> EnrolmentPlan:
    """An empty plan with the seats taken, once it is clear the actor may add members now."""
    cohort = _enrolment_cohort(session, actor, slug, for_update=False)
    return _plan(session, cohort, []).plan


def preview_enrolment(session: Session, actor: User, slug: str,
                      emails: Sequence[str]) -> EnrolmentPlan:
    """What adding ``emails`` would do, line by line; writes nothing. Three statements."""
    cohort = _enrolment_cohort(session, actor, slug, for_update=False)
    if not emails:
        raise CohortError(_l("Paste e-mail addresses or choose a CSV file."), "emails")
    return _plan(session, cohort, emails).plan


def enrol_students(session: Session, actor: User, slug: str, emails: Sequence[str], *,
                   now: dt.datetime) -> EnrolmentPlan:
    """Admit the listed students directly, within the seats, all in one transaction. Commits.

    The plan is made again under the cohort's lock (``get_cohort(for_update=True)``, the lock
    that keeps ``decide_member`` within the seats), so it may differ from the preview if
    someone else took seats meanwhile; the returned plan is what was done. An applicant,
    or someone who withdrew or was rejected, is admitted on their existing row. In a cohort
    that is training, members enter training at once. Each new member gets an audit event
    and a notification (see ``_notify_added``), and the cohort an event for the whole list. A
    fixed number of statements at any list length: members, audit events and notifications are
    inserted with one executemany each (the ORM would insert row by row on SQLite, to read back
    each new id).
    """
    cohort = _enrolment_cohort(session, actor, slug, for_update=True)
    if not emails:
        raise CohortError(_l("Paste e-mail addresses or choose a CSV file."), "emails")
    plan, new_students, existing, added = _plan(session, cohort, emails)
    status = (MemberStatus.TRAINING if cohort.status == CohortStatus.TRAINING
              else MemberStatus.ADMITTED)
    sources: dict[int, str | None] = {member_id: source.value
                                      for member_id, source in existing.items()}
    if new_students:
        session.execute(insert(CohortMember), [
            {"cohort_id": cohort.id, "student_id": student_id, "status": status,
             "applied_at": now, "admitted_at": now, "decided_by_id": actor.id,
             "decided_at": now, "motivation": "", "decision_reason": ""}
            for student_id in new_students])
        sources |= dict.fromkeys(session.exec(
            select(CohortMember.id).where(CohortMember.cohort_id == cohort.id,
                                          col(CohortMember.student_id).in_(new_students))))
    if existing:
        session.exec(update(CohortMember).where(col(CohortMember.id).in_(list(existing)))
                     .values(status=status, admitted_at=now, decided_by_id=actor.id,
                             decided_at=now, decision_reason=""))
    if sources:
        session.execute(insert(AuditEvent), [
            {"actor_id": actor.id, "action": "cohort_member.enrolled",
             "subject_type": "cohort_member", "subject_id": member_id, "at": now,
             "detail": {"cohort_id": cohort.id, "from": source, "to": status.value}}
            for member_id, source in sources.items()])
    record_event(session, actor_id=actor.id, action="cohort.members_enrolled",
                 subject_type="cohort", subject_id=cohort.id or 0, now=now,
                 detail={outcome.value: plan.count(outcome) for outcome in EnrolmentOutcome})
    _notify_added(session, actor, cohort, added, now)
    session.commit()
    return plan


def _notify_added(session: Session, actor: User, cohort: Cohort, added: Sequence[_Account],
                  now: dt.datetime) -> None:
    """Tell each added student, in their language, which cohort took them and who added them.

    Being added shows the firm the student's progress, so nobody joins unawares. The key holds
    ``now``, so a student added again after leaving is told again. The caller commits.
    """
    if not added:
        return
    firm_name = session.exec(select(PartnerFirm.name)
                             .where(PartnerFirm.id == cohort.firm_id)).one()
    by_college = Party.COLLEGE in parties_of(actor, cohort)
    messages = []
    for account in added:
        with force_locale(account.locale or "en"):
            subject = _("You were added to “%(name)s”", name=cohort.name)
            body = (_("The college added you to “%(name)s” of %(firm)s.",
                      name=cohort.name, firm=firm_name) if by_college
                    else _("%(firm)s added you to its training “%(name)s”.",
                           name=cohort.name, firm=firm_name))
            body += " " + _("Its staff and the college now see your module progress and "
                            "practice streams. If you did not expect this, tell the college.")
        messages.append(Message(
            account.student_id, subject, body,
            f"cohort-enrolment:{cohort.id}:{account.student_id}:{now.isoformat()}"))
    notify_many(session, NotificationKind.COHORT_ENROLMENT, messages, now)
