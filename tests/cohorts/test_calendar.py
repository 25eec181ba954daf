"""Private iCal feeds: secret token stored hashed, revocable, right UTC times, right events."""

from __future__ import annotations

import datetime as dt
import re

import icalendar
import pytest
from flask.testing import FlaskClient
from sqlmodel import Session, select

from academy.cohorts import service
from academy.cohorts.models import CalendarFeed, CohortStatus
from academy.errors import NotFound
from tests.cohorts.conftest import NOW, World, fresh
from tests.helpers import submit


def _new_feed_url(client: FlaskClient) -> str:
    body = submit(client, "/calendar", {}).get_data(as_text=True)
    match = re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', body)
    assert match, "the new link is shown once"
    return match.group(1).replace("http://localhost", "")


def _event(session: Session, world: World, slug: str, title: str, local: dt.datetime,
           zone: str) -> None:
    world.instructor.timezone = zone
    service.add_event(session, world.instructor, slug, service.EventDraft(
        title=title, kind="class", starts_local=local, duration_min=90, location="Room 3"),
        now=NOW)


def test_member_feed_parses_with_the_right_utc_times(session: Session, world: World,
                                                     make_cohort, client_for) -> None:
    cohort = make_cohort(CohortStatus.TRAINING)
    other = make_cohort(CohortStatus.RECRUITING, name="Class the member is not in")
    start = NOW.replace(hour=0, minute=0, second=0) + dt.timedelta(days=40)
    _event(session, world, cohort.slug, "Compliance drill", start.replace(tzinfo=None, hour=9),
           "Asia/Shanghai")
    _event(session, world, cohort.slug, "Buyer interview",
           start.replace(tzinfo=None, hour=9, month=7, day=1), "Europe/Berlin")
    _event(session, world, other.slug, "Not for the member", start.replace(tzinfo=None),
           "UTC")
    client = client_for(world.member)
    url = _new_feed_url(client)
    response = client_for(None).get(url)  # a calendar app has no session
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.get_data())
    events = {str(e["summary"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {f"Compliance drill · {cohort.name}", f"Buyer interview · {cohort.name}"}
    drill = events[f"Compliance drill · {cohort.name}"]
    assert drill.decoded("dtstart") == start.replace(hour=1)  # 09:00 in Shanghai is 01:00 UTC
    assert drill.decoded("dtstart").utcoffset() == dt.timedelta(0)
    assert drill.decoded("dtend") - drill.decoded("dtstart") == dt.timedelta(minutes=90)
    assert str(drill["location"]) == "Room 3"
    interview = events[f"Buyer interview · {cohort.name}"]
    assert interview.decoded("dtstart").hour == 7  # 09:00 in Berlin in summer is 07:00 UTC
    assert b"DTSTART:" in response.get_data() and b"Z\r\n" in response.get_data()


def test_token_is_stored_hashed_and_can_be_revoked_or_replaced(
        session: Session, world: World, make_cohort, client_for) -> None:
    make_cohort(CohortStatus.TRAINING)
    client = client_for(world.member)
    first = _new_feed_url(client)
    token = first.rsplit("/", 1)[1].removesuffix(".ics")
    fresh(session)
    stored = session.exec(select(CalendarFeed)).one()
    assert stored.token_hash != token and token not in (stored.token_hash or "")
    assert len(stored.token_hash or "") == 64
    assert "You created a private link" in client.get("/calendar").get_data(as_text=True)
    assert token not in client.get("/calendar").get_data(as_text=True)  # shown once only
    second = _new_feed_url(client)
    anonymous = client_for(None)
    assert anonymous.get(first).status_code == 404
    assert anonymous.get(second).status_code == 200
    assert submit(client, "/calendar", {}, action="/calendar/revoke").status_code == 302
    assert anonymous.get(second).status_code == 404
    assert anonymous.get("/calendar/not-a-token.ics").status_code == 404


def test_a_deactivated_account_feed_stops(session: Session, world: World, make_cohort) -> None:
    make_cohort(CohortStatus.TRAINING)
    token = service.issue_calendar_token(session, world.member, now=NOW)
    world.member.is_active = False
    session.add(world.member)
    session.commit()
    with pytest.raises(NotFound):
        service.calendar_for_token(session, token, now=NOW)


def test_mentors_and_firm_staff_get_their_cohorts_events_and_outsiders_none(
        session: Session, world: World, make_cohort, make_user) -> None:
    mentor = make_user("instructor")
    cohort = make_cohort(CohortStatus.TRAINING, mentor_ids=[mentor.id])
    _event(session, world, cohort.slug, "Warehouse visit",
           (NOW + dt.timedelta(days=3)).replace(tzinfo=None), "UTC")

    def titles(user) -> list[str]:  # type: ignore[no-untyped-def]
        token = service.issue_calendar_token(session, user, now=NOW)
        calendar = icalendar.Calendar.from_ical(
            service.calendar_for_token(session, token, now=NOW))
        return [str(e["summary"]).split(" · ")[0] for e in calendar.walk("VEVENT")]

    assert titles(mentor) == ["Warehouse visit"]
    assert titles(world.partner) == ["Warehouse visit"]
    assert titles(world.member) == ["Warehouse visit"]
    assert titles(world.other_partner) == []
    assert titles(world.student) == []
    assert titles(world.instructor) == []  # not a mentor of this cohort


def test_cancelled_cohorts_events_are_marked_cancelled(session: Session, world: World,
                                                       make_cohort) -> None:
    cohort = make_cohort(CohortStatus.TRAINING)
    _event(session, world, cohort.slug, "Class", (NOW + dt.timedelta(days=3)).replace(
        tzinfo=None), "UTC")
    service.change_status(session, world.admin, cohort.slug, CohortStatus.CANCELLED,
                          reason="The firm withdrew its order.", now=NOW)
    token = service.issue_calendar_token(session, world.member, now=NOW)
    calendar = icalendar.Calendar.from_ical(service.calendar_for_token(session, token, now=NOW))
    assert [str(e["status"]) for e in calendar.walk("VEVENT")] == ["CANCELLED"]
