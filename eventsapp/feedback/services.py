"""Feedback after the event: who is asked and when, answering once, the organiser's summary.
Functions flush, never commit."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import render_template
from flask_babel import force_locale, gettext
from sqlalchemy import exists, func, select, update

from eventsapp.extensions import db
from eventsapp.models import (
    Attendance,
    AttendanceStatus,
    Enrolment,
    EnrolmentStatus,
    Event,
    FeedbackAnswer,
    FeedbackRequest,
    FeedbackSetting,
    session_spans,
)
from eventsapp.models.feedback import DEFAULT_HOURS_AFTER

SCORES = (1, 2, 3, 4, 5)  # "not at all" .. "very much"
TEXT_MAX = 2000


def setting_of(event_id: int) -> FeedbackSetting:
    found = db.session.get(FeedbackSetting, event_id)
    return found or FeedbackSetting(event_id=event_id, hours_after=DEFAULT_HOURS_AFTER, named=False)


def due_enrolments(as_of: datetime):
    """Enrolments whose feedback moment has come: confirmed, not anonymised, marked present,
    the event's last session ended `hours_after` hours before `as_of`, not asked yet."""
    spans = session_spans()
    hours = func.coalesce(
        select(FeedbackSetting.hours_after)
        .where(FeedbackSetting.event_id == Enrolment.event_id)
        .scalar_subquery(),
        DEFAULT_HOURS_AFTER,
    )
    present = exists().where(
        Attendance.enrolment_id == Enrolment.id, Attendance.status == AttendanceStatus.ATTENDED
    )
    asked = exists().where(FeedbackRequest.enrolment_id == Enrolment.id)
    rows = db.session.execute(
        select(Enrolment, spans.c.ends_at, hours)
        .join(spans, spans.c.event_id == Enrolment.event_id)
        .where(
            Enrolment.status == EnrolmentStatus.CONFIRMED,
            Enrolment.anonymised_at.is_(None),
            present,
            ~asked,
            spans.c.ends_at <= as_of,
        )
        .order_by(Enrolment.id)
    ).all()
    # The hours are added here: date arithmetic differs between SQLite and PostgreSQL.
    return [e for e, ends_at, h in rows if ends_at + timedelta(hours=h) <= as_of]


def due_work(as_of: datetime) -> None:
    """The sender's due work (eventsapp.mail.sender): feedback requests whose time has come."""
    queue_due_feedback(as_of)
    db.session.commit()


def queue_due_feedback(as_of: datetime) -> int:
    """Queue one feedback mail per enrolment whose moment has come; how many. Flushes."""
    from eventsapp.mail.links import absolute
    from eventsapp.mail.notify import recipients
    from eventsapp.mail.outbox import enqueue

    count = 0
    for enrolment in due_enrolments(as_of):
        request = FeedbackRequest(event_id=enrolment.event_id, enrolment_id=enrolment.id)
        db.session.add(request)
        db.session.flush()
        event = db.session.get(Event, enrolment.event_id)
        to, _copy = recipients(enrolment)
        with force_locale(enrolment.locale or "fi"):
            context = {
                "event": event,
                "url": absolute(f"/feedback/{request.token}"),
                "named": setting_of(event.id).named,
            }
            subject = gettext("Was it worth your time? %(title)s", title=event.title)
            text = render_template("feedback/email.txt", **context)
            html = render_template("feedback/email.html", **context)
        enqueue(
            kind="feedback",
            to=(to.name, to.email),
            subject=subject,
            text=text,
            html=html,
            enrolment_id=enrolment.id,
        )
        count += 1
    db.session.flush()
    return count


def request_of(token: str) -> FeedbackRequest | None:
    return db.session.execute(
        select(FeedbackRequest).where(FeedbackRequest.token == token)
    ).scalar_one_or_none()


def answer(request: FeedbackRequest, score: int, text: str) -> bool:
    """Record the answer once; False if the token was used already (a second visit or a
    double submit: the UPDATE decides). Anonymous unless the event asks for named feedback."""
    if score not in SCORES:
        raise ValueError("score must be 1 to 5")
    used = db.session.execute(
        update(FeedbackRequest)
        .where(FeedbackRequest.id == request.id, FeedbackRequest.used.is_(False))
        .values(used=True)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not used:
        return False
    named = setting_of(request.event_id).named
    db.session.add(
        FeedbackAnswer(
            event_id=request.event_id,
            score=score,
            text=text.strip()[:TEXT_MAX],
            enrolment_id=request.enrolment_id if named else None,
        )
    )
    db.session.flush()
    return True


@dataclass
class Summary:
    asked: int = 0
    answered: int = 0
    distribution: dict[int, int] = field(default_factory=lambda: dict.fromkeys(SCORES, 0))
    texts: list[str] = field(default_factory=list)

    @property
    def response_rate(self) -> float | None:
        return self.answered / self.asked if self.asked else None

    @property
    def mean(self) -> float | None:
        if not self.answered:
            return None
        return sum(score * n for score, n in self.distribution.items()) / self.answered


def summary(event_id: int) -> Summary:
    """The organiser's view of an event's feedback. Two queries."""
    result = Summary()
    result.asked = db.session.execute(
        select(func.count(FeedbackRequest.id)).where(FeedbackRequest.event_id == event_id)
    ).scalar_one()
    for score, text in db.session.execute(
        select(FeedbackAnswer.score, FeedbackAnswer.text)
        .where(FeedbackAnswer.event_id == event_id)
        .order_by(FeedbackAnswer.id)
    ):
        result.answered += 1
        result.distribution[score] += 1
        if text:
            result.texts.append(text)
    return result
