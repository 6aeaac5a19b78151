"""Coaches' work: their clients, and enrolling them on the client's behalf.

Who may touch what is decided here, once: a coach sees and changes only their own clients and
those clients' enrolments; the network coordinator may see every client but changes nothing
on a coach's behalf. Anything else is "not found" (None), so that nothing about it leaks.

Services change the session and flush; the view commits once. The enrolment itself is
`eventsapp.enrolment.services.enrol`, with the same eligibility engine as the public form.
"""

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import selectinload

from eventsapp import eligibility
from eventsapp.catalogue import services as catalogue
from eventsapp.database import UTCDateTime, utcnow
from eventsapp.enrolment import services as enrolment_services
from eventsapp.enrolment.services import Applicant, OnBehalf
from eventsapp.events import HELSINKI, rule_date
from eventsapp.extensions import db
from eventsapp.models import (
    ACTIVE_STATUSES,
    Client,
    Enrolment,
    EnrolmentStatus,
    Event,
    User,
    Window,
    enrolment_window,
    session_spans,
)
from eventsapp.sms.phone import InvalidPhone, to_e164

MAX_QUERY = 100
CLIENTS_PER_PAGE = 50
ENROLMENTS_PER_PAGE = 50

#: The client's facts that target-group rules ask about (= eligibility's form field names).
FACT_FIELDS = ("birth_date", "municipality", "gender", "employment_status")


# --- who may see what -------------------------------------------------------------------------


def _may_see(user: User, coach_id: int | None) -> bool:
    return coach_id is not None and (coach_id == user.id or user.is_coordinator)


def client_for_view(client_id: int, user: User) -> Client | None:
    """The client, if the user is their coach or the coordinator."""
    client = db.session.get(Client, client_id)
    return client if client is not None and _may_see(user, client.coach_id) else None


def client_for_change(client_id: int, user: User) -> Client | None:
    """The client, if the user is their coach (the coordinator only looks)."""
    client = db.session.get(Client, client_id)
    return client if client is not None and client.coach_id == user.id else None


def _enrolment_with_client(enrolment_id: int) -> tuple[Enrolment, Client] | None:
    row = db.session.execute(
        select(Enrolment, Client)
        .join(Client, Client.id == Enrolment.client_id)
        .where(Enrolment.id == enrolment_id)
    ).first()
    return (row[0], row[1]) if row else None


def enrolment_for_view(enrolment_id: int, user: User) -> tuple[Enrolment, Client] | None:
    """An enrolment of one of the user's clients (any client, for the coordinator)."""
    found = _enrolment_with_client(enrolment_id)
    return found if found and _may_see(user, found[1].coach_id) else None


def enrolment_for_change(enrolment_id: int, user: User) -> tuple[Enrolment, Client] | None:
    """An enrolment of one of the user's own clients."""
    found = _enrolment_with_client(enrolment_id)
    return found if found and found[1].coach_id == user.id else None


# --- clients ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientData:
    """A client's details as the form gives them, validated and normalised."""

    first_name: str
    last_name: str
    email: str = ""
    phone: str = ""
    birth_date: date | None = None
    municipality: str | None = None
    gender: str | None = None
    employment_status: str | None = None
    note: str = ""


def _apply(client: Client, data: ClientData) -> None:
    client.first_name = data.first_name.strip()
    client.last_name = data.last_name.strip()
    client.email = data.email.strip()
    client.phone = data.phone.strip()
    client.birth_date = data.birth_date
    client.municipality = data.municipality or None
    client.gender = data.gender or None
    client.employment_status = data.employment_status or None
    client.note = data.note.strip()


def create_client(coach_id: int, data: ClientData) -> Client:
    client = Client(coach_id=coach_id)
    _apply(client, data)
    db.session.add(client)
    db.session.flush()
    return client


def update_client(client: Client, data: ClientData) -> Client:
    _apply(client, data)
    db.session.flush()
    return client


