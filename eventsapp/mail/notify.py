"""Which mail a change causes, and the calendar entries that go with it.

Called by the services inside their unit of work: each message is queued in the outbox in the
same transaction as the change, as what to say (the kind, the recipient, the calendar entry as
it stands now); the sender renders it after the commit, once, and keeps the rendered message
for its retries. So a request pays for a few inserts, not for templates and MIME.

A confirmed participant gets one calendar invitation per session (docs/calendar-invitations.md
says why): the first travels in the confirmation, the others each in a short message of its
own. Cancelling, rejecting, moving or cancelling a session sends CANCEL or an updated REQUEST
with the same UID and a higher SEQUENCE.
"""

import uuid
from dataclasses import asdict, dataclass

from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from eventsapp.database import utcnow
from eventsapp.extensions import db
from eventsapp.mail.outbox import enqueue_payload, mail_domain
from eventsapp.models import (
    CalendarEntry,
    Channel,
    Enrolment,
    EnrolmentStatus,
    Event,
    EventSession,
)

RENDERER = "enrolment"
SMS_RENDERER = "sms"
LINKS_RENDERER = "links"
# The changes a person who asked for text messages also hears of by text: the urgent ones.
URGENT = frozenset({"promoted", "event_cancelled", "session_changed", "session_cancelled"})


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


def _snapshot(entry: CalendarEntry) -> dict:
    """The calendar entry as the calendar will be told it: kept in the queued message."""
    return {
        "uid": entry.uid,
        "sequence": entry.sequence,
        "summary": entry.summary,
        "location": entry.location,
        "starts_at": entry.starts_at.isoformat(),
        "ends_at": entry.ends_at.isoformat(),
    }


def _queue(
    enrolment: Enrolment,
    to: Recipient,
    *,
    kind: str,
    template: str,
    subject: str,
    entry: CalendarEntry | None = None,
    method: str = "",
    **extra,
) -> None:
    enqueue_payload(
        kind=kind,
        to=(to.name, to.email),
        subject=subject,
        enrolment_id=enrolment.id,
        payload={
            "renderer": RENDERER,
            "template": template,
            "locale": enrolment.locale,
            "recipient": asdict(to),
            "entry": _snapshot(entry) if entry is not None else None,
            "method": method,
            "extra": extra,
        },
    )


def _send(
    enrolment: Enrolment,
    event: Event,
    *,
    template: str,
    subject: str,
    entries: list[CalendarEntry],
    method: str,
    follow: str = "",
    **extra,
) -> None:
    """The mail itself carries the first entry's calendar part; every other entry goes in a
    short message of its own (one VEVENT, one UID per message: what Outlook reads). A coach
    who enrolled a client with email gets a copy of the mail itself, without the calendar."""
    main, copy = recipients(enrolment)
    first = entries[0] if entries else None
    urgent = "promoted" if extra.get("promoted") else template
    if urgent in URGENT:
        text(enrolment, urgent, _subject(urgent, event), entry=first)
    _queue(
        enrolment, main, kind=template, template=template, subject=subject, entry=first,
        method=method, **extra,
    )  # fmt: skip
    if copy is not None:
        copy_subject = gettext("Copy: %(subject)s", subject=subject)
        _queue(
            enrolment, copy, kind=f"{template}_copy", template=template, subject=copy_subject,
            **extra,
        )  # fmt: skip
    count = len(entries)
    for number, entry in enumerate(entries[1:], start=2):
        _queue(
            enrolment,
            main,
            kind=follow,
            template=follow,
            subject=_subject(follow, event, number=number, count=count),
            entry=entry,
            method=method,
            number=number,
            count=count,
        )


def wants_texts(enrolment: Enrolment) -> bool:
    return bool(enrolment.reminder_sms and enrolment.phone and not enrolment.anonymised_at)


def text(
    enrolment: Enrolment, template: str, subject: str, *, entry: CalendarEntry | None = None
) -> None:
    """Queue a text message about an enrolment, if its person asked for texts; `entry`: the
    session it is about, as the calendar entry stands now."""
    if not wants_texts(enrolment):
        return
    enqueue_payload(
        kind=template,
        channel=Channel.SMS,
        to=(enrolment.full_name, enrolment.phone),
        subject=subject,
        enrolment_id=enrolment.id,
        payload={
            "renderer": SMS_RENDERER,
            "template": template,
            "locale": enrolment.locale,
            "entry": _snapshot(entry) if entry is not None else None,
        },
    )


def _entries(enrolment: Enrolment) -> list[CalendarEntry]:
    return list(
        db.session.execute(
            select(CalendarEntry)
            .where(CalendarEntry.enrolment_id == enrolment.id, CalendarEntry.cancelled.is_(False))
            .order_by(CalendarEntry.starts_at, CalendarEntry.id)
        ).scalars()
    )


