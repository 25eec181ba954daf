"""Every form of the site under hostile input: never a 5xx, never a partial write.

Each case starts from values the form accepts and replaces one to three of them with hostile
ones (huge, negative and non-finite numbers, Unicode edge cases, 1 MB strings, markup, SQL,
impossible dates and times in awkward time zones). After each request the whole database is
compared with its state before: a refused request (an error page or the form again) must have
written nothing, and an accepted one (a redirect) may touch only the tables it is about and
must have stored exactly what validation allows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, col, select

from academy.api.models import ApiToken
from academy.assessment.models import Assessment, Certificate
from academy.auth.models import COMMON_TIMEZONES, PartnerFirm, User
from academy.cohorts.models import Cohort, CohortEvent, CohortMember, Placement
from academy.practice.models import PracticeStream
from tests.fuzz.conftest import FUZZ, FuzzWorld, changed_tables
from tests.fuzz.hostile import (
    as_received,
    choice_or_hostile,
    form_body,
    hostile_date_text,
    hostile_datetime_text,
    hostile_number_text,
    hostile_text,
    plausible_text,
)
from tests.helpers import TEST_PASSWORD, csrf_token

FORM = "application/x-www-form-urlencoded"
REDIRECTS = (302, 303)


def latest(session: Session, model: type, *where: object) -> object:
    session.rollback()
    session.expire_all()
    return session.exec(select(model).where(*where).order_by(col(model.id).desc())).first()


def assert_stored(stored: str, sent: str, max_length: int) -> None:
    """What validation allows: the text as sent (trimmed at most), within its length."""
    assert stored in {sent, sent.strip()}, (stored[:80], sent[:80])
    assert len(stored) <= max_length
    assert "\x00" not in stored


Verify = Callable[[Session, FuzzWorld, dict[str, str]], None]


@dataclass(frozen=True)
class FormCase:
    name: str
    actor: str  # an attribute of FuzzWorld, or "anonymous"
    url: Callable[[FuzzWorld], str]  # where the form posts (its page, for most)
    valid: Callable[[FuzzWorld], dict[str, str | list[str]]]
    hostile: dict[str, st.SearchStrategy[str]]
    writes: frozenset[str]  # the tables an accepted request may change
    verify: Verify | None = None
    page: Callable[[FuzzWorld], str] | None = None  # where its CSRF token is read
    ignore: frozenset[str] = field(default_factory=frozenset)  # written even when refused
    accepted: tuple[int, ...] = REDIRECTS  # the status of an accepted request


def _register(session: Session, world: FuzzWorld, sent: dict[str, str]) -> None:
    user = latest(session, User)
    assert user is not None
    assert_stored(user.display_name, sent["display_name"], 100)
    assert user.timezone in COMMON_TIMEZONES and user.locale in {"en", "zh"}


def _firm(session: Session, world: FuzzWorld, sent: dict[str, str]) -> None:
    firm = latest(session, PartnerFirm)
    assert firm is not None
    assert_stored(firm.name, sent["name"], 200)
    assert firm.website == "" or firm.website.startswith(("https://", "http://"))


def _token(session: Session, world: FuzzWorld, sent: dict[str, str]) -> None:
    token = latest(session, ApiToken)
    assert token is not None
    assert_stored(token.name, sent["name"], 100)
    assert token.scopes in {"read", "read write"}


def _cohort(session: Session, world: FuzzWorld, sent: dict[str, str]) -> None:
    cohort = latest(session, Cohort)
    assert cohort is not None
    assert_stored(cohort.name, sent["name"], 200)
    assert_stored(cohort.description_md, sent["description"], 20_000)
    assert_stored(cohort.hiring_commitment, sent["hiring_commitment"], 2_000)
    assert 1 <= cohort.seats <= 500
    assert cohort.apply_by <= cohort.starts_on <= cohort.ends_on


def _application(session: Session, world: FuzzWorld, sent: dict[str, str]) -> None:
    member = latest(session, CohortMember, CohortMember.student_id == world.student.id)
    assert member is not None
    assert_stored(member.motivation, sent["motivation"], 2_000)
    assert len(member.motivation) >= 20


def _event(session: Session, world: FuzzWorld, sent: dict[str, str]) -> None:
    event = latest(session, CohortEvent)
    assert event is not None
    assert_stored(event.title, sent["title"], 200)
    assert_stored(event.location, sent["location"], 200)
    assert 5 <= event.duration_min <= 720
    assert event.starts_at.tzinfo is not None


def _offer(session: Session, world: FuzzWorld, sent: dict[str, str]) -> None:
    placement = latest(session, Placement)
    assert placement is not None
    assert_stored(placement.position, sent["position"], 200)


def _stream(session: Session, world: FuzzWorld, sent: dict[str, str]) -> None:
    stream = latest(session, PracticeStream, PracticeStream.student_id == world.student.id)
    assert stream is not None
    assert_stored(stream.notes_md, sent["notes_md"], 2000)
    assert 1 <= stream.duration_min <= 720
    assert 0 <= stream.viewers_uv <= stream.views_pv
    assert stream.gmv >= 0 and stream.gmv.is_finite()
    assert stream.recording_url == "" or stream.recording_url.startswith(("https://", "http://"))


def _edited_stream(session: Session, world: FuzzWorld, sent: dict[str, str]) -> None:
    session.rollback()
    stream = session.get(PracticeStream, world.stream.id, populate_existing=True)
    assert stream is not None
    assert_stored(stream.notes_md, sent["notes_md"], 2000)
    assert 1 <= stream.duration_min <= 720


def _annotation(session: Session, world: FuzzWorld, sent: dict[str, str]) -> None:
    session.rollback()
    stream = session.get(PracticeStream, world.stream.id, populate_existing=True)
    assert stream is not None
    assert_stored(stream.annotation_md, sent["annotation_md"], 2000)


def _assessment(session: Session, world: FuzzWorld, sent: dict[str, str]) -> None:
    assessment = latest(session, Assessment)
    assert assessment is not None
    assert_stored(assessment.feedback_md, sent["feedback_md"], 5000)
    assert 0 <= assessment.total <= 100
    assert set(assessment.levels.values()) <= {1, 2, 3, 4}


def _revocation(session: Session, world: FuzzWorld, sent: dict[str, str]) -> None:
    certificate = latest(session, Certificate, Certificate.id == world.certificate.id)
    assert certificate is not None and certificate.revoked_at is not None
    assert_stored(certificate.revoked_reason, sent["reason"], 500)


STREAM_FORM = {
    "started_at": "2026-11-20T20:00", "duration_min": "60", "platform": "alibaba",
    "market": "US", "language": "en", "stream_role": "host", "team_code": "",
    "viewers_uv": "420", "views_pv": "800", "peak_concurrent": "60", "avg_watch_sec": "95",
    "comments": "88", "engaged_viewers": "63", "new_followers": "21",
    "product_click_uv": "84", "product_clicks": "130", "orders": "9", "buyers": "6",
    "gmv": "3600.00", "currency": "USD", "inquiries": "14", "rfqs": "3",
    "ad_spend": "210.00", "violations": "0", "recording_url": "", "notes_md": "Good pacing.",
}
STREAM_HOSTILE = {
    "started_at": hostile_datetime_text(), "duration_min": hostile_number_text(),
    "platform": choice_or_hostile("tiktok_shop", "douyin"),
    "market": choice_or_hostile("DE", "AE"), "language": choice_or_hostile("es-MX", "zh-Hans"),
    "stream_role": choice_or_hostile("planner"), "team_code": hostile_text(60),
    "viewers_uv": hostile_number_text(), "views_pv": hostile_number_text(),
    "orders": hostile_number_text(), "gmv": hostile_number_text(),
    "ad_spend": hostile_number_text(), "currency": choice_or_hostile("EUR", "CNY"),
    "recording_url": hostile_text(), "notes_md": plausible_text("Good pacing."),
    "is_rehearsal": choice_or_hostile("y", "on"),
}
COHORT_FORM = {
    "name": "Hosts for the UAE", "track": "host", "seats": "4", "apply_by": "2031-01-10",
    "starts_on": "2031-02-01", "ends_on": "2031-06-01", "description": "Train *hosts*.",
    "required_modules": ["host-topic-1"], "platforms": ["alibaba"], "markets": "AE, SA",
    "languages": "ar, en", "hiring_commitment": "Interviews for all who pass.", "mentors": [],
}
COHORT_HOSTILE = {
    "name": plausible_text("Hosts for the UAE"), "track": choice_or_hostile("planner"),
    "seats": hostile_number_text(), "apply_by": hostile_date_text(),
    "starts_on": hostile_date_text(), "ends_on": hostile_date_text(),
    "description": st.one_of(plausible_text("Train *hosts*."), hostile_text()),
    "required_modules": choice_or_hostile("planner-topic-1", "host-topic-2"),
    "platforms": choice_or_hostile("douyin"), "markets": hostile_text(40),
    "languages": hostile_text(40), "hiring_commitment": plausible_text("Interviews."),
    "mentors": hostile_number_text(),
}

CASES = [
    FormCase(
        "register", "anonymous", lambda w: "/register",
        lambda w: {"email": "new.student@example.test", "display_name": "Wang Fang",
                   "password": TEST_PASSWORD, "confirm": TEST_PASSWORD,
                   "timezone": "Asia/Shanghai", "locale": "en"},
        {"email": st.one_of(hostile_text(80), st.emails().map(str)),
         "display_name": plausible_text("Wang Fang"), "password": hostile_text(200),
         "timezone": choice_or_hostile("UTC", "America/New_York"),
         "locale": choice_or_hostile("zh")},
        frozenset({"user", "login_attempt", "audit_event"}), _register),
    FormCase(
        "login", "anonymous", lambda w: "/login",
        lambda w: {"email": w.student.email, "password": "wrong-password-0000"},
        {"email": hostile_text(80), "password": hostile_text(200),
         "remember": choice_or_hostile("y")},
        frozenset(), ignore=frozenset({"login_attempt", "user"})),
    FormCase(
        "change_password", "student", lambda w: "/account/password",
        lambda w: {"current_password": "not-the-password", "new_password": TEST_PASSWORD,
                   "confirm": TEST_PASSWORD},
        {"current_password": hostile_text(100), "new_password": hostile_text(200),
         "confirm": hostile_text(200)},
        frozenset()),
    FormCase(
        "create_account", "admin", lambda w: "/admin/users/new",
        lambda w: {"email": "made.by.admin@example.test", "display_name": "Chen Jing",
                   "account_role": "instructor", "firm_slug": "", "password": TEST_PASSWORD,
                   "timezone": "UTC", "locale": "zh"},
        {"email": hostile_text(80), "display_name": plausible_text("Chen Jing"),
         "account_role": choice_or_hostile("partner", "admin"),
         "firm_slug": choice_or_hostile("yiwu-lighting", "no-such-firm"),
         "timezone": choice_or_hostile("Europe/Berlin")},
        frozenset({"user", "audit_event"}), _register),
    FormCase(
        "change_role", "admin", lambda w: f"/admin/users/{w.member.id}/role",
        lambda w: {"account_role": "student", "firm_slug": ""},
        {"account_role": choice_or_hostile("partner", "instructor", "admin"),
         "firm_slug": choice_or_hostile("yiwu-lighting")},
        frozenset({"user", "audit_event"}), page=lambda w: f"/admin/users/{w.member.id}"),
    FormCase(
        "firm", "admin", lambda w: "/admin/firms",
        lambda w: {"slug": "guangzhou-apparel", "name": "Guangzhou Apparel",
                   "website": "https://apparel.example", "description": "Dresses."},
        {"slug": hostile_text(80), "name": plausible_text("Guangzhou Apparel"),
         "website": hostile_text(), "description": hostile_text()},
        frozenset({"partner_firm", "audit_event"}), _firm),
    FormCase(
        "api_token", "instructor", lambda w: "/account/tokens",
        lambda w: {"name": "HR system", "scope": "read"},
        {"name": plausible_text("HR system"), "scope": choice_or_hostile("write", "admin")},
        frozenset({"api_token", "audit_event"}), _token, accepted=(200,)),
    FormCase(
        "new_cohort", "partner", lambda w: "/cohorts/new", lambda w: dict(COHORT_FORM),
        COHORT_HOSTILE, frozenset({"cohort", "cohort_mentor", "audit_event"}), _cohort),
    FormCase(
        "edit_cohort", "admin", lambda w: f"/cohorts/{w.recruiting.slug}/edit",
        lambda w: dict(COHORT_FORM), COHORT_HOSTILE,
        frozenset({"cohort", "cohort_mentor", "audit_event"})),
    FormCase(
        "cohort_status", "instructor", lambda w: f"/cohorts/{w.recruiting.slug}/status",
        lambda w: {"target": "selecting", "reason": ""},
        {"target": choice_or_hostile("cancelled", "closed", "draft"),
         "reason": hostile_text()},
        frozenset({"cohort", "cohort_member", "audit_event", "notification"}),
        page=lambda w: f"/cohorts/{w.recruiting.slug}"),
    FormCase(
        "apply", "student", lambda w: f"/cohorts/{w.recruiting.slug}/apply",
        lambda w: {"motivation": "I sell lighting on Alibaba.com live every Tuesday."},
        {"motivation": st.one_of(
            plausible_text("I sell lighting on Alibaba.com live every Tuesday."),
            hostile_text())},
        frozenset({"cohort_member", "audit_event", "notification"}), _application),
    FormCase(
        "decide", "partner",
        lambda w: f"/cohorts/{w.placing.slug}/members/{w.passed_member.id}/decision",
        lambda w: {"target": "failed", "reason": ""},
        {"target": choice_or_hostile("admitted", "rejected", "passed"),
         "reason": hostile_text()},
        frozenset({"cohort_member", "audit_event", "notification"}),
        page=lambda w: f"/cohorts/{w.placing.slug}/members/{w.passed_member.id}"),
    FormCase(
        "offer", "partner",
        lambda w: f"/cohorts/{w.placing.slug}/members/{w.passed_member.id}/offers",
        lambda w: {"position": "Live host, German", "offered_on": w.placing.starts_on.isoformat()},
        {"position": plausible_text("Live host, German"), "offered_on": hostile_date_text()},
        frozenset({"placement", "audit_event", "notification"}), _offer,
        page=lambda w: f"/cohorts/{w.placing.slug}/members/{w.passed_member.id}"),
    FormCase(
        "hire", "partner",
        lambda w: (f"/cohorts/{w.placing.slug}/members/{w.passed_member.id}/placements/"
                   f"{w.offer.id}/hire"),
        lambda w: {"starts_on": "2031-01-05"}, {"starts_on": hostile_date_text()},
        frozenset({"placement", "audit_event", "notification"}),
        page=lambda w: f"/cohorts/{w.placing.slug}/members/{w.passed_member.id}"),
    FormCase(
        "answer_offer", "member",
        lambda w: f"/cohorts/{w.placing.slug}/placements/{w.offer.id}/answer",
        lambda w: {"answer": "declined"}, {"answer": choice_or_hostile("accepted", "hired")},
        frozenset({"placement", "audit_event", "notification"}),
        page=lambda w: f"/cohorts/{w.placing.slug}"),
    FormCase(
        "new_event", "partner", lambda w: f"/cohorts/{w.recruiting.slug}/events/new",
        lambda w: {"title": "Product training", "kind": "class",
                   "starts_at": "2031-02-03T10:00", "duration_min": "90", "location": "Room 3"},
        {"title": plausible_text("Product training"), "kind": choice_or_hostile("interview"),
         "starts_at": hostile_datetime_text(), "duration_min": hostile_number_text(),
         "location": plausible_text("Room 3")},
        frozenset({"cohort_event", "audit_event", "notification"}), _event),
    FormCase(
        "preferences", "student", lambda w: "/inbox/preferences",
        lambda w: {"cohort_stage": "immediately", "deadline_reminder": "never",
                   "event_reminder": "digest", "weekly_digest": "immediately",
                   "inactivity_nudge": "never", "cohort_enrolment": "immediately"},
        {"cohort_stage": choice_or_hostile("digest", "never"),
         "weekly_digest": choice_or_hostile("digest", "never"),
         "event_reminder": choice_or_hostile("immediately")},
        frozenset({"notification_preference"})),
    FormCase(
        "log_stream", "student", lambda w: "/practice/new", lambda w: dict(STREAM_FORM),
        STREAM_HOSTILE, frozenset({"practice_stream", "audit_event"}), _stream),
    FormCase(
        "edit_stream", "student", lambda w: f"/practice/streams/{w.stream.id}/edit",
        lambda w: dict(STREAM_FORM), STREAM_HOSTILE,
        frozenset({"practice_stream", "audit_event"}),
        _edited_stream),
    FormCase(
        "annotate", "student", lambda w: f"/practice/streams/{w.stream.id}/annotate",
        lambda w: {"annotation_md": "Next time: show the MOQ earlier."},
        {"annotation_md": st.one_of(plausible_text("Show the MOQ earlier."), hostile_text())},
        frozenset({"practice_stream"}), _annotation,
        page=lambda w: f"/practice/streams/{w.stream.id}"),
    FormCase(
        "assess", "instructor", lambda w: f"/practice/streams/{w.stream.id}/assess",
        lambda w: {"level-product": "3", "level-compliance": "3",
                   "comments": "12:40 — missed the MOQ question", "feedback_md": "Clear."},
        {"level-product": hostile_number_text(), "level-compliance": hostile_number_text(),
         "comments": st.one_of(plausible_text("12:40 — missed the MOQ"), hostile_text()),
         "feedback_md": st.one_of(plausible_text("Clear."), hostile_text())},
        frozenset({"assessment", "assessment_revision", "audit_event", "notification"}),
        _assessment),
    FormCase(
        "revoke_certificate", "admin", lambda w: f"/certificates/{w.certificate.code}/revoke",
        lambda w: {"reason": "Issued by mistake."},
        {"reason": st.one_of(plausible_text("Issued by mistake."), hostile_text())},
        frozenset({"certificate", "audit_event"}), _revocation,
        page=lambda w: f"/certificates/{w.certificate.code}"),
    FormCase(
        "language", "student", lambda w: "/language",
        lambda w: {"locale": "zh", "next": "/practice"},
        {"locale": choice_or_hostile("en", "zh_CN"), "next": hostile_text()},
        frozenset({"user"}), page=lambda w: "/"),
    FormCase(
        "quiz", "student", lambda w: "/modules/host-topic-1/quiz",
        lambda w: {"q0": "0", "q1": ["0", "1", "3"]},
        {"q0": hostile_number_text(), "q1": hostile_number_text(), "q2": hostile_text(20)},
        frozenset({"quiz_attempt", "module_progress"})),
]


def _actor_client(world: FuzzWorld, case: FormCase,
                  client_for: Callable[[User | None], FlaskClient]) -> FlaskClient:
    return client_for(None if case.actor == "anonymous" else getattr(world, case.actor))


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_form_input_is_refused_cleanly_or_stored_as_validated(
        case: FormCase, world: FuzzWorld, client_for: Callable[[User | None], FlaskClient],
        snapshot: Callable[..., dict], session: Session) -> None:
    client = _actor_client(world, case, client_for)
    token = csrf_token(client, (case.page or case.url)(world))
    url, valid = case.url(world), case.valid(world)
    outcomes: set[str] = set()

    @FUZZ
    @given(changes=st.dictionaries(st.sampled_from(sorted(case.hostile)), st.just(None),
                                   max_size=3).flatmap(
        lambda chosen: st.fixed_dictionaries({name: case.hostile[name] for name in chosen})))
    def attempt(changes: dict[str, str]) -> None:
        sent = {**valid, **changes}
        before = snapshot(case.ignore)
        response = client.post(url, data=form_body({"csrf_token": token, **sent}),
                               content_type=FORM)
        assert response.status_code < 500, (response.status_code, sorted(changes))
        written = changed_tables(before, snapshot(case.ignore))
        if not written:
            outcomes.add("refused")
            return
        outcomes.add("accepted")
        assert response.status_code in case.accepted, (
            f"a refused request ({response.status_code}) wrote to {sorted(written)}")
        assert written <= case.writes, sorted(written - case.writes)
        if case.verify is not None:
            case.verify(session, world, {name: as_received(value)
                                         for name, value in sent.items()
                                         if isinstance(value, str)})

    attempt()
    print(case.name, sorted(outcomes))


def test_a_form_without_its_csrf_token_writes_nothing(
        world: FuzzWorld, client_for: Callable[[User | None], FlaskClient],
        snapshot: Callable[..., dict]) -> None:
    """The fuzzers send a real token; without one the same valid forms are refused."""
    for case in CASES:
        if case.actor == "anonymous":
            continue
        client = _actor_client(world, case, client_for)
        before = snapshot()
        response = client.post(case.url(world), data=form_body(case.valid(world)),
                               content_type=FORM)
        assert response.status_code == 400, case.name
        assert not changed_tables(before, snapshot()), case.name


QUERY = st.fixed_dictionaries({}, optional={
    "platform": choice_or_hostile("alibaba"), "stream_role": choice_or_hostile("host"),
    "since": hostile_date_text(), "until": hostile_date_text(), "page": hostile_number_text(),
    "q": hostile_text(huge=False), "sort": hostile_text(20, huge=False),
    "order": choice_or_hostile("desc"), "status": choice_or_hostile("recruiting"),
    "track": choice_or_hostile("host"), "student": hostile_number_text(),
    "role": choice_or_hostile("student"),
})


def test_hostile_query_strings_never_error_on_list_pages(
        world: FuzzWorld, client_for: Callable[[User | None], FlaskClient]) -> None:
    """GET filters, search, sorting and paging read hostile query strings as a 4xx or a page."""
    pages = [("student", "/practice"), ("student", "/courses/search"),
             ("student", "/cohorts"), ("student", "/gradebook"),
             ("instructor", "/practice/class"),
             ("instructor", f"/practice/students/{world.student.id}"),
             ("instructor", "/assessments/queue"), ("instructor", "/gradebook/class"),
             ("instructor", "/cohorts/dashboard"), ("admin", "/admin/users"),
             ("admin", "/admin/jobs"),
             ("partner", f"/cohorts/{world.recruiting.slug}/applicants"),
             ("partner", f"/cohorts/{world.recruiting.slug}/board")]
    clients = {role: client_for(getattr(world, role)) for role, _url in pages}

    @FUZZ
    @given(page=st.sampled_from(pages), query=QUERY)
    def attempt(page: tuple[str, str], query: dict[str, str]) -> None:
        role, url = page
        response = clients[role].get(url, query_string=form_body(query).decode())
        assert response.status_code < 500, (role, url, query)

    attempt()
    for role, url in pages:  # and every page once with every hostile parameter at once
        response = clients[role].get(url, query_string={
            "page": "9" * 30, "student": "-1", "since": "0001-01-01", "until": "9999-12-31",
            "q": "%_" * 200, "sort": "'; --", "order": "desc", "status": "x", "track": "x"})
        assert response.status_code < 500, (role, url)


def test_every_case_names_tables_the_snapshot_covers(snapshot: Callable[..., dict]) -> None:
    """A misspelt table in ``writes`` would let a stray write pass unnoticed."""
    tables = set(snapshot())
    for case in CASES:
        assert case.writes <= tables, (case.name, case.writes - tables)
