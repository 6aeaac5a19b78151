"""Sending the outbox, after the commit: `flask outbox send` (everything due, then stop) or
`flask outbox worker` (the same, continuously). `--as-of` sends what is due at another moment:
an operator catches up or rehearses with it, the tests use it instead of sleeping.

Before each pass the due work runs (DUE_WORK: reminders that have fallen due are written into
the outbox; other features add their own). Sending then claims a batch of due messages (FOR
UPDATE SKIP LOCKED on PostgreSQL, a write transaction on SQLite) and marks them `sending` with
a lease, so several workers never take the same message; each is rendered once (and kept, so
retries send the same bytes); the batch then goes over one SMTP connection, and each message's
outcome is committed at once. Temporary
failures (4xx, a refused or lost connection) are retried with backoff; permanent ones (5xx) and
the last try mark the message failed, for staff to see. Text messages go the same way through
the SMS gateway (eventsapp.sms.backends): timeouts, lost connections and 5xx are retried, 4xx
fail at once. Mail and texts fail independently: a gateway that is down holds back no mail.

A message that cannot be rendered fails alone, with the reason shown in /outbox/; the rest of
the batch goes out. Logs name a message by its outbox id, never by its address.
"""

import smtplib
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr

from flask import current_app
from sqlalchemy import or_, select, update

from eventsapp.database import begin_write, is_sqlite, utcnow
from eventsapp.extensions import db
from eventsapp.mail import reminders
from eventsapp.mail.render import Events, rendered
from eventsapp.models import Channel, Enrolment, EnrolmentStatus, OutboxMessage, OutboxStatus
from eventsapp.sms.backends import SmsError, backend_from

# Work that falls due with time, run before each pass: f(as_of) writes outbox rows and commits.
# Features add theirs to app.extensions["due_work"] (feedback requests: eventsapp/__init__.py).
DUE_WORK = [reminders.queue_due]
BATCH = 100

# A claimed batch is the sender's for a minute; a sender that takes longer (a slow server)
# renews the lease of what it has left every RENEW seconds. A sender killed mid-batch thus
# holds back at most about a minute of work.
LEASE = timedelta(minutes=1)
RENEW = 15.0
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=2)
SMTP_TIMEOUT = 30  # seconds: a server that hangs must not hang the worker