def _entry_for(enrolment: Enrolment, event: Event, session: EventSession) -> CalendarEntry:
    """A new calendar entry: this session in this person's calendar, under a UID of its own."""
    entry = CalendarEntry(
        enrolment_id=enrolment.id,
        session_id=session.id,
        uid=f"{uuid.uuid4()}@{mail_domain()}",
        sequence=0,
        summary=event.title,
        location=location_of(event, session),
        starts_at=session.starts_at,
        ends_at=session.ends_at,
    )
    db.session.add(entry)
    return entry


def _new_entries(enrolment: Enrolment, event: Event) -> list[CalendarEntry]:
    now = utcnow()
    return [_entry_for(enrolment, event, s) for s in event.sessions if s.ends_at > now]


def _bump(entries: list[CalendarEntry], *, cancel: bool = False) -> list[CalendarEntry]:
    for entry in entries:
        entry.sequence += 1
        entry.cancelled = entry.cancelled or cancel
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
            subject = _subject("promoted" if promoted else "confirmed", event)
            _send(
                enrolment, event, template="confirmed", subject=subject, entries=entries,
                method="REQUEST", follow="invitation", promoted=promoted, count=len(entries),
            )  # fmt: skip
        elif status in (EnrolmentStatus.CANCELLED, EnrolmentStatus.REJECTED):
            entries = _bump(_entries(enrolment), cancel=True)
            _send(
                enrolment, event, template=status, subject=_subject(status, event),
                entries=entries, method="CANCEL", follow="calendar_cancel",
            )  # fmt: skip
        else:  # waitlisted or pending: a mail that says so, and no invitation
            _send(
                enrolment, event, template=status, subject=_subject(status, event), entries=[],
                method="", position=position,
            )  # fmt: skip


def _holders(session_id: int) -> list[tuple[CalendarEntry, Enrolment]]:
    rows = db.session.execute(
        select(CalendarEntry, Enrolment)
        .join(Enrolment, Enrolment.id == CalendarEntry.enrolment_id)
        .where(CalendarEntry.session_id == session_id, CalendarEntry.cancelled.is_(False))
        .order_by(CalendarEntry.id)
    )
    return [(entry, enrolment) for entry, enrolment in rows]


def session_changed(event: Event, session: EventSession) -> int:
    """A session moved or changed place: an updated REQUEST to everyone who holds it."""
    affected = _holders(session.id)
    for entry, enrolment in affected:
        entry.sequence += 1
        entry.starts_at, entry.ends_at = session.starts_at, session.ends_at
        entry.location = location_of(event, session)
        entry.summary = event.title
        with force_locale(enrolment.locale):
            _send(
                enrolment, event, template="session_changed",
                subject=_subject("session_changed", event), entries=[entry], method="REQUEST",
            )  # fmt: skip
    return len(affected)


def session_added(event: Event, session: EventSession) -> int:
    """A session was added to an event: everyone confirmed gets an invitation for it, in a
    message of its own, as for every session after the first."""
    enrolments = list(
        db.session.execute(
            select(Enrolment)
            .where(Enrolment.event_id == event.id, Enrolment.status == EnrolmentStatus.CONFIRMED)
            .order_by(Enrolment.id)
        ).scalars()
    )
    number, count = event.sessions.index(session) + 1, len(event.sessions)
    for enrolment in enrolments:
        entry = _entry_for(enrolment, event, session)
        with force_locale(enrolment.locale):
            _send(
                enrolment, event, template="invitation",
                subject=_subject("invitation", event, number=number, count=count),
                entries=[entry], method="REQUEST", number=number, count=count,
            )  # fmt: skip
    return len(enrolments)


def session_cancelled(event: Event, session: EventSession) -> int:
    """A session was cancelled or removed: a CANCEL to everyone who holds it."""
    affected = _holders(session.id)
    for entry, enrolment in affected:
        _bump([entry], cancel=True)
        with force_locale(enrolment.locale):
            _send(
                enrolment, event, template="session_cancelled",
                subject=_subject("session_cancelled", event), entries=[entry], method="CANCEL",
            )  # fmt: skip
    return len(affected)


def event_cancelled(event: Event, enrolments: list[Enrolment]) -> int:
    """The organiser cancelled the event: a mail to every active enrolment, with a CANCEL
    for every invitation sent."""
    for enrolment in enrolments:
        entries = _bump(_entries(enrolment), cancel=True)
        with force_locale(enrolment.locale):
            _send(
                enrolment, event, template="event_cancelled",
                subject=_subject("event_cancelled", event), entries=entries, method="CANCEL",
                follow="calendar_cancel",
            )  # fmt: skip
    return len(enrolments)


LINKS_SUBJECT = _l("Your enrolment links")


def links(enrolments: list[Enrolment]) -> None:
    """One mail to an address listing its active enrolments, each with its manage link."""
    first = enrolments[0]
    with force_locale(first.locale):
        subject = str(LINKS_SUBJECT)
    enqueue_payload(
        kind="links",
        to=(first.full_name, first.email),
        subject=subject,
        enrolment_id=first.id,
        payload={
            "renderer": LINKS_RENDERER,
            "template": "links",
            "locale": first.locale,
            "enrolment_ids": [enrolment.id for enrolment in enrolments],
        },
    )
