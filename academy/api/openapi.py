"""The OpenAPI 3.1 description of the API, served at /api/v1/openapi.json.

Each operation is one row of ``OPERATIONS``; request and response schemas come from the
pydantic models the API parses and serialises with (academy.api.schemas), so the document
says what the code does. A test checks that every /api/v1 route has its row.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from academy.api import schemas
from academy.api.service import RATE_LIMIT, TOKEN_PREFIX

PREFIX = "/api/v1"
PATH_PARAMETERS = {
    "slug": ({"type": "string", "maxLength": 100}, "The permanent id of a module or cohort."),
    "stream_id": ({"type": "integer", "minimum": 1, "maximum": schemas.MAX_ID},
                  "The id of a practice stream."),
    "student_id": ({"type": "integer", "minimum": 1, "maximum": schemas.MAX_ID},
                   "The id of a student's account."),
}
ERROR_MEANINGS = {
    401: "No valid token: missing, unknown or revoked (see WWW-Authenticate).",
    403: "The token may only read, or the caller's account may not do this.",
    404: "No such object, or one the caller may not know about.",
    409: "The object's state does not allow this now.",
    415: "The body is not JSON (send Content-Type: application/json).",
    422: "The input is not valid; ``errors`` says what is wrong with each field.",
    429: f"More than {RATE_LIMIT} requests in a minute with this token (see Retry-After).",
}
STUDENTS = "Students, for their own streams."


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # under PREFIX, with {parameters}
    operation_id: str  # the view's endpoint name
    tag: str
    summary: str
    response: type[BaseModel] | None  # None: no content (204)
    status: int = 200
    paged: bool = False
    body: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    public: bool = False
    description: str = ""


OPERATIONS = (
    Operation("get", "/openapi.json", "openapi_document", "meta",
              "This description of the API (no token needed).", None, public=True),
    Operation("get", "/modules", "list_modules", "modules",
              "The current modules of the catalogue, in track order, with the caller's status "
              "and best quiz score.", schemas.ModuleSummary, paged=True),
    Operation("get", "/modules/{slug}", "get_module", "modules",
              "One module's metadata, objectives and quiz outline (never its answers).",
              schemas.ModuleDetail, errors=(404,)),
    Operation("get", "/me/streams", "list_my_streams", "streams",
              "The caller's practice streams with their KPIs, newest logged first.",
              schemas.Stream, paged=True, errors=(403,), description=STUDENTS),
    Operation("post", "/me/streams", "log_stream", "streams",
              "Log a practice stream; the same rules as the site's form apply.",
              schemas.Stream, status=201, body=schemas.StreamFields, errors=(403,),
              description=STUDENTS + " Needs a token with write access."),
    Operation("get", "/me/streams/{stream_id}", "get_my_stream", "streams",
              "One of the caller's streams with its KPIs.", schemas.Stream, errors=(403, 404),
              description=STUDENTS),
    Operation("patch", "/me/streams/{stream_id}", "patch_my_stream", "streams",
              "Correct a stream: the fields sent replace the stored ones, then every rule is "
              "checked again. Assessed streams cannot be changed (403).", schemas.Stream,
              body=schemas.StreamFields, errors=(403, 404),
              description=STUDENTS + " Needs a token with write access."),
    Operation("delete", "/me/streams/{stream_id}", "delete_my_stream", "streams",
              "Delete a stream nobody has assessed yet.", None, status=204, errors=(403, 404),
              description=STUDENTS + " Needs a token with write access."),
    Operation("get", "/me/progress", "my_progress", "progress",
              "The caller's modules, quiz best scores, gradebook figures, assessment totals "
              "and certificates.", schemas.Progress, errors=(403,),
              description="Students only."),
    Operation("get", "/cohorts", "list_cohorts", "cohorts",
              "The order classes the caller may see: a partner firm's own, those recruiting "
              "or applied to for students, all for the college.", schemas.Cohort, paged=True),
    Operation("get", "/cohorts/{slug}/members", "list_members", "cohorts",
              "The cohort's progress board: one row per admitted member.", schemas.Member,
              paged=True, errors=(403, 404),
              description="The sponsoring firm's staff and the college."),
    Operation("get", "/cohorts/{slug}/placements", "list_placements", "cohorts",
              "The cohort's job offers and hires, oldest first.", schemas.Placement,
              paged=True, errors=(403, 404),
              description="The sponsoring firm's staff and the college."),
    Operation("post", "/cohorts/{slug}/placements", "offer_placement", "cohorts",
              "Record a job offer to a member who passed the training.", schemas.Placement,
              status=201, body=schemas.PlacementOffer, errors=(403, 404, 409),
              description="The sponsoring firm's staff and the college, with a write token."),
    Operation("get", "/students/{student_id}/streams", "list_student_streams", "students",
              "A student's practice streams with their KPIs, newest logged first.",
              schemas.Stream, paged=True, errors=(403, 404),
              description="Instructors and administrators."),
)

_REF = "#/components/schemas/{model}"


def _problem(meaning: str, ref: dict[str, str], status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": meaning, "content": {"application/problem+json": {"schema": ref}}}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {
            "description": 'Bearer realm="api"', "schema": {"type": "string"}}}
    if status == 429:
        response["headers"] = {"Retry-After": {
            "description": "Seconds until the token's next window.",
            "schema": {"type": "integer"}}}
    return response


def _parameters(operation: Operation) -> list[dict[str, Any]]:
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": schema,
         "description": description}
        for name, (schema, description) in PATH_PARAMETERS.items()
        if f"{{{name}}}" in operation.path
    ]
    if operation.paged:
        limit = schemas.ListQuery.model_fields["limit"]
        parameters += [
            {"name": "limit", "in": "query", "required": False,
             "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                        "default": limit.default},
             "description": "How many items to return."},
            {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"},
             "description": "The next_cursor of the previous page."},
        ]
    return parameters


def _operation(operation: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "operationId": operation.operation_id, "tags": [operation.tag],
        "summary": operation.summary, "parameters": _parameters(operation),
    }
    if operation.description:
        result["description"] = operation.description
    if operation.body is not None:
        result["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": refs[(operation.body, "validation")]}}}
    if operation.public:
        result["security"] = []
        result["responses"] = {"200": {"description": "The OpenAPI document.",
                                       "content": {"application/json": {"schema": {
                                           "type": "object"}}}}}
        return result
    success: dict[str, Any] = {"description": "Done."}
    if operation.response is not None:
        model = schemas.Page[operation.response] if operation.paged else operation.response
        success = {"description": "Done.", "content": {
            "application/json": {"schema": refs[(model, "serialization")]}}}
    statuses = {401, 429, *operation.errors}
    if operation.body is not None or operation.paged:
        statuses.add(422)
    if operation.body is not None:
        statuses.add(415)
    problem = refs[(schemas.Problem, "serialization")]
    result["responses"] = {
        str(operation.status): success,
        **{str(status): _problem(ERROR_MEANINGS[status], problem, status)
           for status in sorted(statuses)},
    }
    return result


def _models() -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    models: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {
        (schemas.Problem, "serialization"): None}
    for operation in OPERATIONS:
        if operation.body is not None:
            models[(operation.body, "validation")] = None
        if operation.response is not None:
            model = schemas.Page[operation.response] if operation.paged else operation.response
            models[(model, "serialization")] = None
    return list(models)


@functools.cache
def document() -> dict[str, Any]:
    """The whole OpenAPI document (built once per process: it depends on the code only)."""
    refs, top = models_json_schema(_models(), ref_template=_REF)
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        paths.setdefault(PREFIX + operation.path, {})[operation.method] = _operation(
            operation, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Live Academy API",
            "version": "1.0.0",
            "description": (
                "The college's and partner firms' systems read courses, practice streams, "
                "progress and order classes, and write practice streams and job offers, over "
                "the same rules as the site. Create a personal access token on the site's "
                "account page (/account/tokens) and send it as `Authorization: Bearer "
                f"{TOKEN_PREFIX}…`. Times are ISO 8601 in UTC, money is a decimal string, "
                "lists are paged with `limit` (at most 100) and the opaque `next_cursor`. "
                f"Each token may send {RATE_LIMIT} requests a minute. Errors are RFC 9457 "
                "problem details."),
        },
        "tags": [{"name": name} for name in dict.fromkeys(op.tag for op in OPERATIONS)],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": top.get("$defs", {}),
            "securitySchemes": {"bearer": {
                "type": "http", "scheme": "bearer",
                "description": "A personal access token from /account/tokens."}},
        },
    }