def delete_client(client: Client) -> None:
    """Delete the client record. Their enrolments stay with the organisers (the event needs
    them), but no longer point to the client."""
    db.session.execute(
        update(Enrolment)
        .where(Enrolment.client_id == client.id)
        .values(client_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.delete(client)
    db.session.flush()


def save_facts(client: Client, facts: dict[str, object]) -> None:
    """Record target-group facts the coach gave in the enrolment form; only known fields."""
    for name, value in facts.items():
        if name in FACT_FIELDS and value not in (None, ""):
            setattr(client, name, value)
    db.session.flush()


def facts_of(client: Client, extra: dict[str, object] | None = None) -> eligibility.Applicant:
    """The client's facts for the eligibility engine; `extra` fills in what the record lacks
    and carries the answers to the event's questions under "answers"."""
    extra = extra or {}

    def value(name: str):
        given = extra.get(name)
        return given if given not in (None, "") else getattr(client, name)

    return eligibility.Applicant(
        birth_date=value("birth_date"),
        municipality=value("municipality"),
        gender=value("gender"),
        employment_status=value("employment_status"),
        answers=dict(extra.get("answers") or {}),
    )


def missing_facts(rules: Iterable[eligibility.Rule], client: Client) -> tuple[str, ...]:
    """What the rules need that the client record lacks: facts not on record, and every
    question (answers belong to one event, not to the client)."""
    return tuple(
        name
        for name in eligibility.fields_needed(rules)
        if name not in FACT_FIELDS or getattr(client, name) in (None, "")
    )


def age_today(birth_date: date | None) -> int | None:
    """The client's age today in Helsinki, for the coach's eyes only."""
    if birth_date is None:
        return None
    today = utcnow().astimezone(HELSINKI).date()
    return eligibility.age_on(birth_date, today) if birth_date <= today else None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _aware(value: datetime | str | None) -> datetime | None:
    """Aggregates bypass the column type on SQLite: give them back their UTC zone."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return UTCDateTime().process_result_value(value, None)


def _words(q: str) -> list[str]:
    return " ".join(q.split())[:MAX_QUERY].split()


def _search(stmt: Select, q: str) -> Select:
    for word in _words(q):
        pattern = _like(word)
        stmt = stmt.where(
            or_(
                Client.first_name.ilike(pattern, escape="\\"),
                Client.last_name.ilike(pattern, escape="\\"),
                Client.email.ilike(pattern, escape="\\"),
                Client.phone.ilike(pattern, escape="\\"),
            )
        )
    return stmt


@dataclass(frozen=True)
class ClientRow:
    client: Client
    coach: User
    enrolments: list[Enrolment] = field(default_factory=list)  # active ones


@dataclass(frozen=True)
class ClientPage:
    rows: list[ClientRow]
    total: int
    page: int
    pages: int


def client_list(user: User, q: str = "", page: int = 1, *, all_coaches: bool = False) -> ClientPage:
    """The user's clients (every coach's, with `all_coaches`, for the coordinator), each with
    their active enrolments. A fixed number of queries, whatever the number of clients."""
    stmt = select(Client, User).join(User, User.id == Client.coach_id)
    if not (all_coaches and user.is_coordinator):
        stmt = stmt.where(Client.coach_id == user.id)
    stmt = _search(stmt, q)
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    pages = max(1, math.ceil(total / CLIENTS_PER_PAGE))
    page = max(1, min(page, pages))
    rows = db.session.execute(
        stmt.order_by(Client.last_name, Client.first_name, Client.id)
        .limit(CLIENTS_PER_PAGE)
        .offset((page - 1) * CLIENTS_PER_PAGE)
    ).all()
    active = _enrolments_of([client.id for client, _ in rows], active_only=True)
    return ClientPage(
        rows=[ClientRow(client, coach, active.get(client.id, [])) for client, coach in rows],
        total=total,
        page=page,
        pages=pages,
    )


def _with_event(stmt: Select) -> Select:
    return stmt.options(
        selectinload(Enrolment.event).selectinload(Event.sessions),
        selectinload(Enrolment.event).selectinload(Event.organisation),
    )


def _enrolments_of(client_ids: list[int], *, active_only: bool) -> dict[int, list[Enrolment]]:
    if not client_ids:
        return {}
    stmt = select(Enrolment).where(Enrolment.client_id.in_(client_ids))
    if active_only:
        stmt = stmt.where(Enrolment.status.in_(ACTIVE_STATUSES))
    found: dict[int, list[Enrolment]] = defaultdict(list)
    for enrolment in db.session.execute(_with_event(stmt).order_by(Enrolment.id)).scalars():
        found[enrolment.client_id].append(enrolment)
    for enrolments in found.values():
        enrolments.sort(key=_starts_at)
    return found


def _starts_at(enrolment: Enrolment) -> datetime:
    first = enrolment.event.first_session
    return first.starts_at if first else enrolment.created_at


def client_enrolments(client: Client) -> list[Enrolment]:
    """Every enrolment of the client across the network, the latest event first."""
    found = _enrolments_of([client.id], active_only=False).get(client.id, [])
    return sorted(found, key=_starts_at, reverse=True)


def coach_of(client: Client) -> User | None:
    return db.session.get(User, client.coach_id)


# --- enrolments of all my clients -------------------------------------------------------------


class StatusFilter(StrEnum):
    ALL = "all"
    ACTIVE = "active"
    CONFIRMED = EnrolmentStatus.CONFIRMED.value
    WAITLISTED = EnrolmentStatus.WAITLISTED.value
    PENDING = EnrolmentStatus.PENDING.value
    CANCELLED = EnrolmentStatus.CANCELLED.value
    REJECTED = EnrolmentStatus.REJECTED.value


class WhenFilter(StrEnum):
    UPCOMING = "upcoming"
    PAST = "past"
    ALL = "all"


@dataclass(frozen=True)
class EnrolmentFilters:
    status: StatusFilter = StatusFilter.ALL
    when: WhenFilter = WhenFilter.UPCOMING
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "EnrolmentFilters":
        status = args.get("status", "")
        when = args.get("when", "")
        try:
            page = max(1, min(int(args.get("page", "1")), 10_000))
        except ValueError:
            page = 1
        return cls(
            status=StatusFilter(status) if status in set(StatusFilter) else StatusFilter.ALL,
            when=WhenFilter(when) if when in set(WhenFilter) else WhenFilter.UPCOMING,
            page=page,
        )


@dataclass(frozen=True)
class EnrolmentRow:
    enrolment: Enrolment
    client: Client
    starts_at: datetime | None
    ends_at: datetime | None


@dataclass(frozen=True)
class EnrolmentPage:
    rows: list[EnrolmentRow]
    total: int
    page: int
    pages: int


def enrolment_list(
    user: User, filters: EnrolmentFilters, now: datetime, *, all_coaches: bool = False
) -> EnrolmentPage:
    """Enrolments of the user's clients (of every coach's, for the coordinator with
    `all_coaches`), in the order of the events; a fixed number of queries."""
    spans = session_spans()
    stmt = (
        select(Enrolment, Client, spans.c.starts_at, spans.c.ends_at)
        .join(Client, Client.id == Enrolment.client_id)
        .outerjoin(spans, spans.c.event_id == Enrolment.event_id)
    )
    if not (all_coaches and user.is_coordinator):
        stmt = stmt.where(Client.coach_id == user.id)
    if filters.status == StatusFilter.ACTIVE:
        stmt = stmt.where(Enrolment.status.in_(ACTIVE_STATUSES))
    elif filters.status != StatusFilter.ALL:
        stmt = stmt.where(Enrolment.status == filters.status.value)
    if filters.when == WhenFilter.UPCOMING:
        stmt = stmt.where(spans.c.ends_at >= now)
        order = (spans.c.starts_at, Enrolment.id)
    elif filters.when == WhenFilter.PAST:
        stmt = stmt.where(spans.c.ends_at < now)
        order = (spans.c.starts_at.desc(), Enrolment.id.desc())
    else:
        order = (spans.c.starts_at.desc(), Enrolment.id.desc())
    total = db.session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    pages = max(1, math.ceil(total / ENROLMENTS_PER_PAGE))
    page = min(filters.page, pages)
    rows = db.session.execute(
        _with_event(stmt)
        .order_by(*order)
        .limit(ENROLMENTS_PER_PAGE)
        .offset((page - 1) * ENROLMENTS_PER_PAGE)
    ).all()
    return EnrolmentPage(
        rows=[
            EnrolmentRow(enrolment, client, _aware(starts), _aware(ends))
            for enrolment, client, starts, ends in rows
        ],
        total=total,
        page=page,
        pages=pages,
    )


def cancel_for_client(enrolment: Enrolment) -> Enrolment:
    """Cancel on the client's behalf; a freed seat goes to the next in line."""
    return enrolment_services.cancel_enrolment(enrolment.id)