@contextmanager
def smtp_connection():
    """One SMTP connection with Flask-Mail's settings (MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS,
    MAIL_USE_SSL, MAIL_USERNAME, MAIL_PASSWORD), and a timeout."""
    settings = current_app.extensions["mail"]
    smtp_class = smtplib.SMTP_SSL if settings.use_ssl else smtplib.SMTP
    connection = smtp_class(settings.server, settings.port, timeout=SMTP_TIMEOUT)
    try:
        if settings.use_tls:
            connection.starttls()
        if settings.username and settings.password:
            connection.login(settings.username, settings.password)
        yield connection
    finally:
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failure, doubling, at most two hours."""
    return min(FIRST_RETRY * 2 ** max(0, attempts - 1), LAST_RETRY)


@dataclass
class Report:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"{self.sent} sent, {self.retried} to retry, {self.failed} failed"
        return text + (f", {self.skipped} skipped" if self.skipped else "")

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.skipped

    def add(self, other: "Report") -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.skipped += other.skipped
        self.errors.extend(other.errors)


@dataclass(frozen=True)
class Claimed:
    id: int
    to_address: str
    mime: str
    channel: str = Channel.EMAIL


def channels() -> list[str]:
    """The channels this sender can deliver: mail with MAIL_SERVER, texts with SMS_BACKEND."""
    found = []
    if current_app.config.get("MAIL_SERVER"):
        found.append(Channel.EMAIL)
    if current_app.config.get("SMS_BACKEND"):
        found.append(Channel.SMS)
    return found


def claim(now: datetime, limit: int, channels: list[str] | None = None) -> list[Claimed]:
    """Take up to `limit` due messages for this worker; commits the claim."""
    due = or_(
        (OutboxMessage.status == OutboxStatus.QUEUED) & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.claimed_until < now),
    )
    stmt = select(OutboxMessage).where(due).order_by(OutboxMessage.id).limit(limit)
    if channels is not None:
        stmt = stmt.where(OutboxMessage.channel.in_(channels))
    begin_write(db.session)
    if not is_sqlite(db.session):
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list(db.session.execute(stmt).scalars())
    for row in rows:
        row.status = OutboxStatus.SENDING
        row.claimed_until = now + LEASE
    claimed = [Claimed(row.id, row.to_address, row.mime, row.channel) for row in rows]
    db.session.commit()
    return claimed


def _reminder_state(row: OutboxMessage, now: datetime, events: Events) -> str:
    """Whether a reminder still goes now: "go", "later" (its session moved later) or why not."""
    enrolment = db.session.get(Enrolment, row.enrolment_id) if row.enrolment_id else None
    if enrolment is None or enrolment.status != EnrolmentStatus.CONFIRMED:
        return "the enrolment is no longer confirmed"
    event = events.get(enrolment.event_id)
    session = next((s for s in event.sessions if s.id == row.session_id), None)
    if session is None or event.status != "published":
        return "the session or the event is cancelled"
    if session.starts_at <= now:
        return "the session has started"
    if session.starts_at - timedelta(minutes=row.offset_minutes or 0) > now:
        return "later"
    return "go"


def _prepare(items: list[Claimed], now: datetime, report: Report) -> list[Claimed]:
    """Render each claimed message once (one load per event for the whole batch), and keep the
    result so that every retry sends the same bytes. A message that cannot be rendered fails
    alone, for good; a reminder that must not go any more is skipped."""
    events = Events()
    ready, outcomes = [], []
    # One query for the batch's rows and one for their enrolments: the loop below then finds
    # them in the session instead of asking the database once per message.
    ids = [item.id for item in items if not item.mime]
    rows = (
        db.session.execute(select(OutboxMessage).where(OutboxMessage.id.in_(ids))).scalars().all()
        if ids
        else []
    )
    enrolment_ids = {row.enrolment_id for row in rows if row.enrolment_id}
    if enrolment_ids:
        db.session.execute(
            select(Enrolment)
            .where(Enrolment.id.in_(enrolment_ids))
            .execution_options(populate_existing=True)
        ).scalars().all()
    for item in items:
        if item.mime:
            ready.append(item)
            continue
        row = db.session.get(OutboxMessage, item.id)
        try:
            if row.kind == reminders.KIND:
                state = _reminder_state(row, now, events)
                if state == "later":
                    outcomes.append((item.id, _postpone, now))
                    continue
                if state != "go":
                    outcomes.append((item.id, _skip, state, report))
                    continue
            mime = rendered(row, events)
        except Exception as error:  # any render failure is this message's failure alone
            outcomes.append((item.id, _permanent, f"could not render: {error!r}", report))
            continue
        outcomes.append((item.id, _keep, mime))
        ready.append(Claimed(item.id, item.to_address, mime, item.channel))
    db.session.rollback()  # end the read transaction before writing
    begin_write(db.session)
    for message_id, outcome, *args in outcomes:
        outcome(db.session.get(OutboxMessage, message_id), *args)
    db.session.commit()
    return ready


def _keep(row: OutboxMessage, mime: str) -> None:
    row.mime = mime


def _skip(row: OutboxMessage, reason: str, report: Report) -> None:
    row.status = OutboxStatus.SKIPPED
    row.last_error = reason
    row.claimed_until = None
    report.skipped += 1


def _postpone(row: OutboxMessage, now: datetime) -> None:
    """A reminder whose session moved later: due again at its new moment."""
    row.status = OutboxStatus.QUEUED
    row.claimed_until = None
    row.next_attempt_at = now + timedelta(minutes=1)


def _record(message_id: int, outcome, *args) -> None:
    """Write one message's outcome in a transaction of its own, committed at once."""
    begin_write(db.session)
    outcome(db.session.get(OutboxMessage, message_id), *args)
    db.session.commit()


def _temporary(row: OutboxMessage, error: str, now: datetime, report: Report) -> None:
    row.attempts += 1
    row.last_error = error[:2000]
    row.claimed_until = None
    if row.attempts >= MAX_ATTEMPTS:
        row.status = OutboxStatus.FAILED
        report.failed += 1
    else:
        row.status = OutboxStatus.QUEUED
        row.next_attempt_at = now + retry_delay(row.attempts)
        report.retried += 1
    report.errors.append(error)


def _permanent(row: OutboxMessage, error: str, report: Report) -> None:
    row.attempts += 1
    row.status = OutboxStatus.FAILED
    row.last_error = error[:2000]
    row.claimed_until = None
    report.failed += 1
    report.errors.append(error)


