"""Events, their sessions (meetings) and their target-group rules."""

import re
import unicodedata
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    DDL,
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    func,
    select,
    update,
)
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, validates

from eventsapp import eligibility, search
from eventsapp.database import UTCDateTime, utcnow
from eventsapp.extensions import db
from eventsapp.models.catalogue import Category, Organisation


class EventKind(StrEnum):
    CAMPUS_VISIT = "campus_visit"
    COURSE = "course"
    OTHER = "other"


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class AttendanceMode(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"


REMINDER_FIRST = 24 * 60  # one day before the session
REMINDER_SECOND = 2 * 60  # two hours before, by text message only


def slugify(text: str) -> str:
    """ "Työelämän digitaidot haltuun" -> "tyoelaman-digitaidot-haltuun"."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80]


def _slug_default(context) -> str:
    return slugify(context.get_current_parameters().get("title") or "")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


TRANSLATED_LOCALES = ("sv", "en")  # Finnish is the event's own language


class Event(db.Model):
    __tablename__ = "event"
    __table_args__ = (
        CheckConstraint(_in("kind", EventKind), name="kind"),
        CheckConstraint(_in("status", EventStatus), name="status"),
        CheckConstraint(_in("attendance_mode", AttendanceMode), name="attendance_mode"),
        CheckConstraint("capacity >= 0", name="capacity"),
        CheckConstraint("waitlist_cap IS NULL OR waitlist_cap >= 0", name="waitlist_cap"),
        # The calendar: published events in order of their first start, and how many have not
        # ended (keep_spans keeps both columns).
        Index("ix_event_status_first_starts_at", "status", "first_starts_at", "id"),
        Index("ix_event_status_last_ends_at", "status", "last_ends_at"),
        # PostgreSQL serves `search_text LIKE '%word%'` from a trigram index; SQLite scans.
        Index(
            "ix_event_search_text_trgm",
            "search_text",
            postgresql_using="gin",
            postgresql_ops={"search_text": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default=EventKind.OTHER)
    status: Mapped[str] = mapped_column(String(20), default=EventStatus.DRAFT, index=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), default=_slug_default)
    summary: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown
    # The description rendered and sanitised when it is written (see `_render_description`):
    # web workers then serve it without loading a Markdown library.
    description_html: Mapped[str] = mapped_column(Text, default="")
    # The title and description in Swedish and English, optional: empty means Finnish is shown.
    title_sv: Mapped[str] = mapped_column(String(200), default="")
    title_en: Mapped[str] = mapped_column(String(200), default="")
    description_sv: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    description_html_sv: Mapped[str] = mapped_column(Text, default="")
    description_html_en: Mapped[str] = mapped_column(Text, default="")
    # Title, summary, description and organiser's name folded by `search.fold` (lower case, no
    # accents), kept by `keep_search_text`: the calendar's search reads only this column.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The first session's start and the last session's end, kept by `keep_spans` after every
    # flush that touches a session: the calendar sorts and pages on an index, not on an
    # aggregate of every session (flat at 10 000 events).
    first_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    language: Mapped[str] = mapped_column(String(40), default="fi")  # e.g. "fi" or "fi,en"
    attendance_mode: Mapped[str] = mapped_column(String(20), default=AttendanceMode.IN_PERSON)
    capacity: Mapped[int] = mapped_column(default=20)
    waitlist_enabled: Mapped[bool] = mapped_column(default=True)
    waitlist_cap: Mapped[int | None] = mapped_column(default=None)
    enrol_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    enrol_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    target_group: Mapped[str] = mapped_column(String(300), default="")  # organiser's one line
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    accessibility: Mapped[str] = mapped_column(Text, default="")
    what_to_bring: Mapped[str] = mapped_column(Text, default="")
    # Reminders before each session, in minutes before its start; 0: that reminder is off.
    # The first goes by email (and text, where asked), the second by text only.
    reminder_first: Mapped[int] = mapped_column(default=REMINDER_FIRST)
    reminder_second: Mapped[int] = mapped_column(default=REMINDER_SECOND)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )

    organisation: Mapped[Organisation] = relationship(lazy="raise_on_sql")
    category: Mapped[Category] = relationship(lazy="raise_on_sql")
    sessions: Mapped[list["EventSession"]] = relationship(
        back_populates="event",
        order_by="EventSession.starts_at",
        cascade="all, delete-orphan",
        lazy="raise_on_sql",
    )
    rules: Mapped[list["EligibilityRule"]] = relationship(
        back_populates="event",
        order_by="(EligibilityRule.position, EligibilityRule.id)",
        cascade="all, delete-orphan",
        lazy="raise_on_sql",
    )

    @validates("description", "description_sv", "description_en")
    def _render_description(self, key: str, value: str | None) -> str | None:
        from eventsapp import markdown  # only writers need it

        setattr(
            self, key.replace("description", "description_html"), str(markdown.render(value or ""))
        )
        return value

    def localised(self, name: str, locale: str) -> tuple[str, str]:
        """The text `name` ("title" or "description_html") in `locale` and the language it is
        in: the Finnish text, in "fi", where the organiser gave none in that language."""
        if locale in TRANSLATED_LOCALES:
            text = getattr(self, f"{name}_{locale}")
            if text:
                return text, locale
        return getattr(self, name), "fi"

    def texts(self, locale: str) -> dict[str, tuple[str, str]]:
        """The title and description for a page in `locale` (see `localised`)."""
        return {
            "title": self.localised("title", locale),
            "description": self.localised("description_html", locale),
        }

    @property
    def first_session(self) -> "EventSession | None":
        return self.sessions[0] if self.sessions else None

    @property
    def is_online(self) -> bool:
        return self.attendance_mode in (AttendanceMode.ONLINE, AttendanceMode.HYBRID)

    def eligibility_rules(self) -> list[eligibility.Rule]:
        return [rule.to_rule() for rule in self.rules]


sa_event.listen(
    Event.__table__,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"),
)

_SEARCHED = (
    "title", "title_sv", "title_en", "summary", "description", "description_sv",
    "description_en", "organisation_id", "organisation",
)  # fmt: skip


def _refresh_search_text(session: Session, event: Event) -> None:
    organisation = event.__dict__.get("organisation")
    if organisation is None and event.organisation_id is not None:
        organisation = session.get(Organisation, event.organisation_id)
    text = search.event_text(
        event.title,
        event.title_sv,
        event.title_en,
        event.summary,
        event.description,
        event.description_sv,
        event.description_en,
        organisation.name if organisation is not None else "",
    )
    if event.search_text != text:
        event.search_text = text


@sa_event.listens_for(Session, "before_flush")
def keep_search_text(session: Session, _context, _instances) -> None:
    """Fold an event's searched texts whenever one of them (or its organiser's name) changes."""
    from sqlalchemy import inspect

    for obj in session.new:
        if isinstance(obj, Event):
            _refresh_search_text(session, obj)
    for obj in session.dirty:
        state = inspect(obj)
        if isinstance(obj, Event) and any(
            state.attrs[name].history.has_changes() for name in _SEARCHED
        ):
            _refresh_search_text(session, obj)
        elif isinstance(obj, Organisation) and state.attrs.name.history.has_changes():
            for event in session.scalars(select(Event).where(Event.organisation_id == obj.id)):
                _refresh_search_text(session, event)


@sa_event.listens_for(Session, "after_flush")
def keep_spans(session: Session, _context) -> None:
    """Write each touched event's first start and last end, from its sessions as flushed."""
    touched = {
        obj.event_id if obj.event_id is not None else getattr(obj.event, "id", None)
        for obj in (*session.new, *session.dirty, *session.deleted)
        if isinstance(obj, EventSession)
    }
    touched |= {obj.id for obj in session.new if isinstance(obj, Event)}
    touched.discard(None)
    if not touched:
        return
    first = select(func.min(EventSession.starts_at)).where(EventSession.event_id == Event.id)
    last = select(func.max(EventSession.ends_at)).where(EventSession.event_id == Event.id)
    session.connection().execute(
        update(Event.__table__)
        .where(Event.__table__.c.id.in_(touched))
        .values(first_starts_at=first.scalar_subquery(), last_ends_at=last.scalar_subquery())
    )


