"""Every API endpoint under hostile input: never a 5xx, problem details, no partial write.

Bodies start from a valid request and get one to three fields replaced by values of any JSON
type (huge and non-finite numbers, wrong types, Unicode edge cases, lone surrogates, 1 MB
strings, bad dates and offsets); paths and query strings get hostile ids, slugs and cursors.
A refused request must leave every table as it was (the token's own rate-limit counters
aside); an accepted one must store what the response reports, within the validated ranges.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from urllib.parse import quote

from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session

from academy.cohorts.models import Placement
from academy.practice.models import PracticeStream
from academy.practice.service import MAX_AMOUNT, MAX_COUNT
from tests.fuzz.conftest import FUZZ, FuzzWorld, changed_tables
from tests.fuzz.hostile import (
    DATES,
    DATETIMES,
    NUMBERS,
    hostile_text,
    huge_strings,
    json_scalar,
)

# The token's last use and rate-limit window change on every request, refused or not.
VOLATILE = frozenset({"api_token"})
VALID_STREAM = {
    "started_at": "2026-11-20T12:00:00Z", "duration_min": 60, "platform": "alibaba",
    "market": "US", "language": "en", "stream_role": "host", "viewers_uv": 420,
    "views_pv": 800, "product_click_uv": 84, "product_clicks": 130, "orders": 9, "buyers": 6,
    "gmv": "3600.00", "currency": "USD", "notes_md": "Good pacing.",
}
STREAM_FIELDS = sorted({*VALID_STREAM, "team_code", "recording_url", "is_rehearsal",
                        "ad_spend", "peak_concurrent", "unknown_field"})
OFFSETS = ["2026-11-20T12:00:00+14:00", "2026-11-20T12:00:00-12:00", "2026-11-20T12:00:00",
           "2026-11-20T12:00:00+24:00", "0001-01-01T00:00:00+00:01", "9999-12-31T23:59:59-23:59",
           "2026-03-29T02:30:00+01:00", "2026-11-20T12:00:00.999999999Z"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def hostile_json_value() -> st.SearchStrategy[object]:
    return st.one_of(json_scalar(), st.sampled_from(OFFSETS + DATES + DATETIMES + NUMBERS),
                     huge_strings())


def body_changes(fields: list[str]) -> st.SearchStrategy[dict[str, object]]:
    return st.dictionaries(st.sampled_from(fields), hostile_json_value(), max_size=3)


def send_json(client: FlaskClient, method: str, url: str, token: str, body: object) -> object:
    """Encode as a lax client would: NaN, Infinity and lone surrogates pass through."""
    raw = json.dumps(body, allow_nan=True).encode("utf-8", "surrogatepass")
    return client.open(url, method=method, data=raw, content_type="application/json",
                       headers=bearer(token))


def assert_refused_as_problem(response: object) -> None:
    assert response.mimetype == "application/problem+json", (  # type: ignore[attr-defined]
        response.status_code, response.get_data(as_text=True)[:200])  # type: ignore[attr-defined]
    problem = response.get_json()  # type: ignore[attr-defined]
    assert problem["status"] == response.status_code  # type: ignore[attr-defined]


def assert_stream_as_validated(session: Session, stream_id: int, reported: dict) -> None:
    session.rollback()
    stream = session.get(PracticeStream, stream_id, populate_existing=True)
    assert stream is not None
    assert 1 <= stream.duration_min <= 720
    for name in ("viewers_uv", "views_pv", "orders", "buyers", "product_clicks"):
        assert 0 <= getattr(stream, name) <= MAX_COUNT
    assert Decimal(0) <= stream.gmv < MAX_AMOUNT
    assert 1900 <= stream.started_at.year <= 2200
    assert "\x00" not in stream.notes_md and len(stream.notes_md) <= 2000
    assert reported["notes_md"] == stream.notes_md
    assert Decimal(str(reported["gmv"])) == stream.gmv
    assert reported["duration_min"] == stream.duration_min


def check(response: object, before: dict, after: dict, accepted: tuple[int, ...]) -> bool:
    """Never a 5xx; a refusal is a problem document and writes nothing. True if accepted."""
    status = response.status_code  # type: ignore[attr-defined]
    assert status < 500, (status, response.get_data(as_text=True)[:300])  # type: ignore[attr-defined]
    if status in accepted:
        return True
    assert_refused_as_problem(response)
    assert not changed_tables(before, after), (status, changed_tables(before, after))
    return False


def test_logging_a_stream_through_the_api_takes_hostile_bodies(
        client: FlaskClient, world: FuzzWorld, snapshot: Callable[..., dict],
        session: Session) -> None:
    token = world.tokens["student"]

    @FUZZ
    @given(changes=body_changes(STREAM_FIELDS))
    def attempt(changes: dict[str, object]) -> None:
        before = snapshot(VOLATILE)
        response = send_json(client, "POST", "/api/v1/me/streams", token,
                             {**VALID_STREAM, **changes})
        after = snapshot(VOLATILE)
        if check(response, before, after, (201,)):
            assert changed_tables(before, after) <= {"practice_stream", "audit_event"}
            reported = response.get_json()
            assert_stream_as_validated(session, reported["id"], reported)

    attempt()


def test_correcting_a_stream_through_the_api_takes_hostile_bodies(
        client: FlaskClient, world: FuzzWorld, snapshot: Callable[..., dict],
        session: Session) -> None:
    token, url = world.tokens["student"], f"/api/v1/me/streams/{world.stream.id}"

    @FUZZ
    @given(changes=body_changes(STREAM_FIELDS).filter(bool))
    def attempt(changes: dict[str, object]) -> None:
        before = snapshot(VOLATILE)
        response = send_json(client, "PATCH", url, token, changes)
        after = snapshot(VOLATILE)
        if check(response, before, after, (200,)):
            assert changed_tables(before, after) <= {"practice_stream", "audit_event"}
            assert_stream_as_validated(session, world.stream.id or 0, response.get_json())

    attempt()


def test_offering_a_placement_through_the_api_takes_hostile_bodies(
        client: FlaskClient, world: FuzzWorld, snapshot: Callable[..., dict],
        session: Session) -> None:
    token = world.tokens["partner"]
    url = f"/api/v1/cohorts/{world.placing.slug}/placements"
    valid = {"member_id": world.passed_member.id, "position": "Live host, German",
             "offered_on": world.placing.starts_on.isoformat()}

    @FUZZ
    @given(changes=body_changes(["member_id", "position", "offered_on", "status"]))
    def attempt(changes: dict[str, object]) -> None:
        before = snapshot(VOLATILE)
        response = send_json(client, "POST", url, token, {**valid, **changes})
        after = snapshot(VOLATILE)
        if check(response, before, after, (201,)):
            session.rollback()
            placement = session.get(Placement, response.get_json()["id"])
            assert placement is not None and 2 <= len(placement.position) <= 200

    attempt()


@st.composite
def raw_bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    """Bodies that are not what they claim: broken JSON, other types, huge, binary."""
    body = draw(st.one_of(
        st.sampled_from([b"", b"{", b"[]", b"null", b"1e999999", b'{"a":' * 5000,
                         b'{"duration_min": NaN}', b"\xff\xfe\x00\x00", b'"\\ud800"',
                         json.dumps(VALID_STREAM).encode("utf-16")]),
        st.binary(max_size=200),
        huge_strings().map(lambda text: json.dumps({"notes_md": text}).encode()),
    ))
    content_type = draw(st.sampled_from(["application/json", "text/plain",
                                         "application/x-www-form-urlencoded",
                                         "application/json; charset=latin-1", ""]))
    return body, content_type


def test_the_api_refuses_bodies_that_are_not_json_objects(
        client: FlaskClient, world: FuzzWorld, snapshot: Callable[..., dict]) -> None:
    token = world.tokens["student"]
    urls = [("POST", "/api/v1/me/streams"), ("PATCH", f"/api/v1/me/streams/{world.stream.id}")]

    @FUZZ
    @given(raw=raw_bodies())
    def attempt(raw: tuple[bytes, str]) -> None:
        body, content_type = raw
        for method, url in urls:
            before = snapshot(VOLATILE)
            response = client.open(url, method=method, data=body, content_type=content_type,
                                   headers=bearer(token))
            check(response, before, snapshot(VOLATILE), ())

    attempt()


def _path_part() -> st.SearchStrategy[str]:
    return st.one_of(hostile_text(100, huge=False), st.sampled_from(NUMBERS)).map(
        lambda text: quote(text.encode("utf-8", "surrogatepass"), safe=""))


def test_hostile_ids_slugs_and_cursors_are_refused_or_not_found(
        client: FlaskClient, world: FuzzWorld, snapshot: Callable[..., dict]) -> None:
    student, partner = world.tokens["student"], world.tokens["partner"]
    instructor = world.tokens["instructor"]
    by_path = [("GET", "/api/v1/modules/{}", student), ("GET", "/api/v1/me/streams/{}", student),
               ("DELETE", "/api/v1/me/streams/{}", student),
               ("GET", "/api/v1/cohorts/{}/members", partner),
               ("GET", "/api/v1/cohorts/{}/placements", partner),
               ("GET", "/api/v1/students/{}/streams", instructor)]
    lists = [("/api/v1/modules", student), ("/api/v1/me/streams", student),
             ("/api/v1/cohorts", partner),
             (f"/api/v1/cohorts/{world.placing.slug}/members", partner),
             (f"/api/v1/students/{world.student.id}/streams", instructor)]

    @FUZZ
    @given(part=_path_part(), target=st.sampled_from(by_path), listing=st.sampled_from(lists),
           query=st.fixed_dictionaries({}, optional={
               "limit": st.sampled_from(NUMBERS), "cursor": hostile_text(300, huge=False),
               "extra": hostile_text(20, huge=False)}))
    def attempt(part: str, target: tuple[str, str, str], listing: tuple[str, str],
                query: dict[str, str]) -> None:
        before = snapshot(VOLATILE)
        method, pattern, token = target
        response = client.open(pattern.format(part), method=method, headers=bearer(token))
        assert response.status_code < 500, (pattern, part, response.status_code)
        url, token = listing
        response = client.get(url, query_string=query, headers=bearer(token))
        assert response.status_code < 500, (url, query, response.status_code)
        if response.status_code != 200:
            assert_refused_as_problem(response)
        assert not changed_tables(before, snapshot(VOLATILE))

    attempt()


def test_hostile_bearer_tokens_are_refused_without_writing(
        client: FlaskClient, world: FuzzWorld, snapshot: Callable[..., dict]) -> None:
    @FUZZ
    @given(token=st.one_of(hostile_text(200), st.just(world.tokens["student"] + "x"),
                           st.just(world.tokens["student"].upper())))
    def attempt(token: str) -> None:
        before = snapshot()
        header = f"Bearer {token}".encode("utf-8", "surrogatepass").decode("latin-1")
        response = client.get("/api/v1/me/streams", headers={"Authorization": header})
        assert response.status_code in (400, 401), response.status_code
        assert not changed_tables(before, snapshot())

    attempt()
