"""Rendering queued messages, after the commit: in the outbox sender, or when staff read a
message. A message kind renders itself for its channel: mail (text, HTML and maybe a calendar
part, as RFC 5322 bytes) or a text message (one or two SMS segments).

The services only queue (eventsapp.mail.notify); nothing here runs inside a web request's
unit of work.
"""

from datetime import datetime
from types import SimpleNamespace

from flask import current_app, render_template
from flask_babel import force_locale, gettext

from eventsapp.events import load_event
from eventsapp.extensions import db
from eventsapp.labels import when
from eventsapp.mail import message
from eventsapp.mail.links import absolute, event_url, manage_url, map_url, short_url
from eventsapp.mail.notify import Recipient, organiser_address
from eventsapp.models import Enrolment, Event, EventSession, OutboxMessage
from eventsapp.sms import gsm


def _entry_from(snapshot: dict) -> SimpleNamespace:
    return SimpleNamespace(
        **{
            **snapshot,
            "starts_at": datetime.fromisoformat(snapshot["starts_at"]),
            "ends_at": datetime.fromisoformat(snapshot["ends_at"]),
        }
    )


def _calendar(
    entry: SimpleNamespace, method: str, enrolment: Enrolment, event: Event, to: Recipient
) -> bytes:
    from eventsapp import ical  # only the sender needs it: web workers stay small

    organizer_name, organizer_email = organiser_address(event)
    description = gettext(
        "%(summary)s\n\nSee or cancel your enrolment: %(url)s",
        summary=event.summary or event.title,
        url=manage_url(enrolment),
    )
    invite = ical.Invite(
        uid=entry.uid,
        sequence=entry.sequence,
        summary=entry.summary,
        starts_at=entry.starts_at,
        ends_at=entry.ends_at,
        organizer_name=organizer_name,
        organizer_email=organizer_email,
        attendee_name=enrolment.full_name,
        attendee_email=to.email,
        description=description,
        location=entry.location,
        url=event_url(event),
    )
    return ical.request(invite) if method == "REQUEST" else ical.cancel(invite)


class Events:
    """Events loaded once per sender batch (an event and its parts: 4 queries)."""

    def __init__(self):
        self._events: dict[int, Event] = {}

    def get(self, event_id: int) -> Event:
        if event_id not in self._events:
            self._events[event_id] = load_event(event_id, published_only=False)
        return self._events[event_id]


def _enrolment_of(row: OutboxMessage) -> Enrolment:
    enrolment = db.session.get(Enrolment, row.enrolment_id) if row.enrolment_id else None
    if enrolment is None:
        raise LookupError("the enrolment of this message no longer exists")
    return enrolment


def _session_of(event: Event, session_id: int | None) -> EventSession | None:
    return next((s for s in event.sessions if s.id == session_id), None)


def render_enrolment(row: OutboxMessage, events: Events | None = None) -> bytes:
    """The whole message of a queued enrolment mail, as the enrolment and event stand now
    and the calendar entry stood when the change was made."""
    payload = row.payload
    enrolment = _enrolment_of(row)
    event = (events or Events()).get(enrolment.event_id)
    to = Recipient(**payload["recipient"])
    entry = _entry_from(payload["entry"]) if payload.get("entry") else None
    with force_locale(payload.get("locale") or "fi"):
        context = {
            "recipient": to,
            "enrolment": enrolment,
            "event": event,
            "entry": entry,
            "manage_url": manage_url(enrolment),
            "event_url": event_url(event),
            "home_url": absolute("/"),
            "subject": row.subject,
            "session": _session_of(event, row.session_id),
            "map_url": map_url,
            **payload.get("extra", {}),
        }
        template = payload["template"]
        text = render_template(f"email/{template}.txt", **context)
        html = render_template(f"email/{template}.html", **context)
        calendar = None
        if entry is not None:
            calendar = _calendar(entry, payload["method"], enrolment, event, to)
    return message.build(
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        to=(to.name, to.email),
        subject=row.subject,
        text=text,
        html=html,
        message_id=row.message_id,
        reply_to=organiser_address(event)[1],
        calendar=calendar,
        method=payload["method"] if calendar else "",
    )


def render_parts(row: OutboxMessage, events: Events | None = None) -> bytes:
    """A message whose text and HTML were written when it was queued."""
    payload = row.payload
    calendar = payload.get("calendar")
    return message.build(
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        to=(row.to_name, row.to_address),
        subject=row.subject,
        text=payload["text"],
        html=payload["html"],
        message_id=row.message_id,
        reply_to=payload.get("reply_to", ""),
        calendar=calendar.encode("utf-8") if calendar else None,
        method=payload.get("method", ""),
    )


def render_sms(row: OutboxMessage, events: Events | None = None) -> bytes:
    """A text message: the title shortened, never the time or the link, so that it fits two
    segments (one where it can). A reminder tells the session as it stands now; a change, as
    the calendar entry stood when the change was made."""
    payload = row.payload
    enrolment = _enrolment_of(row)
    event = (events or Events()).get(enrolment.event_id)
    if payload.get("entry"):
        entry = _entry_from(payload["entry"])
        starts, ends, place = entry.starts_at, entry.ends_at, entry.location
    else:
        session = _session_of(event, row.session_id) or event.first_session
        starts, ends = (session.starts_at, session.ends_at) if session else (None, None)
        place = session.place if session and event.attendance_mode != "online" else ""
    with force_locale(payload.get("locale") or "fi"):
        context = {
            "event": event,
            "when": when(starts, ends) if starts else "",
            "place": place,
            "link": short_url(enrolment),
        }

        def text(title: str) -> str:
            template = f"sms/{payload['template']}.txt"
            return render_template(template, title=title, **context).strip()

        return gsm.fit(text, event.title).encode("utf-8")


def render_links(row: OutboxMessage, events: Events | None = None) -> bytes:
    """ "Lost your link?": the address's active enrolments, each with its link, as they stand."""
    events = events or Events()
    payload = row.payload
    found = [db.session.get(Enrolment, id_) for id_ in payload["enrolment_ids"]]
    items = [
        (enrolment, events.get(enrolment.event_id))
        for enrolment in found
        if enrolment is not None and enrolment.is_active
    ]
    if not items:
        raise LookupError("none of the enrolments of this message is active any more")
    with force_locale(payload.get("locale") or "fi"):
        context = {
            "name": items[0][0].first_name,
            "items": [(enrolment, event, manage_url(enrolment)) for enrolment, event in items],
            "home_url": absolute("/"),
            "subject": row.subject,
        }
        text = render_template("email/links.txt", **context)
        html = render_template("email/links.html", **context)
    return message.build(
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        to=(row.to_name, row.to_address),
        subject=row.subject,
        text=text,
        html=html,
        message_id=row.message_id,
    )


RENDERERS = {
    "links": render_links,
    "parts": render_parts,
    "enrolment": render_enrolment,
    "sms": render_sms,
}


def rendered(row: OutboxMessage, events: Events | None = None) -> str:
    """The whole message: as rendered before, or rendered now (not stored). Mail is ASCII
    (RFC 5322 with encoded parts); a text message is its own text."""
    if row.mime:
        return row.mime
    return RENDERERS[row.payload["renderer"]](row, events).decode("utf-8")
