"""Which mail a change causes, and the calendar entries that go with it.

Called by the services, inside their unit of work: every message lands in the outbox in the
same transaction as the change. A confirmed participant gets one calendar invitation per
session (see docs/calendar-invitations.md for why): the first travels in the confirmation,
the others each in a short message of their own. Cancelling, rejecting, moving or cancelling a
session sends CANCEL or an updated REQUEST with the same UID and a higher SEQUENCE.
"""

import uuid
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from eventsapp import ical
from eventsapp.database import utcnow
from eventsapp.extensions import db
from eventsapp.mail.outbox import enqueue, mail_domain
from eventsapp.models import (
    CalendarEntry,
    Enrolment,
    EnrolmentStatus,
    Event,
    EventSession,
)


def absolute(path: str) -> str:
    return current_app.config["EVENTSAPP_BASE_URL"].rstrip("/") + path


def manage_url(enrolment: Enrolment) -> str:
    return absolute(f"/enrolments/{enrolment.token}")


def event_url(event: Event) -> str:
    return absolute(f"/events/{event.id}-{event.slug}" if event.slug else f"/events/{event.id}")


def organiser_address(event: Event) -> tuple[str, str]:
    """Who the invitation is from: an address someone reads, named after the organiser."""
    email = event.contact_email or event.organisation.email
    if not email:
        email = current_app.config["MAIL_DEFAULT_SENDER"].rsplit("<", 1)[-1].rstrip(">")
    return event.organisation.name, email


def location_of(event: Event, session: EventSession) -> str:
    parts = [session.place, session.room, session.address]
    if event.is_online and session.online_url:
        parts.append(session.online_url)
    return ", ".join(part for part in parts if part)


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str
    for_client: str = ""  # a coach receiving mail about this client


def recipients(enrolment: Enrolment) -> tuple[Recipient, Recipient | None]:
    """Who gets an enrolment's mail, and who a copy. A client without email: the coach,
    naming the client. A client with email: the client, and the coach a copy."""
    coach = enrolment.enrolled_by
    if coach is not None and not enrolment.email:
        return Recipient(coach.display_name, coach.email, enrolment.full_name), None
    main = Recipient(enrolment.full_name, enrolment.email)
    copy = Recipient(coach.display_name, coach.email, enrolment.full_name) if coach else None
    return main, copy


@dataclass(frozen=True)
class Mail:
    """What the templates of one kind of mail get."""

    kind: str
    enrolment: Enrolment
    event: Event
    extra: dict


def _render(mail: Mail, subject: str, recipient: Recipient) -> tuple[str, str]:
    context = {
        "recipient": recipient,
        "enrolment": mail.enrolment,
        "event": mail.event,
        "manage_url": manage_url(mail.enrolment),
        "event_url": event_url(mail.event),
        "home_url": absolute("/"),
        "subject": subject,
        **mail.extra,
    }
    text = render_template(f"email/{mail.kind}.txt", **context)
    html = render_template(f"email/{mail.kind}.html", **context)
    return text, html


SUBJECTS = {
    "confirmed": _l("Enrolment confirmed: %(title)s"),
    "promoted": _l("You got a seat: %(title)s"),
    "waitlisted": _l("You are on the waiting list: %(title)s"),
    "pending": _l("Your enrolment is waiting for review: %(title)s"),
    "cancelled": _l("Enrolment cancelled: %(title)s"),
    "rejected": _l("Your enrolment was not accepted: %(title)s"),
    "invitation": _l("Calendar invitation: %(title)s (%(number)d/%(count)d)"),
    "session_changed": _l("Change of time or place: %(title)s"),
    "session_cancelled": _l("A session was cancelled: %(title)s"),
    "event_cancelled": _l("Event cancelled: %(title)s"),
    "calendar_cancel": _l("Removed from your calendar: %(title)s (%(number)d/%(count)d)"),
}


def _subject(kind: str, event: Event, **params) -> str:
    return str(SUBJECTS[kind]) % {"title": event.title, **params}


