"""One-time links that let an account choose its password, so no password travels in a file.

An admin's import creates accounts without a usable password and issues one link per account.
The raw token is in the link handed to the admin and mailed to the person; ``password_link``
keeps only its SHA-256. The mail waits in the ``notification`` table, whose body holds the link
until the mail is sent: the delivery that sends it replaces the link with a note
(``academy.notify.service.without_one_time_links``). A mail not sent yet — pending, retrying,
given up after its last attempt, or held while the account is inactive — keeps its link, which
stays usable until it expires or is used. A link works once, for ``LINK_LIFETIME``, and only
while the account's password is still the one it had when the link was issued (see
``PasswordLink``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select, update

from academy.audit.service import record_event
from academy.auth.models import AccountRole, PasswordLink, User
from academy.auth.service import check_password_rules, get_user
from academy.errors import InvalidTransition, NotAllowed, NotFound
from academy.notify.models import NotificationKind
from academy.notify.service import notify
from academy.security import hash_password

LINK_LIFETIME = dt.timedelta(days=7)


@dataclass(frozen=True)
class IssuedLink:
    """A link just issued: the raw token is known only to the caller of ``issue_links``."""

    user_id: int
    token: str
    expires_at: dt.datetime


UNSET_PASSWORD_PREFIX = "!unset!"  # noqa: S105  (a marker no hash has, not a password)


def has_chosen_password(user: User) -> bool:
    """Whether the account has ever set a password (imported accounts start without one)."""
    return not user.password_hash.startswith(UNSET_PASSWORD_PREFIX)


def unusable_password_hash() -> str:
    """A stored hash no password matches, unique per account so its fingerprint is too.

    Werkzeug's ``check_password_hash`` answers False for a value without its ``method$salt$``
    shape, so the account cannot sign in until a link sets a real password.
    """
    return f"{UNSET_PASSWORD_PREFIX}{secrets.token_hex(16)}"


def password_fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_links(
    session: Session, accounts: Iterable[tuple[int, str]], now: dt.datetime
) -> list[IssuedLink]:
    """Issue one link per ``(user id, current password hash)`` in one INSERT (caller commits)."""
    issued, rows = [], []
    for user_id, current_hash in accounts:
        token = secrets.token_urlsafe(32)
        issued.append(IssuedLink(user_id, token, now + LINK_LIFETIME))
        rows.append(
            {
                "user_id": user_id,
                "token_hash": token_hash(token),
                "password_fingerprint": password_fingerprint(current_hash),
                "created_at": now,
                "expires_at": now + LINK_LIFETIME,
                "used_at": None,
            }
        )
    if rows:
        session.execute(sa.insert(PasswordLink.__table__), rows)
    return issued


def send_new_link(session: Session, actor: User, user_id: int, now: dt.datetime,
                  link_for: Callable[[str], str]) -> tuple[User, str | None]:
    """Give an account a fresh link (an expired or lost one, or a forgotten password). Commits.

    Only administrators send links, and only to active accounts. Older unused links of the
    account die (one live link at a time); the new one is mailed to the person through the
    outbox. It is returned (once, for the admin to hand over in person) only while the account
    has never chosen a password: an admin must not be able to take over an account that is in
    use, another admin's included, by signing in with a link only they have seen. Audited.
    """
    if actor.account_role != AccountRole.ADMIN:
        raise NotAllowed(_l("Only administrators send set-password links."))
    user = get_user(session, user_id)
    if not user.is_active:
        raise InvalidTransition(_l("Reactivate the account before sending it a link."))
    session.exec(
        update(PasswordLink)
        .where(col(PasswordLink.user_id) == user_id, col(PasswordLink.used_at).is_(None))
        .values(used_at=now)
    )
    [issued] = issue_links(session, [(user_id, user.password_hash)], now)
    link = link_for(issued.token)
    with force_locale(user.locale):
        subject = _("Choose your Live Academy password")
        body = _(
            "Hello %(name)s,\n\nan administrator sent you a link to choose the password of "
            "your Live Academy account %(email)s. It works once, until %(date)s UTC:\n\n"
            "%(link)s\n\nAny earlier link no longer works.",
            name=user.display_name, email=user.email,
            date=f"{issued.expires_at:%Y-%m-%d %H:%M}", link=link,
        )
    notify(session, user_id, NotificationKind.ACCOUNT_INVITE, subject, body,
           dedupe_key=f"password-link:{user_id}:{now:%Y%m%dT%H%M%S.%f}", now=now)
    record_event(session, actor_id=actor.id, action="user.password_link_sent",
                 subject_type="user", subject_id=user_id, now=now)
    session.commit()
    return user, (None if has_chosen_password(user) else link)


def find_usable_link(session: Session, token: str, now: dt.datetime) -> tuple[PasswordLink, User]:
    """The link behind ``token`` and its account, or NotFound for any reason it cannot be used.

    Unknown, used, expired, superseded (the password changed since) and deactivated accounts
    all look the same to the visitor: a guessed token learns nothing.
    """
    row = session.exec(
        select(PasswordLink, User)
        .join(User, col(User.id) == col(PasswordLink.user_id))
        .where(PasswordLink.token_hash == token_hash(token))
    ).first()
    if row is None:
        raise NotFound(_l("This link is not valid. Ask your administrator for a new one."))
    link, user = row
    if (
        link.used_at is not None
        or link.expires_at <= now
        or not user.is_active
        or link.password_fingerprint != password_fingerprint(user.password_hash)
    ):
        raise NotFound(_l("This link is not valid. Ask your administrator for a new one."))
    return link, user


def set_password_with_link(
    session: Session, token: str, new_password: str, now: dt.datetime
) -> User:
    """Set the account's password through its link, which dies with this use. Commits.

    The link is claimed with a conditional UPDATE, so two simultaneous submissions of the same
    link cannot both succeed. Every session of the account ends, as with any password change.
    The password is hashed (scrypt, slow on purpose) before the transaction starts, so on
    SQLite the write lock is held only for the short update; any transaction ``session`` had
    open is ended first.
    """
    check_password_rules(new_password)
    session.rollback()
    new_hash = hash_password(new_password)
    link, user = find_usable_link(session, token, now)
    claimed = (
        session.exec(
            update(PasswordLink)
            .where(
                col(PasswordLink.id) == link.id,
                col(PasswordLink.used_at).is_(None),
            )
            .values(used_at=now)
        ).rowcount
        == 1
    )
    if not claimed:
        session.rollback()
        raise NotFound(_l("This link is not valid. Ask your administrator for a new one."))
    user.password_hash = new_hash
    user.session_version += 1
    session.add(user)
    record_event(
        session,
        actor_id=user.id,
        action="user.password_set_by_link",
        subject_type="user",
        subject_id=user.id or 0,
        now=now,
    )
    session.commit()
    return user
