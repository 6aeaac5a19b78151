"""Organisers' work on their events: create, edit, publish, duplicate and cancel them; change
sessions that people hold in their calendars; message participants.

Each change and the mail and calendar updates it causes are one unit of work, under the event's
lock (eventsapp.database.lock_for_update), taken once, first. Services flush; the caller
commits.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from flask import render_template
from flask_babel import force_locale, gettext
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import selectinload

from eventsapp.database import lock_for_update, utcnow
from eventsapp.enrolment.services import (
    promote_from_waitlist,
    review_reasons,
    seats_of,
)
from eventsapp.events import load_event
from eventsapp.extensions import db
from eventsapp.mail import links, notify
from eventsapp.mail.outbox import enqueue
from eventsapp.mail.reminders import KIND as REMINDER
from eventsapp.models import (
    ACTIVE_STATUSES,
    CalendarEntry,
    EligibilityRule,
    Enrolment,
    EnrolmentStatus,
    Event,
    EventQuestion,
    EventSession,
    EventStatus,
    FeedbackSetting,
    OutboxMessage,
    QuestionAnswer,
    session_spans,
)
from eventsapp.models.event import REMINDER_FIRST, REMINDER_SECOND, slugify
from eventsapp.seats import Seats


class ManageError(Exception):
    """A change the event's state does not allow; `code` says which."""

    CANCELLED = "cancelled"
    NO_SESSIONS = "no_sessions"
    NOT_WAITLISTED = "not_waitlisted"

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


# --- what an organiser enters --------------------------------------------------------------


@dataclass(frozen=True)
class SessionData:
    """One session as entered; `id` is the existing session's, None for a new one."""

    id: int | None
    starts_at: datetime
    ends_at: datetime
    place: str = ""
    address: str = ""
    room: str = ""
    online_url: str = ""


@dataclass(frozen=True)
class RuleData:
    """One target-group rule as entered, already checked with eligibility.Rule."""

    id: int | None
    kind: str
    strict: bool = True
    min_age: int | None = None
    max_age: int | None = None
    allowed: tuple[str, ...] = ()
    required_answer: bool | None = None
    text: str = ""


@dataclass(frozen=True)
class QuestionData:
    """One of the organiser's own questions as entered, already checked."""

    id: int | None
    kind: str
    text: str
    purpose: str = ""
    required: bool = False
    audience: str = "organiser"
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventData:
    organisation_id: int
    category_id: int
    title: str
    kind: str = "other"
    summary: str = ""
    description: str = ""
    title_sv: str = ""
    title_en: str = ""
    description_sv: str = ""
    description_en: str = ""
    language: str = "fi"
    attendance_mode: str = "in_person"
    capacity: int = 20
    waitlist_enabled: bool = True
    waitlist_cap: int | None = None
    enrol_opens_at: datetime | None = None
    enrol_closes_at: datetime | None = None
    target_group: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    accessibility: str = ""
    what_to_bring: str = ""
    reminder_first: int = REMINDER_FIRST  # 0: off
    reminder_second: int = REMINDER_SECOND
    sessions: tuple[SessionData, ...] = ()
    rules: tuple[RuleData, ...] = ()
    questions: tuple[QuestionData, ...] | None = None  # None: leave the questions as they are
    feedback_hours: int | None = None  # feedback mail this many hours after the last session
    feedback_named: bool = False  # the feedback answers carry the person's name


_EVENT_FIELDS = (
    "organisation_id",
    "category_id",
    "title",
    "kind",
    "summary",
    "description",
    "title_sv",
    "title_en",
    "description_sv",
    "description_en",
    "language",
    "attendance_mode",
    "capacity",
    "waitlist_enabled",
    "waitlist_cap",
    "enrol_opens_at",
    "enrol_closes_at",
    "target_group",
    "contact_name",
    "contact_email",
    "contact_phone",
    "accessibility",
    "what_to_bring",
    "reminder_first",
    "reminder_second",
)
_SESSION_FIELDS = ("place", "address", "room", "online_url")
_RULE_FIELDS = ("kind", "strict", "min_age", "max_age", "required_answer", "text")


# --- locking and the session changes that notify -------------------------------------------


