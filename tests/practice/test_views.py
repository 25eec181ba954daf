"""Practice pages: logging through the form, seeing KPIs and charts, permissions, bounds."""

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from academy.auth.models import AccountRole, User
from academy.paging import STUDENTS_PER_PAGE
from academy.practice.models import PracticeStream
from academy.security import hash_password
from tests.helpers import TEST_PASSWORD, csrf_token, submit
from tests.practice.factories import WORKED, add_stream

NOW = dt.datetime.now(dt.UTC)
FORM = {
    "started_at": "2026-11-20T20:00", "duration_min": "60", "platform": "alibaba",
    "market": "US", "language": "en", "stream_role": "host", "team_code": "", "currency": "USD",
    "recording_url": "https://live.example/replay/1", "notes_md": "First B2B stream 第一次",
    **{name: str(value) for name, value in WORKED.items()},
}


def _count(session: Session) -> int:
    session.rollback()  # end the read snapshot, so rows the app wrote since are visible
    return session.exec(select(func.count()).select_from(PracticeStream)).one()


def test_student_logs_a_stream_and_sees_hand_worked_kpis(client: FlaskClient, login_as,
                                                         session: Session) -> None:
    login_as("student")
    response = submit(client, "/practice/new", FORM)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    cells = re.findall(r'<th scope="row">([^<]+)</th>\s*<td class="num">([^<]+)</td>', page)
    values = {label: value.strip() for label, value in cells}
    assert values["Interaction rate"] == "15.0%"      # 63 / 420
    assert values["Conversion"] == "7.1%"             # 6 / 84
    assert values["GPM"] == "$4,500.00"               # 3,600 × 1000 / 800
    assert values["AOV"] == "$600.00"                 # 3,600 / 6
    assert values["Cost per inquiry"] == "$15.00"     # 210 / 14
    assert "第一次" in page
    assert _count(session) == 1


