"""Enrolments (ilmoittautumiset) and the rules of how their status may change."""

import base64
import hashlib
import hmac
import secrets
from datetime import date, datetime
from enum import StrEnum

from flask import current_app
from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventsapp.database import UTCDateTime, utcnow
from eventsapp.extensions import db
from eventsapp.models.account import User
from eventsapp.models.event import Event, _in


class EnrolmentStatus(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    PENDING = "pending"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


ACTIVE_STATUSES = (EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED, EnrolmentStatus.PENDING)

TRANSITIONS: dict[str, frozenset[str]] = {
    EnrolmentStatus.PENDING: frozenset(
        {
            EnrolmentStatus.CONFIRMED,
            EnrolmentStatus.WAITLISTED,
            EnrolmentStatus.REJECTED,
            EnrolmentStatus.CANCELLED,
        }
    ),
    EnrolmentStatus.WAITLISTED: frozenset({EnrolmentStatus.CONFIRMED, EnrolmentStatus.CANCELLED}),
    EnrolmentStatus.CONFIRMED: frozenset({EnrolmentStatus.CANCELLED}),
    EnrolmentStatus.CANCELLED: frozenset(),
    EnrolmentStatus.REJECTED: frozenset(),
}


class InvalidTransition(ValueError):
    """An enrolment cannot move from its status to the one asked for."""


def new_token() -> str:
    return secrets.token_urlsafe(24)


def derive_token(salt: str, key: str) -> str:
    """A manage link's secret: HMAC-SHA256 of the enrolment's salt under SECRET_KEY. The
    database keeps the salt and a digest of the token, never the token: a dump of it opens no
    manage page. (A new SECRET_KEY makes new links; old ones stop working.)"""
    mac = hmac.new(key.encode(), b"manage:" + salt.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def token_digest(token: str) -> str:
    """What the database looks a manage token up by: SHA-256 of it."""
    return hashlib.sha256(token.encode()).hexdigest()


def email_key(email: str) -> str:
    """The form of an address that identifies a person: trimmed and case-folded."""
    return email.strip().casefold()


class Enrolment(db.Model):
    __tablename__ = "enrolment"
    __table_args__ = (
        CheckConstraint(_in("status", EnrolmentStatus), name="status"),
        # One person, one active enrolment per event; after cancelling they may enrol again.
        Index(
            "uq_enrolment_active_email",
            "event_id",
            "email_key",
            unique=True,
            sqlite_where=text(_in("status", ACTIVE_STATUSES)),
            postgresql_where=text(_in("status", ACTIVE_STATUSES)),
        ),
        Index("ix_enrolment_event_status", "event_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    token_salt: Mapped[str] = mapped_column(String(64), default=new_token)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # A link sent before tokens were derived (migration 0008): its digest still opens the page.
    legacy_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    status: Mapped[str] = mapped_column(String(20))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(40), default="")  # E.164 when texts are asked
    reminder_sms: Mapped[bool] = mapped_column(default=False)  # "remind me by text message too"
    birth_date: Mapped[date | None] = mapped_column(Date, default=None)
    municipality: Mapped[str | None] = mapped_column(String(3), default=None)
    gender: Mapped[str | None] = mapped_column(String(20), default=None)
    employment_status: Mapped[str | None] = mapped_column(String(30), default=None)
    answers: Mapped[dict[str, bool]] = mapped_column(JSON, default=dict)  # rule id -> yes/no
    missed_rule_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # soft misses
    notes: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[str] = mapped_column(String(5), default="fi")
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # Enrolled by a coach on a client's behalf, with the client's consent (who and when:
    # enrolled_by_id and consent_at); a soft rule may be overridden with a justification.
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("client.id", ondelete="SET NULL"), index=True, default=None
    )
    enrolled_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), default=None
    )
    override_reason: Mapped[str] = mapped_column(Text, default="")
    staff_message: Mapped[str] = mapped_column(Text, default="")  # on approval or rejection
    # Names, contact details, date of birth and free text removed (retention or the
    # person's own wish); what the reports count stays.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    event: Mapped[Event] = relationship(lazy="raise_on_sql")
    enrolled_by: Mapped["User | None"] = relationship()  # the coach, when one enrolled them

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.token_salt = self.token_salt or new_token()
        self.token_hash = token_digest(self.token)

    @property
    def token(self) -> str:
        """The secret of this enrolment's manage link (derived; not stored)."""
        return derive_token(self.token_salt, current_app.config["SECRET_KEY"])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def can_move_to(self, status: str) -> bool:
        return status in TRANSITIONS[self.status]

    def move_to(self, status: str, now: datetime | None = None) -> str:
        """Change the status by the transition rules; return the status it had."""
        if not self.can_move_to(status):
            raise InvalidTransition(f"{self.status} -> {status}")
        old, self.status = self.status, status
        self.status_changed_at = now or utcnow()
        self.queued_at = self.status_changed_at if status == EnrolmentStatus.WAITLISTED else None
        return old
