"""Queries and presentation data for the public calendar. Every page runs a fixed number of
queries, whatever the number of events."""

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import get_locale, gettext, ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from eventsapp import eligibility, search
from eventsapp.enrolment.services import seats_by_event
from eventsapp.events import HELSINKI
from eventsapp.extensions import db
from eventsapp.models import (
    Category,
    Event,
    EventKind,
    EventStatus,
    Organisation,
    session_spans,
)
from eventsapp.municipalities import name_of
from eventsapp.seats import Seats

MAX_QUERY = 100


@dataclass(frozen=True)
class Filters:
    category: str = ""
    kind: str = ""
    organisation: str = ""
    q: str = ""
    page: int = 1
    start: date | None = None  # events with a session ending on or after this day
    end: date | None = None  # events starting on or before this day
    updated_since: datetime | None = None

    @classmethod
    def from_args(cls, args) -> "Filters":
        kind = args.get("kind", "")
        try:
            page = max(1, min(int(args.get("page", "1")), 10_000))
        except ValueError:
            page = 1
        return cls(
            category=args.get("category", "")[:80],
            kind=kind if kind in set(EventKind) else "",
            organisation=args.get("organisation", "")[:80],
            q=" ".join(args.get("q", "").split())[:MAX_QUERY],
            page=page,
            start=_day(args.get("start")),
            end=_day(args.get("end")),
            updated_since=_moment(args.get("updated_since")),
        )

    @property
    def active(self) -> bool:
        return bool(self.narrowed or self.q)

    @property
    def narrowed(self) -> bool:
        """A filter behind "Narrow the search" is set: the list shows them unfolded."""
        return bool(self.category or self.kind or self.organisation)


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def _moment(value: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value.replace(" ", "+")) if value else None
    except ValueError:
        return None
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=HELSINKI)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=HELSINKI)


@dataclass(frozen=True)
class Card:
    """One event in the calendar, with what the list shows about it."""

    event: Event
    seats: Seats
    starts_at: datetime
    ends_at: datetime
    target_group: str