def test_invalid_stream_is_422_keeps_input_and_marks_the_field(client: FlaskClient, login_as,
                                                               session: Session) -> None:
    login_as("student")
    response = submit(client, "/practice/new", {**FORM, "buyers": "90", "orders": "95"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="buyers-error"' in body and "cannot exceed the viewers who clicked" in body
    assert 'value="90"' in body and "First B2B stream 第一次" in body
    assert _count(session) == 0


def test_text_in_a_number_field_is_422(client: FlaskClient, login_as, session: Session) -> None:
    login_as("student")
    response = submit(client, "/practice/new", {**FORM, "viewers_uv": "lots"})
    assert response.status_code == 422 and 'id="viewers_uv-error"' in response.get_data(
        as_text=True)
    assert _count(session) == 0


hostile_text = st.one_of(
    st.text(max_size=300), st.just("9" * 400), st.just("-1"), st.just("NaN"), st.just("1e309"),
    st.just("<script>alert(1)</script>"), st.just("' OR 1=1--"), st.just("\u202e\u0000"),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)


def test_hostile_values_never_give_5xx_or_partial_rows(app: Flask, make_user,
                                                       session: Session) -> None:
    student = make_user("student")
    client = app.test_client()
    submit(client, "/login", {"email": student.email, "password": TEST_PASSWORD})

    @settings(max_examples=60, deadline=None)
    @given(field=st.sampled_from(sorted(FORM)), value=hostile_text)
    def post(field: str, value: str) -> None:
        before = _count(session)
        response = submit(client, "/practice/new", {**FORM, field: value})
        assert response.status_code in (302, 400, 422)  # 400: a NUL character
        assert _count(session) == before + (response.status_code == 302)

    post()


def test_edit_keeps_the_local_start_time_and_updates(client: FlaskClient, login_as,
                                                     session: Session) -> None:
    login_as("student")
    location = submit(client, "/practice/new", FORM).headers["Location"]
    stream_id = int(location.rsplit("/", 1)[1])
    edit = client.get(f"/practice/streams/{stream_id}/edit").get_data(as_text=True)
    assert 'value="2026-11-20T20:00"' in edit
    response = submit(client, f"/practice/streams/{stream_id}/edit", {**FORM, "comments": "99"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(PracticeStream, stream_id).comments == 99


def test_delete_asks_for_confirmation_first(client: FlaskClient, login_as,
                                            session: Session) -> None:
    login_as("student")
    stream_id = int(submit(client, "/practice/new", FORM).headers["Location"].rsplit("/", 1)[1])
    confirm = client.get(f"/practice/streams/{stream_id}/delete")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.get_data(as_text=True)
    assert _count(session) == 1
    submit(client, f"/practice/streams/{stream_id}/delete", {})
    assert _count(session) == 0


def test_team_members_see_each_other_on_the_stream_page(app: Flask, client: FlaskClient,
                                                        login_as, make_user) -> None:
    login_as("student", display_name="Host Hu")
    partner_client = app.test_client()
    teammate = make_user("student", display_name="Deputy Du")
    submit(partner_client, "/login", {"email": teammate.email, "password": TEST_PASSWORD})
    submit(partner_client, "/practice/new", {**FORM, "team_code": "LED-1120",
                                             "stream_role": "deputy_host"})
    location = submit(client, "/practice/new", {**FORM, "team_code": "LED-1120"}).headers[
        "Location"]
    page = client.get(location).get_data(as_text=True)
    assert "Deputy Du" in page and "Deputy host" in page


def test_my_practice_shows_totals_and_accessible_charts(client: FlaskClient, login_as) -> None:
    login_as("student")
    for day in ("2026-11-18T20:00", "2026-11-19T20:00", "2026-11-20T20:00"):
        submit(client, "/practice/new", {**FORM, "started_at": day})
    page = client.get("/practice").get_data(as_text=True)
    assert re.search(r'<p class="stat">3</p>\s*<p>streams</p>', page)
    assert re.search(r'<p class="stat">3.0</p>\s*<p>hours on air</p>', page)
    assert "$10,800.00" in page
    svgs = re.findall(r"<svg.*?</svg>", page, flags=re.DOTALL)
    assert len(svgs) >= 5
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.get("role") == "img" and root.find("{*}title") is not None
    assert page.count("Data as a table") >= 5


def test_filters_narrow_the_list(client: FlaskClient, login_as) -> None:
    login_as("student")
    submit(client, "/practice/new", FORM)
    submit(client, "/practice/new", {**FORM, "platform": "tiktok_shop"})
    page = client.get("/practice?platform=tiktok_shop").get_data(as_text=True)
    assert page.count('href="/practice/streams/') == 1
    none = client.get("/practice?since=2030-01-01").get_data(as_text=True)
    assert "No stream matches these filters." in none


def test_csv_download_is_an_attachment_with_bom(client: FlaskClient, login_as) -> None:
    login_as("student")
    submit(client, "/practice/new", FORM)
    response = client.get("/practice/export.csv")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.data.startswith("\ufeff".encode())
    assert "第一次" in response.data.decode("utf-8-sig")


def test_another_students_stream_is_not_found(app: Flask, client: FlaskClient, login_as,
                                              make_user) -> None:
    login_as("student")
    stream_id = int(submit(client, "/practice/new", FORM).headers["Location"].rsplit("/", 1)[1])
    intruder = app.test_client()
    other = make_user("student")
    submit(intruder, "/login", {"email": other.email, "password": TEST_PASSWORD})
    for url in (f"/practice/streams/{stream_id}", f"/practice/streams/{stream_id}/edit",
                f"/practice/streams/{stream_id}/delete"):
        assert intruder.get(url).status_code == 404
    token = csrf_token(intruder, "/practice/new")
    for url in (f"/practice/streams/{stream_id}/delete", f"/practice/streams/{stream_id}/annotate",
                f"/practice/streams/{stream_id}/edit"):
        assert intruder.post(url, data={"csrf_token": token}).status_code in (404, 422)


STUDENT_ONLY = ["/practice", "/practice/new", "/practice/export.csv"]
STAFF_ONLY = ["/practice/class", "/practice/class/export.csv"]


@pytest.mark.parametrize(("account_role", "url", "status"), [
    *[(role, url, 200 if role == "student" else 403) for url in STUDENT_ONLY
      for role in ("student", "instructor", "partner", "admin")],
    *[(role, url, 200 if role in ("instructor", "admin") else 403) for url in STAFF_ONLY
      for role in ("student", "instructor", "partner", "admin")],
    # Partner staff may open the list of a student they mentor; of anyone else: not found.
    *[(role, "/practice/students/{student}", status) for role, status in (
        ("student", 403), ("instructor", 200), ("partner", 404), ("admin", 200))],
])
def test_route_permissions(client: FlaskClient, login_as, make_user, account_role: str,
                           url: str, status: int) -> None:
    target = make_user("student")
    login_as(account_role)
    assert client.get(url.format(student=target.id)).status_code == status


def test_staff_see_a_students_stream_but_partners_do_not(app: Flask, client: FlaskClient,
                                                         login_as, make_user) -> None:
    login_as("student")
    stream_url = submit(client, "/practice/new", FORM).headers["Location"]
    for account_role, status in (("instructor", 200), ("admin", 200), ("partner", 404)):
        viewer = app.test_client()
        user = make_user(account_role)
        submit(viewer, "/login", {"email": user.email, "password": TEST_PASSWORD})
        assert viewer.get(stream_url).status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(client: FlaskClient) -> None:
    for url in [*STUDENT_ONLY, "/practice/class", "/practice/streams/1"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def _bulk_streams(session: Session, student, count: int) -> None:  # type: ignore[no-untyped-def]
    start = NOW - dt.timedelta(days=365)
    for index in range(count):
        add_stream(session, student, start + dt.timedelta(minutes=50 * index),
                   duration_min=30 + index % 90, platform=["alibaba", "tiktok_shop", "shopee"][
                       index % 3], stream_role=["host", "operator"][index % 2])
    session.commit()


@pytest.mark.parametrize("page", ["/practice", "/practice/streams/{first}"])
def test_student_pages_issue_the_same_queries_at_100_and_10000_streams(
        client: FlaskClient, login_as, session: Session, count_queries, page: str) -> None:
    student = login_as("student")
    _bulk_streams(session, student, 100)
    first = session.exec(select(PracticeStream.id)).first()
    with count_queries() as small:
        assert client.get(page.format(first=first)).status_code == 200
    _bulk_streams(session, student, 9_900)
    with count_queries() as large:
        assert client.get(page.format(first=first)).status_code == 200
    assert small.count == large.count


@pytest.mark.parametrize("url", ["/practice/class", "/practice/class?sort=median_gpm&order=desc"])
def test_class_overview_issues_the_same_queries_at_any_size(client: FlaskClient, login_as,
                                                            make_user, session: Session,
                                                            count_queries, url: str) -> None:
    _bulk_streams(session, make_user("student"), 10)
    login_as("instructor")
    with count_queries() as small:
        assert client.get(url).status_code == 200
    for _ in range(20):
        _bulk_streams(session, make_user("student"), 50)
    with count_queries() as large:
        page = client.get(url)
    assert small.count == large.count
    assert page.get_data(as_text=True).count("inactive 7+ days") == 21


def test_class_overview_pages_the_class_and_keeps_the_order(client: FlaskClient, login_as,
                                                            session: Session) -> None:
    password_hash = hash_password("irrelevant-password")
    students = [User(email=f"pupil{index:03}@example.test", display_name=f"Pupil {index:03}",
                     password_hash=password_hash, account_role=AccountRole.STUDENT)
                for index in range(STUDENTS_PER_PAGE + 5)]
    session.add_all(students)
    session.commit()
    for student in students[:3]:
        _bulk_streams(session, student, 2)
    login_as("instructor")
    first = client.get("/practice/class").get_data(as_text=True)
    assert "Pupil 000" in first and f"Pupil {STUDENTS_PER_PAGE - 1:03}" in first
    assert f"Pupil {STUDENTS_PER_PAGE:03}" not in first
    assert 'rel="next"' in first
    second = client.get("/practice/class?page=2").get_data(as_text=True)
    assert [f"Pupil {index:03}" in second for index in (0, STUDENTS_PER_PAGE,
                                                         STUDENTS_PER_PAGE + 4)] == [
        False, True, True]
    assert 'rel="prev"' in second and 'rel="next"' not in second
    by_streams = client.get("/practice/class?sort=streams&order=desc").get_data(as_text=True)
    assert by_streams.index("Pupil 000") < by_streams.index("Pupil 010")
    assert "sort=streams" in by_streams[by_streams.index('rel="next"') - 200:]
    assert client.get("/practice/class?page=3").status_code == 404
    assert client.get("/practice/class?page=999&sort=median_gpm").status_code == 404
