"""Enrolment: the unit of work behind the form, the manage page and every status change.

Services change the session and flush; the caller commits once. Seats are counted and taken
under a lock on the event (eventsapp.database.lock_for_update), so the capacity holds under any
number of concurrent enrolments and cancellations.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from eventsapp import eligibility
from eventsapp.database import lock_for_update, utcnow
from eventsapp.events import rule_date
from eventsapp.extensions import db
from eventsapp.mail import notify
from eventsapp.models import (
    ACTIVE_STATUSES,
    Enrolment,
    EnrolmentStatus,
    Event,
    EventStatus,
    InvalidTransition,
    Window,
    email_key,
    enrolment_window,
)
from eventsapp.models.enrolment import token_digest
from eventsapp.seats import Placement, Seats


@dataclass(frozen=True)
class Applicant:
    """What a person gave in the enrolment form, already validated and normalised."""

    first_name: str
    last_name: str
    email: str
    phone: str = ""
    reminder_sms: bool = False
    birth_date: date | None = None
    municipality: str | None = None
    gender: str | None = None
    employment_status: str | None = None
    answers: dict[int, bool] = field(default_factory=dict)
    notes: str = ""
    locale: str = "fi"

    def facts(self) -> eligibility.Applicant:
        return eligibility.Applicant(
            birth_date=self.birth_date,
            municipality=self.municipality,
            gender=self.gender,
            employment_status=self.employment_status,
            answers=self.answers,
        )


class EnrolmentRefused(Exception):
    """The enrolment was not taken; `reason` says why, `verdict` carries eligibility reasons."""

    UNAVAILABLE = "unavailable"
    NOT_YET = "not_yet"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    FULL = "full"
    DUPLICATE = "duplicate"
    INELIGIBLE = "ineligible"

    def __init__(self, reason: str, verdict: eligibility.Verdict | None = None):
        super().__init__(reason)
        self.reason = reason
        self.verdict = verdict


_WINDOW_REFUSALS = {
    Window.NOT_YET: EnrolmentRefused.NOT_YET,
    Window.CLOSED: EnrolmentRefused.CLOSED,
    Window.CANCELLED: EnrolmentRefused.CANCELLED,
}


def refusal_for(window: Window) -> str:
    """Why an enrolment is refused while the window is not open."""
    return _WINDOW_REFUSALS[window]


def explain(verdict: eligibility.Verdict) -> list[str]:
    """The verdict's reasons in the person's language."""
    from flask_babel import format_date, gettext

    return [reason.message(gettext, format_date) for reason in verdict.reasons]


def facts_of(enrolment: Enrolment) -> eligibility.Applicant:
    return eligibility.Applicant(
        birth_date=enrolment.birth_date,
        municipality=enrolment.municipality,
        gender=enrolment.gender,
        employment_status=enrolment.employment_status,
        answers={int(k): v for k, v in (enrolment.answers or {}).items()},
    )


def review_reasons(enrolment: Enrolment, event: Event) -> list[str]:
    """Why a pending enrolment waits for the organiser, judged by the event's rules now."""
    if enrolment.status != EnrolmentStatus.PENDING:
        return []
    verdict = eligibility.evaluate(event.eligibility_rules(), facts_of(enrolment), rule_date(event))
    return explain(verdict)


def seats_by_event(events: Iterable[Event]) -> dict[int, Seats]:
    """Seat counts of many events in one query."""
    events = list(events)
    counts: dict[tuple[int, str], int] = {}
    if events:
        rows = db.session.execute(
            select(Enrolment.event_id, Enrolment.status, func.count())
            .where(
                Enrolment.event_id.in_([e.id for e in events]),
                Enrolment.status.in_((EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED)),
            )
            .group_by(Enrolment.event_id, Enrolment.status)
        )
        counts = {(event_id, status): n for event_id, status, n in rows}
    return {
        e.id: Seats(
            capacity=e.capacity,
            waitlist_enabled=e.waitlist_enabled,
            waitlist_cap=e.waitlist_cap,
            confirmed=counts.get((e.id, EnrolmentStatus.CONFIRMED), 0),
            waitlisted=counts.get((e.id, EnrolmentStatus.WAITLISTED), 0),
        )
        for e in events
    }


def seats_of(event: Event) -> Seats:
    return seats_by_event([event])[event.id]


def _lock_event(event_id: int) -> Event | None:
    """Lock the event for the rest of the unit of work and load what the decision needs."""
    return lock_for_update(
        db.session,
        Event,
        event_id,
        selectinload(Event.organisation),
        selectinload(Event.sessions),
        selectinload(Event.rules),
    )


