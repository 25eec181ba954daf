"""Accounts: registration, sign-in with its throttle, passwords, account roles, partner firms."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlmodel import Session, col, func, select
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from academy.audit.service import record_event
from academy.auth.models import LOCALES, AccountRole, LoginAttempt, PartnerFirm, User
from academy.errors import DomainError, InvalidTransition, NotFound, TooManyAttempts
from academy.security import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    dummy_password_hash,
    hash_password,
    verify_password,
)

THROTTLE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
# A classroom shares one public IP, so the per-IP limit is far above the per-account one.
MAX_FAILURES_PER_IP = 50
USERS_PER_PAGE = 50

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class AccountError(DomainError):
    """Input that breaks an account rule; ``field`` names the form field it belongs to."""

    status = 422

    def __init__(self, message: str | LazyString, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class NewAccount:
    """What it takes to open an account, whoever opens it."""

    email: str
    display_name: str
    password: str
    account_role: AccountRole = AccountRole.STUDENT
    firm_slug: str = ""
    timezone: str = "Asia/Shanghai"
    locale: str = "en"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def is_valid_email(email: str) -> bool:
    """Whether a normalised email has an address's shape (delivery is the real test)."""
    return bool(_EMAIL.match(email)) and len(email) <= 254


@cache
def _breached_passwords() -> frozenset[str]:
    """The 30,000 passwords seen most often in published breaches (zxcvbn's list, lower case).

    ASVS 2.1.7 asks for a check against breached passwords; this list works offline, so no
    password (or a hash prefix of one) ever leaves the server.
    """
    return frozenset(FREQUENCY_LISTS["passwords"])


