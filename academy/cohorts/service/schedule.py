"""The cohort's schedule (classes, practice, interviews, visits) and the private iCal feeds."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, col, select

from academy.audit.service import record_event
from academy.auth.models import AccountRole, User
from academy.cohorts.models import (
    CalendarFeed,
    Cohort,
    CohortEvent,
    CohortMember,
    CohortMentor,
    CohortStatus,
    EventKind,
)
from academy.cohorts.service._base import SEATED, CohortError, get_managed_cohort
from academy.errors import InvalidTransition, NotFound

MAX_DURATION_MIN = 12 * 60
EVENTS_ON_PAGE = 100
FEED_PAST = dt.timedelta(days=90)  # a feed keeps recent history so calendars do not jump
FEED_LIMIT = 1_000


@dataclass(frozen=True)
class EventDraft:
    """An event as a person enters it: ``starts_local`` is wall-clock time in their zone."""

    title: str
    kind: str
    starts_local: dt.datetime
    duration_min: int
    location: str = ""


def to_utc(local: dt.datetime, timezone: str) -> dt.datetime:
    """Read a naive wall-clock time in ``timezone`` as an aware UTC time."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return local.replace(tzinfo=zone).astimezone(dt.UTC)


def add_event(session: Session, actor: User, slug: str, draft: EventDraft, *,
              now: dt.datetime) -> CohortEvent:
    """Put an event on an open cohort's schedule; the time is read in the actor's time zone.

    The firm's staff and the college only. Audited. Commits.
    """
    cohort = get_managed_cohort(session, actor, slug, for_update=True)
    if cohort.status in (CohortStatus.CLOSED, CohortStatus.CANCELLED):
        raise InvalidTransition(_l("A closed or cancelled order class has no new events."))
    title = draft.title.strip()
    if not 2 <= len(title) <= 200:
        raise CohortError(_l("Enter a title of 2 to 200 characters."), "title")
    if draft.kind not in {kind.value for kind in EventKind}:
        raise CohortError(_l("Choose the kind of event from the list."), "kind")
    if not 5 <= draft.duration_min <= MAX_DURATION_MIN:
        raise CohortError(_l("An event lasts 5 to %(max)d minutes.", max=MAX_DURATION_MIN),
                          "duration_min")
    location = draft.location.strip()
    if len(location) > 200:
        raise CohortError(_l("Keep the location under 200 characters."), "location")
    event = CohortEvent(cohort_id=cohort.id or 0, title=title, kind=EventKind(draft.kind),
                        starts_at=to_utc(draft.starts_local, actor.timezone),
                        duration_min=draft.duration_min, location=location,
                        created_by_id=actor.id or 0, created_at=now)
    session.add(event)
    session.flush()
    record_event(session, actor_id=actor.id, action="cohort.event_added", subject_type="cohort",
                 subject_id=cohort.id or 0, now=now,
                 detail={"event_id": event.id, "title": title,
                         "starts_at": event.starts_at.isoformat()})
    session.commit()
    return event


def remove_event(session: Session, actor: User, slug: str, event_id: int, *,
                 now: dt.datetime) -> None:
    """Take an event off the schedule (feeds drop it on their next refresh). Audited. Commits."""
    cohort = get_managed_cohort(session, actor, slug, for_update=True)
    event = session.exec(select(CohortEvent).where(CohortEvent.id == event_id,
                                                   CohortEvent.cohort_id == cohort.id)).first()
    if event is None:
        raise NotFound(_l("There is no such event in this order class."))
    session.delete(event)
    record_event(session, actor_id=actor.id, action="cohort.event_removed",
                 subject_type="cohort", subject_id=cohort.id or 0, now=now,
                 detail={"event_id": event_id, "title": event.title,
                         "starts_at": event.starts_at.isoformat()})
    session.commit()


def list_events(session: Session, cohort: Cohort) -> list[CohortEvent]:
    """The cohort's schedule in time order (the caller has checked the user may see it)."""
    return list(session.exec(
        select(CohortEvent).where(CohortEvent.cohort_id == cohort.id)
        .order_by(CohortEvent.starts_at, CohortEvent.id).limit(EVENTS_ON_PAGE)
    ))


