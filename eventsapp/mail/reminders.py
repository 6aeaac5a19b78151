"""Reminders before each session: written by the sender when they fall due.

An event has two reminder offsets (minutes before a session's start; 0: off): the first goes
by email, and by text message too where the person asked for texts; the second by text only.
`queue_due(as_of)` writes the reminders whose moment has come as outbox rows, at most once per
(enrolment, session, offset, channel) — the database's unique constraint says so — and the
sender sends them. Because reminders are computed from the confirmed enrolments at the moment
they fall due, a cancelled person gets none, a moved session is reminded at its new time, and a
person who enrolled after a reminder's moment does not get it ("see you tomorrow" on the day).

A reminder whose moment passed while the sender was down still goes, late, if its session has
not started, unless a later reminder to the same person for the same session is due by then:
then only the later one.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from types import SimpleNamespace

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, text, update

from eventsapp.database import begin_write, is_sqlite, utcnow
from eventsapp.extensions import db
from eventsapp.mail import notify
from eventsapp.mail.outbox import mail_domain
from eventsapp.models import (
    Channel,
    Enrolment,
    EnrolmentStatus,
    Event,
    EventSession,
    EventStatus,
    OutboxMessage,
    OutboxStatus,
    User,
)

KIND = "reminder"
SUBJECT = _l("Reminder: %(title)s")
# The organiser's menu of offsets, in minutes before the session starts.
OFFSETS = (60, 120, 180, 360, 720, 1440, 2880, 4320, 10080)
LONGEST = timedelta(minutes=max(OFFSETS))
_LOCK = 8_000_001  # PostgreSQL advisory lock: one sender writes reminders at a time


@dataclass(frozen=True)
class Planned:
    """One reminder of one session for one person."""

    session_id: int
    starts_at: datetime
    offset_minutes: int
    channel: str

    @property
    def moment(self) -> datetime:
        return self.starts_at - timedelta(minutes=self.offset_minutes)


def plan(event: Event, enrolment: Enrolment, sessions: list[EventSession]) -> list[Planned]:
    """Every reminder this enrolment gets for these sessions, as the event is set now."""
    channels: list[tuple[int, str]] = []
    if event.reminder_first:
        channels.append((event.reminder_first, Channel.EMAIL))
        if notify.wants_texts(enrolment):
            channels.append((event.reminder_first, Channel.SMS))
    if event.reminder_second and notify.wants_texts(enrolment):
        channels.append((event.reminder_second, Channel.SMS))
    return [
        Planned(session.id, session.starts_at, offset, channel)
        for session in sessions
        for offset, channel in channels
    ]


def _due(planned: list[Planned], enrolment: Enrolment, as_of: datetime) -> list[Planned]:
    """Of each (session, channel), the latest reminder whose moment has come, if the person was
    confirmed by that moment and the session has not started."""
    latest: dict[tuple[int, str], Planned] = {}
    for item in planned:
        if not item.moment <= as_of < item.starts_at:
            continue
        if enrolment.status_changed_at > item.moment:  # enrolled after the moment
            continue
        key = (item.session_id, item.channel)
        if key not in latest or item.moment > latest[key].moment:
            latest[key] = item
    return list(latest.values())


def upcoming(event: Event, enrolment: Enrolment, now: datetime) -> list[Planned]:
    """The reminders still to come, for the manage page."""
    if enrolment.status != EnrolmentStatus.CONFIRMED:
        return []
    sessions = [s for s in event.sessions if s.starts_at > now]
    items = [
        item
        for item in plan(event, enrolment, sessions)
        if item.moment > now and enrolment.status_changed_at <= item.moment
    ]
    return sorted(items, key=lambda item: (item.moment, item.channel))


def _lock(session) -> None:
    """One writer of reminders at a time, so that two senders never race on the same rows."""
    if is_sqlite(session):
        begin_write(session)
    else:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})


CHUNK = 2000  # enrolment-sessions read at a time: memory stays flat however big the wave


def _candidates(as_of: datetime, after: int):
    """Confirmed enrolments with a session whose reminders may be due, as plain rows."""
    return db.session.execute(
        select(
            Enrolment.id, Enrolment.status_changed_at, Enrolment.reminder_sms, Enrolment.phone,
            Enrolment.email, Enrolment.first_name, Enrolment.last_name, Enrolment.locale,
            Enrolment.enrolled_by_id, Enrolment.anonymised_at,
            EventSession.id.label("session_id"), EventSession.starts_at,
            Event.title, Event.reminder_first, Event.reminder_second,
        )
        .join(EventSession, EventSession.event_id == Enrolment.event_id)
        .join(Event, Event.id == Enrolment.event_id)
        .where(
            Enrolment.status == EnrolmentStatus.CONFIRMED,
            Enrolment.anonymised_at.is_(None),
            Event.status == EventStatus.PUBLISHED,
            EventSession.starts_at > as_of,
            EventSession.starts_at <= as_of + LONGEST,
            Enrolment.id > after,
        )
        .order_by(Enrolment.id)
        .limit(CHUNK)
    ).all()  # fmt: skip


def queue_due(as_of: datetime) -> int:
    """Write the reminders due at `as_of` into the outbox, in chunks (plain rows read, rows
    inserted in bulk: no ORM object per person); commits. Returns how many."""
    session = db.session
    _lock(session)
    domain, subjects, written, after = mail_domain(), {}, 0, 0
    while rows := _candidates(as_of, after):
        after = rows[-1].id
        last_complete = [row for row in rows if row.id != after] if len(rows) == CHUNK else rows
        if not last_complete:  # one enrolment with more sessions than a chunk: take them all
            last_complete = rows
        else:
            after = last_complete[-1].id
        coaches = _coaches({row.enrolled_by_id for row in last_complete if row.enrolled_by_id})
        existing = set(
            session.execute(
                select(
                    OutboxMessage.enrolment_id,
                    OutboxMessage.session_id,
                    OutboxMessage.offset_minutes,
                    OutboxMessage.channel,
                ).where(
                    OutboxMessage.kind == KIND,
                    OutboxMessage.enrolment_id.in_({row.id for row in last_complete}),
                )
            ).all()
        )
        inserts = []
        for row in last_complete:
            person = SimpleNamespace(
                **row._mapping, full_name=f"{row.first_name} {row.last_name}",
                enrolled_by=coaches.get(row.enrolled_by_id),
            )  # fmt: skip
            event = SimpleNamespace(
                reminder_first=row.reminder_first, reminder_second=row.reminder_second
            )
            session_row = SimpleNamespace(id=row.session_id, starts_at=row.starts_at)
            for item in _due(plan(event, person, [session_row]), person, as_of):
                key = (row.id, item.session_id, item.offset_minutes, item.channel)
                if key not in existing:
                    existing.add(key)
                    inserts.append(_row(person, row.title, item, domain, subjects))
        if inserts:
            session.execute(insert(OutboxMessage), inserts)
            written += len(inserts)
    _skip_superseded(as_of)
    session.commit()
    return written


def _coaches(ids: set[int]) -> dict:
    if not ids:
        return {}
    return {
        user.id: user for user in db.session.execute(select(User).where(User.id.in_(ids))).scalars()
    }


def _row(person, title: str, item: Planned, domain: str, subjects: dict) -> dict:
    """One reminder as an outbox row (for a bulk insert)."""
    main, _copy = notify.recipients(person)
    sms = item.channel == Channel.SMS
    if (title, person.locale) not in subjects:
        with force_locale(person.locale):
            subjects[title, person.locale] = str(SUBJECT) % {"title": title}
    return {
        "kind": KIND,
        "channel": item.channel,
        "to_name": person.full_name if sms else main.name,
        "to_address": person.phone if sms else main.email,
        "subject": subjects[title, person.locale],
        "message_id": make_msgid(domain=domain),
        "payload": {
            "renderer": notify.SMS_RENDERER if sms else notify.RENDERER,
            "template": KIND,
            "locale": person.locale,
            "recipient": {"name": main.name, "email": main.email, "for_client": main.for_client},
        },
        "status": OutboxStatus.QUEUED,
        "enrolment_id": person.id,
        "session_id": item.session_id,
        "offset_minutes": item.offset_minutes,
        "next_attempt_at": item.moment,
        "created_at": utcnow(),
    }


def _skip_superseded(as_of: datetime) -> None:
    """An earlier reminder still waiting (a retry) when a later one of the same session and
    channel has been written: only the later one goes."""
    later = OutboxMessage.__table__.alias("later")
    db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.kind == KIND,
            OutboxMessage.status == OutboxStatus.QUEUED,
            select(later.c.id)
            .where(
                later.c.kind == KIND,
                later.c.enrolment_id == OutboxMessage.enrolment_id,
                later.c.session_id == OutboxMessage.session_id,
                later.c.channel == OutboxMessage.channel,
                later.c.offset_minutes < OutboxMessage.offset_minutes,
                later.c.next_attempt_at <= as_of,
            )
            .exists(),
        )
        .values(status=OutboxStatus.SKIPPED, last_error="a later reminder was due")
        .execution_options(synchronize_session=False)
    )
