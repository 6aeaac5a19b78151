"""Retention and erasure of participants' personal data.

Anonymising an enrolment removes what tells who the person is and keeps what the reports
count:

- removed: first and last name, email, phone, date of birth, the free text (the person's
  notes, the coach's override justification, the organiser's message), the link to a coach's
  named client (`client_id`), and every outbox message about the enrolment (names, addresses,
  rendered mail); `email_key` becomes "anonymised:<id>", unique, so the partial unique index
  over active enrolments holds;
- kept: status and its timestamps, municipality, gender, employment status, the yes/no
  answers to the event's target-group questions, `missed_rule_ids`, attendance marks, the
  coach's staff account (`enrolled_by_id`), the language, the token and the calendar entries
  (a random UID, the event's title, place and time: nothing about the person).
- the answers to the organiser's own questions: free-text, yes/no and "for the organiser
  only" answers are removed; choice answers of questions that count in the reach report stay,
  unlinked from the person (`enrolment_id` NULL), so the reach numbers stay the same;
  named feedback answers become anonymous (their score and text stay, unlinked).

Two ways in: `anonymise_expired` (the `flask gdpr anonymise` command) takes every enrolment
of events that ended more than N days ago, in chunks of a fixed number of queries, each chunk
its own short transaction; `erase` is the person's own erasure through the manage link, once
the enrolment is cancelled or rejected. Both are idempotent and both write an audit entry.

An outbox message that a sender holds at this moment (status `sending`) is left alone: the
sender is about to write its outcome. Every run of the command first removes such leftovers,
and any mail queued later for an anonymised enrolment.
"""

import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import String, cast, delete, func, literal, or_, select, text, update

from eventsapp.database import begin_write, is_sqlite, utcnow
from eventsapp.extensions import db
from eventsapp.models import (
    AuditEntry,
    Client,
    Enrolment,
    EnrolmentStatus,
    Event,
    EventQuestion,
    FeedbackAnswer,
    OutboxMessage,
    OutboxStatus,
    QuestionAnswer,
    session_spans,
)
from eventsapp.questions import CHOICE_KINDS, REACH

DEFAULT_RETENTION_DAYS = 90
CHUNK_SIZE = 500
ACTION = "anonymise"
CLI_ACTOR = "cli"
SELF_ACTOR = "participant"
# Only an enrolment that is over may be erased by its owner: an active one still needs the
# name and the address (the organiser's list, the mail about changes).
ERASABLE = (EnrolmentStatus.CANCELLED, EnrolmentStatus.REJECTED)


def retention_days() -> int:
    """Days after an event's end that its enrolments keep their personal data."""
    value = current_app.config.get(
        "RETENTION_DAYS", os.environ.get("RETENTION_DAYS", DEFAULT_RETENTION_DAYS)
    )
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = -1
    if days < 0:
        raise ValueError(f"RETENTION_DAYS must be a whole number of days, 0 or more: {value!r}")
    return days


def _anonymised_values(now: datetime) -> dict:
    """What an anonymised enrolment holds in place of its personal data: the one definition."""
    return {
        "first_name": "",
        "last_name": "",
        "email": "",
        "email_key": literal("anonymised:", String) + cast(Enrolment.id, String),
        "phone": "",
        "birth_date": None,
        "notes": "",
        "override_reason": "",
        "staff_message": "",
        "client_id": None,
        "anonymised_at": now,
    }


def _anonymise(ids: list[int], now: datetime, *conditions) -> int:
    """Anonymise those of `ids` not anonymised yet (and meeting `conditions`); one UPDATE."""
    result = db.session.execute(
        update(Enrolment)
        .where(Enrolment.id.in_(ids), Enrolment.anonymised_at.is_(None), *conditions)
        .values(**_anonymised_values(now))
        .execution_options(synchronize_session=False)
    )
    _unlink_answers(ids)
    return result.rowcount