@dataclass(frozen=True)
class OnBehalf:
    """A coach enrols a client, with the client's consent (recorded: who and when).
    `override_reason` lets the client past soft rules; strict rules cannot be overridden."""

    client_id: int
    coach_id: int
    override_reason: str = ""


def enrol(
    event_id: int,
    applicant: Applicant,
    now: datetime | None = None,
    on_behalf: OnBehalf | None = None,
) -> Enrolment:
    """Take an enrolment, or raise EnrolmentRefused. Confirmed, waitlisted or pending."""
    event = _lock_event(event_id)
    now = now or utcnow()  # read under the lock: the waiting list keeps the lock's order
    if event is None or event.status == EventStatus.DRAFT:
        raise EnrolmentRefused(EnrolmentRefused.UNAVAILABLE)
    window = enrolment_window(event, now)
    if window != Window.OPEN:
        raise EnrolmentRefused(_WINDOW_REFUSALS[window])

    verdict = eligibility.evaluate(event.eligibility_rules(), applicant.facts(), rule_date(event))
    if verdict.ineligible:
        raise EnrolmentRefused(EnrolmentRefused.INELIGIBLE, verdict)

    key = email_key(applicant.email)
    if not key and on_behalf:  # a client without email: one enrolment per client
        key = f"client:{on_behalf.client_id}"
    if not key or _active_enrolment_exists(event_id, key):
        raise EnrolmentRefused(EnrolmentRefused.DUPLICATE)

    overridden = bool(on_behalf and on_behalf.override_reason.strip())
    if verdict.needs_review and not overridden:
        status = EnrolmentStatus.PENDING
    else:
        placement = seats_of(event).place()
        if placement == Placement.FULL:
            raise EnrolmentRefused(EnrolmentRefused.FULL, verdict)
        status = EnrolmentStatus(placement.value)

    enrolment = Enrolment(
        event_id=event.id,
        status=status,
        first_name=applicant.first_name,
        last_name=applicant.last_name,
        email=applicant.email.strip(),
        email_key=key,
        phone=applicant.phone,
        reminder_sms=applicant.reminder_sms and bool(applicant.phone),
        birth_date=applicant.birth_date,
        municipality=applicant.municipality,
        gender=applicant.gender,
        employment_status=applicant.employment_status,
        answers={str(k): v for k, v in applicant.answers.items()},
        missed_rule_ids=[reason.rule_id for reason in verdict.reasons],
        notes=applicant.notes,
        locale=applicant.locale,
        consent_at=now,
        created_at=now,
        status_changed_at=now,
        queued_at=now if status == EnrolmentStatus.WAITLISTED else None,
        client_id=on_behalf.client_id if on_behalf else None,
        enrolled_by_id=on_behalf.coach_id if on_behalf else None,
        override_reason=on_behalf.override_reason.strip() if overridden else "",
    )
    try:
        with db.session.begin_nested():
            db.session.add(enrolment)
    except IntegrityError as error:  # the database's own guard against a duplicate
        raise EnrolmentRefused(EnrolmentRefused.DUPLICATE) from error
    notify.status_changed(enrolment, event, position=waitlist_position(enrolment))
    return enrolment


def _active_enrolment_exists(event_id: int, key: str) -> bool:
    return (
        db.session.execute(
            select(Enrolment.id).where(
                Enrolment.event_id == event_id,
                Enrolment.email_key == key,
                Enrolment.status.in_(ACTIVE_STATUSES),
            )
        ).first()
        is not None
    )


def by_token(token: str) -> Enrolment | None:
    if not token or len(token) > 64:
        return None
    return db.session.execute(
        select(Enrolment).where(
            or_(
                Enrolment.token_hash == token_digest(token),
                Enrolment.legacy_token_hash == token_digest(token),
            )
        )
    ).scalar_one_or_none()


def cancel(token: str, now: datetime | None = None) -> Enrolment | None:
    """Cancel an enrolment by its token; a freed seat goes to the head of the waiting list.

    Returns None for an unknown token. Cancelling a cancelled enrolment changes nothing.
    """
    found = by_token(token)
    return None if found is None else cancel_enrolment(found.id, now)


def _locked_enrolment(enrolment_id: int) -> tuple[Event, Enrolment]:
    """The enrolment and its event, read fresh under the event's lock."""
    found = db.session.get(Enrolment, enrolment_id)
    if found is None:
        raise LookupError(f"no enrolment {enrolment_id}")
    event = _lock_event(found.event_id)
    enrolment = db.session.execute(
        select(Enrolment)
        .where(Enrolment.id == enrolment_id)
        .execution_options(populate_existing=True)
    ).scalar_one()
    return event, enrolment


