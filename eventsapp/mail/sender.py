"""Sending the outbox, after the commit: `flask outbox send` (one pass) or `flask outbox worker`.

Sending claims a batch of due messages (FOR UPDATE SKIP LOCKED on PostgreSQL, a write
transaction on SQLite) and marks them `sending` with a lease, so several workers never take the
same message; each is rendered once (and kept, so retries send the same bytes); the batch then
goes over one SMTP connection, and each message's outcome is committed at once. Temporary
failures (4xx, a refused or lost connection) are retried with backoff; permanent ones (5xx) and
the last try mark the message failed, for staff to see.
"""

import smtplib
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr

from flask import current_app
from sqlalchemy import or_, select

from eventsapp.database import begin_write, is_sqlite, utcnow
from eventsapp.extensions import db
from eventsapp.mail.outbox import rendered
from eventsapp.models import OutboxMessage, OutboxStatus

LEASE = timedelta(minutes=5)
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
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.sent} sent, {self.retried} to retry, {self.failed} failed"


@dataclass(frozen=True)
class Claimed:
    id: int
    to_address: str
    mime: str


def claim(now: datetime, limit: int) -> list[Claimed]:
    """Take up to `limit` due messages for this worker; commits the claim."""
    due = or_(
        (OutboxMessage.status == OutboxStatus.QUEUED) & (OutboxMessage.next_attempt_at <= now),
        (OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.claimed_until < now),
    )
    stmt = select(OutboxMessage).where(due).order_by(OutboxMessage.id).limit(limit)
    begin_write(db.session)
    if not is_sqlite(db.session):
        stmt = stmt.with_for_update(skip_locked=True)
    rows = list(db.session.execute(stmt).scalars())
    for row in rows:
        row.status = OutboxStatus.SENDING
        row.claimed_until = now + LEASE
    claimed = [Claimed(row.id, row.to_address, row.mime) for row in rows]
    db.session.commit()
    return claimed


def _render_and_keep(item: Claimed, now: datetime, report: Report) -> Claimed | None:
    """Render a claimed message once, and keep the result so that every retry sends the same
    bytes. A message that cannot be rendered fails for good."""
    if item.mime:
        return item
    try:
        mime = rendered(db.session.get(OutboxMessage, item.id))
    except Exception as error:  # any render failure is this message's failure
        db.session.rollback()
        _record(item.id, _permanent, f"could not render: {error!r}", report)
        return None
    db.session.rollback()  # end the read transaction before writing
    _record(item.id, _keep, mime)
    return Claimed(item.id, item.to_address, mime)


def _keep(row: OutboxMessage, mime: str) -> None:
    row.mime = mime


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
        return all(code >= 500 for code in codes), f"recipient refused: {error.recipients}"
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500, f"{error.smtp_code} {error.smtp_error!r}"
    return False, repr(error)


def send_due(now: datetime | None = None, batch_size: int = 50) -> Report:
    """One pass: send what is due over one SMTP connection. Without MAIL_SERVER, nothing."""
    report = Report()
    if not current_app.config.get("MAIL_SERVER"):
        return report
    now = now or utcnow()
    pending = claim(now, batch_size)
    if not pending:
        return report
    pending = [ready for item in pending if (ready := _render_and_keep(item, now, report))]
    if not pending:
        return report
    envelope_from = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1]
    try:
        with smtp_connection() as connection:
            while pending:
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
                    _record(item.id, _sent, report)
                pending.pop(0)
    except (OSError, smtplib.SMTPException) as error:  # refused, lost or broken connection
        db.session.rollback()
        for item in pending:
            _record(item.id, _temporary, repr(error), now, report)
    return report


def _sent(row: OutboxMessage, report: Report) -> None:
    row.status = OutboxStatus.SENT
    row.sent_at = utcnow()
    row.attempts += 1
    row.claimed_until = None
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
    """Send due mail until stopped; sleep `interval` seconds when there is nothing to do."""
    if not current_app.config.get("MAIL_SERVER"):
        log("MAIL_SERVER is not set: messages stay in the outbox (see /outbox).")
    while True:
        report = send_due()
        if report.sent or report.retried or report.failed:
            log(str(report))
        if once:
            return
        db.session.remove()
        time.sleep(interval)
