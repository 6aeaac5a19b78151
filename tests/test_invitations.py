"""Mail and calendar invitations, end to end: enrol, send through a real SMTP server, parse
what arrived with the email package and icalendar, and check it against RFC 5545/5546/6047."""

import re
from datetime import timedelta

import icalendar
import pytest
import vobject
from sqlalchemy import select

from eventsapp.database import utcnow
from eventsapp.enrolment import services
from eventsapp.enrolment.services import Applicant
from eventsapp.extensions import db
from eventsapp.mail.render import rendered
from eventsapp.mail.sender import MAX_ATTEMPTS, send_due
from eventsapp.manage import services as manage
from eventsapp.models import OutboxMessage
from tests.conftest import SmtpSink, free_port


def enrol(event, email="matti@example.fi", first="Matti", last="Meikäläinen", **facts):
    enrolment = services.enrol(
        event.id, Applicant(first_name=first, last_name=last, email=email, **facts)
    )
    db.session.commit()
    return enrolment


def deliver() -> None:
    report = send_due()
    assert report.failed == 0 and report.retried == 0, report.errors


def calendar_part(message):
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    return parts[0] if parts else None


def calendar_of(message) -> icalendar.Calendar:
    part = calendar_part(message)
    assert part is not None, "no text/calendar part"
    raw = part.get_payload(decode=True)
    vobject.readOne(raw.decode("utf-8")).validate()  # a second opinion
    return icalendar.Calendar.from_ical(raw)


def vevent(calendar: icalendar.Calendar):
    [event] = calendar.walk("VEVENT")
    return event


def test_confirmation_carries_an_invitation_in_the_right_mime_shape(app, smtp, make_event):
    event = make_event(title="Miestämö: kampustutustuminen", capacity=3)
    enrolment = enrol(event)
    deliver()
    [message] = smtp.parsed()
    assert message["Subject"].endswith("Miestämö: kampustutustuminen")
    assert message["To"] == "Matti Meikäläinen <matti@example.fi>"
    assert message["Reply-To"] == "kati@example.fi"
    assert message["Message-ID"]

    # multipart/mixed [ multipart/alternative [ text/plain, text/html, text/calendar ], ics ]
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in alternative.get_payload()]
    assert kinds == ["text/plain", "text/html", "text/calendar"]
    inline = alternative.get_payload()[2]
    assert inline.get_param("method") == "REQUEST"
    assert inline.get_content_charset().lower() == "utf-8"
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == inline.get_payload(decode=True)

    text = alternative.get_payload()[0].get_content()
    html = alternative.get_payload()[1].get_content()
    manage_link = f"http://127.0.0.1:5000/enrolments/{enrolment.token}"
    for body in (text, html):
        assert manage_link in body
        assert "Lahden pääkirjasto" in body
        assert "kati@example.fi" in body

    calendar = calendar_of(message)
    assert calendar["METHOD"] == "REQUEST"
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    names = [component.name for component in calendar.subcomponents]
    assert names.index("VTIMEZONE") < names.index("VEVENT")
    [timezone] = calendar.walk("VTIMEZONE")
    assert timezone["TZID"] == "Europe/Helsinki"
    rules = {c.name: c["RRULE"] for c in timezone.subcomponents}
    assert rules["STANDARD"]["BYMONTH"] == [10] and rules["DAYLIGHT"]["BYMONTH"] == [3]
    assert "RDATE" not in timezone.to_ical().decode()

    item = vevent(calendar)
    session = event.sessions[0]
    assert item["SEQUENCE"] == 0
    assert item["STATUS"] == "CONFIRMED"
    assert item["SUMMARY"] == "Miestämö: kampustutustuminen"
    assert "Lahden pääkirjasto" in item["LOCATION"]
    assert manage_link in item["DESCRIPTION"]
    assert item["DTSTART"].params["TZID"] == "Europe/Helsinki"
    assert item["DTSTART"].dt == session.starts_at
    assert item["DTEND"].dt == session.ends_at
    assert item["DTSTAMP"].dt.utcoffset() == timedelta(0)
    assert str(item["ORGANIZER"]) == "mailto:kati@example.fi"
    assert item["ORGANIZER"].params["CN"] == "LAB-ammattikorkeakoulu (Miestämö)"
    attendee = item["ATTENDEE"]
    assert str(attendee) == "mailto:matti@example.fi"
    assert attendee.params["CN"] == "Matti Meikäläinen"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["RSVP"] == "FALSE"


def test_every_session_of_a_course_lands_in_the_calendar(app, smtp, make_event):
    course = make_event(title="Työelämän digitaidot haltuun", sessions=4, capacity=5)
    enrol(course)
    deliver()
    messages = smtp.parsed()
    assert len(messages) == 4
    items = [vevent(calendar_of(m)) for m in messages]
    assert sorted(item["DTSTART"].dt for item in items) == [s.starts_at for s in course.sessions]
    assert len({str(item["UID"]) for item in items}) == 4
    assert "2/4" in messages[1]["Subject"] and "4/4" in messages[3]["Subject"]