def has_ended(event: Event, now: datetime) -> bool:
    return bool(event.sessions) and event.sessions[-1].ends_at <= now


# --- enrolling a client -----------------------------------------------------------------------


class Fit(StrEnum):
    """What the client's facts on record say about an event's target group."""

    FITS = "fits"
    REVIEW = "review"
    NO = "no"
    UNKNOWN = "unknown"  # facts or answers missing: checked on the confirmation page


def fit(event: Event, client: Client) -> Fit:
    verdict = eligibility.evaluate(event.eligibility_rules(), facts_of(client), rule_date(event))
    known = [reason for reason in verdict.reasons if "field" not in reason.params]
    if any(reason.strict for reason in known):
        return Fit.NO
    if known:
        return Fit.REVIEW
    return Fit.UNKNOWN if verdict.reasons else Fit.FITS


@dataclass(frozen=True)
class EventChoice:
    card: catalogue.Card
    window: Window
    fit: Fit
    enrolled: bool  # the client already has an active enrolment in it


def event_choices(
    client: Client, filters: catalogue.Filters, now: datetime, per_page: int
) -> tuple[catalogue.Page, list[EventChoice]]:
    """Upcoming published events to enrol the client in, from the public calendar's query."""
    page = catalogue.upcoming(filters, now, per_page)
    enrolled = active_event_ids(client.id, [card.event.id for card in page.cards])
    choices = [
        EventChoice(
            card=card,
            window=enrolment_window(card.event, now),
            fit=fit(card.event, client),
            enrolled=card.event.id in enrolled,
        )
        for card in page.cards
    ]
    return page, choices