class EventSession(db.Model):
    """One meeting of an event: a campus visit has one, a course several."""

    __tablename__ = "event_session"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    room: Mapped[str] = mapped_column(String(120), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")

    event: Mapped[Event] = relationship(back_populates="sessions")


class EligibilityRule(db.Model):
    """A target-group rule of an event, as stored; `to_rule` gives the pure engine's form."""

    __tablename__ = "eligibility_rule"
    __table_args__ = (
        CheckConstraint(_in("kind", eligibility.RULE_KINDS), name="kind"),
        CheckConstraint(
            "min_age IS NULL OR max_age IS NULL OR min_age <= max_age", name="age_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(30))
    strict: Mapped[bool] = mapped_column(default=True)
    min_age: Mapped[int | None] = mapped_column(default=None)
    max_age: Mapped[int | None] = mapped_column(default=None)
    allowed: Mapped[list[str]] = mapped_column(JSON, default=list)
    required_answer: Mapped[bool | None] = mapped_column(default=None)
    text: Mapped[str] = mapped_column(String(500), default="")

    event: Mapped[Event] = relationship(back_populates="rules")

    def to_rule(self) -> eligibility.Rule:
        return eligibility.Rule(
            id=self.id,
            kind=self.kind,
            strict=self.strict,
            min_age=self.min_age,
            max_age=self.max_age,
            allowed=frozenset(self.allowed or ()),
            required_answer=self.required_answer,
            text=self.text,
        )


class Window(StrEnum):
    """Where an event's enrolment stands at a given moment."""

    OPEN = "open"
    NOT_YET = "not_yet"
    CLOSED = "closed"
    CANCELLED = "cancelled"


def enrolment_window(event: Event, now: datetime) -> Window:
    """Enrolment opens at enrol_opens_at (or at once) and closes at enrol_closes_at, or when
    the first session starts if no closing time is set. Needs the event's sessions loaded."""
    if event.status == EventStatus.CANCELLED:
        return Window.CANCELLED
    if event.enrol_opens_at and now < event.enrol_opens_at:
        return Window.NOT_YET
    closes = enrolment_closes_at(event)
    if closes is None or now >= closes:
        return Window.CLOSED
    return Window.OPEN


def enrolment_closes_at(event: Event) -> datetime | None:
    first = event.first_session
    return event.enrol_closes_at or (first.starts_at if first else None)


def session_spans():
    """Each event's first start and last end, as a subquery: event_id, starts_at, ends_at."""
    return (
        select(
            EventSession.event_id,
            func.min(EventSession.starts_at).label("starts_at"),
            func.max(EventSession.ends_at).label("ends_at"),
        )
        .group_by(EventSession.event_id)
        .subquery()
    )
