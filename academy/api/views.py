"""The JSON API v1 (bearer tokens, problem details) and the account page for API tokens.

Every API request is authenticated by its ``Authorization: Bearer`` token alone: no cookie,
no CSRF. Requests other than GET need a token with write access. Errors, including routing
errors under /api/v1, are RFC 9457 problem details.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException, UnsupportedMediaType
from werkzeug.http import HTTP_STATUS_CODES

from academy.api import openapi, schemas, service
from academy.api.forms import TokenForm
from academy.api.schemas import (
    InputInvalid,
    ListQuery,
    PlacementOffer,
    StreamFields,
    decode_cursor,
)
from academy.api.service import Caller, Cursor, RateLimited, TokenInvalid, TokenRejected
from academy.auth.models import AccountRole, User
from academy.cohorts import service as cohorts_service
from academy.curriculum import service as curriculum_service
from academy.db import SAFE_METHODS, engine_of, get_session, new_session, utcnow
from academy.errors import (
    ERROR_EXPLANATIONS,
    RETRY_AFTER_SECONDS,
    DomainError,
    NotAllowed,
    NotFound,
    database_unavailable,
)
from academy.forms import ConfirmForm, attach_error
from academy.practice import service as practice_service
from academy.security import csrf, signed_in_user

log = logging.getLogger(__name__)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
tokens_bp = Blueprint("api_tokens", __name__, template_folder="templates")

PROBLEM_JSON = "application/problem+json"
PUBLIC_ENDPOINTS = frozenset({"api.openapi_document"})
ID = "int(max=2147483647)"  # a URL converter: ids beyond 32 bits are simply not found
F = TypeVar("F", bound=Callable[..., Any])


# Errors as problem details


def problem(status: int, detail: object = "", *, errors: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> Response:
    """An RFC 9457 problem response; ``detail`` falls back to the site's text for ``status``."""
    body = schemas.Problem(
        title=HTTP_STATUS_CODES.get(status, "Error"), status=status,
        detail=str(detail or ERROR_EXPLANATIONS.get(status, "")),
        errors={name: str(message) for name, message in errors.items()} if errors is not None
        else None,
    )
    response = jsonify(body.model_dump(exclude_none=True))
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    response.headers.update(headers or {})
    return response


@bp.errorhandler(DomainError)
def _domain_problem(error: DomainError) -> Response:
    headers = {}
    if isinstance(error, TokenRejected):
        headers["WWW-Authenticate"] = 'Bearer realm="api"' if request.authorization is None \
            else 'Bearer realm="api", error="invalid_token"'
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after)
    errors = getattr(error, "errors", None)
    if errors is None and error.status == 422:
        errors = {getattr(error, "field", "") or "body": error.message}
    return problem(error.status, error.message, errors=errors, headers=headers)