def _unlink_answers(ids: list[int]) -> None:
    """The question answers of those of `ids` that are anonymised: reach-report choice
    answers are kept without the link to the person, every other answer is removed; two
    statements."""
    anonymised = select(Enrolment.id).where(
        Enrolment.id.in_(ids), Enrolment.anonymised_at.is_not(None)
    )
    kept = select(EventQuestion.id).where(
        EventQuestion.audience == REACH, EventQuestion.kind.in_(CHOICE_KINDS)
    )
    db.session.execute(
        delete(QuestionAnswer)
        .where(QuestionAnswer.enrolment_id.in_(anonymised), QuestionAnswer.question_id.not_in(kept))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(QuestionAnswer)
        .where(QuestionAnswer.enrolment_id.in_(anonymised))
        .values(enrolment_id=None)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(  # named feedback becomes anonymous
        update(FeedbackAnswer)
        .where(FeedbackAnswer.enrolment_id.in_(anonymised))
        .values(enrolment_id=None)
        .execution_options(synchronize_session=False)
    )


def _not_in_flight():
    return OutboxMessage.status != OutboxStatus.SENDING


def _remove_mail(ids: list[int]) -> int:
    """Delete the outbox messages of these enrolments (queued, sent or failed); one DELETE."""
    result = db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.enrolment_id.in_(ids), _not_in_flight())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def _remove_leftover_mail() -> int:
    """Messages of enrolments anonymised before: in flight then, or queued since."""
    anonymised = select(Enrolment.id).where(Enrolment.anonymised_at.is_not(None))
    result = db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.enrolment_id.in_(anonymised), _not_in_flight())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def _expired(cutoff: datetime):
    """Enrolments not anonymised yet whose event ended before `cutoff`, as a SELECT of ids.

    An event ends when its last session ends. One whose sessions were all removed counts as
    ended when its enrolment closed, or failing that at its last change: its enrolments must
    not stay forever."""
    spans = session_spans()
    ended_at = func.coalesce(spans.c.ends_at, Event.enrol_closes_at, Event.updated_at)
    return (
        select(Enrolment.id)
        .join(Event, Event.id == Enrolment.event_id)
        .outerjoin(spans, spans.c.event_id == Event.id)
        .where(Enrolment.anonymised_at.is_(None), ended_at < cutoff)
    )


@dataclass
class RetentionReport:
    days: int
    cutoff: datetime
    anonymised: int = 0
    mail_removed: int = 0
    chunks: int = 0
    dry_run: bool = False

    def __str__(self) -> str:
        ended = f"events that ended before {self.cutoff:%Y-%m-%d %H:%M} UTC ({self.days} days)"
        if self.dry_run:
            return f"{self.anonymised} enrolments would be anonymised: {ended}."
        return (
            f"{self.anonymised} enrolments anonymised in {self.chunks} chunks, "
            f"{self.mail_removed} outbox messages removed: {ended}."
        )


