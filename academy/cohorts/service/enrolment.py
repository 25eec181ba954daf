"""Adding existing students to a cohort in bulk: a preview that writes nothing, then a confirm.

The college or the sponsoring firm pastes a list of e-mail addresses (or uploads a CSV); the
preview says, line by line, who would be added and why anyone else would not; the confirm
repeats the same plan under the cohort's lock and writes it in one transaction, so a seat
taken between preview and confirm is never given twice.
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
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, func, insert, select, update

from academy.audit.models import AuditEvent
from academy.audit.service import record_event
from academy.auth.models import AccountRole, User
from academy.cohorts.models import Cohort, CohortKind, CohortMember, CohortStatus, MemberStatus
from academy.cohorts.service._base import SEATED, CohortError, get_managed_cohort
from academy.cohorts.service.applications import MEMBER_TRANSITIONS
from academy.cohorts.service.lifecycle import parties_of
from academy.errors import InvalidTransition, NotAllowed

MAX_EMAILS = 2_000
_SEPARATORS = re.compile(r"[\s,;]+")
_EMAIL_HEADERS = frozenset({"email", "e-mail", "email address", "邮箱", "电子邮件", "电子邮箱"})

#: The stages in which each kind of cohort takes members directly: an order class while it
#: selects (as admitting an applicant), internal training once approved and during training.
DIRECT_ENROLMENT_STAGES: dict[CohortKind, tuple[CohortStatus, ...]] = {
    CohortKind.ORDER_CLASS: (CohortStatus.RECRUITING, CohortStatus.SELECTING),
    CohortKind.INTERNAL: (CohortStatus.APPROVED, CohortStatus.TRAINING),
}
# Who may add members: whoever may admit an applicant.
_ADMITTING = MEMBER_TRANSITIONS[(MemberStatus.SHORTLISTED, MemberStatus.ADMITTED)].parties


class EnrolmentOutcome(StrEnum):
    """What the confirm would do with one line of the list."""

    ADDED = "added"
    ALREADY_MEMBER = "already_member"
    UNKNOWN_EMAIL = "unknown_email"
    NOT_A_STUDENT = "not_a_student"
    OVER_SEATS = "over_seats"
    DUPLICATE = "duplicate"


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
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
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
    if not _ADMITTING & parties_of(actor, cohort):
        raise NotAllowed(_l("Only the sponsoring firm and the college add members."))
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
    account_role: AccountRole
    is_active: bool
    member_id: int | None
    member_status: MemberStatus | None


def _plan(session: Session, cohort: Cohort, emails: Sequence[str]) -> tuple[
        EnrolmentPlan, list[int], dict[int, MemberStatus]]:
    """The plan, the students to add as new members, and existing rows to admit (by id)."""
    if len(emails) > MAX_EMAILS:
        raise CohortError(_l("Add at most %(max)d addresses at a time.", max=MAX_EMAILS),
                          "emails")
    wanted = sorted(set(emails))
    found = {
        email: _Account(*account)
        for email, *account in session.exec(
            select(User.email, User.id, User.display_name, User.account_role, User.is_active,
                   CohortMember.id, CohortMember.status)
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
    for email in emails:
        account = found.get(email)
        if email in seen:
            outcome = EnrolmentOutcome.DUPLICATE
        elif account is None:
            outcome = EnrolmentOutcome.UNKNOWN_EMAIL
        elif account.account_role != AccountRole.STUDENT or not account.is_active:
            outcome = EnrolmentOutcome.NOT_A_STUDENT
        elif account.member_status in SEATED:
            outcome = EnrolmentOutcome.ALREADY_MEMBER
        elif free <= 0:
            outcome = EnrolmentOutcome.OVER_SEATS
        else:
            outcome = EnrolmentOutcome.ADDED
            free -= 1
            if account.member_id is None:
                new_students.append(account.student_id)
            else:
                existing[account.member_id] = MemberStatus(account.member_status)
        seen.add(email)
        lines.append(EnrolmentLine(email, outcome, account.display_name if account else ""))
    return EnrolmentPlan(cohort, lines, seats_taken), new_students, existing


def start_enrolment(session: Session, actor: User, slug: str) -> EnrolmentPlan:
    """An empty plan with the seats taken, once it is clear the actor may add members now."""
    cohort = _enrolment_cohort(session, actor, slug, for_update=False)
    return _plan(session, cohort, [])[0]


def preview_enrolment(session: Session, actor: User, slug: str,
                      emails: Sequence[str]) -> EnrolmentPlan:
    """What adding ``emails`` would do, line by line; writes nothing. Three statements."""
    cohort = _enrolment_cohort(session, actor, slug, for_update=False)
    if not emails:
        raise CohortError(_l("Paste e-mail addresses or choose a CSV file."), "emails")
    return _plan(session, cohort, emails)[0]


def enrol_students(session: Session, actor: User, slug: str, emails: Sequence[str], *,
                   now: dt.datetime) -> EnrolmentPlan:
    """Admit the listed students directly, within the seats, all in one transaction. Commits.

    The plan is made again under the cohort's lock (``get_cohort(for_update=True)``, the lock
    that keeps ``decide_member`` within the seats), so it may differ from the preview if
    someone else took seats meanwhile; the returned plan is what was done. An applicant,
    or someone who withdrew or was rejected, is admitted on their existing row. In a cohort
    that is training, members enter training at once. Each new member gets an audit event,
    and the cohort one for the whole list. A fixed number of statements at any list length:
    members and their audit events are inserted with one executemany each (the ORM would
    insert row by row on SQLite, to read back each new id).
    """
    cohort = _enrolment_cohort(session, actor, slug, for_update=True)
    if not emails:
        raise CohortError(_l("Paste e-mail addresses or choose a CSV file."), "emails")
    plan, new_students, existing = _plan(session, cohort, emails)
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
    session.commit()
    return plan
