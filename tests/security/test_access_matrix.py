"""Who may do what to whose objects: every route of the app × every identity.

``MATRIX`` holds one line per route and method (HEAD and OPTIONS come with GET and are
left out). A route without a line fails the test with its name, so a new page cannot ship
without someone deciding who may open it. Each line says what each identity gets when it
acts on objects of the *owner* student (their streams, attempt, certificate, inbox, tokens,
application, seat and offer), in the order of ``IDENTITIES``:

    anonymous  owner  other_student  instructor  partner  rival_partner  admin

``partner`` works for the firm that sponsors (and mentors) the owner's order class,
``rival_partner`` for another firm. Outcomes: ``OK`` (2xx or a redirect that is not to the
sign-in page), ``LOGIN`` (redirected to sign in), ``NO_TOKEN`` (401: the API wants a bearer
token), 403 (may know the object, may not do this), 404 (must not learn that it exists),
409 (allowed, but the object's state refuses the step). Forms carry valid input and a valid
CSRF token, so what is tested is authorization alone; the API is called with each
identity's own write token.

Besides the outcome, every answer is checked: a refusal writes nothing (the database is
compared before and after); a 404 for another's object is also the answer for an id or slug
that names nothing, so it tells nobody the object exists; no answer to another student or
another firm shows the owner's name, e-mail or notes; and every response carries the
security headers, a Content-Type with its charset and, for a signed-in user's page,
``Cache-Control: no-store``.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from academy.request_guards import MAX_ID
from tests.helpers import TEST_PASSWORD
from tests.practice.factories import WORKED
from tests.security.conftest import (
    ACCOUNT_FILE,
    IDENTITIES,
    OWNER_NAME,
    OWNER_NOTE,
    Identity,
    Snapshot,
    World,
    client_as,
    database_fingerprint,
)

OK, LOGIN, NO_TOKEN = "ok", "login", 401
Outcome = str | int
Row = tuple[Outcome, Outcome, Outcome, Outcome, Outcome, Outcome, Outcome]

# Profiles: the common lines, by who gets in.
PUBLIC: Row = (OK, OK, OK, OK, OK, OK, OK)
SIGNED_IN: Row = (LOGIN, OK, OK, OK, OK, OK, OK)
STUDENTS: Row = (LOGIN, OK, OK, 403, 403, 403, 403)
OWNER_ONLY: Row = (LOGIN, OK, 404, 403, 403, 403, 403)  # a student route on the owner's object
COLLEGE: Row = (LOGIN, 403, 403, OK, 403, 403, OK)  # instructors and admins
ADMIN_ONLY: Row = (LOGIN, 403, 403, 403, 403, 403, OK)
FIRM_AND_COLLEGE: Row = (LOGIN, 403, 403, OK, OK, 404, OK)  # one order class's managers
FIRM_AND_COLLEGE_ANY: Row = (LOGIN, 403, 403, OK, OK, OK, OK)  # not about one order class
COLLEGE_OF_ONE: Row = (LOGIN, 403, 403, OK, 403, 404, OK)  # the college, on one order class
API_ANY: Row = (NO_TOKEN, OK, OK, OK, OK, OK, OK)
API_STUDENTS: Row = (NO_TOKEN, OK, OK, 403, 403, 403, 403)
API_OWNER_ONLY: Row = (NO_TOKEN, OK, 404, 403, 403, 403, 403)
API_FIRM_AND_COLLEGE: Row = (NO_TOKEN, 403, 404, OK, OK, 404, OK)
API_COLLEGE: Row = (NO_TOKEN, 403, 403, OK, 403, 403, OK)

Values = Callable[[World], dict[str, Any]]


@dataclass(frozen=True)
class Case:
    """What each identity gets, the URL's values (defaults: ``default_values``) and the input."""

    expected: Row
    values: Values | None
    form: Values


def case(expected: Row, values: Values | None = None, form: Values | None = None) -> Case:
    return Case(expected, values, form or (lambda _w: {}))


