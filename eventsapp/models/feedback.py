"""Feedback after the event (issue 9, part 3). Anonymous by default: an answer is not linked
to the enrolment and carries no time; the request only records that its token was used."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eventsapp.database import UTCDateTime, utcnow
from eventsapp.extensions import db
from eventsapp.models.enrolment import new_token

DEFAULT_HOURS_AFTER = 2


class FeedbackSetting(db.Model):
    """The event's feedback choices; an event without a row has the defaults."""

    __tablename__ = "feedback_setting"
    __table_args__ = (CheckConstraint("hours_after >= 0", name="hours_after"),)

    event_id: Mapped[int] = mapped_column(
        ForeignKey("event.id", ondelete="CASCADE"), primary_key=True
    )
    hours_after: Mapped[int] = mapped_column(default=DEFAULT_HOURS_AFTER)
    named: Mapped[bool] = mapped_column(default=False)


class FeedbackRequest(db.Model):
    """One feedback request sent: at most one per enrolment (unique)."""

    __tablename__ = "feedback_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolment.id", ondelete="CASCADE"), unique=True
    )
    token: Mapped[str] = mapped_column(String(64), unique=True, default=new_token)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used: Mapped[bool] = mapped_column(default=False)


class FeedbackAnswer(db.Model):
    """One answer. `enrolment_id` only for an event with named feedback."""

    __tablename__ = "feedback_answer"
    __table_args__ = (CheckConstraint("score BETWEEN 1 AND 5", name="score"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    score: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(Text, default="")
    enrolment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrolment.id", ondelete="SET NULL"), default=None
    )