def cancel_enrolment(enrolment_id: int, now: datetime | None = None) -> Enrolment:
    """Cancel (by the participant, their coach or staff); the seat goes to the next in line."""
    event, enrolment = _locked_enrolment(enrolment_id)
    if not enrolment.can_move_to(EnrolmentStatus.CANCELLED):
        return enrolment
    enrolment.move_to(EnrolmentStatus.CANCELLED, now)
    db.session.flush()
    notify.status_changed(enrolment, event)
    promote_from_waitlist(event, now)
    return enrolment


def approve(enrolment_id: int, message: str = "", now: datetime | None = None) -> Enrolment:
    """The organiser accepts a pending enrolment: it takes a seat, or joins the waiting list.
    Raises EnrolmentRefused(FULL) when there is neither."""
    event, enrolment = _locked_enrolment(enrolment_id)
    if enrolment.status != EnrolmentStatus.PENDING:
        raise InvalidTransition(f"{enrolment.status} -> approved")
    placement = seats_of(event).place()
    if placement == Placement.FULL:
        raise EnrolmentRefused(EnrolmentRefused.FULL)
    enrolment.staff_message = message.strip()
    enrolment.move_to(EnrolmentStatus(placement.value), now)
    db.session.flush()
    notify.status_changed(enrolment, event, position=waitlist_position(enrolment))
    return enrolment


def reject(enrolment_id: int, message: str = "", now: datetime | None = None) -> Enrolment:
    """The organiser turns a pending enrolment down, with a message to the person."""
    event, enrolment = _locked_enrolment(enrolment_id)
    enrolment.staff_message = message.strip()
    enrolment.move_to(EnrolmentStatus.REJECTED, now)
    db.session.flush()
    notify.status_changed(enrolment, event)
    return enrolment


def promote(enrolment_id: int, now: datetime | None = None) -> Enrolment:
    """The organiser moves one person up from the waiting list by hand, out of turn. With
    no free seat this goes over the capacity: the organiser's own decision."""
    event, enrolment = _locked_enrolment(enrolment_id)
    if enrolment.status != EnrolmentStatus.WAITLISTED:  # a pending one is approved instead
        raise InvalidTransition(f"{enrolment.status} -> promoted")
    enrolment.move_to(EnrolmentStatus.CONFIRMED, now)
    db.session.flush()
    notify.status_changed(enrolment, event, promoted=True)
    return enrolment


def promote_from_waitlist(event: Event, now: datetime | None = None) -> list[Enrolment]:
    """Give free seats to the head of the waiting list. The caller holds the event's lock."""
    count = seats_of(event).promotable()
    if count == 0:
        return []
    promoted = list(
        db.session.execute(
            select(Enrolment)
            .where(
                Enrolment.event_id == event.id,
                Enrolment.status == EnrolmentStatus.WAITLISTED,
            )
            .order_by(Enrolment.queued_at, Enrolment.id)
            .limit(count)
        ).scalars()
    )
    for enrolment in promoted:
        enrolment.move_to(EnrolmentStatus.CONFIRMED, now)
    db.session.flush()
    for enrolment in promoted:
        notify.status_changed(enrolment, event, promoted=True)
    return promoted


def waitlist_position(enrolment: Enrolment) -> int | None:
    """1 for the head of the waiting list; None when not waitlisted."""
    if enrolment.status != EnrolmentStatus.WAITLISTED:
        return None
    ahead = db.session.execute(
        select(func.count()).where(
            Enrolment.event_id == enrolment.event_id,
            Enrolment.status == EnrolmentStatus.WAITLISTED,
            (Enrolment.queued_at < enrolment.queued_at)
            | ((Enrolment.queued_at == enrolment.queued_at) & (Enrolment.id < enrolment.id)),
        )
    ).scalar_one()
    return ahead + 1


def active_for_email(email: str, now: datetime | None = None) -> list[Enrolment]:
    """An address's active enrolments in events that have not ended, soonest first."""
    from eventsapp.models import session_spans

    now = now or utcnow()
    spans = session_spans()
    return list(
        db.session.execute(
            select(Enrolment)
            .join(spans, spans.c.event_id == Enrolment.event_id)
            .where(
                Enrolment.email_key == email_key(email),
                Enrolment.status.in_(ACTIVE_STATUSES),
                spans.c.ends_at > now,
            )
            .order_by(spans.c.starts_at, Enrolment.id)
        ).scalars()
    )


def resend_links(email: str, now: datetime | None = None) -> int:
    """Queue one mail to this address listing its active enrolments with their links; none
    if it has none. The caller answers the same either way."""
    found = active_for_email(email, now)
    if found:
        notify.links(found)
    return len(found)


def texts_off(enrolment: Enrolment) -> bool:
    """No more text messages to this enrolment; True if it had them on."""
    was_on = enrolment.reminder_sms
    enrolment.reminder_sms = False
    return was_on