def count_expired(days: int, now: datetime | None = None) -> RetentionReport:
    """How many enrolments `anonymise_expired` would anonymise now; changes nothing."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    count = db.session.execute(
        select(func.count()).select_from(_expired(cutoff).subquery())
    ).scalar_one()
    return RetentionReport(days=days, cutoff=cutoff, anonymised=count, dry_run=True)


def anonymise_expired(
    days: int,
    now: datetime | None = None,
    chunk_size: int = CHUNK_SIZE,
    actor: str = CLI_ACTOR,
) -> RetentionReport:
    """Anonymise every enrolment of events that ended more than `days` days before `now`.

    Commits: each chunk of `chunk_size` enrolments is a transaction of its own, of a fixed
    number of statements (the next ids, the enrolments, their mail, the audit entry's count),
    so that a large backlog never holds locks for long. The run's audit entry is written
    first and its count grows with each chunk, in the chunk's own transaction: a run that
    stops halfway is recorded as far as it got. Running again changes nothing but adds an
    audit entry of 0 rows (the record that the retention ran)."""
    if days < 0:
        raise ValueError("days must be 0 or more")
    if db.session.new or db.session.dirty or db.session.deleted:
        raise RuntimeError("anonymise_expired commits: call it with nothing pending")
    now = now or utcnow()
    report = RetentionReport(days=days, cutoff=now - timedelta(days=days))

    begin_write(db.session)
    report.mail_removed += _remove_leftover_mail()
    audit = AuditEntry(
        at=now,
        user_email=actor,
        action=ACTION,
        detail=f"retention: enrolments of events that ended more than {days} days ago"[:300],
        rows=0,
    )
    db.session.add(audit)
    db.session.flush()
    audit_id = audit.id
    db.session.commit()

    last_id = 0
    while True:
        begin_write(db.session)
        ids = list(
            db.session.execute(
                _expired(report.cutoff)
                .where(Enrolment.id > last_id)
                .order_by(Enrolment.id)
                .limit(chunk_size)
            ).scalars()
        )
        if not ids:
            db.session.rollback()
            break
        count = _anonymise(ids, now)
        report.mail_removed += _remove_mail(ids)
        db.session.execute(
            update(AuditEntry)
            .where(AuditEntry.id == audit_id)
            .values(rows=AuditEntry.rows + count)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        report.anonymised += count
        report.chunks += 1
        last_id = ids[-1]
    return report


def _clients_due(cutoff: datetime):
    """Coach clients kept for nothing: no change by their coach since `cutoff`, and no
    enrolment made since then or in an event that ended after it (or is still to come)."""
    spans = session_spans()
    ended_at = func.coalesce(spans.c.ends_at, Event.enrol_closes_at, Event.updated_at)
    recent = (
        select(Enrolment.id)
        .join(Event, Event.id == Enrolment.event_id)
        .outerjoin(spans, spans.c.event_id == Event.id)
        .where(
            Enrolment.client_id == Client.id,
            or_(Enrolment.created_at >= cutoff, ended_at >= cutoff),
        )
    )
    return select(Client).where(Client.updated_at < cutoff, ~recent.exists())


def clients_due(days: int, now: datetime | None = None, coach_id: int | None = None) -> list:
    """The clients the next retention run removes (a coach's own, with `coach_id`)."""
    stmt = _clients_due((now or utcnow()) - timedelta(days=days))
    if coach_id is not None:
        stmt = stmt.where(Client.coach_id == coach_id)
    return list(db.session.execute(stmt.order_by(Client.last_name, Client.id)).scalars())


def remove_expired_clients(days: int, now: datetime | None = None, actor: str = CLI_ACTOR) -> int:
    """Remove the coach clients kept for nothing (their past enrolments stay, unlinked and
    anonymised by the enrolments' own retention); commits, with an audit entry."""
    now = now or utcnow()
    begin_write(db.session)
    due = list(db.session.execute(_clients_due(now - timedelta(days=days))).scalars())
    for client in due:
        db.session.delete(client)
    if due:  # the run itself is recorded by anonymise_expired's entry
        db.session.add(
            AuditEntry(
                at=now,
                user_email=actor,
                action=ACTION,
                detail=f"retention: coach clients inactive for more than {days} days"[:300],
                rows=len(due),
            )
        )
    db.session.commit()
    return len(due)


def checkpoint() -> None:
    """On SQLite, move the write-ahead log into the database file and empty it: what was
    overwritten (secure_delete) must not live on in the log."""
    if is_sqlite(db.session):
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.commit()


class Erasure:
    """What became of a person's request to erase their details."""

    ERASED = "erased"
    ALREADY = "already"  # erased or anonymised before: nothing left to remove
    NOT_ERASABLE = "not_erasable"  # still active: cancel first


def erase(enrolment: Enrolment, now: datetime | None = None) -> str:
    """The person erases their own enrolment's personal data (through the manage link).

    Only a cancelled or rejected enrolment; an active one is left as it is. Flushes; the
    caller commits. The enrolment object is expired, to be read again as it is now."""
    if enrolment.anonymised_at is not None:
        return Erasure.ALREADY
    if enrolment.status not in ERASABLE:
        return Erasure.NOT_ERASABLE
    now = now or utcnow()
    # The conditions are checked again in the UPDATE itself: a double submit or a race with
    # the retention run anonymises once and writes one audit entry.
    if not _anonymise([enrolment.id], now, Enrolment.status.in_(ERASABLE)):
        db.session.expire(enrolment)
        return Erasure.ALREADY
    _remove_mail([enrolment.id])
    db.session.add(
        AuditEntry(
            at=now,
            user_email=SELF_ACTOR,
            action=ACTION,
            event_id=enrolment.event_id,
            detail=f"erased by the participant through the manage link: enrolment {enrolment.id}",
            rows=1,
        )
    )
    db.session.flush()
    db.session.expire(enrolment)
    return Erasure.ERASED
