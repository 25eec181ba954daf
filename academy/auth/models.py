"""Tables of the auth area: users, partner firms, login attempts."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from academy.db import UTCDateTime, text_enum, utcnow


class AccountRole(StrEnum):
    """What an account may do on the site (never "role" alone: see stream roles)."""

    STUDENT = "student"
    INSTRUCTOR = "instructor"
    PARTNER = "partner"
    ADMIN = "admin"


LOCALES = ("en", "zh")

# The zones students, instructors and overseas buyers most often sit in; any IANA zone is valid.
COMMON_TIMEZONES = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Singapore",
    "Asia/Kuala_Lumpur",
    "Asia/Jakarta",
    "Asia/Bangkok",
    "Asia/Ho_Chi_Minh",
    "Asia/Manila",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Europe/Moscow",
    "Europe/Istanbul",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/London",
    "Africa/Lagos",
    "America/Sao_Paulo",
    "America/Mexico_City",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Australia/Sydney",
    "UTC",
)


class PartnerFirm(SQLModel, table=True):
    __tablename__ = "partner_firm"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=60, unique=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    website: str = Field(default="", max_length=300)


class User(SQLModel, table=True):
    __tablename__ = "user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    display_name: str = Field(max_length=100)
    password_hash: str = Field(max_length=255)
    account_role: AccountRole = Field(sa_type=text_enum(AccountRole))
    firm_id: int | None = Field(default=None, foreign_key="partner_firm.id", index=True)
    locale: str = Field(default="en", max_length=10)
    timezone: str = Field(default="Asia/Shanghai", max_length=64)
    is_active: bool = Field(default=True)
    session_version: int = Field(default=1)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)

    # Flask-Login's protocol, derived from the row alone.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """The id plus the session version: bumping the version ends every copied cookie."""
        return f"{self.id}:{self.session_version}"


class LoginAttempt(SQLModel, table=True):
    """One sign-in attempt; the throttle counts recent failures per email and per IP."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        sa.Index("ix_login_attempt_email_at", "email", "at"),
        sa.Index("ix_login_attempt_ip_at", "ip", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    ip: str = Field(max_length=45)
    at: dt.datetime = Field(sa_type=UTCDateTime)
    succeeded: bool


class PasswordLink(SQLModel, table=True):
    """A one-time link that lets a new account choose its password.

    Only the SHA-256 of the token is stored, so the table alone opens no account. The link
    dies when used, when it expires, or when the password is set any other way:
    ``password_fingerprint`` is a digest of the password hash the account had when the link
    was issued, and a link whose fingerprint no longer matches is void.
    """

    __tablename__ = "password_link"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    password_fingerprint: str = Field(max_length=64)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    used_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)


class AccountImport(SQLModel, table=True):
    """An uploaded account list waiting for the admin's confirmation.

    The preview stores the file's normalised rows here, so the confirmation carries only this
    id; confirming validates every row again against the database of that moment, and
    ``applied_at`` makes a second confirmation (a double click, a back button) a no-op.
    """

    __tablename__ = "account_import"

    id: int | None = Field(default=None, primary_key=True)
    created_by: int = Field(foreign_key="user.id", index=True)
    filename: str = Field(default="", max_length=255)
    rows: list[dict[str, str]] = Field(default_factory=list, sa_type=sa.JSON)
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    applied_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime)
