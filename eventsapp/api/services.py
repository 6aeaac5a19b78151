"""Events as the API gives them: plain dicts, in the shape of Linked Events' event resource
(name, description, start_time, end_time, location, offers, super_event, sub_events)."""

from datetime import datetime

from flask import url_for
from flask_babel import force_locale

from eventsapp.catalogue.services import Card, target_group
from eventsapp.events import HELSINKI
from eventsapp.mail.links import absolute
from eventsapp.models import (
    AttendanceMode,
    Category,
    Event,
    EventSession,
    EventStatus,
    Organisation,
    Window,
    enrolment_window,
)
from eventsapp.seats import Seats

LANGUAGES = ("fi", "sv", "en")


def iso(moment: datetime) -> str:
    """ISO 8601 with the Helsinki offset: 2027-06-08T10:00:00+03:00."""
    return moment.astimezone(HELSINKI).isoformat()


def texts(event: Event, field: str) -> dict[str, str]:
    """A text per language: the languages the organiser wrote it in (Finnish always)."""
    found = {"fi": getattr(event, field) or ""}
    for lang in ("sv", "en"):
        value = getattr(event, f"{field}_{lang}", "")
        if value:
            found[lang] = value
    return found


def location(event: Event, session: EventSession) -> dict:
    in_person = event.attendance_mode != AttendanceMode.ONLINE
    return {
        "name": session.place if in_person else "",
        "street_address": session.address if in_person else "",
        "room": session.room if in_person else "",
        "online": event.attendance_mode != AttendanceMode.IN_PERSON,
    }


def organisation(org: Organisation) -> dict:
    return {"id": org.slug, "name": org.name, "url": org.website or None}


def category(cat: Category) -> dict:
    return {"id": cat.slug, "name": {lang: cat.name(lang) for lang in LANGUAGES}}


def seats_state(seats: Seats) -> str:
    return {"open": "open", "waitlist": "waiting_list"}.get(seats.availability, "full")


def event_resource(card: Card, now: datetime, lang: str) -> dict:
    event, seats = card.event, card.seats
    page_url = absolute(url_for("catalogue.event", event_id=event.id, slug=event.slug or None))
    enrol_url = absolute(url_for("enrolment.enrol", event_id=event.id))
    window = enrolment_window(event, now)
    sessions = event.sessions
    with force_locale(lang):
        audience = target_group(event)
    first = sessions[0] if sessions else None
    return {
        "id": event.id,
        "url": page_url,
        "name": texts(event, "title"),
        "short_description": {"fi": event.summary or ""},
        "description": texts(event, "description_html"),
        "organizer": organisation(event.organisation),
        "category": category(event.category),
        "kind": event.kind,
        "start_time": iso(card.starts_at),
        "end_time": iso(card.ends_at),
        "location": location(event, first) if first else None,
        "sub_events": [
            {
                "start_time": iso(session.starts_at),
                "end_time": iso(session.ends_at),
                "location": location(event, session),
            }
            for session in sessions
        ]
        if len(sessions) > 1
        else [],
        "super_event": None,
        "in_language": [code.strip() for code in event.language.split(",") if code.strip()],
        "audience": audience,
        "event_status": "EventCancelled"
        if event.status == EventStatus.CANCELLED
        else "EventScheduled",
        "enrolment_open": window == Window.OPEN and seats.availability != "full",
        "seats": seats_state(seats),
        "enrolment_url": enrol_url,
        "offers": [{"is_free": True, "price": None, "info_url": {"fi": enrol_url}}],
        "updated_at": iso(event.updated_at),
        "last_modified_time": iso(event.updated_at),
    }