def active_event_ids(client_id: int, event_ids: list[int]) -> set[int]:
    if not event_ids:
        return set()
    return set(
        db.session.execute(
            select(Enrolment.event_id).where(
                Enrolment.client_id == client_id,
                Enrolment.event_id.in_(event_ids),
                Enrolment.status.in_(ACTIVE_STATUSES),
            )
        ).scalars()
    )


def active_enrolment(client_id: int, event_id: int) -> Enrolment | None:
    return db.session.execute(
        select(Enrolment)
        .where(
            Enrolment.client_id == client_id,
            Enrolment.event_id == event_id,
            Enrolment.status.in_(ACTIVE_STATUSES),
        )
        .limit(1)
    ).scalar_one_or_none()


def check(event: Event, client: Client, extra: dict[str, object]) -> eligibility.Verdict:
    """The same verdict `enrol` will reach, with the facts given in the form."""
    return eligibility.evaluate(
        event.eligibility_rules(), facts_of(client, extra), rule_date(event)
    )


def precheck(event: Event, client: Client, asked: tuple[str, ...]) -> eligibility.Verdict | None:
    """The verdict on the client's record before the form is sent, when it is already
    decisive: the full verdict when nothing needs asking, else only a strict miss on facts
    on record (no answer can change that). None: the form must be sent first."""
    verdict = check(event, client, {})
    if not asked:
        return verdict
    known_strict = tuple(r for r in verdict.reasons if r.strict and "field" not in r.params)
    if known_strict:
        return eligibility.Verdict(eligibility.Outcome.INELIGIBLE, known_strict)
    return None


def phone_for_texts(client: Client) -> str | None:
    """The client's phone in E.164, or None if it is missing or not a number."""
    try:
        return to_e164(client.phone or "")
    except InvalidPhone:
        return None


def enrol_client(
    event_id: int,
    client: Client,
    coach: User,
    extra: dict[str, object],
    *,
    override_reason: str = "",
    notes: str = "",
    locale: str = "fi",
    reminder_sms: bool = False,
    now: datetime | None = None,
) -> Enrolment:
    """Enrol the client with their consent, given now; then save the facts the coach added
    to the client record. Raises EnrolmentRefused as `enrol` does. `reminder_sms`: texts to
    the client's phone (which `phone_for_texts` has checked)."""
    facts = facts_of(client, extra)
    applicant = Applicant(
        first_name=client.first_name,
        last_name=client.last_name,
        email=client.email or "",
        phone=(phone_for_texts(client) or client.phone or "") if reminder_sms else client.phone,
        reminder_sms=reminder_sms and phone_for_texts(client) is not None,
        birth_date=facts.birth_date,
        municipality=facts.municipality,
        gender=facts.gender,
        employment_status=facts.employment_status,
        answers=dict(facts.answers),
        notes=notes.strip(),
        locale=locale,
    )
    # `enrol` locks the event first, so nothing may change in the session before it.
    enrolment = enrolment_services.enrol(
        event_id,
        applicant,
        now=now,
        on_behalf=OnBehalf(client.id, coach.id, override_reason.strip()),
    )
    save_facts(client, {name: extra.get(name) for name in FACT_FIELDS})
    return enrolment