def test_cancel_sends_cancel_for_every_invitation(app, smtp, make_event):
    course = make_event(sessions=3, capacity=5)
    enrolment = enrol(course)
    deliver()
    sent = {str(vevent(calendar_of(m))["UID"]): m for m in smtp.parsed()}
    smtp.messages.clear()

    services.cancel(enrolment.token)
    db.session.commit()
    deliver()
    messages = smtp.parsed()
    assert len(messages) == 3
    for message in messages:
        assert calendar_part(message).get_param("method") == "CANCEL"
        calendar = calendar_of(message)
        assert calendar["METHOD"] == "CANCEL"
        item = vevent(calendar)
        assert str(item["UID"]) in sent
        assert item["SEQUENCE"] == 1
        assert item["STATUS"] == "CANCELLED"
    assert {str(vevent(calendar_of(m))["UID"]) for m in messages} == set(sent)
    assert "cancelled" in messages[0]["Subject"].lower() or "peruttu" in messages[0]["Subject"]


def test_waitlist_and_pending_mails_carry_no_invitation(app, smtp, make_event):
    event = make_event(capacity=1, rules=[{"kind": "gender", "strict": False, "allowed": ["male"]}])
    enrol(event, email="first@example.fi", gender="male")
    enrol(event, email="second@example.fi", gender="male", locale="en")
    enrol(event, email="third@example.fi", gender="female", locale="en")
    deliver()
    confirmed, waitlisted, pending = smtp.parsed()
    assert calendar_part(confirmed) is not None
    assert calendar_part(waitlisted) is None and calendar_part(pending) is None
    assert "waiting list, number 1" in waitlisted.get_body(("plain",)).get_content()
    assert "organiser will look at it" in pending.get_body(("plain",)).get_content()
    assert "/enrolments/" in pending.get_body(("plain",)).get_content()


def test_promotion_from_the_waiting_list_sends_the_invitation(app, smtp, make_event):
    event = make_event(capacity=1)
    first = enrol(event, email="first@example.fi")
    enrol(event, email="second@example.fi", locale="en")
    deliver()
    smtp.messages.clear()
    services.cancel(first.token)
    db.session.commit()
    deliver()
    by_recipient = {m["To"].addresses[0].addr_spec: m for m in smtp.parsed()}
    assert calendar_part(by_recipient["first@example.fi"]).get_param("method") == "CANCEL"
    promoted = by_recipient["second@example.fi"]
    assert promoted["Subject"].startswith("You got a seat")
    assert vevent(calendar_of(promoted))["SEQUENCE"] == 0


def test_moving_a_session_updates_the_same_calendar_entry(app, smtp, make_event):
    course = make_event(sessions=3, capacity=5)
    enrol(course, email="a@example.fi")
    enrol(course, email="b@example.fi")
    deliver()
    second = course.sessions[1]
    uids = {
        m["To"].addresses[0].addr_spec: str(vevent(calendar_of(m))["UID"])
        for m in smtp.parsed()
        if vevent(calendar_of(m))["DTSTART"].dt == second.starts_at
    }
    smtp.messages.clear()

    new_start = second.starts_at + timedelta(days=1, hours=2)
    assert manage.holders(second.id) == 2
    notified = manage.change_session(
        course.id,
        second.id,
        starts_at=new_start,
        ends_at=new_start + timedelta(hours=2),
        place="LAB-kampus, Mukkulankatu 19",
    )
    db.session.commit()
    assert notified == 2
    deliver()
    messages = smtp.parsed()
    assert len(messages) == 2
    for message in messages:
        item = vevent(calendar_of(message))
        assert str(item["UID"]) == uids[message["To"].addresses[0].addr_spec]
        assert item["SEQUENCE"] == 1
        assert item["DTSTART"].dt == new_start
        assert "Mukkulankatu 19" in item["LOCATION"]
        assert calendar_of(message)["METHOD"] == "REQUEST"


def test_cancelling_one_session_cancels_only_that_entry(app, smtp, make_event):
    course = make_event(sessions=3, capacity=5)
    enrolment = enrol(course)
    deliver()
    third = course.sessions[2]
    [uid] = [
        str(vevent(calendar_of(m))["UID"])
        for m in smtp.parsed()
        if vevent(calendar_of(m))["DTSTART"].dt == third.starts_at
    ]
    smtp.messages.clear()
    assert manage.cancel_session(course.id, third.id) == 1
    db.session.commit()
    deliver()
    [message] = smtp.parsed()
    item = vevent(calendar_of(message))
    assert (str(item["UID"]), item["SEQUENCE"], item["STATUS"]) == (uid, 1, "CANCELLED")

    # cancelling the enrolment afterwards cancels the two that remain, not the third again
    smtp.messages.clear()
    services.cancel(enrolment.token)
    db.session.commit()
    deliver()
    assert len(smtp.parsed()) == 2
    assert uid not in {str(vevent(calendar_of(m))["UID"]) for m in smtp.parsed()}


