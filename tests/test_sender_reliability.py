"""The sender under stress, as separate processes (`flask outbox send --as-of`) against the
test's database and a real SMTP server: killed with SIGKILL in the middle of a batch it loses
nothing and sends again at most what was in flight; two senders at once send each message
once."""

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from eventsapp.extensions import db
from eventsapp.models import Enrolment, EnrolmentStatus, OutboxMessage, OutboxStatus
from tests.conftest import SmtpSink, free_port

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = 240


class SlowSink(SmtpSink):
    """An SMTP server that takes its time with each message."""

    delay = 0.01

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


def message_ids(sink) -> Counter:
    return Counter(message["Message-ID"] for message in sink.parsed())


@pytest.fixture
def crowd(app, make_event):
    """An event three days ahead with PEOPLE confirmed enrolments (no texts)."""
    event = make_event(starts_in=timedelta(days=3), capacity=PEOPLE)
    start = event.sessions[0].starts_at
    past = datetime.now(UTC) - timedelta(days=1)
    db.session.add_all(
        Enrolment(
            event_id=event.id, status=EnrolmentStatus.CONFIRMED, first_name=f"Osallistuja{n}",
            last_name="Testinen", email=f"p{n}@example.fi", email_key=f"p{n}@example.fi",
            consent_at=past, created_at=past, status_changed_at=past,
        )
        for n in range(PEOPLE)
    )  # fmt: skip
    db.session.commit()
    return start - timedelta(days=1)


def sender(database_uri: str, sink, as_of: datetime, batch: int = 40) -> subprocess.Popen:
    env = {
        **os.environ,
        "EVENTSAPP_ENV": "development",
        "DATABASE_URL": database_uri,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(sink.port),
        "SECRET_KEY": "testing-secret-testing-secret",
    }
    command = [sys.executable, "-m", "flask", "--app", "app", "outbox", "send"]
    command += ["--as-of", as_of.isoformat(), "--batch", str(batch)]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def reminder_count(status=None) -> int:
    db.session.commit()
    stmt = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "reminder")
    if status:
        stmt = stmt.where(OutboxMessage.status == status)
    return db.session.execute(stmt).scalar_one()


def test_sigkill_mid_batch_loses_nothing(database_uri, crowd):
    sink = SlowSink(free_port())
    sink.start()
    try:
        first = sender(database_uri, sink, crowd)
        deadline = time.monotonic() + 60
        while len(sink.messages) < 30 and time.monotonic() < deadline:
            time.sleep(0.02)
        first.send_signal(signal.SIGKILL)
        first.wait()
        delivered = len(sink.messages)
        assert 0 < delivered < PEOPLE, "the sender must be killed in the middle of its work"
        # Its claimed batch waits for the lease; a sender after the lease takes it over.
        second = sender(database_uri, sink, crowd + timedelta(seconds=90))  # the lease: a minute
        _out, err = second.communicate(timeout=120)
        assert second.returncode == 0, err
    finally:
        sink.stop()
    ids = message_ids(sink)
    reminder_ids = {i for i in ids if i}
    assert reminder_count() == PEOPLE
    assert reminder_count(OutboxStatus.SENT) == PEOPLE
    assert len(reminder_ids) == PEOPLE
    assert sum(count - 1 for count in ids.values()) <= 1  # at most the one in flight, again


def test_two_senders_send_each_message_once(database_uri, crowd):
    sink = SlowSink(free_port())
    sink.delay = 0.002
    sink.start()
    try:
        senders = [sender(database_uri, sink, crowd, batch=20) for _ in range(2)]
        outputs = [s.communicate(timeout=120) for s in senders]
        assert all(s.returncode == 0 for s in senders), outputs
    finally:
        sink.stop()
    ids = message_ids(sink)
    assert reminder_count() == PEOPLE and reminder_count(OutboxStatus.SENT) == PEOPLE
    assert len(ids) == PEOPLE and max(ids.values()) == 1
    peers = set(sink.peers)
    assert len(peers) >= 2  # both senders took part


def test_a_message_that_cannot_be_rendered_fails_alone(app, smtp, crowd):
    from eventsapp.mail.reminders import queue_due
    from eventsapp.mail.sender import send_all_due

    queue_due(crowd)
    broken = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.kind == "reminder").limit(1)
    ).scalar_one()
    broken.payload = {**broken.payload, "template": "no-such-template"}
    broken_id = broken.id
    db.session.commit()
    report = send_all_due(crowd)
    assert report.failed == 1 and report.sent == PEOPLE - 1
    db.session.commit()
    broken = db.session.get(OutboxMessage, broken_id)
    assert broken.status == OutboxStatus.FAILED and "could not render" in broken.last_error
    assert "@" not in broken.last_error


def test_a_slow_batch_keeps_its_lease(app, crowd, monkeypatch):
    """A sender that works longer than the lease renews it for what it has left, so no other
    sender takes those messages meanwhile; a crashed one's claim ends after a minute."""
    from eventsapp.mail import sender as mail_sender
    from eventsapp.mail.reminders import queue_due

    queue_due(crowd)
    claimed = mail_sender.claim(crowd, 10)
    db.session.commit()
    first_until = db.session.get(OutboxMessage, claimed[0].id).claimed_until
    assert first_until == crowd + mail_sender.LEASE
    lease = mail_sender.Lease(crowd)
    monkeypatch.setattr(mail_sender, "RENEW", 0.0)
    time.sleep(0.05)
    lease.keep(claimed[5:])
    db.session.expire_all()
    assert db.session.get(OutboxMessage, claimed[0].id).claimed_until == first_until
    assert db.session.get(OutboxMessage, claimed[5].id).claimed_until > first_until
    assert mail_sender.claim(crowd + timedelta(seconds=61), 200) != []  # others: free again
