"""The outbox: mail written in the same transaction as the change that causes it, and the
calendar entries that invitations have put in people's calendars."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from eventsapp.database import UTCDateTime, utcnow
from eventsapp.extensions import db
from eventsapp.models.event import _in


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # a reminder that must not go: cancelled, started, or a later one due


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class OutboxMessage(db.Model):
    """One e-mail or text message: what to say is queued with the change (`payload`); the
    whole message (RFC 5322 for mail, the text for SMS: `mime`) is rendered once after the
    commit, by the sender, and kept for retries. A text's `to_address` is an E.164 number.

    Reminders are written by the sender when they fall due (`session_id`, `offset_minutes`:
    the session's start minus the offset is the moment, `next_attempt_at`)."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint(_in("status", OutboxStatus), name="status"),
        CheckConstraint(_in("channel", Channel), name="channel"),
        Index("ix_outbox_message_due", "status", "next_attempt_at"),
        # A reminder goes at most once per enrolment, session, offset and channel. Other
        # messages have no session or offset (NULL), which a unique index never compares.
        UniqueConstraint(
            "enrolment_id", "session_id", "offset_minutes", "channel", name="uq_outbox_reminder"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # e.g. confirmed, invitation, reminder
    channel: Mapped[str] = mapped_column(String(10), default=Channel.EMAIL)
    to_address: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(300))
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    mime: Mapped[str] = mapped_column(Text, default="")  # "" until rendered
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    enrolment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrolment.id", ondelete="SET NULL"), index=True, default=None
    )
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_session.id", ondelete="SET NULL"), default=None
    )
    offset_minutes: Mapped[int | None] = mapped_column(default=None)


class CalendarEntry(db.Model):
    """What one invitation put in one attendee's calendar: one session of an event.

    The UID stays for the life of the entry; SEQUENCE grows with every update or cancel. The
    time, place and title last sent are kept, so that a cancel matches the calendar even after
    the session itself has been moved or removed.
    """

    __tablename__ = "calendar_entry"
    __table_args__ = (UniqueConstraint("enrolment_id", "session_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="CASCADE"))
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_session.id", ondelete="SET NULL"), index=True
    )
    uid: Mapped[str] = mapped_column(String(250), unique=True)
    sequence: Mapped[int] = mapped_column(default=0)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    summary: Mapped[str] = mapped_column(String(300))
    location: Mapped[str] = mapped_column(String(600), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