def _locked_event(event_id: int) -> Event:
    event = lock_for_update(
        db.session,
        Event,
        event_id,
        selectinload(Event.organisation),
        selectinload(Event.sessions),
        selectinload(Event.rules),
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


SESSION_FIELDS = frozenset({"starts_at", "ends_at", "place", "room", "address", "online_url"})


def _change_session(event: Event, session: EventSession, **changes) -> int:
    """Change a session of an event the caller holds locked; notify its holders."""
    unknown = set(changes) - SESSION_FIELDS
    if unknown:
        raise TypeError(f"a session has no {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(session, name, value)
    event.sessions.sort(key=lambda s: s.starts_at)
    event.updated_at = utcnow()
    db.session.flush()
    return notify.session_changed(event, session)


def _cancel_session(event: Event, session: EventSession) -> int:
    """Remove a session of an event the caller holds locked; its holders get a CANCEL."""
    notified = notify.session_cancelled(event, session)
    event.sessions.remove(session)
    event.updated_at = utcnow()
    db.session.flush()
    return notified


def change_session(event_id: int, session_id: int, **changes) -> int:
    """Move a session or change its place (starts_at, ends_at, place, room, address,
    online_url); every holder gets an updated invitation. Returns how many were notified."""
    event = _locked_event(event_id)
    return _change_session(event, _session_of(event, session_id), **changes)


def cancel_session(event_id: int, session_id: int) -> int:
    """Remove one session of a course; its holders get a CANCEL for it."""
    event = _locked_event(event_id)
    return _cancel_session(event, _session_of(event, session_id))


def cancel_event(event_id: int) -> int:
    """Cancel the whole event; everyone with an active enrolment is told, and every
    invitation is cancelled. Returns how many were notified."""
    event = _locked_event(event_id)
    if event.status == EventStatus.CANCELLED:
        return 0
    event.status = EventStatus.CANCELLED
    enrolments = _active_enrolments(event.id)
    db.session.flush()
    return notify.event_cancelled(event, enrolments)


def _active_enrolments(event_id: int) -> list[Enrolment]:
    return list(
        db.session.execute(
            select(Enrolment)
            .where(Enrolment.event_id == event_id, Enrolment.status.in_(ACTIVE_STATUSES))
            .order_by(Enrolment.id)
        ).scalars()
    )


def active_count(event_id: int) -> int:
    """How many people cancelling the event would notify: every active enrolment."""
    return db.session.execute(
        select(func.count()).where(
            Enrolment.event_id == event_id, Enrolment.status.in_(ACTIVE_STATUSES)
        )
    ).scalar_one()


# --- the organiser's list -----------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    confirmed: int = 0
    waitlisted: int = 0
    pending: int = 0


@dataclass(frozen=True)
class Row:
    """One event in the organiser's list."""

    event: Event
    counts: Counts

    @property
    def starts_at(self) -> datetime | None:
        return self.event.sessions[0].starts_at if self.event.sessions else None

    @property
    def ends_at(self) -> datetime | None:
        return max(s.ends_at for s in self.event.sessions) if self.event.sessions else None


PERIODS = ("upcoming", "past", "all")


def overview(
    organisation_ids: Iterable[int] | None, status: str, period: str, now: datetime
) -> list[Row]:
    """The events of these organisations (None: all), with their enrolment counts, in a
    fixed number of queries. `status` "" for any; `period` upcoming (or without sessions),
    past or all."""
    spans = session_spans()
    stmt = (
        select(Event)
        .outerjoin(spans, spans.c.event_id == Event.id)
        .options(selectinload(Event.organisation), selectinload(Event.sessions))
    )
    if organisation_ids is not None:
        stmt = stmt.where(Event.organisation_id.in_(list(organisation_ids)))
    if status:
        stmt = stmt.where(Event.status == status)
    if period == "upcoming":
        stmt = stmt.where(or_(spans.c.ends_at.is_(None), spans.c.ends_at >= now))
        stmt = stmt.order_by(spans.c.starts_at.is_(None).desc(), spans.c.starts_at, Event.id)
    else:
        if period == "past":
            stmt = stmt.where(spans.c.ends_at < now)
        stmt = stmt.order_by(spans.c.starts_at.is_(None).desc(), spans.c.starts_at.desc())
    events = list(db.session.execute(stmt).scalars())
    counts = _counts([event.id for event in events])
    return [Row(event, counts.get(event.id, Counts())) for event in events]


def _counts(event_ids: list[int]) -> dict[int, Counts]:
    if not event_ids:
        return {}
    rows = db.session.execute(
        select(Enrolment.event_id, Enrolment.status, func.count())
        .where(Enrolment.event_id.in_(event_ids), Enrolment.status.in_(ACTIVE_STATUSES))
        .group_by(Enrolment.event_id, Enrolment.status)
    )
    by_event: dict[int, dict[str, int]] = {}
    for event_id, status, number in rows:
        by_event.setdefault(event_id, {})[str(status)] = number
    return {event_id: Counts(**numbers) for event_id, numbers in by_event.items()}


# --- one event and its enrolments -----------------------------------------------------------


def load(event_id: int) -> Event | None:
    """An event in any state, with what its pages need."""
    return load_event(event_id, published_only=False)


@dataclass(frozen=True)
class EnrolmentRow:
    enrolment: Enrolment
    reasons: list[str]  # why a pending one waits for review
    position: int | None  # on the waiting list
    reminders: list[OutboxMessage] = field(default_factory=list)  # sent, failed or waiting

    @property
    def has_details(self) -> bool:
        e = self.enrolment
        return bool(self.reasons or e.override_reason or e.notes or e.staff_message)


@dataclass(frozen=True)
class Enrolments:
    rows: list[EnrolmentRow]
    counts: dict[str, int]  # by status, every status
    seats: Seats

    def count(self, shown: str) -> int:
        """How many enrolments a filter shows."""
        if shown == "active":
            return sum(self.counts[str(status)] for status in ACTIVE_STATUSES)
        if shown == "all":
            return sum(self.counts.values())
        return self.counts.get(shown, 0)


FILTERS = ("active", "pending", "confirmed", "waitlisted", "cancelled", "rejected", "all")
_ORDER = {
    EnrolmentStatus.PENDING: 0,
    EnrolmentStatus.CONFIRMED: 1,
    EnrolmentStatus.WAITLISTED: 2,
    EnrolmentStatus.CANCELLED: 3,
    EnrolmentStatus.REJECTED: 4,
}


def enrolments_of(event: Event, shown: str = "active") -> Enrolments:
    """The event's enrolments of one status ("active": those that hold or want a seat;
    "all": every one), pending first, the waiting list in its order; counts of each."""
    counts = dict.fromkeys((str(status) for status in EnrolmentStatus), 0)
    for status, number in db.session.execute(
        select(Enrolment.status, func.count())
        .where(Enrolment.event_id == event.id)
        .group_by(Enrolment.status)
    ):
        counts[str(status)] = number
    stmt = (
        select(Enrolment)
        .where(Enrolment.event_id == event.id)
        .options(selectinload(Enrolment.enrolled_by))
    )
    if shown == "active":
        stmt = stmt.where(Enrolment.status.in_(ACTIVE_STATUSES))
    elif shown != "all":
        stmt = stmt.where(Enrolment.status == shown)
    enrolments = list(db.session.execute(stmt).scalars())
    # The positions count everyone waiting, also when the list shows only some of them.
    queue = db.session.execute(
        select(Enrolment.id)
        .where(Enrolment.event_id == event.id, Enrolment.status == EnrolmentStatus.WAITLISTED)
        .order_by(Enrolment.queued_at, Enrolment.id)
    ).scalars()
    positions = {enrolment_id: number for number, enrolment_id in enumerate(queue, start=1)}
    enrolments.sort(key=lambda e: (_ORDER[e.status], positions.get(e.id, 0), e.created_at, e.id))
    reminders: dict[int, list[OutboxMessage]] = {}
    for message in db.session.execute(
        select(OutboxMessage)
        .join(Enrolment, Enrolment.id == OutboxMessage.enrolment_id)
        .where(Enrolment.event_id == event.id, OutboxMessage.kind == REMINDER)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
    ).scalars():
        reminders.setdefault(message.enrolment_id, []).append(message)
    rows = [
        EnrolmentRow(e, review_reasons(e, event), positions.get(e.id), reminders.get(e.id, []))
        for e in enrolments
    ]
    seats = Seats(
        capacity=event.capacity,
        waitlist_enabled=event.waitlist_enabled,
        waitlist_cap=event.waitlist_cap,
        confirmed=counts[EnrolmentStatus.CONFIRMED],
        waitlisted=counts[EnrolmentStatus.WAITLISTED],
    )
    return Enrolments(rows, counts, seats)


def enrolment_and_organisation(enrolment_id: int) -> tuple[Enrolment, int] | None:
    """An enrolment and the organisation whose event it is (for the access check)."""
    row = db.session.execute(
        select(Enrolment, Event.organisation_id)
        .join(Event, Event.id == Enrolment.event_id)
        .where(Enrolment.id == enrolment_id)
    ).first()
    return (row[0], row[1]) if row else None


def over_capacity_if_promoted(enrolment: Enrolment) -> Seats | None:
    """The seats as they are when moving this person up would go over the capacity."""
    event = db.session.get(Event, enrolment.event_id)
    seats = seats_of(event)
    return seats if seats.left == 0 else None


# --- creating and changing events -----------------------------------------------------------


def _new_session(item: SessionData) -> EventSession:
    return EventSession(
        starts_at=item.starts_at,
        ends_at=item.ends_at,
        **{name: getattr(item, name) for name in _SESSION_FIELDS},
    )


def _set_rule(rule: EligibilityRule, item: RuleData, position: int) -> None:
    for name in _RULE_FIELDS:
        setattr(rule, name, getattr(item, name))
    rule.allowed = sorted(item.allowed)
    rule.position = position


def _new_rule(item: RuleData, position: int) -> EligibilityRule:
    rule = EligibilityRule()
    _set_rule(rule, item, position)
    return rule


def create_event(data: EventData) -> Event:
    """A new draft event with its sessions and rules."""
    event = Event(
        status=EventStatus.DRAFT,
        slug=slugify(data.title),
        **{name: getattr(data, name) for name in _EVENT_FIELDS},
        sessions=[_new_session(item) for item in sorted(data.sessions, key=_start)],
        rules=[_new_rule(item, position) for position, item in enumerate(data.rules)],
    )
    db.session.add(event)
    db.session.flush()
    _save_questions(event.id, data.questions)
    _save_feedback(event.id, data)
    return event


def _start(item: SessionData) -> datetime:
    return item.starts_at


def _minute(value: datetime) -> datetime:
    return value.replace(second=0, microsecond=0)


def _differs(session: EventSession, item: SessionData) -> bool:
    """Whether the entered session changes the stored one (forms give minutes, no seconds)."""
    stored = (_minute(session.starts_at), _minute(session.ends_at))
    return stored != (_minute(item.starts_at), _minute(item.ends_at)) or any(
        getattr(session, name) != getattr(item, name) for name in _SESSION_FIELDS
    )


@dataclass(frozen=True)
class Plan:
    """What saving an edit would send, so that the organiser can be told before saving."""

    changed: list[tuple[EventSession, int]] = field(default_factory=list)  # session, holders
    removed: list[tuple[EventSession, int]] = field(default_factory=list)
    added: int = 0  # new sessions
    updated_people: int = 0  # distinct people who get an updated invitation
    cancelled_people: int = 0  # distinct people who get a CANCEL for a removed session
    invited_people: int = 0  # confirmed people who get an invitation for a new session

    @property
    def notifies(self) -> bool:
        return bool(self.updated_people or self.cancelled_people or self.invited_people)

    @property
    def token(self) -> str:
        """Stands for what the organiser confirmed: if it changes, ask again."""
        return f"{self.updated_people}-{self.cancelled_people}-{self.invited_people}"


def plan_edit(event: Event, data: EventData, now: datetime | None = None) -> Plan:
    """Who saving `data` over `event` would notify. Reads only."""
    now = now or utcnow()
    existing = {session.id: session for session in event.sessions}
    kept = {item.id for item in data.sessions if item.id in existing}
    changed = [
        existing[item.id]
        for item in data.sessions
        if item.id in kept and _differs(existing[item.id], item)
    ]
    removed = [session for session in event.sessions if session.id not in kept]
    added = [item for item in data.sessions if item.id not in kept]
    confirmed = 0
    if any(item.ends_at > now for item in added) and event.status != EventStatus.DRAFT:
        confirmed = _count_status(event.id, EnrolmentStatus.CONFIRMED)
    return Plan(
        changed=[(session, holders(session.id)) for session in changed],
        removed=[(session, holders(session.id)) for session in removed],
        added=len(added),
        updated_people=_people_holding([s.id for s in changed]),
        cancelled_people=_people_holding([s.id for s in removed]),
        invited_people=confirmed,
    )


def _count_status(event_id: int, status: str) -> int:
    return db.session.execute(
        select(func.count()).where(Enrolment.event_id == event_id, Enrolment.status == status)
    ).scalar_one()


def _people_holding(session_ids: list[int]) -> int:
    if not session_ids:
        return 0
    return db.session.execute(
        select(func.count(func.distinct(CalendarEntry.enrolment_id))).where(
            CalendarEntry.session_id.in_(session_ids), CalendarEntry.cancelled.is_(False)
        )
    ).scalar_one()


@dataclass(frozen=True)
class Saved:
    updated: int = 0  # updated invitations sent
    cancelled: int = 0  # CANCELs sent for removed sessions
    invited: int = 0  # invitations sent for new sessions
    promoted: int = 0  # moved up from the waiting list by a higher capacity
    over_capacity: int = 0  # confirmed beyond the capacity (nobody is removed)


def save_event(event_id: int, data: EventData, now: datetime | None = None) -> Saved:
    """Save an edit. Moved or changed sessions send updated invitations, removed ones a
    CANCEL, new ones an invitation to those confirmed; more seats promote from the waiting
    list at once. Raises ManageError(CANCELLED) for a cancelled event."""
    now = now or utcnow()
    event = _locked_event(event_id)
    if event.status == EventStatus.CANCELLED:
        raise ManageError(ManageError.CANCELLED)
    if event.status == EventStatus.PUBLISHED and not data.sessions:
        raise ManageError(ManageError.NO_SESSIONS)
    for name in _EVENT_FIELDS:
        setattr(event, name, getattr(data, name))
    event.slug = slugify(data.title)

    existing = {session.id: session for session in event.sessions}
    kept = {item.id for item in data.sessions if item.id in existing}
    updated = cancelled = 0
    for session in list(event.sessions):
        if session.id not in kept:
            cancelled += _cancel_session(event, session)
    added = []
    for item in data.sessions:
        if item.id not in kept:
            added.append(_new_session(item))
            event.sessions.append(added[-1])
        elif _differs(existing[item.id], item):
            updated += _change_session(
                event,
                existing[item.id],
                starts_at=item.starts_at,
                ends_at=item.ends_at,
                **{name: getattr(item, name) for name in _SESSION_FIELDS},
            )
    event.sessions.sort(key=lambda s: s.starts_at)
    _save_rules(event, data.rules)
    _save_questions(event.id, data.questions)
    _save_feedback(event.id, data)
    event.updated_at = utcnow()
    db.session.flush()

    invited = 0
    if event.status != EventStatus.DRAFT:
        invited = sum(_invite_to_session(event, session, now) for session in added)
    promoted = promote_from_waitlist(event, now)
    confirmed = _count_status(event.id, EnrolmentStatus.CONFIRMED)
    return Saved(
        updated=updated,
        cancelled=cancelled,
        invited=invited,
        promoted=len(promoted),
        over_capacity=max(0, confirmed - event.capacity),
    )


def _save_rules(event: Event, items: tuple[RuleData, ...]) -> None:
    """Update rules in place, keeping their ids: stored answers refer to them."""
    existing = {rule.id: rule for rule in event.rules}
    kept = set()
    for position, item in enumerate(items):
        rule = existing.get(item.id) if item.id is not None else None
        if rule is None or rule.kind != item.kind or rule.id in kept:
            event.rules.append(_new_rule(item, position))
        else:
            kept.add(rule.id)
            _set_rule(rule, item, position)
    for rule_id, rule in existing.items():
        if rule_id not in kept:
            event.rules.remove(rule)
    event.rules.sort(key=lambda rule: rule.position)


def _save_questions(event_id: int, items: tuple[QuestionData, ...] | None) -> None:
    """Update the organiser's questions in place, keeping their ids (the answers refer to
    them); a question whose kind changed is a new one. Removed questions take their answers."""
    if items is None:
        return
    from eventsapp.questions import services as question_services

    existing = {question.id: question for question in question_services.of_event(event_id)}
    kept = set()
    for position, item in enumerate(items):
        question = existing.get(item.id) if item.id is not None else None
        if question is None or question.kind != item.kind or question.id in kept:
            question = EventQuestion(event_id=event_id, kind=item.kind)
            db.session.add(question)
        else:
            kept.add(question.id)
        question.position = position
        question.text = item.text
        question.purpose = item.purpose
        question.required = item.required
        question.audience = item.audience
        question.choices = list(item.choices)
    removed = [question_id for question_id in existing if question_id not in kept]
    if removed:
        db.session.execute(delete(QuestionAnswer).where(QuestionAnswer.question_id.in_(removed)))
        db.session.execute(delete(EventQuestion).where(EventQuestion.id.in_(removed)))
    db.session.flush()


def _save_feedback(event_id: int, data: EventData) -> None:
    """The event's feedback choices (None hours: leave them as they are)."""
    if data.feedback_hours is None:
        return
    setting = db.session.get(FeedbackSetting, event_id)
    if setting is None:
        setting = FeedbackSetting(event_id=event_id)
        db.session.add(setting)
    setting.hours_after = data.feedback_hours
    setting.named = data.feedback_named


def _invite_to_session(event: Event, session: EventSession, now: datetime) -> int:
    """A session added to an event with confirmed people: each gets an invitation for it."""
    if session.ends_at <= now:
        return 0
    return notify.session_added(event, session)


def publish(event_id: int) -> Event:
    """Show the event in the calendar. It needs at least one session."""
    event = _locked_event(event_id)
    if event.status == EventStatus.CANCELLED:
        raise ManageError(ManageError.CANCELLED)
    if not event.sessions:
        raise ManageError(ManageError.NO_SESSIONS)
    event.status = EventStatus.PUBLISHED
    event.updated_at = utcnow()
    db.session.flush()
    return event


def unpublish(event_id: int) -> Event:
    """Take the event back to a draft: out of the calendar, closed for enrolment. Those
    enrolled keep their enrolments."""
    event = _locked_event(event_id)
    if event.status == EventStatus.CANCELLED:
        raise ManageError(ManageError.CANCELLED)
    event.status = EventStatus.DRAFT
    event.updated_at = utcnow()
    db.session.flush()
    return event


def duplicate_event(event_id: int, title: str) -> Event:
    """A draft copy of the event, with its sessions and rules, under a new title."""
    source = load(event_id)
    if source is None:
        raise LookupError(f"no event {event_id}")
    title = title[:200]
    copy = Event(
        status=EventStatus.DRAFT,
        slug=slugify(title),
        **{name: getattr(source, name) for name in _EVENT_FIELDS if name != "title"},
        title=title,
        sessions=[
            EventSession(
                starts_at=session.starts_at,
                ends_at=session.ends_at,
                **{name: getattr(session, name) for name in _SESSION_FIELDS},
            )
            for session in source.sessions
        ],
        rules=[
            EligibilityRule(
                position=rule.position,
                allowed=list(rule.allowed or []),
                **{name: getattr(rule, name) for name in _RULE_FIELDS},
            )
            for rule in source.rules
        ],
    )
    db.session.add(copy)
    db.session.flush()
    return copy


# --- messages to participants ---------------------------------------------------------------

MESSAGE_GROUPS = (EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED)


def recipients_count(event_id: int) -> dict[str, int]:
    """How many a message to each group would reach."""
    return {str(group): _count_status(event_id, group) for group in MESSAGE_GROUPS}


def message_participants(event_id: int, group: str, subject: str, body: str) -> int:
    """Queue the organiser's message to everyone confirmed (or waitlisted) in the event, one
    mail each; a coach gets the mail of a client without email, and a copy otherwise.
    Returns how many people it reaches."""
    if group not in MESSAGE_GROUPS:
        raise ValueError(f"cannot message {group!r}")
    event = load(event_id)
    if event is None:
        raise LookupError(f"no event {event_id}")
    enrolments = list(
        db.session.execute(
            select(Enrolment)
            .where(Enrolment.event_id == event.id, Enrolment.status == group)
            .options(selectinload(Enrolment.enrolled_by))
            .order_by(Enrolment.id)
        ).scalars()
    )
    reply_to = notify.organiser_address(event)[1]
    paragraphs = [part.strip().splitlines() for part in body.strip().split("\n\n") if part.strip()]
    reached = 0
    for enrolment in enrolments:
        main, copy = notify.recipients(enrolment)
        if not main.email:
            continue
        with force_locale(enrolment.locale):
            for recipient, kind, title in (
                (main, "message", subject),
                (copy, "message_copy", gettext("Copy: %(subject)s", subject=subject)),
            ):
                if recipient is None:
                    continue
                context = {
                    "recipient": recipient,
                    "enrolment": enrolment,
                    "event": event,
                    "manage_url": links.manage_url(enrolment),
                    "event_url": links.event_url(event),
                    "home_url": links.absolute("/"),
                    "subject": title,
                    "body": body.strip(),
                    "paragraphs": paragraphs,
                }
                enqueue(
                    kind=kind,
                    to=(recipient.name, recipient.email),
                    subject=title,
                    text=render_template("manage/email/message.txt", **context),
                    html=render_template("manage/email/message.html", **context),
                    reply_to=reply_to,
                    enrolment_id=enrolment.id,
                )
        reached += 1
    db.session.flush()
    return reached