def _smtp_error(error: Exception) -> tuple[bool, str]:
    """(permanent?, description) of an SMTP failure for one message."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        detail = "; ".join(f"{code} {reply!r}" for code, reply in error.recipients.values())
        return all(code >= 500 for code in codes), f"recipient refused: {detail}"
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500, f"{error.smtp_code} {error.smtp_error!r}"
    return False, repr(error)


def send_due(now: datetime | None = None, batch_size: int = BATCH) -> Report:
    """One pass: the due work, then one batch of what is due over one SMTP connection (and
    the SMS gateway). Without MAIL_SERVER mail stays queued; without SMS_BACKEND texts do."""
    now = now or utcnow()
    for work in (*DUE_WORK, *current_app.extensions.get("due_work", ())):
        work(now)
    return _send_batch(now, batch_size)


def send_all_due(now: datetime | None = None, batch_size: int = BATCH) -> Report:
    """Every message due at `now`, batch after batch, until none is left."""
    now = now or utcnow()
    total = send_due(now, batch_size)
    while (report := _send_batch(now, batch_size)).handled:
        total.add(report)
        db.session.remove()  # a fresh identity map per batch: memory stays flat
    return total


class Lease:
    """Keeps a claimed batch this sender's while it works through it."""

    def __init__(self, now: datetime):
        self.now, self.started, self.renewed = now, time.monotonic(), time.monotonic()

    def keep(self, remaining: list[Claimed]) -> None:
        if time.monotonic() - self.renewed < RENEW or not remaining:
            return
        self.renewed = time.monotonic()
        until = self.now + timedelta(seconds=self.renewed - self.started) + LEASE
        begin_write(db.session)
        db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_([item.id for item in remaining]),
                OutboxMessage.status == OutboxStatus.SENDING,
            )
            .values(claimed_until=until)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()


def _send_batch(now: datetime, batch_size: int) -> Report:
    report = Report()
    available = channels()
    if not available:
        return report
    lease = Lease(now)
    pending = _prepare(claim(now, batch_size, available), now, report)
    mail = [item for item in pending if item.channel == Channel.EMAIL]
    texts = [item for item in pending if item.channel == Channel.SMS]
    if mail:
        _send_mail(mail, now, report, lease)
    if texts:
        _send_texts(texts, now, report, lease)
    return report


def _send_mail(pending: list[Claimed], now: datetime, report: Report, lease: Lease) -> None:
    envelope_from = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    try:
        with smtp_connection() as connection:
            while pending:
                lease.keep(pending)
                item = pending[0]
                try:
                    connection.sendmail(envelope_from, [item.to_address], item.mime.encode())
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as error:
                    permanent, description = _smtp_error(error)
                    if permanent:
                        _record(item.id, _permanent, description, report)
                    else:
                        _record(item.id, _temporary, description, now, report)
                else:
                    _mark_sent(item.id, report)
                pending.pop(0)
    except (OSError, smtplib.SMTPException) as error:  # refused, lost or broken connection
        db.session.rollback()
        for item in pending:
            _record(item.id, _temporary, repr(error), now, report)


def _send_texts(pending: list[Claimed], now: datetime, report: Report, lease: Lease) -> None:
    gateway = backend_from(current_app.config)
    for index, item in enumerate(pending):
        lease.keep(pending[index:])
        try:
            gateway.send(item.to_address, item.mime, reference=str(item.id))
        except SmsError as error:
            outcome = _permanent if error.permanent else _temporary
            args = (str(error), report) if error.permanent else (str(error), now, report)
            _record(item.id, outcome, *args)
        else:
            _mark_sent(item.id, report)


def _mark_sent(message_id: int, report: Report) -> None:
    """Sent: committed at once, in one UPDATE (no read first), so that a crash right after
    sends this message again at most."""
    begin_write(db.session)
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            status=OutboxStatus.SENT,
            sent_at=utcnow(),
            attempts=OutboxMessage.attempts + 1,
            claimed_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    report.sent += 1


def requeue_failed() -> int:
    """Give failed messages a new round of tries (after the cause has been fixed)."""
    rows = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
    ).scalars()
    count = 0
    for row in rows:
        row.status, row.attempts, row.next_attempt_at = OutboxStatus.QUEUED, 0, utcnow()
        count += 1
    return count


def run_worker(interval: float = 5.0, once: bool = False, log=print) -> None:
    """Send due messages until stopped: batch after batch while there is work, and sleep
    `interval` seconds only when there is none."""
    if not current_app.config.get("MAIL_SERVER"):
        log("MAIL_SERVER is not set: mail stays in the outbox (see /outbox).")
    if not current_app.config.get("SMS_BACKEND"):
        log("SMS_BACKEND is not set: text messages stay in the outbox (see /outbox).")
    while True:
        report = send_due()
        if report.handled:
            log(str(report))
        db.session.remove()
        if once:
            return
        if not report.handled:
            time.sleep(interval)
