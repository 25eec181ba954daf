"""What the API reads and writes: pydantic models of request bodies and of JSON responses.

Bodies are parsed strictly (no coercion of "1" to 1, unknown fields refused, no NaN) and then
turned into the services' own input types; the services check the rules. Response models
double as the OpenAPI description of each object, so the document and the JSON cannot drift.
The stream models are built from ``practice.service.StreamInput``, the one list of a stream's
fields.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import json
import typing
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from pydantic import (
    MISSING,
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
)

from academy.api import service
from academy.api.service import Cursor, CursorInvalid
from academy.errors import DomainError
from academy.practice.kpi import KPIS
from academy.practice.models import CURRENCIES, LANGUAGES, Platform, StreamRole
from academy.practice.service import StreamInput, StreamRow

if TYPE_CHECKING:
    from academy.cohorts.models import Placement as PlacementRecord
    from academy.cohorts.service import MemberRow
    from academy.cohorts.service.overview import CohortSummary
    from academy.curriculum.service import ModulePage

T = TypeVar("T")
MAX_ID = 2**31 - 1  # ids are 32-bit integers on every database
DEFAULT_LIMIT = 25


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Text may not contain NUL characters.")
    return value


def _representable(value: dt.datetime) -> dt.datetime:
    """An aware time that survives conversion to any time zone (year 1900 to 2200)."""
    try:
        utc = value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("Give a time between the years 1900 and 2200.") from None
    if not 1900 <= utc.year <= 2200:
        raise ValueError("Give a time between the years 1900 and 2200.")
    return utc


Text = Annotated[str, AfterValidator(_no_nul)]
UtcTime = Annotated[AwareDatetime, AfterValidator(_representable)]
Money = Annotated[Decimal, Field(description="An amount with at most two decimals, as a string "
                                             "(\"3600.00\") or a number.")]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]

BODY_CONFIG = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

# How each type of a StreamInput field is written in JSON.
_STREAM_TYPES: dict[Any, Any] = {int: int, str: Text, bool: bool, Decimal: Money,
                                 dt.datetime: UtcTime}
_STREAM_DOCS: dict[str, dict[str, Any]] = {
    "started_at": {"description": "When the stream started: ISO 8601 with an offset, "
                                  "e.g. 2026-11-20T12:00:00Z."},
    "platform": {"enum": [platform.value for platform in Platform]},
    "stream_role": {"enum": [role.value for role in StreamRole]},
    "language": {"enum": list(LANGUAGES)},
    "currency": {"enum": list(CURRENCIES)},
    "market": {"description": "ISO 3166-1 alpha-2 country code, e.g. US."},
}


def _stream_field_types() -> dict[str, Any]:
    """Each StreamInput field with its type, without the None a half-filled form may hold."""
    hints = typing.get_type_hints(StreamInput)
    types = {}
    for item in dataclasses.fields(StreamInput):
        bare = [arg for arg in typing.get_args(hints[item.name]) or (hints[item.name],)
                if arg is not type(None)]
        types[item.name] = bare[0]
    return types


STREAM_FIELD_TYPES = _stream_field_types()

StreamFields = create_model(  # type: ignore[call-overload]
    "StreamFields",
    __config__=BODY_CONFIG,
    __doc__="A practice stream as a logging app sends it, with the site form's rules. On "
            "POST, fields left out take the form's defaults (a new stream needs at least its "
            "start, duration, platform, market, language and role); on PATCH they keep their "
            "stored value.",
    **{name: (_STREAM_TYPES[kind] | MISSING,
              Field(default=MISSING, json_schema_extra=_STREAM_DOCS.get(name)))
       for name, kind in STREAM_FIELD_TYPES.items()},
)


def stream_changes(body: BaseModel, timezone: str) -> dict[str, Any]:
    """The fields the client sent as ``StreamInput`` values: the start in the student's zone.

    ``StreamInput`` holds the wall-clock time a student types on the form, so a UTC start is
    turned into the student's local time; the service turns it back.
    """
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    if "started_at" in changes:
        changes["started_at"] = changes["started_at"].astimezone(
            ZoneInfo(timezone)).replace(tzinfo=None)
    return changes


class PlacementOffer(BaseModel):
    """A job offer to a member who passed the training."""

    model_config = BODY_CONFIG

    member_id: Id
    position: Text = Field(description="The job offered, 2 to 200 characters.")
    offered_on: dt.date


class ListQuery(BaseModel):
    """The query string of a list: how many items, and where the previous page ended."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)


