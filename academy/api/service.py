"""Personal access tokens and the read models the API serves beside the site's pages.

Tokens: issued with a secret shown once (only its SHA-256 is kept), listed, revoked, and
checked on every API request together with a per-token rate limit kept in the database, so
it holds across workers. Everything else here composes the areas' own services (the rules
stay there) into what a client of the API needs: slices of lists behind a cursor, one
progress document, the placements of a cohort.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import math
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, func, select

from academy.api.models import MAX_TOKEN_NAME, ApiToken
from academy.assessment.certificates import Checklist, certificate_checklist
from academy.assessment.gradebook import TrackGrades, student_grades
from academy.assessment.models import Assessment
from academy.audit.service import record_event
from academy.auth.models import AccountRole, User
from academy.cohorts.models import Placement
from academy.cohorts.service import MemberRow, MemberTable, list_cohorts, progress_board
from academy.curriculum.models import TRACKS
from academy.curriculum.service import ModuleSummary, list_tracks
from academy.db import UTCDateTime
from academy.errors import DomainError, NotAllowed, NotFound, TooManyAttempts
from academy.practice.kpi import derive_kpis
from academy.practice.models import PracticeStream
from academy.practice.service import (
    StreamInput,
    StreamRow,
    get_own_stream,
    log_stream,
    update_stream,
)
from academy.security import can_view_stream

if TYPE_CHECKING:
    from academy.cohorts.service.overview import CohortSummary

T = TypeVar("T")

TOKEN_PREFIX = "la_"  # noqa: S105  (a prefix that secret scanners and people recognise)
SCOPES = {"read": "read", "write": "read write"}  # what a user picks -> what the token holds
MAX_ACTIVE_TOKENS = 20
RATE_LIMIT = 120  # requests per token and window
RATE_WINDOW = dt.timedelta(minutes=1)


class TokenInvalid(DomainError):
    """The token form cannot be accepted; ``field`` names the form field it is about."""

    status = 422

    def __init__(self, message: object, field: str = "") -> None:
        super().__init__(message)
        self.field = field


class TokenRejected(DomainError):
    """No valid token came with the request: missing, unknown, revoked, or its owner left."""

    status = 401

    def __init__(self, message: object = "") -> None:
        super().__init__(message or _l("Send a valid API token: Authorization: Bearer <token>."))


class RateLimited(TooManyAttempts):
    """The token used up its requests for this window; ``retry_after`` is in seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(_l("This token sent more than %(limit)d requests in a minute. Try "
                            "again in %(seconds)d seconds.", limit=RATE_LIMIT,
                            seconds=retry_after))
        self.retry_after = retry_after


class CursorInvalid(DomainError):
    """A list's cursor that this API did not hand out (or that points at nothing now)."""

    status = 422

    def __init__(self) -> None:
        super().__init__(_l("This cursor is not valid. Start again without it."))
        self.errors = {"cursor": self.message}


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown to the user once, never stored


def _token_hash(secret: str) -> str:
    """SHA-256 is enough: the secret is 256 random bits, not a password someone chose."""
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(session: Session, user: User, *, name: str, scope: str,
                now: dt.datetime) -> IssuedToken:
    """Create a named token for ``user`` and return its secret, the one time it is visible.

    ``scope`` is "read" or "write" (write tokens read too). At most ``MAX_ACTIVE_TOKENS``
    active tokens per user. Audited. Commits.
    """
    name = name.strip()
    if not 1 <= len(name) <= MAX_TOKEN_NAME:
        raise TokenInvalid(_l("Name the token in 1 to %(max)d characters.", max=MAX_TOKEN_NAME),
                           "name")
    if scope not in SCOPES:
        raise TokenInvalid(_l("Choose read or write access."), "scope")
    active = session.exec(select(func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user.id, col(ApiToken.revoked_at).is_(None))).one()
    if active >= MAX_ACTIVE_TOKENS:
        raise TokenInvalid(_l("You have %(count)d active tokens. Revoke one you no longer use "
                              "first.", count=active))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id or 0, name=name, token_hash=_token_hash(secret),
                     scopes=SCOPES[scope], created_at=now)
    session.add(token)
    session.flush()
    record_event(session, actor_id=user.id, action="api_token.created", subject_type="user",
                 subject_id=user.id or 0, now=now,
                 detail={"token_id": token.id, "name": name, "scopes": token.scopes})
    session.commit()
    return IssuedToken(token, secret)


def list_tokens(session: Session, user: User) -> list[ApiToken]:
    """The user's tokens, active ones first, newest first."""
    return list(session.exec(
        select(ApiToken).where(ApiToken.user_id == user.id)
        .order_by(col(ApiToken.revoked_at).is_not(None), col(ApiToken.created_at).desc(),
                  col(ApiToken.id).desc())
    ))