@bp.errorhandler(HTTPException)
def _http_problem(error: HTTPException) -> Response:
    status = error.code or 500
    allowed = getattr(error, "valid_methods", None)
    return problem(status, ERROR_EXPLANATIONS.get(status) or error.description or "",
                   headers={"Allow": ", ".join(allowed)} if allowed else None)


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    if database_unavailable(error):
        log.warning("database unavailable: %s", error)
        return problem(503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    if current_app.testing and current_app.config.get("PROPAGATE_TEST_ERRORS", True):
        raise error
    error_id = uuid.uuid4().hex[:12]
    log.exception("unhandled API error %s", error_id)
    return problem(500, _("The error has been logged with the id %(id)s.", id=error_id))


@bp.before_app_request
def _routing_problem() -> Response | None:
    """Unknown paths and methods under /api/v1 get problem details, not the site's HTML page.

    Routing fails before any blueprint is chosen, so the blueprint's handlers never see it.
    """
    error = request.routing_exception
    if isinstance(error, HTTPException) and error.code in (404, 405) and (
            request.path == bp.url_prefix or request.path.startswith(f"{bp.url_prefix}/")):
        return _http_problem(error)
    return None


# Authentication, scope and roles


@bp.before_request
def _authenticate() -> None:
    """Find the caller by the bearer token (its own short write transaction) and check scope."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    credentials = request.authorization
    if credentials is None or credentials.type != "bearer" or not credentials.token:
        raise TokenRejected()
    with new_session(engine_of(current_app)) as auth_session:
        caller = service.authenticate(auth_session, credentials.token, now=utcnow())
    g.api_caller = caller
    g.api_user = get_session().merge(caller.user, load=False)
    if request.method not in SAFE_METHODS:
        service.require_write(caller)


@bp.url_value_preprocessor
def _refuse_nul(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    if any(isinstance(value, str) and "\x00" in value for value in (values or {}).values()):
        raise NotFound()


@bp.after_request
def _rate_limit_headers(response: Response) -> Response:
    caller: Caller | None = g.get("api_caller")
    if caller is not None:
        response.headers["RateLimit-Limit"] = str(service.RATE_LIMIT)
        response.headers["RateLimit-Remaining"] = str(caller.remaining)
        reset = max(0, int((caller.window_ends_at - utcnow()).total_seconds()))
        response.headers["RateLimit-Reset"] = str(reset)
    response.headers["Cache-Control"] = "no-store"
    return response


def api_user() -> User:
    """The account whose token authenticated this request."""
    return g.api_user  # type: ignore[no-any-return]


def account_roles(*roles: AccountRole) -> Callable[[F], F]:
    """Let only callers whose account has one of ``roles`` in; others get 403."""

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if api_user().account_role not in roles:
                raise NotAllowed(_l("Your account may not use this endpoint."))
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


# Request and response helpers

Model = TypeVar("Model", bound=BaseModel)


def body(model: type[Model]) -> Model:
    """The request's JSON body parsed strictly by ``model`` (415 if it is not JSON)."""
    if not request.is_json:
        raise UnsupportedMediaType(_("Send the body as JSON, with the header "
                                     "Content-Type: application/json."))
    try:
        return model.model_validate_json(request.get_data())
    except ValidationError as error:
        raise InputInvalid(error) from None


def list_query() -> tuple[Cursor | None, int]:
    """The list's ``limit`` and ``cursor`` from the query string (422 for anything else)."""
    try:
        query = ListQuery.model_validate(request.args.to_dict())
    except ValidationError as error:
        raise InputInvalid(error) from None
    return decode_cursor(query.cursor), query.limit


def created(data: dict[str, Any], location: str | None = None) -> Response:
    response = jsonify(data)
    response.status_code = 201
    if location:
        response.headers["Location"] = location
    return response


# Endpoints


@bp.route("/openapi.json")
def openapi_document() -> Response:
    return jsonify(openapi.document())


@bp.route("/modules")
def list_modules() -> Response:
    after, limit = list_query()
    modules = service.list_modules(get_session(), api_user(), after=after, limit=limit)
    return jsonify(schemas.page_json(modules.items, schemas.module_json, modules.next))


@bp.route("/modules/<slug>")
def get_module(slug: str) -> Response:
    page = curriculum_service.module_page(get_session(), api_user(), slug)
    return jsonify(schemas.module_detail_json(page))


@bp.route("/me/streams")
@account_roles(AccountRole.STUDENT)
def list_my_streams() -> Response:
    after, limit = list_query()
    streams = service.list_student_streams(get_session(), api_user(), api_user().id or 0,
                                           after=after, limit=limit)
    return jsonify(schemas.page_json(streams.items, schemas.stream_json, streams.next))


@bp.route("/me/streams", methods=["POST"])
@account_roles(AccountRole.STUDENT)
def log_stream() -> Response:
    fields = body(StreamFields)
    row = service.record_stream(get_session(), api_user(),
                                schemas.stream_changes(fields, api_user().timezone), now=utcnow())
    return created(schemas.stream_json(row), url_for("api.get_my_stream",
                                                     stream_id=row.stream.id))


@bp.route(f"/me/streams/<{ID}:stream_id>")
@account_roles(AccountRole.STUDENT)
def get_my_stream(stream_id: int) -> Response:
    return jsonify(schemas.stream_json(service.own_stream(get_session(), api_user(), stream_id)))


@bp.route(f"/me/streams/<{ID}:stream_id>", methods=["PATCH"])
@account_roles(AccountRole.STUDENT)
def patch_my_stream(stream_id: int) -> Response:
    fields = body(StreamFields)
    row = service.patch_stream(get_session(), api_user(), stream_id,
                               schemas.stream_changes(fields, api_user().timezone), now=utcnow())
    return jsonify(schemas.stream_json(row))


@bp.route(f"/me/streams/<{ID}:stream_id>", methods=["DELETE"])
@account_roles(AccountRole.STUDENT)
def delete_my_stream(stream_id: int) -> Response:
    practice_service.delete_stream(get_session(), api_user(), stream_id, now=utcnow())
    return Response(status=204)


@bp.route("/me/progress")
def my_progress() -> Response:
    return jsonify(schemas.progress_json(service.student_progress(get_session(), api_user())))


@bp.route("/cohorts")
def list_cohorts() -> Response:
    after, limit = list_query()
    cohorts = service.list_visible_cohorts(get_session(), api_user(), after=after, limit=limit)
    return jsonify(schemas.page_json(cohorts.items, schemas.cohort_json, cohorts.next))


@bp.route("/cohorts/<slug>/members")
def list_members(slug: str) -> Response:
    after, limit = list_query()
    members = service.cohort_members(get_session(), api_user(), slug, after=after, limit=limit)
    return jsonify(schemas.page_json(
        members.rows.items,
        lambda row: schemas.member_json(row, members.board.required_total), members.rows.next))


@bp.route("/cohorts/<slug>/placements")
def list_placements(slug: str) -> Response:
    after, limit = list_query()
    placements = service.list_placements(get_session(), api_user(), slug, after=after,
                                         limit=limit)
    return jsonify(schemas.page_json(placements.items, schemas.placement_json,
                                     placements.next))


@bp.route("/cohorts/<slug>/placements", methods=["POST"])
def offer_placement(slug: str) -> Response:
    offer = body(PlacementOffer)
    placement = cohorts_service.record_offer(
        get_session(), api_user(), slug, offer.member_id, position=offer.position,
        offered_on=offer.offered_on, now=utcnow())
    return created(schemas.placement_json(placement))


@bp.route(f"/students/<{ID}:student_id>/streams")
@account_roles(AccountRole.INSTRUCTOR, AccountRole.ADMIN)
def list_student_streams(student_id: int) -> Response:
    after, limit = list_query()
    streams = service.list_student_streams(get_session(), api_user(), student_id, after=after,
                                           limit=limit)
    return jsonify(schemas.page_json(streams.items, schemas.stream_json, streams.next))


# The account page for tokens

Page = str | tuple[str, int] | Response


@tokens_bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> Page:
    db, user = get_session(), signed_in_user()
    form = TokenForm()
    secret = ""
    if form.validate_on_submit():
        try:
            issued = service.issue_token(db, user, name=form.name.data or "",
                                         scope=form.scope.data or "", now=utcnow())
        except TokenInvalid as error:
            attach_error(form, error.field, error.message)
        else:
            secret, form = issued.secret, TokenForm(formdata=None)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("api/tokens.html", form=form, secret=secret,
                           tokens=service.list_tokens(db, user),
                           api_url=url_for("api.list_modules", _external=True)), status


@tokens_bp.route(f"/account/tokens/<{ID}:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int) -> Response:
    if ConfirmForm().validate_on_submit():
        token = service.revoke_token(get_session(), signed_in_user(), token_id, now=utcnow())
        flash(_("The token “%(name)s” no longer works.", name=token.name), "info")
    return redirect(url_for("api_tokens.tokens"))