def encode_cursor(cursor: Cursor | None) -> str | None:
    if cursor is None:
        return None
    raw = json.dumps([cursor.key, cursor.page], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str | None) -> Cursor | None:
    """Read a cursor this API handed out; anything else is refused with a field error."""
    if not text:
        return None
    try:
        key, page = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, TypeError, binascii.Error):
        raise CursorInvalid() from None
    if not isinstance(key, str) or type(page) is not int or not 1 <= page <= 1_000_000:
        raise CursorInvalid()
    return Cursor(key, page)


class InputInvalid(DomainError):
    """The request's body or query string does not parse; ``errors`` maps field -> message.

    Problems with the whole body (not JSON, not an object) are under "body".
    """

    status = 422

    def __init__(self, error: ValidationError) -> None:
        super().__init__(_l("Some fields are not valid; see errors."))
        self.errors: dict[str, str] = {}
        for item in error.errors(include_url=False):
            name = ".".join(str(part) for part in item["loc"]) or "body"
            own = item["type"] == "value_error"  # our validators' messages, without a prefix
            self.errors.setdefault(name, str(item["ctx"]["error"]) if own else item["msg"])


# Responses


class Page(BaseModel, Generic[T]):
    """One page of a list; pass ``next_cursor`` as ``cursor`` to get the next (null: no more)."""

    data: list[T]
    next_cursor: str | None


class Problem(BaseModel):
    """An error as RFC 9457 problem details (application/problem+json)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: dict[str, str] | None = Field(
        default=None, description="For 422: each field that is wrong, with what is wrong.")


Kpis = create_model(  # type: ignore[call-overload]
    "Kpis",
    __doc__="The stream's KPIs, derived from its numbers as on the site's stream page. "
            "x-kpi-kind tells how to show each: a rate is a fraction (0.15 = 15 %), money is "
            "in the stream's currency. null where there is nothing to divide by.",
    **{kpi.key: (float | None, Field(
        description=f"{kpi.numerator} ÷ {kpi.denominator}"
                    + (f" × {kpi.scale}" if kpi.scale != 1 else ""),
        json_schema_extra={"x-kpi-kind": kpi.kind}))
       for kpi in KPIS},
)

Stream = create_model(  # type: ignore[call-overload]
    "Stream",
    __doc__="A logged practice stream with its KPIs; times in UTC, money as strings.",
    id=(int, ...),
    student_id=(int, ...),
    **{name: (kind, ...) for name, kind in STREAM_FIELD_TYPES.items()},
    created_at=(dt.datetime, ...),
    updated_at=(dt.datetime, ...),
    kpis=(Kpis, ...),
)


def stream_json(row: StreamRow) -> dict[str, Any]:
    stream = row.stream
    values = {name: getattr(stream, name) for name in Stream.model_fields if name != "kpis"}
    kpis = {key: None if value is None else float(value) for key, value in row.kpis.items()}
    return Stream.model_validate({**values, "kpis": kpis}).model_dump(mode="json")


class ModuleSummary(BaseModel):
    """A current module of the catalogue with the caller's progress in it."""

    slug: str
    title: str
    summary: str
    track: str
    position: int
    hours: float
    status: str = Field(description="not_started, in_progress, completed or quiz_passed")
    best_quiz_score: int | None


class QuizOutline(BaseModel):
    questions: int
    pass_mark: int | None


class ModuleDetail(ModuleSummary):
    """A module's metadata: what it teaches and how it is tested, never the quiz's answers."""

    objectives: list[str]
    prerequisites: list[str] = Field(description="Slugs of the modules to take first.")
    retired: bool
    quiz: QuizOutline


class TrackGrades(BaseModel):
    track: str
    modules_total: int
    modules_completed: int
    mean_best_quiz: float | None
    assessments: int = Field(description="Assessed practice streams in the track's roles.")
    mean_total: float | None = Field(description="Mean rubric total, 0 to 100.")
    hours: Decimal = Field(description="Practice hours in the track's roles.")


class AssessmentTotal(BaseModel):
    id: int
    stream_id: int
    stream_started_at: dt.datetime
    total: Decimal = Field(description="Rubric total, 0 to 100.")
    assessed_at: dt.datetime