def check_password_rules(password: str, field: str = "password") -> None:
    """Refuse passwords of the wrong length or among the most common breached ones.

    No composition rules (digits, symbols): length and the breach list are what NIST SP
    800-63B and ASVS ask for.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _l("Use at least %(count)d characters for the password.", count=MIN_PASSWORD_LENGTH),
            field,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(
            _l("Use at most %(count)d characters for the password.", count=MAX_PASSWORD_LENGTH),
            field,
        )
    if password.lower() in _breached_passwords():
        raise AccountError(
            _l("This password is one of the most common in published breaches; choose another."),
            field,
        )


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise AccountError(_l("Choose a time zone from the list."), "timezone") from error


def _firm_by_slug(session: Session, slug: str) -> PartnerFirm:
    firm = session.exec(select(PartnerFirm).where(PartnerFirm.slug == slug)).first()
    if firm is None:
        raise AccountError(_l("There is no partner firm %(slug)s.", slug=slug), "firm_slug")
    return firm


def _build_user(session: Session, account: NewAccount) -> User:
    """Validate ``account`` and add the user to the session (the caller commits)."""
    email = normalise_email(account.email)
    if not is_valid_email(email):
        raise AccountError(_l("Enter a valid email address."), "email")
    display_name = account.display_name.strip()
    if not display_name or len(display_name) > 100:
        raise AccountError(_l("Enter a name of 1 to 100 characters."), "display_name")
    check_password_rules(account.password)
    _check_timezone(account.timezone)
    if account.locale not in LOCALES:
        raise AccountError(_l("Choose a language from the list."), "locale")
    firm_id = None
    if account.account_role == AccountRole.PARTNER:
        if not account.firm_slug:
            raise AccountError(_l("Partner staff must belong to a partner firm."), "firm_slug")
        firm_id = _firm_by_slug(session, account.firm_slug).id
    elif account.firm_slug:
        raise AccountError(_l("Only partner staff belong to a partner firm."), "firm_slug")
    if session.exec(select(User.id).where(User.email == email)).first() is not None:
        raise AccountError(
            _l("An account with this email already exists. Sign in, or ask an administrator "
            "to reset its password."),
            "email",
        )
    user = User(
        email=email,
        display_name=display_name,
        password_hash=hash_password(account.password),
        account_role=account.account_role,
        firm_id=firm_id,
        timezone=account.timezone,
        locale=account.locale,
    )
    session.add(user)
    return user


def register_student(session: Session, account: NewAccount) -> User:
    """Open a student account for a visitor; other account roles are never self-served."""
    user = _build_user(
        session, replace(account, account_role=AccountRole.STUDENT, firm_slug="")
    )
    session.commit()
    return user


def create_account(
    session: Session, actor: User | None, account: NewAccount, *, now: dt.datetime
) -> User:
    """Create an account of any role for an admin (``actor``) or the CLI (``actor`` is None).

    Audited as ``user.created``. Commits.
    """
    user = _build_user(session, account)
    session.flush()
    record_event(
        session,
        actor_id=actor.id if actor else None,
        action="user.created",
        subject_type="user",
        subject_id=user.id or 0,
        now=now,
        detail={"account_role": user.account_role.value, "firm_id": user.firm_id},
    )
    session.commit()
    return user


def _recent_failures(session: Session, column: sa.ColumnElement[str], value: str,
                     now: dt.datetime) -> int:
    return session.exec(
        select(func.count())
        .select_from(LoginAttempt)
        .where(column == value, LoginAttempt.succeeded == sa.false(),
               LoginAttempt.at > now - THROTTLE_WINDOW)
    ).one()


def _throttled(session: Session, email: str, ip: str, now: dt.datetime) -> bool:
    return (
        _recent_failures(session, col(LoginAttempt.email), email, now) >= MAX_FAILURES_PER_ACCOUNT
        or _recent_failures(session, col(LoginAttempt.ip), ip, now) >= MAX_FAILURES_PER_IP
    )


def _too_many_attempts() -> TooManyAttempts:
    return TooManyAttempts(
        _l("Too many failed sign-in attempts. Please wait 15 minutes and try again.")
    )


def authenticate(session: Session, *, email: str, password: str, ip: str,
                 now: dt.datetime) -> User:
    """Return the active user with these credentials, or raise; every attempt is recorded.

    The throttle lives in the database, so it holds across worker processes: more than
    ``MAX_FAILURES_PER_ACCOUNT`` failures for an email, or ``MAX_FAILURES_PER_IP`` from an IP,
    within ``THROTTLE_WINDOW`` refuse further attempts with ``TooManyAttempts``. Unknown
    emails are checked against a dummy hash and get the same message as a wrong password, so
    neither the answer nor its timing tells which accounts exist.

    Checking a password (scrypt) takes tens of milliseconds on purpose. It runs in a read
    transaction, so on SQLite it never holds the single write lock that every other writer
    (and every other sign-in) waits for; the attempt is then recorded in a short write
    transaction that checks the throttle again, because other attempts may have been
    recorded meanwhile. Ends any transaction ``session`` had open; commits.
    """
    email = normalise_email(email)[:254]
    ip = ip[:45]
    session.rollback()
    session.connection(execution_options={"sqlite_begin": "DEFERRED"})
    if _throttled(session, email, ip, now):
        session.rollback()
        raise _too_many_attempts()
    user = session.exec(select(User).where(User.email == email)).first()
    valid = verify_password(user.password_hash if user else dummy_password_hash(), password)
    succeeded = bool(user and valid and user.is_active)
    user_id = user.id if user is not None else None
    session.rollback()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    if _throttled(session, email, ip, now):
        session.rollback()
        raise _too_many_attempts()
    session.add(LoginAttempt(email=email, ip=ip, at=now, succeeded=succeeded))
    signed_in = session.get(User, user_id) if succeeded and user_id is not None else None
    if signed_in is None:
        session.commit()
        raise AccountError(_l("The email or password is not correct."), "password")
    signed_in.last_login_at = now
    session.commit()
    return signed_in


def get_user_for_session(session: Session, session_token: str) -> User | None:
    """The active user a session cookie's ``"<id>:<version>"`` names, if still valid."""
    user_id, _, version = session_token.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    return user


def end_all_sessions(session: Session, user: User) -> None:
    """Sign the user out everywhere: every cookie issued so far stops working. Commits."""
    user.session_version += 1
    session.add(user)
    session.commit()


def change_password(session: Session, user: User, *, current_password: str,
                    new_password: str, now: dt.datetime) -> User:
    """Replace the password after checking the current one; ends every other session. Commits."""
    if not verify_password(user.password_hash, current_password):
        raise AccountError(_l("The current password is not correct."), "current_password")
    check_password_rules(new_password, "new_password")
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    session.add(user)
    record_event(session, actor_id=user.id, action="user.password_changed",
                 subject_type="user", subject_id=user.id or 0, now=now)
    session.commit()
    return user


def set_locale(session: Session, user: User, locale: str) -> None:
    """Remember the user's language for every device. Commits."""
    if locale not in LOCALES:
        raise AccountError(_l("Choose a language from the list."), "locale")
    user.locale = locale
    session.add(user)
    session.commit()


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_l("There is no such account."))
    return user