def test_cancelling_the_event_tells_everyone_and_cancels_every_invitation(app, smtp, make_event):
    course = make_event(sessions=2, capacity=1)
    enrol(course, email="a@example.fi")
    enrol(course, email="b@example.fi")  # waitlisted: a mail, no calendar
    deliver()
    smtp.messages.clear()
    assert manage.cancel_event(course.id) == 2
    db.session.commit()
    deliver()
    messages = smtp.parsed()
    to_a = [m for m in messages if m["To"].addresses[0].addr_spec == "a@example.fi"]
    to_b = [m for m in messages if m["To"].addresses[0].addr_spec == "b@example.fi"]
    assert len(to_a) == 2 and all(calendar_of(m)["METHOD"] == "CANCEL" for m in to_a)
    assert len(to_b) == 1 and calendar_part(to_b[0]) is None


def test_finnish_letters_survive_in_subject_names_summary_and_location(app, smtp, make_event):
    event = make_event(title="Työelämän digitaidot: Åbo–Hämeenlinna", sessions=1)
    enrol(event, first="Jörö", last="Äijälä-Öhman")
    deliver()
    [message] = smtp.parsed()
    assert "Työelämän digitaidot: Åbo–Hämeenlinna" in message["Subject"]
    assert message["To"].addresses[0].display_name == "Jörö Äijälä-Öhman"
    item = vevent(calendar_of(message))
    assert item["SUMMARY"] == "Työelämän digitaidot: Åbo–Hämeenlinna"
    assert item["ATTENDEE"].params["CN"] == "Jörö Äijälä-Öhman"
    assert "pääkirjasto" in item["LOCATION"]


def test_smtp_down_keeps_mail_queued_and_delivers_exactly_once_later(app, make_event):
    port = free_port()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    app.extensions["mail"].server, app.extensions["mail"].port = "127.0.0.1", port
    event = make_event(capacity=5)
    enrol(event, email="a@example.fi")
    enrol(event, email="b@example.fi")

    report = send_due()
    assert (report.sent, report.retried) == (0, 2)
    rows = db.session.execute(select(OutboxMessage)).scalars().all()
    assert all(r.status == "queued" and r.attempts == 1 and r.last_error for r in rows)
    assert send_due().retried == 0  # not due yet: backoff

    sink = SmtpSink(port)
    sink.start()
    try:
        later = utcnow() + timedelta(minutes=5)
        assert send_due(now=later).sent == 2
        assert send_due(now=later + timedelta(hours=3)).sent == 0
        assert sorted(m["To"].addresses[0].addr_spec for m in sink.parsed()) == [
            "a@example.fi",
            "b@example.fi",
        ]
        assert len(set(sink.peers)) == 1  # one SMTP connection served the batch
    finally:
        sink.stop()


def test_permanent_failure_is_marked_failed_and_temporary_is_retried(app, smtp, make_event):
    smtp.refuse["gone@example.fi"] = "550 5.1.1 No such user"
    smtp.refuse["busy@example.fi"] = "451 4.3.0 Try again later"
    event = make_event(capacity=5)
    for email in ("gone@example.fi", "busy@example.fi", "fine@example.fi"):
        enrol(event, email=email)
    report = send_due()
    assert (report.sent, report.retried, report.failed) == (1, 1, 1)
    rows = {r.to_address: r for r in db.session.execute(select(OutboxMessage)).scalars()}
    assert rows["gone@example.fi"].status == "failed"
    assert "550" in rows["gone@example.fi"].last_error
    assert rows["busy@example.fi"].status == "queued"
    assert rows["fine@example.fi"].status == "sent"

    # the temporary failure goes on failing until the last try marks it failed
    when = utcnow()
    for _ in range(MAX_ATTEMPTS):
        when += timedelta(hours=3)
        send_due(now=when)
    db.session.expire_all()
    busy = db.session.get(OutboxMessage, rows["busy@example.fi"].id)
    assert (busy.status, busy.attempts) == ("failed", MAX_ATTEMPTS)


def test_without_mail_server_messages_stay_in_the_outbox(app, make_event):
    app.config["MAIL_SERVER"] = None
    enrol(make_event())
    assert send_due().sent == 0
    [row] = db.session.execute(select(OutboxMessage)).scalars().all()
    assert row.status == "queued"
    assert row.mime == ""  # rendered by the sender, after the commit
    assert re.search(r"^Content-Type: multipart/mixed", rendered(row), re.M)


@pytest.mark.slow
def test_two_workers_never_send_one_message_twice(app, smtp, make_event):
    import threading

    event = make_event(capacity=40)
    for i in range(30):
        enrol(event, email=f"p{i}@example.fi")
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        with app.app_context():
            barrier.wait()
            try:
                for _ in range(10):
                    send_due(batch_size=3)
            except Exception as error:  # pragma: no cover - reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    recipients = [m["To"].addresses[0].addr_spec for m in smtp.parsed()]
    assert len(recipients) == 30
    assert len(set(recipients)) == 30