@dataclass(frozen=True)
class Page:
    cards: list[Card]
    total: int
    page: int
    pages: int


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def upcoming(filters: Filters, now: datetime, per_page: int) -> Page:
    """A page of the calendar: published events that have not ended, by their first start.
    Sorted and counted on Event.first_starts_at / last_ends_at (kept columns with indexes), so
    a page costs the same at 10 000 events as at 100."""
    conditions = [Event.status == EventStatus.PUBLISHED, Event.last_ends_at >= now]
    if filters.category:
        conditions.append(Category.slug == filters.category)
    if filters.kind:
        conditions.append(Event.kind == filters.kind)
    if filters.organisation:
        conditions.append(Organisation.slug == filters.organisation)
    if filters.start:
        conditions.append(Event.last_ends_at >= _day_start(filters.start))
    if filters.end:
        conditions.append(Event.first_starts_at < _day_start(filters.end + timedelta(days=1)))
    if filters.updated_since:
        conditions.append(Event.updated_at >= filters.updated_since)
    for word in search.fold(filters.q).split():
        conditions.append(Event.search_text.like(_like(word), escape="\\"))
    counted = select(func.count(Event.id)).select_from(Event)
    if filters.category:
        counted = counted.join(Event.category)
    if filters.organisation:
        counted = counted.join(Event.organisation)
    total = db.session.execute(counted.where(*conditions)).scalar_one()
    stmt = (
        select(Event, Event.first_starts_at, Event.last_ends_at)
        .join(Event.organisation)
        .join(Event.category)
        .where(*conditions)
    )
    pages = max(1, math.ceil(total / per_page))
    page = min(filters.page, pages)
    rows = db.session.execute(
        stmt.options(
            contains_eager(Event.organisation),
            contains_eager(Event.category),
            selectinload(Event.sessions),
            selectinload(Event.rules),
        )
        .order_by(Event.first_starts_at, Event.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    seats = seats_by_event(row[0] for row in rows)
    cards = [
        Card(
            event=event,
            seats=seats[event.id],
            starts_at=_aware(starts_at),
            ends_at=_aware(ends_at),
            target_group=target_group(event),
        )
        for event, starts_at, ends_at in rows
    ]
    return Page(cards=cards, total=total, page=page, pages=pages)


def _aware(value: datetime) -> datetime:
    """Aggregates bypass the column type on SQLite: give them back their UTC zone."""
    from eventsapp.database import UTCDateTime

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return UTCDateTime().process_result_value(value, None)


def filter_choices() -> tuple[list[Category], list[Organisation]]:
    categories = db.session.execute(select(Category).order_by(Category.position)).scalars()
    organisations = db.session.execute(select(Organisation).order_by(Organisation.name)).scalars()
    return list(categories), list(organisations)


def target_group(event: Event) -> str:
    """The target group in one line: the organiser's own words, or the rules described."""
    if event.target_group:
        return event.target_group
    locale = str(get_locale() or "fi")
    parts = [
        eligibility.describe(
            rule.to_rule(), translate=gettext, municipality_name=lambda c: name_of(c, locale)
        )
        for rule in event.rules
        if rule.kind != "question"
    ]
    return "; ".join(parts) if parts else gettext("Everyone is welcome")


def seats_text(seats: Seats) -> str:
    if seats.availability == "open":
        return ngettext("%(num)d seat left", "%(num)d seats left", seats.left)
    if seats.availability == "waitlist":
        return gettext("Full: you can join the waiting list")
    return gettext("Full")


def calendar_feed(
    events: list[Event],
    name: str,
    base_url: str,
    domain: str,
    description: str = "",
    stamp: datetime | None = None,
) -> bytes:
    """The events' sessions as a METHOD:PUBLISH calendar (one entry per session). `stamp`:
    the DTSTAMP of every entry (the last change), so that an unchanged feed is the same bytes."""
    from eventsapp import ical  # imported on demand: most workers never serve a feed

    entries = [
        ical.FeedEntry(
            uid=f"event-{event.id}-session-{session.id}@{domain}",
            summary=event.title,
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            description=f"{event.summary}\n\n{base_url}/events/{event.id}".strip(),
            location=", ".join(p for p in (session.place, session.room, session.address) if p),
            url=f"{base_url}/events/{event.id}",
            last_modified=event.updated_at,
            cancelled=event.status == EventStatus.CANCELLED,
            categories=(event.category.name(str(get_locale() or "fi")),),
        )
        for event in events
        for session in event.sessions
    ]
    return ical.publish(entries, name, dtstamp=stamp, description=description)


FEED_DAYS = 366  # a feed holds every upcoming event that starts within a year


def feed_window(now: datetime) -> tuple[datetime, datetime]:
    return now, now + timedelta(days=FEED_DAYS)


def feed_events(category: str, organisation: str, now: datetime) -> list[Event]:
    """Published (and cancelled) events that have not ended and start within FEED_DAYS,
    soonest first: every one of them, never a cut by number."""
    _start, end = feed_window(now)
    spans = session_spans()
    stmt = (
        select(Event)
        .join(spans, spans.c.event_id == Event.id)
        .join(Event.organisation)
        .join(Event.category)
        .where(
            Event.status.in_((EventStatus.PUBLISHED, EventStatus.CANCELLED)),
            spans.c.ends_at >= now,
            spans.c.starts_at < end,
        )
        .options(
            contains_eager(Event.organisation),
            contains_eager(Event.category),
            selectinload(Event.sessions),
        )
        .order_by(spans.c.starts_at, Event.id)
    )
    if category:
        stmt = stmt.where(Category.slug == category)
    if organisation:
        stmt = stmt.where(Organisation.slug == organisation)
    return list(db.session.execute(stmt).scalars())


def feed_version() -> tuple:
    """What a feed depends on, in one small query: the last change to an event (sessions
    count as changes to their event) and how many events there are (a deletion)."""
    return tuple(db.session.execute(select(func.max(Event.updated_at), func.count(Event.id))).one())