def _token_hash(token: str) -> str:
    """SHA-256 is enough: the token is 256 random bits, not a password someone chose."""
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed(session: Session, user: User) -> CalendarFeed | None:
    """The user's feed, if one is active."""
    feed = session.exec(select(CalendarFeed).where(CalendarFeed.user_id == user.id)).first()
    return feed if feed is not None and feed.token_hash else None


def issue_calendar_token(session: Session, user: User, *, now: dt.datetime) -> str:
    """Give the user a new secret feed token and return it; any earlier URL stops working.

    Only the token's hash is stored, so this is the one moment the token can be shown.
    Commits.
    """
    token = secrets.token_urlsafe(32)
    feed = session.exec(select(CalendarFeed).where(CalendarFeed.user_id == user.id)).first()
    feed = feed or CalendarFeed(user_id=user.id or 0)
    feed.token_hash = _token_hash(token)
    feed.issued_at = now
    feed.revoked_at = None
    session.add(feed)
    session.commit()
    return token


def revoke_calendar_token(session: Session, user: User, *, now: dt.datetime) -> None:
    """End the user's feed URL; calendars that subscribed get 404 from now on. Commits."""
    feed = session.exec(select(CalendarFeed).where(CalendarFeed.user_id == user.id)).first()
    if feed is not None and feed.token_hash:
        feed.token_hash = None
        feed.revoked_at = now
        session.add(feed)
        session.commit()


def _in_feed(user: User) -> sa.ColumnElement[bool]:
    """Which cohorts' events belong in the user's calendar.

    Members with a seat and mentors get their cohorts; partner staff get every cohort of
    their firm.
    """
    conditions = [
        col(Cohort.id).in_(select(CohortMember.cohort_id).where(
            CohortMember.student_id == user.id, col(CohortMember.status).in_(SEATED))),
        col(Cohort.id).in_(select(CohortMentor.cohort_id).where(CohortMentor.user_id == user.id)),
    ]
    if user.account_role == AccountRole.PARTNER and user.firm_id is not None:
        conditions.append(Cohort.firm_id == user.firm_id)
    return sa.or_(*conditions)


def calendar_for_token(session: Session, token: str, *, now: dt.datetime) -> bytes:
    """The iCalendar file of the token's owner: events of their cohorts, times in UTC.

    Unknown and revoked tokens, and deactivated accounts, are not found. Events of a
    cancelled cohort stay in the feed as cancelled so subscribed calendars remove them.
    """
    user = session.exec(
        select(User).join(CalendarFeed, col(CalendarFeed.user_id) == col(User.id))
        .where(CalendarFeed.token_hash == _token_hash(token), User.is_active == sa.true())
    ).first() if token else None
    if user is None:
        raise NotFound(_l("This calendar link is not valid. Create a new one on the site."))
    rows = session.exec(
        select(CohortEvent, Cohort.name, Cohort.status)
        .join(Cohort, col(Cohort.id) == col(CohortEvent.cohort_id))
        .where(_in_feed(user), CohortEvent.starts_at >= now - FEED_PAST)
        .order_by(CohortEvent.starts_at, CohortEvent.id).limit(FEED_LIMIT)
    ).all()
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Live Academy//Order classes//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", str(_l("Live Academy — order classes")))
    for event, cohort_name, cohort_status in rows:
        entry = icalendar.Event()
        entry.add("uid", f"cohort-event-{event.id}@live-academy")
        entry.add("dtstamp", now)
        entry.add("dtstart", event.starts_at)
        entry.add("dtend", event.starts_at + dt.timedelta(minutes=event.duration_min))
        entry.add("summary", f"{event.title} · {cohort_name}")
        entry.add("categories", [event.kind.value])
        if event.location:
            entry.add("location", event.location)
        entry.add("description", cohort_name)
        entry.add("status", "CANCELLED" if cohort_status == CohortStatus.CANCELLED
                  else "CONFIRMED")
        calendar.add_component(entry)
    return calendar.to_ical()
