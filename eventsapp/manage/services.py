"""Changing an event that people have enrolled in: each change and the mail and calendar
updates it causes are one unit of work, under the event's lock. The caller commits."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventsapp.database import lock_for_update, utcnow
from eventsapp.extensions import db
from eventsapp.mail import notify
from eventsapp.models import (
    ACTIVE_STATUSES,
    CalendarEntry,
    Enrolment,
    Event,
    EventSession,
    EventStatus,
)

UNSET = object()


def _locked_event(event_id: int) -> Event:
    event = lock_for_update(
        db.session,
        Event,
        event_id,
        selectinload(Event.organisation),
        selectinload(Event.sessions),
    )
    if event is None:
        raise LookupError(f"no event {event_id}")
    return event


def _session_of(event: Event, session_id: int) -> EventSession:
    for session in event.sessions:
        if session.id == session_id:
            return session
    raise LookupError(f"no session {session_id} in event {event.id}")


def holders(session_id: int) -> int:
    """How many people hold this session in their calendar: who a change would notify."""
    return len(
        db.session.execute(
            select(CalendarEntry.id).where(
                CalendarEntry.session_id == session_id, CalendarEntry.cancelled.is_(False)
            )
        ).all()
    )


def change_session(
    event_id: int,
    session_id: int,
    *,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    place=UNSET,
    room=UNSET,
    address=UNSET,
    online_url=UNSET,
) -> int:
    """Move a session or change its place; every holder gets an updated invitation.
    Returns how many were notified."""
    event = _locked_event(event_id)
    session = _session_of(event, session_id)
    session.starts_at = starts_at or session.starts_at
    session.ends_at = ends_at or session.ends_at
    for name, value in (
        ("place", place),
        ("room", room),
        ("address", address),
        ("online_url", online_url),
    ):
        if value is not UNSET:
            setattr(session, name, value)
    event.sessions.sort(key=lambda s: s.starts_at)
    event.updated_at = utcnow()
    db.session.flush()
    return notify.session_changed(event, session)


def cancel_session(event_id: int, session_id: int) -> int:
    """Remove one session of a course; its holders get a CANCEL for it."""
    event = _locked_event(event_id)
    session = _session_of(event, session_id)
    notified = notify.session_cancelled(event, session)
    event.sessions.remove(session)
    event.updated_at = utcnow()
    db.session.flush()
    return notified


def cancel_event(event_id: int) -> int:
    """Cancel the whole event; everyone with an active enrolment is told, and every
    invitation is cancelled. Returns how many were notified."""
    event = _locked_event(event_id)
    if event.status == EventStatus.CANCELLED:
        return 0
    event.status = EventStatus.CANCELLED
    enrolments = list(
        db.session.execute(
            select(Enrolment)
            .where(Enrolment.event_id == event.id, Enrolment.status.in_(ACTIVE_STATUSES))
            .order_by(Enrolment.id)
        ).scalars()
    )
    db.session.flush()
    return notify.event_cancelled(event, enrolments)