class TrackCertificate(BaseModel):
    track: str
    earned: bool = Field(description="Whether the track's certificate rule is met.")
    code: str | None = Field(description="The certificate's verification code, once issued.")
    issued_at: dt.datetime | None
    revoked_at: dt.datetime | None


class Progress(BaseModel):
    """The caller's learning record, as on the site's catalogue, gradebook and certificates."""

    modules: list[ModuleSummary]
    tracks: list[TrackGrades]
    assessments: list[AssessmentTotal]
    certificates: list[TrackCertificate]


class Cohort(BaseModel):
    """An order class the caller may see."""

    slug: str
    name: str
    firm: str
    track: str
    status: str
    seats: int
    seats_taken: int = Field(description="Seats filled; the firm and the college see it, "
                                         "students get 0 (as on the site).")
    apply_by: dt.date
    starts_on: dt.date
    ends_on: dt.date
    required_modules: list[str]
    my_status: str | None = Field(description="The caller's own application, for students.")


class Member(BaseModel):
    """A row of a cohort's progress board: one admitted member."""

    member_id: int
    student_id: int
    display_name: str
    email: str
    status: str
    applied_at: dt.datetime
    decided_at: dt.datetime | None
    required_modules_done: int
    required_modules_total: int
    mean_best_quiz: float | None
    streams: int
    practice_hours: float
    mean_rubric_total: float | None
    last_activity: dt.datetime | None


class Placement(BaseModel):
    """A job offer to a member of a cohort, and what became of it."""

    id: int
    member_id: int
    position: str
    status: str = Field(description="offered, accepted, declined or hired")
    offered_on: dt.date
    answered_at: dt.datetime | None
    starts_on: dt.date | None = Field(description="The first working day, once hired.")
    created_at: dt.datetime


def _json(model: type[BaseModel], values: Any) -> dict[str, Any]:
    return model.model_validate(values, from_attributes=True).model_dump(mode="json")


def module_json(module: service.ModuleSummary) -> dict[str, Any]:
    return _json(ModuleSummary, {**dataclasses.asdict(module),
                                 "best_quiz_score": module.best_score})


def module_detail_json(page: ModulePage) -> dict[str, Any]:
    module = page.module
    return _json(ModuleDetail, {
        "slug": module.slug, "title": module.title, "summary": module.summary,
        "track": module.track, "position": module.position, "hours": module.hours,
        "status": page.status, "best_quiz_score": page.best_score,
        "objectives": module.objectives, "prerequisites": module.prerequisites,
        "retired": module.retired,
        "quiz": {"questions": len(module.quiz.get("questions", [])),
                 "pass_mark": module.quiz.get("pass_mark")},
    })


def progress_json(progress: service.Progress) -> dict[str, Any]:
    return _json(Progress, {
        "modules": [module_json(module) for module in progress.modules],
        "tracks": [dataclasses.asdict(grades) for grades in progress.tracks],
        "assessments": [dataclasses.asdict(item) for item in progress.assessments],
        "certificates": [{
            "track": checklist.track, "earned": checklist.earned,
            "code": checklist.certificate.code if checklist.certificate else None,
            "issued_at": checklist.certificate.issued_at if checklist.certificate else None,
            "revoked_at": checklist.certificate.revoked_at if checklist.certificate else None,
        } for checklist in progress.certificates],
    })


def cohort_json(summary: CohortSummary) -> dict[str, Any]:
    cohort = summary.cohort
    return _json(Cohort, {
        "slug": cohort.slug, "name": cohort.name, "firm": summary.firm_name,
        "track": cohort.track, "status": cohort.status, "seats": cohort.seats,
        "seats_taken": summary.seats_taken, "apply_by": cohort.apply_by,
        "starts_on": cohort.starts_on, "ends_on": cohort.ends_on,
        "required_modules": cohort.required_modules, "my_status": summary.my_status,
    })


def member_json(row: MemberRow, required_total: int) -> dict[str, Any]:
    return _json(Member, {
        **dataclasses.asdict(row), "required_modules_done": row.modules_done,
        "required_modules_total": required_total, "mean_best_quiz": row.quiz_mean,
        "practice_hours": row.practice_hours,
    })


def placement_json(placement: PlacementRecord) -> dict[str, Any]:
    return _json(Placement, placement)


def page_json(items: list[T], to_json: Callable[[T], dict[str, Any]],
              next_cursor: Cursor | None) -> dict[str, Any]:
    return {"data": [to_json(item) for item in items], "next_cursor": encode_cursor(next_cursor)}