STREAM_FORM = {"started_at": "2026-11-20T20:00", "duration_min": "60", "platform": "alibaba",
               "market": "US", "language": "en", "stream_role": "host", "currency": "USD",
               "team_code": "", "recording_url": "", "notes_md": "",
               **{name: str(value) for name, value in WORKED.items()}}
STREAM_JSON = {"started_at": "2026-11-20T12:00:00Z", "duration_min": 60, "platform": "alibaba",
               "market": "US", "language": "en", "stream_role": "host", "viewers_uv": 420,
               "views_pv": 800, "product_click_uv": 84, "product_clicks": 130, "orders": 9,
               "buyers": 6, "gmv": "3600.00", "currency": "USD"}
NEW_PASSWORD = "another good password"


def cohort_form(w: World) -> dict[str, Any]:
    return {"name": "Amazon Live hosts for Germany", "track": "host", "seats": "4",
            "apply_by": w.draft.apply_by.isoformat(), "starts_on": w.draft.starts_on.isoformat(),
            "ends_on": w.draft.ends_on.isoformat(), "description": "We sell *smart lamps*.",
            "required_modules": ["host-topic-1"], "platforms": ["amazon_live"],
            "markets": "DE", "languages": "de", "hiring_commitment": "Two hires at least."}


def on(cohort: str, **values: Callable[[World], object]) -> Values:
    """The URL values for an order class of the world (by attribute) and more."""
    return lambda w: {"slug": getattr(w, cohort).slug,
                      **{name: value(w) for name, value in values.items()}}


