"""Shared reads of events, below the features: every feature that needs an event with its
parts loads it here, never from another feature's services."""

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventsapp.database import utcnow
from eventsapp.extensions import db
from eventsapp.models import Event, EventStatus

HELSINKI = ZoneInfo("Europe/Helsinki")


def load_event(event_id: int, *, published_only: bool = True) -> Event | None:
    """An event with its organisation, category, sessions and rules, in a fixed 4 queries."""
    stmt = (
        select(Event)
        .where(Event.id == event_id)
        .options(
            selectinload(Event.organisation),
            selectinload(Event.category),
            selectinload(Event.sessions),
            selectinload(Event.rules),
        )
    )
    if published_only:
        stmt = stmt.where(Event.status.in_((EventStatus.PUBLISHED, EventStatus.CANCELLED)))
    return db.session.execute(stmt).scalar_one_or_none()


def rule_date(event: Event) -> date:
    """The date the target-group rules are judged on: the first session's, in Helsinki."""
    first = event.first_session
    return (first.starts_at if first else utcnow()).astimezone(HELSINKI).date()