def _invite(entry: CalendarEntry, enrolment: Enrolment, event: Event, to: Recipient) -> ical.Invite:
    organizer_name, organizer_email = organiser_address(event)
    description = gettext(
        "%(summary)s\n\nSee or cancel your enrolment: %(url)s",
        summary=event.summary or event.title,
        url=manage_url(enrolment),
    )
    return ical.Invite(
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


def _send(
    mail: Mail, subject: str, entries: list[CalendarEntry], method: str, follow_kind: str
) -> None:
    """The mail itself carries the first entry's calendar part; every other entry goes in a
    short message of its own (one VEVENT, one UID per message: what Outlook reads)."""
    enrolment, event = mail.enrolment, mail.event
    main, copy = recipients(enrolment)
    to = (main.name, main.email)
    reply_to = organiser_address(event)[1]
    build = ical.request if method == "REQUEST" else ical.cancel
    calendars = [build(_invite(entry, enrolment, event, main)) for entry in entries]
    text, html = _render(mail, subject, main)
    enqueue(
        kind=mail.kind,
        to=to,
        subject=subject,
        text=text,
        html=html,
        reply_to=reply_to,
        calendar=calendars[0] if calendars else None,
        method=method,
        enrolment_id=enrolment.id,
    )
    if copy is not None:  # the coach's copy: the news, without the invitation
        text, html = _render(mail, subject, copy)
        enqueue(
            kind=f"{mail.kind}_copy",
            to=(copy.name, copy.email),
            subject=gettext("Copy: %(subject)s", subject=subject),
            text=text,
            html=html,
            reply_to=reply_to,
            enrolment_id=enrolment.id,
        )
    for number, (entry, calendar) in enumerate(zip(entries, calendars, strict=True), start=1):
        if number == 1:
            continue
        extra = {"entry": entry, "number": number, "count": len(entries)}
        follow = Mail(follow_kind, enrolment, event, extra)
        follow_subject = _subject(follow_kind, event, number=number, count=len(entries))
        text, html = _render(follow, follow_subject, main)
        enqueue(
            kind=follow_kind,
            to=to,
            subject=follow_subject,
            text=text,
            html=html,
            reply_to=reply_to,
            calendar=calendar,
            method=method,
            enrolment_id=enrolment.id,
        )


def _entries(enrolment: Enrolment, *, active_only: bool = True) -> list[CalendarEntry]:
    stmt = (
        select(CalendarEntry)
        .where(CalendarEntry.enrolment_id == enrolment.id)
        .order_by(CalendarEntry.starts_at, CalendarEntry.id)
    )
    if active_only:
        stmt = stmt.where(CalendarEntry.cancelled.is_(False))
    return list(db.session.execute(stmt).scalars())


def _new_entries(enrolment: Enrolment, event: Event) -> list[CalendarEntry]:
    now = utcnow()
    entries = [
        CalendarEntry(
            enrolment_id=enrolment.id,
            session_id=session.id,
            uid=f"{uuid.uuid4()}@{mail_domain()}",
            sequence=0,
            summary=event.title,
            location=location_of(event, session),
            starts_at=session.starts_at,
            ends_at=session.ends_at,
        )
        for session in event.sessions
        if session.ends_at > now
    ]
    db.session.add_all(entries)
    return entries


def status_changed(
    enrolment: Enrolment, event: Event, *, promoted: bool = False, position: int | None = None
) -> None:
    """Queue the mail that an enrolment's new status calls for, in the person's language.
    `promoted`: the seat came from the waiting list; `position`: on the waiting list."""
    with force_locale(enrolment.locale):
        status = enrolment.status
        if status == EnrolmentStatus.CONFIRMED:
            entries = _new_entries(enrolment, event)
            extra = {"promoted": promoted, "count": len(entries)}
            mail = Mail("confirmed", enrolment, event, extra)
            subject = _subject("promoted" if promoted else "confirmed", event)
            _send(mail, subject, entries, "REQUEST", "invitation")
        elif status in (EnrolmentStatus.CANCELLED, EnrolmentStatus.REJECTED):
            entries = _bump(_entries(enrolment), cancel=True)
            mail = Mail(status, enrolment, event, {})
            _send(mail, _subject(status, event), entries, "CANCEL", "calendar_cancel")
        else:  # waitlisted or pending: a mail that says so, and no invitation
            mail = Mail(status, enrolment, event, {"position": position})
            _send(mail, _subject(status, event), [], "", "")


def _bump(entries: list[CalendarEntry], *, cancel: bool = False) -> list[CalendarEntry]:
    for entry in entries:
        entry.sequence += 1
        entry.cancelled = entry.cancelled or cancel
    return entries


def _affected(session_id: int) -> list[tuple[CalendarEntry, Enrolment]]:
    rows = db.session.execute(
        select(CalendarEntry, Enrolment)
        .join(Enrolment, Enrolment.id == CalendarEntry.enrolment_id)
        .where(CalendarEntry.session_id == session_id, CalendarEntry.cancelled.is_(False))
        .order_by(CalendarEntry.id)
    )
    return [(entry, enrolment) for entry, enrolment in rows]


def session_changed(event: Event, session: EventSession) -> int:
    """A session moved or changed place: an updated REQUEST to everyone who holds it."""
    affected = _affected(session.id)
    for entry, enrolment in affected:
        entry.sequence += 1
        entry.starts_at, entry.ends_at = session.starts_at, session.ends_at
        entry.location = location_of(event, session)
        entry.summary = event.title
        with force_locale(enrolment.locale):
            mail = Mail("session_changed", enrolment, event, {"session": session})
            _send(mail, _subject("session_changed", event), [entry], "REQUEST", "")
    return len(affected)


def session_cancelled(event: Event, session: EventSession) -> int:
    """A session was cancelled or removed: a CANCEL to everyone who holds it."""
    affected = _affected(session.id)
    for entry, enrolment in affected:
        _bump([entry], cancel=True)
        with force_locale(enrolment.locale):
            mail = Mail("session_cancelled", enrolment, event, {"entry": entry})
            _send(mail, _subject("session_cancelled", event), [entry], "CANCEL", "")
    return len(affected)


def event_cancelled(event: Event, enrolments: list[Enrolment]) -> int:
    """The organiser cancelled the event: a mail to every active enrolment, with a CANCEL
    for every invitation sent."""
    for enrolment in enrolments:
        entries = _bump(_entries(enrolment), cancel=True)
        with force_locale(enrolment.locale):
            mail = Mail("event_cancelled", enrolment, event, {})
            subject = _subject("event_cancelled", event)
            _send(mail, subject, entries, "CANCEL", "calendar_cancel")
    return len(enrolments)