def set_account_active(session: Session, actor: User, user_id: int, *, active: bool,
                       now: dt.datetime) -> User:
    """Deactivate (or reactivate) an account; deactivating signs it out everywhere.

    Admins may not deactivate themselves, so a site never loses its last way in. Audited.
    Commits.
    """
    user = get_user(session, user_id)
    if user.id == actor.id and not active:
        raise InvalidTransition(_l("You cannot deactivate your own account."))
    if user.is_active == active:
        return user
    user.is_active = active
    user.session_version += 1
    session.add(user)
    record_event(session, actor_id=actor.id, action="user.activated" if active
                 else "user.deactivated", subject_type="user", subject_id=user_id, now=now)
    session.commit()
    return user


def change_account_role(session: Session, actor: User, user_id: int, *,
                        account_role: AccountRole, firm_slug: str, now: dt.datetime) -> User:
    """Change what an account may do; partner staff must name their firm. Audited. Commits.

    The account's sessions end, so no page keeps showing what the old role allowed.
    """
    user = get_user(session, user_id)
    if user.id == actor.id:
        raise InvalidTransition(_l("You cannot change your own account role."))
    firm_id = None
    if account_role == AccountRole.PARTNER:
        if not firm_slug:
            raise AccountError(_l("Partner staff must belong to a partner firm."), "firm_slug")
        firm_id = _firm_by_slug(session, firm_slug).id
    before = {"account_role": user.account_role.value, "firm_id": user.firm_id}
    user.account_role = account_role
    user.firm_id = firm_id
    user.session_version += 1
    session.add(user)
    record_event(session, actor_id=actor.id, action="user.role_changed", subject_type="user",
                 subject_id=user_id, now=now,
                 detail={"before": before,
                         "after": {"account_role": account_role.value, "firm_id": firm_id}})
    session.commit()
    return user


@dataclass(frozen=True)
class UserPage:
    users: list[tuple[User, str]]  # each user with their firm's name ("" for none)
    page: int
    has_next: bool


LONGEST_SEARCHABLE_TEXT = 254  # the longest email; display names are shorter


def list_users(session: Session, *, page: int = 1, query: str = "",
               account_role: str = "") -> UserPage:
    """One page of accounts, newest first, filtered by role and by a name/email fragment."""
    page = max(page, 1)
    statement = (
        select(User, PartnerFirm.name)
        .join(PartnerFirm, col(User.firm_id) == col(PartnerFirm.id), isouter=True)
        .order_by(col(User.created_at).desc(), col(User.id).desc())
    )
    if account_role in {role.value for role in AccountRole}:
        statement = statement.where(User.account_role == AccountRole(account_role))
    fragment = query.strip().lower()
    if len(fragment) > LONGEST_SEARCHABLE_TEXT:  # matches nothing; SQLite refuses such a LIKE
        return UserPage(users=[], page=page, has_next=False)
    if fragment:
        pattern = f"%{fragment}%"
        statement = statement.where(
            sa.or_(col(User.email).like(pattern), func.lower(User.display_name).like(pattern))
        )
    rows = session.exec(
        statement.offset((page - 1) * USERS_PER_PAGE).limit(USERS_PER_PAGE + 1)
    ).all()
    return UserPage(
        users=[(user, firm_name or "") for user, firm_name in rows[:USERS_PER_PAGE]],
        page=page,
        has_next=len(rows) > USERS_PER_PAGE,
    )


def list_firms(session: Session) -> list[PartnerFirm]:
    return list(session.exec(select(PartnerFirm).order_by(PartnerFirm.name)))


def create_firm(session: Session, actor: User | None, *, slug: str, name: str,
                now: dt.datetime, description: str = "", website: str = "") -> PartnerFirm:
    """Register a partner firm; the slug is its permanent id in URLs and the CLI. Commits."""
    slug = slug.strip().lower()
    if not _SLUG.match(slug) or len(slug) > 60:
        raise AccountError(
            _l("Use lower-case letters, digits and single hyphens for the slug."), "slug"
        )
    name = name.strip()
    if not name or len(name) > 200:
        raise AccountError(_l("Enter a name of 1 to 200 characters."), "name")
    if website and not website.startswith(("https://", "http://")):
        raise AccountError(_l("The website must start with https:// or http://."), "website")
    if session.exec(select(PartnerFirm.id).where(PartnerFirm.slug == slug)).first():
        raise AccountError(_l("A partner firm %(slug)s already exists.", slug=slug), "slug")
    firm = PartnerFirm(slug=slug, name=name, description=description, website=website)
    session.add(firm)
    session.flush()
    record_event(session, actor_id=actor.id if actor else None, action="firm.created",
                 subject_type="partner_firm", subject_id=firm.id or 0, now=now)
    session.commit()
    return firm