def revoke_token(session: Session, user: User, token_id: int, *, now: dt.datetime) -> ApiToken:
    """Stop one of the user's own tokens working (idempotent); others' are not found.

    Audited. Commits.
    """
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_l("There is no such token."))
    if token.revoked_at is None:
        token.revoked_at = now
        session.add(token)
        record_event(session, actor_id=user.id, action="api_token.revoked",
                     subject_type="user", subject_id=user.id or 0, now=now,
                     detail={"token_id": token.id, "name": token.name})
        session.commit()
    return token


@dataclass(frozen=True)
class Caller:
    """Who is calling the API, with what rights, and how much of the rate limit is left."""

    user: User
    token_id: int
    can_write: bool
    remaining: int
    window_ends_at: dt.datetime


def authenticate(session: Session, secret: str, *, now: dt.datetime) -> Caller:
    """The caller of a request carrying ``secret``; counts the request against its rate limit.

    One atomic UPDATE … RETURNING finds the active token of an active user, records the use
    and counts the request in the current window (a new window starts when the last one is
    over), so concurrent requests on several workers never lose a count. Raises
    ``TokenRejected`` or ``RateLimited``. Commits (the count stays even when refused).
    """
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        raise TokenRejected()
    window_open = col(ApiToken.window_started_at) > now - RATE_WINDOW
    row = session.execute(
        sa.update(ApiToken)
        .where(ApiToken.token_hash == _token_hash(secret), col(ApiToken.revoked_at).is_(None),
               col(ApiToken.user_id).in_(select(User.id).where(User.is_active == sa.true())))
        .values(window_count=sa.case((window_open, col(ApiToken.window_count) + 1), else_=1),
                window_started_at=sa.case((window_open, col(ApiToken.window_started_at)),
                                          else_=sa.literal(now, UTCDateTime())),
                last_used_at=now)
        .returning(col(ApiToken.id), col(ApiToken.user_id), col(ApiToken.scopes),
                   col(ApiToken.window_started_at), col(ApiToken.window_count))
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        session.rollback()
        raise TokenRejected()
    token_id, user_id, scopes, window_started_at, count = row
    user = session.get(User, user_id)
    session.commit()
    assert user is not None
    window_ends_at = window_started_at + RATE_WINDOW
    if count > RATE_LIMIT:
        raise RateLimited(max(1, math.ceil((window_ends_at - now).total_seconds())))
    return Caller(user, token_id, "write" in scopes.split(), RATE_LIMIT - count,
                  window_ends_at)


def require_write(caller: Caller) -> None:
    if not caller.can_write:
        raise NotAllowed(_l("This token may only read. Create a token with write access to "
                            "change data."))


# Lists behind a cursor


@dataclass(frozen=True)
class Cursor:
    """Where a page of a list ended: the last item's key, and the service page it was on."""

    key: str
    page: int = 1


@dataclass(frozen=True)
class Slice(Generic[T]):
    items: list[T]
    next: Cursor | None  # None: this was the last slice


def _after(fetch: Callable[[int], tuple[Sequence[T], bool]], key: Callable[[T], str],
           after: Cursor | None, limit: int) -> Slice[T]:
    """The ``limit`` items after the cursor's item, walking a paged service's pages.

    ``fetch(page)`` returns a page of the list and whether more follow. The walk starts at
    the page the cursor remembers, and from the first page if the item is not there (the
    list moved); a cursor whose item has gone from the list is refused.
    """
    starts = dict.fromkeys((after.page, 1) if after else (1,))
    for first_page in starts:
        found = after is None
        taken: list[tuple[T, int]] = []
        page, more = first_page, True
        while more and len(taken) <= limit:
            items, more = fetch(page)
            for item in items:
                if found:
                    taken.append((item, page))
                elif after is not None and key(item) == after.key:
                    found = True
            page += 1
        if found:
            if len(taken) <= limit:
                return Slice([item for item, _page in taken], None)
            last, last_page = taken[limit - 1]
            return Slice([item for item, _page in taken[:limit]], Cursor(key(last), last_page))
    raise CursorInvalid()


def _id_after(after: Cursor | None) -> int | None:
    if after is None:
        return None
    if not after.key.isdigit() or len(after.key) > 10:
        raise CursorInvalid()
    return int(after.key)


def list_modules(session: Session, user: User, *, after: Cursor | None,
                 limit: int) -> Slice[ModuleSummary]:
    """The catalogue's current modules in track order, with the reader's progress."""
    modules = [module for track in list_tracks(session, user) for module in track.modules]
    return _after(lambda _page: (modules, False), lambda module: module.slug, after, limit)


def list_student_streams(session: Session, viewer: User, student_id: int, *,
                         after: Cursor | None, limit: int) -> Slice[StreamRow]:
    """A student's streams with their KPIs, newest logged first, ``limit`` after the cursor.

    Who may see them is ``security.can_view_stream``, as on the site's stream list: the
    student and the college's staff; anyone else gets NotFound.
    """
    student = session.get(User, student_id)
    if student is None or student.account_role != AccountRole.STUDENT \
            or not can_view_stream(viewer, student_id):
        raise NotFound(_l("There is no such student."))
    last_id = _id_after(after)
    statement = select(PracticeStream).where(PracticeStream.student_id == student_id)
    if last_id is not None:
        statement = statement.where(col(PracticeStream.id) < last_id)
    streams = session.exec(statement.order_by(col(PracticeStream.id).desc())
                           .limit(limit + 1)).all()
    rows = [StreamRow(stream, derive_kpis(stream)) for stream in streams[:limit]]
    return Slice(rows, Cursor(str(rows[-1].stream.id)) if len(streams) > limit else None)


def own_stream(session: Session, student: User, stream_id: int) -> StreamRow:
    """One of the student's own streams with its KPIs; anyone else's is not found."""
    stream = get_own_stream(session, student, stream_id)
    return StreamRow(stream, derive_kpis(stream))


def record_stream(session: Session, student: User, changes: Mapping[str, Any], *,
                  now: dt.datetime) -> StreamRow:
    """Log a stream from the given fields (the form's defaults for the rest). Commits.

    ``practice.service.log_stream`` checks every rule; nothing is written when one fails.
    """
    stream = log_stream(session, student, StreamInput(**changes), now=now)
    return StreamRow(stream, derive_kpis(stream))


def patch_stream(session: Session, student: User, stream_id: int, changes: Mapping[str, Any],
                 *, now: dt.datetime) -> StreamRow:
    """Apply the given fields over the stored stream and save it through the site's rules.

    ``changes`` holds ``StreamInput`` values (a start time in the student's local time).
    ``practice.service.update_stream`` checks everything again, refuses assessed streams and
    audits. Commits.
    """
    stored = StreamInput.from_stream(get_own_stream(session, student, stream_id),
                                     student.timezone)
    stream = update_stream(session, student, stream_id,
                           dataclasses.replace(stored, **changes), now=now)
    return StreamRow(stream, derive_kpis(stream))


# The caller's progress


@dataclass(frozen=True)
class AssessedStream:
    id: int  # the assessment's
    stream_id: int
    stream_started_at: dt.datetime
    total: Decimal
    assessed_at: dt.datetime


@dataclass(frozen=True)
class Progress:
    modules: list[ModuleSummary]
    tracks: list[TrackGrades]
    assessments: list[AssessedStream]
    certificates: list[Checklist]


def student_progress(session: Session, student: User) -> Progress:
    """A student's learning record, as the catalogue, gradebook and certificate pages show it.

    Modules with status and best quiz score, the gradebook's figures per track, the total of
    each assessment of their streams, and each track's certificate (earned, issued).
    """
    if student.account_role != AccountRole.STUDENT:
        raise NotAllowed(_l("Learning progress is kept for students."))
    assessments = [AssessedStream(*row) for row in session.exec(
        select(Assessment.id, Assessment.practice_stream_id, PracticeStream.started_at,
               Assessment.total, Assessment.updated_at)
        .join(PracticeStream, col(PracticeStream.id) == col(Assessment.practice_stream_id))
        .where(PracticeStream.student_id == student.id)
        .order_by(col(Assessment.updated_at), col(Assessment.id))
    )]
    return Progress(
        modules=[module for track in list_tracks(session, student) for module in track.modules],
        tracks=list(student_grades(session, student, student.id or 0).tracks.values()),
        assessments=assessments,
        certificates=[certificate_checklist(session, student, track) for track in TRACKS],
    )


# Order classes


def list_visible_cohorts(session: Session, user: User, *, after: Cursor | None,
                         limit: int) -> Slice[CohortSummary]:
    """The order classes ``cohorts.service.list_cohorts`` shows this user, in its order."""

    def fetch(page: int) -> tuple[list[CohortSummary], bool]:
        listing = list_cohorts(session, user, page=page)
        return listing.cohorts, listing.has_next

    return _after(fetch, lambda summary: str(summary.cohort.id), after, limit)


@dataclass(frozen=True)
class MemberSlice:
    board: MemberTable
    rows: Slice[MemberRow]


def cohort_members(session: Session, actor: User, slug: str, *, after: Cursor | None,
                   limit: int) -> MemberSlice:
    """A slice of the cohort's progress board (the firm's staff and the college only)."""
    board = progress_board(session, actor, slug)
    return MemberSlice(board, _after(lambda _page: (board.rows, False),
                                     lambda row: str(row.member_id), after, limit))


def list_placements(session: Session, actor: User, slug: str, *, after: Cursor | None,
                    limit: int) -> Slice[Placement]:
    """The cohort's offers and hires, oldest first; who may see them is who sees the board.

    Offers go only to members who passed, so every placement belongs to a board row.
    """
    members = [row.member_id for row in progress_board(session, actor, slug).rows]
    last_id = _id_after(after)
    statement = select(Placement).where(col(Placement.member_id).in_(members))
    if last_id is not None:
        statement = statement.where(col(Placement.id) > last_id)
    placements = session.exec(statement.order_by(col(Placement.id)).limit(limit + 1)).all()
    rows = list(placements[:limit])
    return Slice(rows, Cursor(str(rows[-1].id)) if len(placements) > limit else None)
