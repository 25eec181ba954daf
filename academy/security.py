"""Password hashing, the login manager, role checks, safe redirects and response headers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Response, abort, request, session
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.security import check_password_hash, generate_password_hash

if TYPE_CHECKING:
    from academy.auth.models import User
    from academy.cohorts.models import Cohort, CohortMember

# scrypt with N = 2^16 (Werkzeug's default is 2^15, below ASVS 2.4.5's floor).
PASSWORD_HASH_METHOD = "scrypt:65536:8:1"  # noqa: S105  (a method name, not a password)
MIN_PASSWORD_LENGTH = 12  # ASVS 2.1.1
MAX_PASSWORD_LENGTH = 128

login_manager = LoginManager()
csrf = CSRFProtect()

F = TypeVar("F", bound=Callable[..., Any])


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_HASH_METHOD)


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


@functools.cache
def dummy_password_hash() -> str:
    """A hash to check against when the account is unknown, so timing does not tell."""
    return hash_password("not-a-real-password-but-just-as-slow")


def signed_in_user() -> Any:
    """The signed-in user as the plain model object services take (not Flask-Login's proxy)."""
    return current_user._get_current_object()


def can_view_stream(user: Any, student_id: int, *, mentors_student: bool = False) -> bool:
    """Students see their own practice streams; instructors and admins see every student's.

    Partner staff see those of students whose order class they mentor (``mentors_student``,
    found by ``cohorts.service.mentors_student``).
    """
    return (user.id == student_id or user.account_role in ("instructor", "admin")
            or (user.account_role == "partner" and mentors_student))


def can_assess(user: Any, student_id: int, *, mentors_student: bool = False) -> bool:
    """Instructors assess any student's streams, partner mentors their members'; never one's own."""
    if user.id == student_id:
        return False
    return user.account_role == "instructor" or (user.account_role == "partner"
                                                 and mentors_student)


def roles_required(*account_roles: str) -> Callable[[F], F]:
    """Let only signed-in users with one of ``account_roles`` in; others get 403 (or login)."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.account_role not in account_roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def safe_next_url(target: str | None, fallback: str) -> str:
    """Return ``target`` when it is a path on this site, else ``fallback`` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(char) < 32 for char in target):
        return fallback
    return target


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


def _set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers.setdefault("Referrer-Policy", "same-origin")  # a page with a secret URL says none
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if "_user_id" in session and request.endpoint != "static":
        headers["Cache-Control"] = "no-store"  # pages for a signed-in user never sit in a cache
    return response


def init_security(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "info"
    csrf.init_app(app)
    app.after_request(_set_security_headers)


# Order classes (academy.cohorts): who may see a cohort and act on it.


def is_college_staff(user: User) -> bool:
    """Instructors and admins run the college's side of every order class."""
    return user.account_role in ("instructor", "admin")


def is_firm_staff(user: User, firm_id: int) -> bool:
    return user.account_role == "partner" and user.firm_id == firm_id


def can_manage_cohort(user: User, cohort: Cohort) -> bool:
    """The sponsoring firm's staff and the college see applicants, members, board and events."""
    return is_college_staff(user) or is_firm_staff(user, cohort.firm_id)


def can_take_attendance(user: User, cohort: Cohort) -> bool:
    """Whoever runs the cohort marks attendance: the college and the sponsoring firm's staff.

    Mentors are always among them (they are the firm's staff or instructors), so mentoring
    needs no rule of its own.
    """
    return can_manage_cohort(user, cohort)


def can_view_cohort(user: User, cohort: Cohort, membership: CohortMember | None) -> bool:
    """Students see cohorts that recruit and those they applied to; firms only their own."""
    if can_manage_cohort(user, cohort):
        return True
    return user.account_role == "student" and (
        cohort.status == "recruiting" or membership is not None
    )


def can_edit_cohort(user: User, cohort: Cohort) -> bool:
    """A cohort's terms change only while it is a draft (after that the college relies on them)."""
    return can_manage_cohort(user, cohort) and cohort.status == "draft"


def can_apply_to_cohort(user: User, cohort: Cohort) -> bool:
    return user.account_role == "student" and cohort.status == "recruiting"


def can_view_firm_cohorts(user: User, firm_id: int) -> bool:
    """A firm's hiring funnel: its own staff and the college."""
    return is_college_staff(user) or is_firm_staff(user, firm_id)


def can_answer_offer(user: User, cohort: Cohort, member: CohortMember) -> bool:
    """The offered student answers an offer; the firm or college may record the answer."""
    return user.id == member.student_id or can_manage_cohort(user, cohort)
