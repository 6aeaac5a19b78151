"""schema.org Event JSON-LD for an event page: what search engines (Google's event rich
results) read. A course's sessions are subEvents."""

from flask import url_for

from eventsapp.mail.links import absolute
from eventsapp.models import AttendanceMode, Event, EventStatus, Window

ATTENDANCE = {
    AttendanceMode.IN_PERSON: "https://schema.org/OfflineEventAttendanceMode",
    AttendanceMode.ONLINE: "https://schema.org/OnlineEventAttendanceMode",
    AttendanceMode.HYBRID: "https://schema.org/MixedEventAttendanceMode",
}
AVAILABILITY = {
    "open": "https://schema.org/InStock",
    "waitlist": "https://schema.org/LimitedAvailability",
    "full": "https://schema.org/SoldOut",
}


def _place(event: Event, session) -> list[dict]:
    places = []
    if event.attendance_mode != AttendanceMode.ONLINE:
        places.append(
            {
                "@type": "Place",
                "name": session.place or event.organisation.name,
                "address": {
                    "@type": "PostalAddress",
                    "streetAddress": session.address,
                    "addressCountry": "FI",
                },
            }
        )
    if event.attendance_mode != AttendanceMode.IN_PERSON:
        places.append(
            {
                "@type": "VirtualLocation",
                "url": absolute(url_for("catalogue.event", event_id=event.id)),
            }
        )
    return places


def _one(places: list[dict]):
    return places[0] if len(places) == 1 else places


def json_ld(event: Event, seats, window: str, audience: str) -> dict:
    """The event as schema.org describes it (Google's event rich results: name, startDate,
    location; and what else they read). A course's sessions are subEvents."""
    page = absolute(url_for("catalogue.event", event_id=event.id, slug=event.slug or None))
    first = event.first_session
    last_end = max(session.ends_at for session in event.sessions)
    offer = {
        "@type": "Offer",
        "price": 0,
        "priceCurrency": "EUR",
        "availability": AVAILABILITY.get(seats.availability, AVAILABILITY["full"]),
        "url": absolute(url_for("enrolment.enrol", event_id=event.id)),
    }
    if event.enrol_opens_at:
        offer["validFrom"] = event.enrol_opens_at.isoformat()
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "description": event.summary or event.title,
        "url": page,
        "startDate": first.starts_at.isoformat(),
        "endDate": last_end.isoformat(),
        "eventAttendanceMode": ATTENDANCE[event.attendance_mode],
        "eventStatus": "https://schema.org/EventCancelled"
        if event.status == EventStatus.CANCELLED
        else "https://schema.org/EventScheduled",
        "location": _one(_place(event, first)),
        "organizer": {
            "@type": "Organization",
            "name": event.organisation.name,
            "url": event.organisation.website
            or absolute(url_for("catalogue.index", organisation=event.organisation.slug)),
        },
        "offers": offer,
        "isAccessibleForFree": True,
        "inLanguage": [code.strip() for code in event.language.split(",") if code.strip()],
        "audience": {"@type": "Audience", "audienceType": audience},
    }
    if len(event.sessions) > 1:
        data["subEvent"] = [
            {
                "@type": "Event",
                "name": event.title,
                "startDate": session.starts_at.isoformat(),
                "endDate": session.ends_at.isoformat(),
                "eventAttendanceMode": ATTENDANCE[event.attendance_mode],
                "location": _one(_place(event, session)),
            }
            for session in event.sessions
        ]
    if window != Window.OPEN and seats.availability != "full":
        offer["availability"] = (
            "https://schema.org/SoldOut" if window == Window.CLOSED else offer["availability"]
        )
    return data
