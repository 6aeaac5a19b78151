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

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, text, update

from eventsapp.database import begin_write, is_sqlite
from eventsapp.extensions import db
from eventsapp.mail import notify
from eventsapp.mail.outbox import enqueue_payload
from eventsapp.models import (
    Channel,
    Enrolment,
    EnrolmentStatus,
    Event,
    EventSession,
    EventStatus,
    OutboxMessage,
    OutboxStatus,
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


def queue_due(as_of: datetime) -> int:
    """Write the reminders due at `as_of` into the outbox; commits. Returns how many."""
    session = db.session
    _lock(session)
    rows = session.execute(
        select(Enrolment, EventSession, Event)
        .join(EventSession, EventSession.event_id == Enrolment.event_id)
        .join(Event, Event.id == Enrolment.event_id)
        .where(
            Enrolment.status == EnrolmentStatus.CONFIRMED,
            Enrolment.anonymised_at.is_(None),
            Event.status == EventStatus.PUBLISHED,
            EventSession.starts_at > as_of,
            EventSession.starts_at <= as_of + LONGEST,
        )
        .order_by(Enrolment.id, EventSession.starts_at)
        .execution_options(populate_existing=True)  # as they are now, not as once loaded
    ).all()
    if not rows:
        session.commit()
        return 0
    enrolment_ids = {enrolment.id for enrolment, _, _ in rows}
    existing = set(
        session.execute(
            select(
                OutboxMessage.enrolment_id,
                OutboxMessage.session_id,
                OutboxMessage.offset_minutes,
                OutboxMessage.channel,
            ).where(
                OutboxMessage.kind == KIND,
                OutboxMessage.enrolment_id.in_(enrolment_ids),
            )
        ).all()
    )
    written = 0
    for enrolment, event_session, event in rows:
        for item in _due(plan(event, enrolment, [event_session]), enrolment, as_of):
            key = (enrolment.id, item.session_id, item.offset_minutes, item.channel)
            if key in existing:
                continue
            _write(enrolment, event, item)
            existing.add(key)
            written += 1
    session.flush()
    _skip_superseded(as_of)
    session.commit()
    return written


def _write(enrolment: Enrolment, event: Event, item: Planned) -> None:
    main, _copy = notify.recipients(enrolment)
    sms = item.channel == Channel.SMS
    with force_locale(enrolment.locale):
        subject = str(SUBJECT) % {"title": event.title}
    enqueue_payload(
        kind=KIND,
        channel=item.channel,
        to=(enrolment.full_name, enrolment.phone) if sms else (main.name, main.email),
        subject=subject,
        enrolment_id=enrolment.id,
        session_id=item.session_id,
        offset_minutes=item.offset_minutes,
        next_attempt_at=item.moment,
        payload={
            "renderer": notify.SMS_RENDERER if sms else notify.RENDERER,
            "template": KIND,
            "locale": enrolment.locale,
            "recipient": {"name": main.name, "email": main.email, "for_client": main.for_client},
        },
    )


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