# fmt: off
MATRIX: dict[str, Case] = {
    # Site, sign-in and accounts
    "GET /":                                      case(PUBLIC),
    "GET /healthz":                               case(PUBLIC),
    "GET /favicon.ico":                           case(PUBLIC),
    "GET /static/<path:filename>":                case(PUBLIC),
    "POST /language":                             case(PUBLIC, form=lambda w: {"locale": "zh"}),
    "GET /login":                                 case(PUBLIC),
    "POST /login":                                case(PUBLIC, form=lambda w: {
        "email": w.owner.email, "password": TEST_PASSWORD}),
    "POST /logout":                               case(SIGNED_IN),
    "GET /register":                              case(PUBLIC),
    "POST /register":                             case(PUBLIC, form=lambda w: {
        "email": "new.student@example.test", "display_name": "New", "password": TEST_PASSWORD,
        "confirm": TEST_PASSWORD, "timezone": "Asia/Shanghai", "locale": "en"}),
    "GET /account/password":                      case(SIGNED_IN),
    "POST /account/password":                     case(SIGNED_IN, form=lambda w: {
        "current_password": TEST_PASSWORD, "new_password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD}),
    "GET /account/tokens":                        case(SIGNED_IN),
    "POST /account/tokens":                       case(SIGNED_IN, form=lambda w: {
        "name": "Logging app", "scope": "read"}),
    "POST /account/tokens/<int(max=2147483647):token_id>/revoke":
                                                  case((LOGIN, OK, 404, 404, 404, 404, 404)),
    "GET /admin/users":                           case(ADMIN_ONLY),
    "GET /admin/users/new":                       case(ADMIN_ONLY),
    "POST /admin/users/new":                      case(ADMIN_ONLY, form=lambda w: {
        "email": "host@yiwu.test", "display_name": "Zhou", "account_role": "partner",
        "firm_slug": w.firm.slug, "password": TEST_PASSWORD, "timezone": "Asia/Shanghai",
        "locale": "zh"}),
    "GET /admin/users/<int:user_id>":             case(ADMIN_ONLY),
    "POST /admin/users/<int:user_id>/role":       case(ADMIN_ONLY, form=lambda w: {
        "account_role": "instructor", "firm_slug": ""}),
    "POST /admin/users/<int:user_id>/active":     case(ADMIN_ONLY, form=lambda w: {"active": "0"}),
    "POST /admin/users/<int:user_id>/password-link": case(ADMIN_ONLY),
    "GET /admin/users/import":                    case(ADMIN_ONLY),
    "POST /admin/users/import":                   case(ADMIN_ONLY, form=lambda w: {
        "file": (io.BytesIO(ACCOUNT_FILE), "accounts.csv")}),
    "GET /admin/users/import/<int(max=2147483647):import_id>": case(ADMIN_ONLY),
    "POST /admin/users/import/<int(max=2147483647):import_id>": case(ADMIN_ONLY),
    "GET /auth/set-password/<string(maxlength=100):token>": case(PUBLIC),
    "POST /auth/set-password/<string(maxlength=100):token>": case(PUBLIC, form=lambda w: {
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    "GET /admin/firms":                           case(ADMIN_ONLY),
    "POST /admin/firms":                          case(ADMIN_ONLY, form=lambda w: {
        "slug": "ningbo-tools", "name": "Ningbo Tools"}),
    "GET /admin/jobs":                            case(ADMIN_ONLY),

    # Learning
    "GET /courses":                               case(SIGNED_IN),
    "GET /courses/search":                        case(SIGNED_IN),
    "GET /courses/statistics":                    case(COLLEGE),
    "GET /modules/<slug>":                        case(SIGNED_IN),
    "POST /modules/<slug>/complete":              case(STUDENTS),
    "GET /modules/<slug>/quiz":                   case(STUDENTS),
    "POST /modules/<slug>/quiz":                  case(STUDENTS, form=lambda w: {
        "q0": "0", "q1": ["0", "1", "3"]}),
    "GET /modules/<slug>/quiz/attempts/<int:attempt_id>": case(OWNER_ONLY),

    # Practice streams
    "GET /practice":                              case(STUDENTS),
    "GET /practice/new":                          case(STUDENTS),
    "POST /practice/new":                         case(STUDENTS, form=lambda w: STREAM_FORM),
    "GET /practice/export.csv":                   case(STUDENTS),
    "GET /practice/streams/<int:stream_id>":      case((LOGIN, OK, 404, OK, OK, 404, OK)),
    "GET /practice/streams/<int:stream_id>/edit": case(OWNER_ONLY),
    "POST /practice/streams/<int:stream_id>/edit": case(OWNER_ONLY, form=lambda w: {
        **STREAM_FORM, "duration_min": "90"}),
    "GET /practice/streams/<int:stream_id>/delete": case(OWNER_ONLY),
    "POST /practice/streams/<int:stream_id>/delete": case(OWNER_ONLY),
    "POST /practice/streams/<int:stream_id>/annotate": case(OWNER_ONLY, form=lambda w: {
        "annotation_md": "Next time: answer the MOQ question first."}),
    "GET /practice/students/<int:student_id>":    case((LOGIN, 403, 403, OK, OK, 404, OK)),
    "GET /practice/class":                        case(COLLEGE),
    "GET /practice/class/export.csv":             case(COLLEGE),

    # Assessment, gradebook, certificates
    "GET /assessments/queue":                     case((LOGIN, 403, 403, OK, 403, 403, 403)),
    "GET /practice/streams/<int:stream_id>/assess": case((LOGIN, 403, 403, OK, OK, 404, 403)),
    "POST /practice/streams/<int:stream_id>/assess": case(
        (LOGIN, 403, 403, OK, OK, 404, 403), form=lambda w: {
            "level-product": "3", "level-compliance": "4", "comments": "",
            "feedback_md": "Good pace."}),
    "GET /gradebook":                             case(STUDENTS),
    "GET /gradebook/students/<int:student_id>":   case(COLLEGE),
    "GET /gradebook/class":                       case(COLLEGE),
    "GET /gradebook/class.csv":                   case(COLLEGE),
    "GET /gradebook/class.xlsx":                  case(COLLEGE),
    "GET /certificates":                          case(STUDENTS),
    "POST /certificates/<track>/issue":           case((LOGIN, OK, 409, 403, 403, 403, 403)),
    "GET /certificates/<code>":                   case(PUBLIC),
    "GET /certificates/<code>/certificate.pdf":   case((LOGIN, OK, 404, OK, 404, 404, OK)),
    "POST /certificates/<code>/revoke":           case(ADMIN_ONLY, form=lambda w: {
        "reason": "Issued in error."}),

    # Order classes
    "GET /cohorts":                               case(SIGNED_IN),
    "GET /cohorts/dashboard":                     case(FIRM_AND_COLLEGE_ANY),
    "GET /cohorts/new":                           case((LOGIN, 403, 403, 403, OK, OK, 403)),
    "POST /cohorts/new":                          case((LOGIN, 403, 403, 403, OK, OK, 403),
                                                       form=cohort_form),
    "GET /cohorts/<slug>":                        case((LOGIN, OK, 404, OK, OK, 404, OK)),
    "GET /cohorts/<slug>/edit":                   case(FIRM_AND_COLLEGE, on("draft")),
    "POST /cohorts/<slug>/edit":                  case(FIRM_AND_COLLEGE, on("draft"),
                                                       form=cohort_form),
    "POST /cohorts/<slug>/status":                case(FIRM_AND_COLLEGE,
                                                       on("recruiting"),
                                                       form=lambda w: {"target": "selecting"}),
    "GET /cohorts/<slug>/apply":                  case((LOGIN, OK, OK, 403, 403, 403, 403),
                                                       on("open_cohort")),
    "POST /cohorts/<slug>/apply":                 case((LOGIN, OK, OK, 403, 403, 403, 403),
                                                       on("open_cohort"),
                                                       form=lambda w: {"motivation": "x" * 40}),
    "POST /cohorts/<slug>/withdraw":              case((LOGIN, OK, 409, 403, 403, 403, 403),
                                                       on("recruiting")),
    "GET /cohorts/<slug>/applicants":             case(FIRM_AND_COLLEGE),
    "GET /cohorts/<slug>/board":                  case(FIRM_AND_COLLEGE),
    "GET /cohorts/<slug>/board.csv":              case(FIRM_AND_COLLEGE),
    "GET /cohorts/<slug>/members/<int:member_id>": case(FIRM_AND_COLLEGE),
    "POST /cohorts/<slug>/members/<int:member_id>/decision": case(
        FIRM_AND_COLLEGE, on("recruiting", member_id=lambda w: w.application.id),
        form=lambda w: {"target": "shortlisted"}),
    "POST /cohorts/<slug>/members/<int:member_id>/offers": case(
        FIRM_AND_COLLEGE, on("placing", member_id=lambda w: w.passed_peer.id),
        form=lambda w: {"position": "Live host, German", "offered_on": w.placing.starts_on}),
    "POST /cohorts/<slug>/members/<int:member_id>/placements/<int:placement_id>/hire": case(
        FIRM_AND_COLLEGE, on("placing", member_id=lambda w: w.hired_peer_offer.member_id,
                             placement_id=lambda w: w.hired_peer_offer.id),
        form=lambda w: {"starts_on": w.placing.ends_on}),
    "POST /cohorts/<slug>/placements/<int:placement_id>/answer": case(
        (LOGIN, OK, 404, OK, OK, 404, OK), form=lambda w: {"answer": "accepted"}),
    # On an order class only the college adds members; the firm admits those who applied.
    "GET /cohorts/<slug>/members/add":            case(COLLEGE_OF_ONE, on("open_cohort")),
    "POST /cohorts/<slug>/members/add":           case(COLLEGE_OF_ONE, on("open_cohort"),
                                                       form=lambda w: {
        "emails": w.users["other_student"].email}),
    "POST /cohorts/<slug>/members/add/confirm":   case(COLLEGE_OF_ONE, on("open_cohort"),
                                                       form=lambda w: {
        "emails": w.users["other_student"].email}),
    "GET /cohorts/<slug>/events/<int:event_id>/attendance": case(FIRM_AND_COLLEGE),
    "POST /cohorts/<slug>/events/<int:event_id>/attendance": case(FIRM_AND_COLLEGE,
                                                                  form=lambda w: {
        f"member-{w.membership.id}": "present"}),
    "GET /cohorts/<slug>/events/new":             case(FIRM_AND_COLLEGE),
    "POST /cohorts/<slug>/events/new":            case(FIRM_AND_COLLEGE, form=lambda w: {
        "title": "Warehouse tour", "kind": "visit", "starts_at": "2030-03-01T10:00",
        "duration_min": "90", "location": "Yiwu"}),
    "POST /cohorts/<slug>/events/<int:event_id>/remove": case(FIRM_AND_COLLEGE),
    "GET /calendar":                              case(SIGNED_IN),
    "POST /calendar":                             case(SIGNED_IN),
    "POST /calendar/revoke":                      case(SIGNED_IN),
    "GET /calendar/<token>.ics":                  case(PUBLIC),

    # Inbox
    "GET /inbox":                                 case(SIGNED_IN),
    "POST /inbox/<int(max=2147483647):notification_id>/read": case(
        (LOGIN, OK, 404, 404, 404, 404, 404)),
    "POST /inbox/read-all":                       case(SIGNED_IN),
    "GET /inbox/preferences":                     case(SIGNED_IN),
    "POST /inbox/preferences":                    case(SIGNED_IN, form=lambda w: {
        "cohort_stage": "immediately", "deadline_reminder": "digest",
        "event_reminder": "never", "weekly_digest": "immediately",
        "inactivity_nudge": "digest", "cohort_enrolment": "immediately"}),

    # JSON API v1 (bearer tokens)
    "GET /api/v1/openapi.json":                   case(PUBLIC),
    "GET /api/v1/modules":                        case(API_ANY),
    "GET /api/v1/modules/<slug>":                 case(API_ANY),
    "GET /api/v1/me/progress":                    case(API_STUDENTS),
    "GET /api/v1/me/streams":                     case(API_STUDENTS),
    "POST /api/v1/me/streams":                    case(API_STUDENTS, form=lambda w: STREAM_JSON),
    "GET /api/v1/me/streams/<int(max=2147483647):stream_id>": case(API_OWNER_ONLY),
    "PATCH /api/v1/me/streams/<int(max=2147483647):stream_id>": case(
        API_OWNER_ONLY, form=lambda w: {"duration_min": 90}),
    "DELETE /api/v1/me/streams/<int(max=2147483647):stream_id>": case(API_OWNER_ONLY),
    "GET /api/v1/cohorts":                        case(API_ANY),
    "GET /api/v1/cohorts/<slug>/members":         case(API_FIRM_AND_COLLEGE),
    "GET /api/v1/cohorts/<slug>/placements":      case(API_FIRM_AND_COLLEGE),
    "POST /api/v1/cohorts/<slug>/placements":     case(API_FIRM_AND_COLLEGE, form=lambda w: {
        "member_id": w.passed_peer.id, "position": "Live host, German",
        "offered_on": w.placing.starts_on.isoformat()}),
    "GET /api/v1/students/<int(max=2147483647):student_id>/streams": case(API_COLLEGE),
}
# fmt: on

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MODULE_ENDPOINTS = ("curriculum.", "api.get_module")


def route_keys(app: Flask) -> dict[str, tuple[Rule, str]]:
    """``"METHOD /rule"`` for every rule and method of the app (HEAD, OPTIONS implied)."""
    keys = {}
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            keys[f"{method} {rule.rule}"] = (rule, method)
    return keys


def default_values(world: World, rule: Rule) -> dict[str, Any]:
    """Each URL argument names the owner's object of that kind (slugs by area)."""
    slug = world.module_slug if rule.endpoint.startswith(MODULE_ENDPOINTS) else \
        world.placing.slug
    known = {
        "slug": slug, "stream_id": world.stream.id, "student_id": world.owner.id,
        "user_id": world.owner.id, "token_id": world.api_token_id,
        "notification_id": world.notification_id, "attempt_id": world.attempt_id,
        "code": world.certificate_code, "track": "host",
        "token": world.password_link if rule.endpoint == "auth.set_password"
        else world.calendar_token,
        "filename": "css/app.css", "member_id": world.membership.id,
        "import_id": world.staged_import_id,
        "placement_id": world.offer.id, "event_id": world.event_id,
    }
    return {name: known[name] for name in rule.arguments}


def url_for_case(app: Flask, world: World, rule: Rule, entry: Case, *,
                 missing: bool = False) -> str:
    """The case's URL; ``missing``: every id and slug replaced by one that names nothing."""
    values = default_values(world, rule)
    if entry.values is not None:
        values.update(entry.values(world))
    if missing:
        values = {name: MAX_ID if isinstance(value, int) else f"no-such-{name}"
                  for name, value in values.items()}
    return app.url_map.bind("localhost").build(rule.endpoint, values)


def send(app: Flask, identity: Identity, method: str, url: str, data: dict[str, Any], *,
         with_csrf: bool = True, api_credentials: str = "token") -> TestResponse:
    """One request as ``identity``: forms with its CSRF token, the API with its bearer token."""
    client = client_as(app, identity)
    if url.startswith("/api/"):
        headers = {}
        if api_credentials == "token" and identity.api_secret:
            headers["Authorization"] = f"Bearer {identity.api_secret}"
        if api_credentials != "cookie":
            client.delete_cookie("session")
        if method in SAFE_METHODS:
            return client.open(url, method=method, headers=headers)
        return client.open(url, method=method, headers=headers, json=data)
    if method in SAFE_METHODS:
        return client.open(url, method=method)
    form = {**data, "csrf_token": identity.csrf} if with_csrf else dict(data)
    return client.open(url, method=method, data=form)


def outcome(response: TestResponse) -> Outcome:
    status = response.status_code
    if status in (301, 302, 303) and response.headers.get("Location", "").startswith(
            "/login?next="):
        return LOGIN
    if status < 400:
        return OK
    return status


REFUSED = frozenset({LOGIN, NO_TOKEN, 403, 404})
#: Identities with no business with the owner's data: no answer to them may show it.
STRANGERS = ("other_student", "rival_partner")
#: Where the owner's name is public on purpose: a certificate's check page names its holder.
OWNER_SHOWN_TO_ALL = frozenset({"GET /certificates/<code>"})


def header_problems(key: str, identity: str, response: TestResponse) -> list[str]:
    """What every answer must carry, whoever asked and whatever the outcome (ASVS V14.4)."""
    headers = response.headers
    problems = []
    if headers.get("X-Content-Type-Options") != "nosniff" or "frame-ancestors 'none'" not in \
            headers.get("Content-Security-Policy", ""):
        problems.append("nosniff or CSP frame-ancestors missing")
    content_type = headers.get("Content-Type", "")
    if response.status_code != 204 and not content_type:
        problems.append("no Content-Type")
    if content_type.startswith("text/") and "charset=" not in content_type:
        problems.append(f"text without a charset ({content_type})")
    signed_in_page = identity != "anonymous" and response.status_code == 200 and \
        not key.startswith(("GET /static/", "GET /favicon"))
    if signed_in_page and "no-store" not in headers.get("Cache-Control", ""):
        problems.append("a page for a signed-in user without Cache-Control: no-store")
    return [f"{key} as {identity}: {problem}" for problem in problems]


def test_every_route_gives_each_identity_what_the_matrix_says(
        app: Flask, world: World, identities: dict[str, Identity], snapshot: Snapshot) -> None:
    routes = route_keys(app)
    missing = sorted(set(routes) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(routes))
    assert not missing and not stale, (
        "tests/security/test_access_matrix.py: MATRIX must have one line per route.\n"
        + "".join(f"  no line for {key} — say who may use it\n" for key in missing)
        + "".join(f"  line for a route that no longer exists: {key}\n" for key in stale))

    markers = [text.encode() for text in (OWNER_NAME, OWNER_NOTE, world.owner.email)]
    clean = database_fingerprint(app)
    before, dirty = clean, False
    failures = []
    started = time.monotonic()
    for key in sorted(routes):
        rule, method = routes[key]
        entry = MATRIX[key]
        url = url_for_case(app, world, rule, entry)
        missing_url = url_for_case(app, world, rule, entry, missing=True)
        for name, expected in zip(IDENTITIES, entry.expected, strict=True):
            if dirty:
                snapshot.restore()
                before, dirty = clean, False
            response = send(app, identities[name], method, url, entry.form(world))
            got = outcome(response)
            failures += header_problems(key, name, response)
            if got == OK and name in STRANGERS and key not in OWNER_SHOWN_TO_ALL and any(
                    marker in response.get_data() for marker in markers):
                failures.append(f"{key} as {name}: the answer shows the owner's data")
            if got != expected:
                failures.append(f"{key} as {name} ({method} {url}): expected {expected}, "
                                f"got {got} {response.status_code}")
            if got == 404 and outcome(send(app, identities[name], method, missing_url,
                                           entry.form(world))) != 404:
                failures.append(f"{key} as {name}: 404 for another's object but not for a "
                                "missing one, so the answer tells that the object exists")
            if got in REFUSED:
                after = database_fingerprint(app)
                if after != before:
                    failures.append(f"{key} as {name}: refused with {got} but wrote to the "
                                    "database")
                    dirty = True
            elif method in SAFE_METHODS:
                before = database_fingerprint(app)
            else:
                dirty = True
    elapsed = time.monotonic() - started
    assert not failures, f"{len(failures)} cells differ ({elapsed:.1f} s):\n" + "\n".join(
        failures)


def test_every_state_changing_route_refuses_a_request_without_a_csrf_token(
        app: Flask, world: World, identities: dict[str, Identity], snapshot: Snapshot) -> None:
    """Forms need their CSRF token; the API ignores cookies, so a forged request has no token.

    Each route is tried by the first identity the matrix lets in, with valid input but no
    CSRF token (forms) or with the session cookie instead of a bearer token (API); nothing may
    be written.
    """
    before = database_fingerprint(app)
    failures = []
    for key, (rule, method) in sorted(route_keys(app).items()):
        if method in SAFE_METHODS:
            continue
        entry = MATRIX[key]
        name = next(identity for identity, expected in zip(IDENTITIES, entry.expected,
                                                           strict=True) if expected == OK)
        url = url_for_case(app, world, rule, entry)
        response = send(app, identities[name], method, url, entry.form(world), with_csrf=False,
                        api_credentials="cookie")
        wanted = NO_TOKEN if url.startswith("/api/") else 400
        if response.status_code != wanted:
            failures.append(f"{key} as {name} without a CSRF token: expected {wanted}, got "
                            f"{response.status_code}")
    assert not failures, "\n".join(failures)
    assert database_fingerprint(app) == before, "a request without a CSRF token wrote data"


def test_every_form_survives_fields_left_out(
        app: Flask, world: World, identities: dict[str, Identity], snapshot: Snapshot) -> None:
    """A hand-made request may leave out any field: the answer is a 4xx, the form again or
    success, never a 5xx. Each form is posted with no fields, then with its valid input less
    one field at a time, by the first identity the matrix lets in."""
    app.config["PROPAGATE_TEST_ERRORS"] = False  # a crash is the 500 page, as in production
    failures = []
    for key, (rule, method) in sorted(route_keys(app).items()):
        if method in SAFE_METHODS or rule.rule.startswith("/api/"):
            continue
        entry = MATRIX[key]
        name = next(identity for identity, expected in zip(IDENTITIES, entry.expected,
                                                           strict=True) if expected == OK)
        url = url_for_case(app, world, rule, entry)
        complete = entry.form(world)
        variants = {"every field": {}} | {
            field_name: {other: value for other, value in entry.form(world).items()
                         if other != field_name} for field_name in complete}
        for left_out, data in variants.items():
            try:
                status = send(app, identities[name], method, url, data).status_code
            except Exception as error:  # the error page itself failed: a 500 all the same
                status = 500
                left_out += f" ({type(error).__name__}: {error})"[:200]
            if status >= 500:
                failures.append(f"{key} as {name} without {left_out}: {status}")
            if status < 400 or status >= 500:
                snapshot.restore()
    assert not failures, "\n".join(failures)
