"""Logging rules and the numbers the practice pages are built from."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from academy.audit.models import AuditEvent
from academy.errors import NotAllowed, NotFound
from academy.practice import service
from academy.practice.models import PracticeStream
from academy.practice.service import StreamInvalid
from tests.practice.factories import add_stream, stream_input

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def test_start_time_is_read_in_the_students_time_zone(session: Session, make_user) -> None:
    student = make_user("student")  # Asia/Shanghai, UTC+8
    stream = service.log_stream(session, student,
                                stream_input(started_at=dt.datetime(2026, 11, 21, 21, 30)),
                                now=NOW)
    assert stream.started_at == dt.datetime(2026, 11, 21, 13, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(("changes", "field"), [
    ({"duration_min": 0}, "duration_min"),
    ({"duration_min": 721}, "duration_min"),
    ({"viewers_uv": -1}, "viewers_uv"),
    ({"viewers_uv": 10_000_001, "views_pv": 10_000_001}, "viewers_uv"),
    ({"views_pv": 100}, "views_pv"),                       # fewer views than viewers
    ({"peak_concurrent": 500}, "peak_concurrent"),         # more than the 420 viewers
    ({"engaged_viewers": 421}, "engaged_viewers"),
    ({"new_followers": 421}, "new_followers"),
    ({"product_click_uv": 421}, "product_click_uv"),
    ({"product_clicks": 10}, "product_clicks"),            # fewer clicks than clickers
    ({"buyers": 85}, "buyers"),                            # more buyers than clickers
    ({"orders": 5}, "orders"),                             # fewer orders than buyers
    ({"avg_watch_sec": 3601}, "avg_watch_sec"),            # longer than the 60-minute stream
    ({"gmv": Decimal("-1")}, "gmv"),
    ({"gmv": Decimal("1.005")}, "gmv"),
    ({"gmv": Decimal("NaN")}, "gmv"),
    ({"ad_spend": Decimal("1e12")}, "ad_spend"),
    ({"platform": "myspace"}, "platform"),
    ({"market": "XX"}, "market"),
    ({"language": "klingon"}, "language"),
    ({"currency": "BTC"}, "currency"),
    ({"stream_role": "director"}, "stream_role"),
    ({"team_code": "A B"}, "team_code"),
    ({"recording_url": "javascript:alert(1)"}, "recording_url"),
    ({"notes_md": "x" * 2001}, "notes_md"),
    ({"started_at": dt.datetime(2026, 11, 23, 12, 0)}, "started_at"),   # tomorrow
    ({"started_at": None}, "started_at"),
])
def test_a_broken_rule_names_its_field_and_writes_nothing(session: Session, make_user,
                                                          changes: dict, field: str) -> None:
    student = make_user("student")
    with pytest.raises(StreamInvalid) as refused:
        service.log_stream(session, student, stream_input(**changes), now=NOW)
    assert field in refused.value.errors
    session.rollback()
    assert session.exec(select(PracticeStream)).first() is None


def test_only_students_log_streams(session: Session, make_user) -> None:
    with pytest.raises(NotAllowed):
        service.log_stream(session, make_user("instructor"), stream_input(), now=NOW)


def test_notes_are_sanitised_markdown(session: Session, make_user) -> None:
    stream = service.log_stream(session, make_user("student"), stream_input(
        notes_md="**Good** hook. <script>alert(1)</script> 客户问了MOQ"), now=NOW)
    assert "<strong>Good</strong>" in stream.notes_html and "<script" not in stream.notes_html
    assert "客户问了MOQ" in stream.notes_html


def test_edit_and_delete_are_audited_and_only_for_the_owner(session: Session,
                                                            make_user) -> None:
    owner, other = make_user("student"), make_user("student")
    stream = service.log_stream(session, owner, stream_input(), now=NOW)
    with pytest.raises(NotFound):
        service.update_stream(session, other, stream.id, stream_input(viewers_uv=400),
                              now=NOW)
    service.update_stream(session, owner, stream.id, stream_input(viewers_uv=400), now=NOW)
    with pytest.raises(NotFound):
        service.delete_stream(session, other, stream.id, now=NOW)
    service.delete_stream(session, owner, stream.id, now=NOW)
    actions = [event.action for event in session.exec(select(AuditEvent).where(
        AuditEvent.subject_type == "practice_stream"))]
    assert sorted(actions) == ["stream.deleted", "stream.edited"]
    assert session.get(PracticeStream, stream.id) is None


def test_totals_sum_hours_and_gmv_per_currency(session: Session, make_user) -> None:
    student = make_user("student")
    for minutes, gmv, currency in ((60, "100.50", "USD"), (90, "200.25", "USD"),
                                   (30, "999.00", "EUR")):
        add_stream(session, student, NOW - dt.timedelta(days=1), duration_min=minutes,
                   gmv=Decimal(gmv), currency=currency)
    session.commit()
    page = service.list_streams(session, student, student.id)
    assert page.totals.streams == 3 and page.totals.hours == Decimal("3.0")
    assert page.totals.gmv_by_currency == [("EUR", Decimal("999.00")),
                                           ("USD", Decimal("300.75"))]


def test_medians_are_computed_per_kpi_ignoring_undefined_values(session: Session,
                                                                make_user) -> None:
    student = make_user("student")
    # GPM of 1000, 2000, 4000 and one stream without views (GPM undefined): median 2000.
    for gmv, views in (("100", 100), ("400", 200), ("400", 100), ("50", 0)):
        add_stream(session, student, NOW, gmv=Decimal(gmv), views_pv=views, viewers_uv=0,
                   peak_concurrent=0, engaged_viewers=0, new_followers=0, product_click_uv=0,
                   buyers=0, orders=0, product_clicks=0, inquiries=0)
    session.commit()
    medians = service.median_kpis(session, student.id)
    assert medians["gpm"] == pytest.approx(2000)
    assert medians["aov"] is None  # no stream has buyers


def test_median_of_an_even_count_averages_the_middle_two(session: Session, make_user) -> None:
    student = make_user("student")
    for buyers in (1, 2, 3, 4):
        add_stream(session, student, NOW, buyers=buyers, orders=buyers,
                   gmv=Decimal(100 * buyers * buyers))  # AOV 100, 200, 300, 400
    session.commit()
    assert service.median_kpis(session, student.id)["aov"] == pytest.approx(250)


def test_hours_per_week_buckets_in_the_viewers_week(session: Session, make_user) -> None:
    student = make_user("student")  # Asia/Shanghai
    # Sunday 23 Nov 2026 23:30 Shanghai is Sunday 15:30 UTC: still the week of Monday 17 Nov.
    add_stream(session, student, dt.datetime(2026, 11, 22, 15, 30, tzinfo=dt.UTC),
               duration_min=90)
    # Monday 00:30 Shanghai is Sunday 16:30 UTC: the new week of Monday 23 Nov.
    add_stream(session, student, dt.datetime(2026, 11, 22, 16, 30, tzinfo=dt.UTC),
               duration_min=30)
    session.commit()
    data = service.progress_data(session, student, student.id,
                                 now=dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC))
    assert [w.week_start for w in data.weeks][-2:] == [dt.date(2026, 11, 16),
                                                       dt.date(2026, 11, 23)]
    assert [w.hours for w in data.weeks][-2:] == [1.5, 0.5]
    assert data.by_platform == [("alibaba", 2)]


def test_class_overview_flags_inactive_students_and_sorts(session: Session,
                                                          make_user) -> None:
    busy = make_user("student", display_name="Busy Bo")
    idle = make_user("student", display_name="Idle Ivy")
    make_user("student", display_name="New Nia")
    for days_ago in (1, 2, 3):
        add_stream(session, busy, NOW - dt.timedelta(days=days_ago))
    add_stream(session, idle, NOW - dt.timedelta(days=10), duration_min=120)
    session.commit()
    instructor = make_user("instructor")
    rows = {row.name: row for row in service.class_overview(session, instructor, now=NOW).rows}
    assert (rows["Busy Bo"].streams, rows["Busy Bo"].inactive) == (3, False)
    assert rows["Busy Bo"].median_gpm == pytest.approx(4500)
    assert (rows["Idle Ivy"].hours, rows["Idle Ivy"].inactive) == (Decimal("2.0"), True)
    assert rows["New Nia"].inactive and rows["New Nia"].median_gpm is None
    by_streams = service.class_overview(session, instructor, now=NOW, sort="streams",
                                        descending=True)
    assert [row.name for row in by_streams.rows] == ["Busy Bo", "Idle Ivy", "New Nia"]
    assert (by_streams.page, by_streams.has_next) == (1, False)
    with pytest.raises(NotAllowed):
        service.class_overview(session, busy, now=NOW)


def test_csv_is_excel_safe_and_keeps_chinese(session: Session, make_user) -> None:
    student = make_user("student", display_name="李娜")
    service.log_stream(session, student, stream_input(
        notes_md="=HYPERLINK(\"http://evil\") 第一次直播很紧张"), now=NOW)
    text = service.streams_csv(session, student, [student.id])
    assert text.startswith("\ufeffid,student,")
    assert "李娜" in text and "第一次直播很紧张" in text
    assert "'=HYPERLINK" in text
    header, row = text.strip("\ufeff").splitlines()[:2]
    assert header.endswith(",gpm,uv_value,aov,inquiry_rate,cost_per_inquiry")
    assert row.endswith(",4500.0000,8.5714,600.0000,0.0333,15.0000")


def test_students_cannot_export_others(session: Session, make_user) -> None:
    student, other = make_user("student"), make_user("student")
    with pytest.raises(NotAllowed):
        service.streams_csv(session, student, [other.id])
    with pytest.raises(NotAllowed):
        service.streams_csv(session, student, None)
