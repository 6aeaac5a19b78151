"""Reminders before each session, by email and text message, sent by `outbox send --as-of`.

A real SMTP server (aiosmtpd) and a real local HTTP server standing in for the SMS gateway;
time is moved with --as-of (send_all_due(as_of)), never by sleeping.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from eventsapp.database import utcnow
from eventsapp.extensions import db
from eventsapp.mail import reminders
from eventsapp.mail.sender import send_all_due
from eventsapp.models import Enrolment, EventSession, OutboxMessage, OutboxStatus
from tests.conftest import form_data

DAY, HOUR = timedelta(days=1), timedelta(hours=1)


def enrol(client, event, **fields):
    response = client.post(f"/events/{event.id}/enrol", data=form_data(**fields))
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    db.session.commit()  # a fresh read: the request committed in its own session
    return db.session.execute(
        select(Enrolment).where(Enrolment.email == fields.get("email", "matti@example.fi"))
    ).scalar_one()


def reminder_mail(smtp) -> list:
    return [m for m in smtp.parsed() if m["Subject"].startswith("Muistutus")]


def texts(gateway) -> list[str]:
    return [t["message"] for t in gateway.texts]


@pytest.fixture
def visit(make_event):
    return make_event(starts_in=timedelta(days=3))


def sessions_of(event) -> list[EventSession]:
    return list(
        db.session.execute(
            select(EventSession)
            .where(EventSession.event_id == event.id)
            .order_by(EventSession.starts_at)
        ).scalars()
    )


def start_of(event):
    return sessions_of(event)[0].starts_at


def test_defaults_a_mail_and_a_text_the_day_before_and_a_text_two_hours_before(
    client, smtp, gateway, visit
):
    enrol(client, visit, phone="040 123 4567", reminder_sms="y")
    start = start_of(visit)
    send_all_due(start - 2 * DAY)  # nothing is due yet (the confirmation goes, nothing else)
    assert reminder_mail(smtp) == [] and texts(gateway) == []

    send_all_due(start - DAY)
    mail = reminder_mail(smtp)
    assert len(mail) == 1
    body = mail[0].get_body(("plain",)).get_content()
    assert "Kirkkokatu 31, Lahti" in body and "openstreetmap.org" in body
    assert "/enrolments/" in body and "Etkö pääsekään?" in body
    assert len(texts(gateway)) == 1 and texts(gateway)[0].startswith("Muistutus")
    assert gateway.texts[0]["recipients"] == [{"msisdn": 358401234567}]
    assert "/e/" in texts(gateway)[0]

    send_all_due(start - 2 * HOUR)
    assert len(reminder_mail(smtp)) == 1  # the second reminder is a text only
    assert len(texts(gateway)) == 2

    send_all_due(start - HOUR)  # nothing twice
    assert len(reminder_mail(smtp)) == 1 and len(texts(gateway)) == 2


def test_without_texts_only_the_mail(client, smtp, gateway, visit):
    enrol(client, visit)
    start = start_of(visit)
    send_all_due(start - DAY)
    send_all_due(start - 2 * HOUR)
    assert len(reminder_mail(smtp)) == 1
    assert texts(gateway) == []


def test_offsets_chosen_by_the_organiser(client, smtp, make_event):
    event = make_event(starts_in=timedelta(days=5), reminder_first=2 * 24 * 60, reminder_second=0)
    enrol(client, event)
    start = start_of(event)
    send_all_due(start - 2 * DAY - HOUR)
    assert reminder_mail(smtp) == []
    send_all_due(start - 2 * DAY)
    assert len(reminder_mail(smtp)) == 1
    send_all_due(start - DAY)
    assert len(reminder_mail(smtp)) == 1


def test_reminders_off(client, smtp, make_event):
    event = make_event(starts_in=timedelta(days=3), reminder_first=0, reminder_second=0)
    enrol(client, event)
    send_all_due(start_of(event) - DAY)
    assert reminder_mail(smtp) == []


def test_a_person_who_enrolled_after_the_moment_gets_no_see_you_tomorrow(
    client, smtp, gateway, make_event
):
    """pretix #3757: someone enrolling on the day got "see you tomorrow"."""
    event = make_event(starts_in=timedelta(hours=10))
    enrol(client, event, phone="0401234567", reminder_sms="y")
    start = start_of(event)
    send_all_due(max(utcnow(), start - DAY))
    assert reminder_mail(smtp) == [] and texts(gateway) == []
    send_all_due(start - 2 * HOUR)  # the two-hour text: enrolled before its moment
    assert len(texts(gateway)) == 1 and reminder_mail(smtp) == []


def test_cancelled_after_queueing_gets_nothing(app, client, smtp, visit):
    enrolment = enrol(client, visit)
    start = start_of(visit)
    reminders.queue_due(start - DAY)  # written, not yet sent
    assert db.session.execute(
        select(OutboxMessage).where(OutboxMessage.kind == "reminder")
    ).scalar_one()
    client.post(f"/enrolments/{enrolment.token}/cancel")
    send_all_due(start - DAY)
    assert reminder_mail(smtp) == []
    row = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.kind == "reminder")
    ).scalar_one()
    assert row.status == OutboxStatus.SKIPPED


def test_a_moved_session_is_reminded_at_its_new_time_with_its_new_place(client, smtp, visit):
    enrol(client, visit)
    start = start_of(visit)
    reminders.queue_due(start - DAY)
    session = sessions_of(visit)[0]
    session.starts_at, session.ends_at = start + 2 * DAY, start + 2 * DAY + 2 * HOUR
    session.place = "Lahden kaupungintalo"
    db.session.commit()
    send_all_due(start - DAY)  # its old moment: not yet
    assert reminder_mail(smtp) == []
    send_all_due(start + DAY)  # its new moment
    mail = reminder_mail(smtp)
    assert len(mail) == 1
    assert "Lahden kaupungintalo" in mail[0].get_body(("plain",)).get_content()


def test_a_late_sender_sends_only_the_latest_reminder_and_never_after_the_start(
    client, smtp, gateway, visit
):
    enrol(client, visit, phone="+46 70 123 45 67", reminder_sms="y")
    start = start_of(visit)
    send_all_due(start - HOUR)  # down until an hour before: both texts are overdue
    assert len(texts(gateway)) == 1  # only the later (two hours before)
    assert gateway.texts[0]["recipients"] == [{"msisdn": 46701234567}]
    assert len(reminder_mail(smtp)) == 1  # the mail is late, but the session has not started

    other = enrol(client, visit, email="toinen@example.fi")
    send_all_due(start + HOUR)
    assert [m["To"] for m in reminder_mail(smtp)].count(other.email) == 0


def test_each_session_of_a_course_has_its_reminder(client, smtp, make_event):
    course = make_event(starts_in=timedelta(days=3), sessions=3)
    enrol(client, course)
    for session in sessions_of(course):
        send_all_due(session.starts_at - DAY)
    assert len(reminder_mail(smtp)) == 3


def test_at_most_once_is_kept_by_the_database(client, visit):
    enrolment = enrol(client, visit)
    start = start_of(visit)
    reminders.queue_due(start - DAY)
    row = db.session.execute(
        select(OutboxMessage).where(OutboxMessage.kind == "reminder")
    ).scalar_one()
    from sqlalchemy.exc import IntegrityError

    db.session.add(
        OutboxMessage(
            kind="reminder", channel=row.channel, to_address="x@example.fi", subject="x",
            message_id="<dup@x>", enrolment_id=enrolment.id, session_id=row.session_id,
            offset_minutes=row.offset_minutes,
        )
    )  # fmt: skip
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_texts_off_on_the_manage_page(client, smtp, gateway, visit):
    enrolment = enrol(client, visit, phone="040 123 4567", reminder_sms="y")
    page = client.get(f"/enrolments/{enrolment.token}").get_data(as_text=True)
    assert "Muistutukset" in page and "Tekstiviesti" in page and "+358401234567" in page
    response = client.post(f"/enrolments/{enrolment.token}/texts-off")
    assert response.status_code == 303
    page = client.get(f"/enrolments/{enrolment.token}").get_data(as_text=True)
    assert "Ei enää tekstiviestejä" not in page
    send_all_due(start_of(visit) - DAY)
    send_all_due(start_of(visit) - 2 * HOUR)
    assert texts(gateway) == [] and len(reminder_mail(smtp)) == 1


def test_the_short_link_leads_to_the_manage_page(client, visit):
    enrolment = enrol(client, visit)
    response = client.get(f"/e/{enrolment.token}")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/enrolments/{enrolment.token}")


def test_the_organiser_sees_which_reminders_went_out(client, smtp, gateway, visit, make_user):
    from tests.conftest import login

    enrol(client, visit, phone="040 123 4567", reminder_sms="y")
    gateway.status = 422
    send_all_due(start_of(visit) - DAY)
    make_user("org@example.fi", organiser=["lab"])
    login(client, "org@example.fi")
    page = client.get(f"/manage/events/{visit.id}").get_data(as_text=True)
    assert "Sähköposti" in page and "Lähetetty" in page
    assert "Tekstiviesti" in page and "Epäonnistui" in page


def test_no_text_at_enrolment(client, smtp, gateway, visit):
    enrol(client, visit, phone="040 123 4567", reminder_sms="y")
    send_all_due()
    assert texts(gateway) == []
    assert len(smtp.messages) == 1  # the confirmation, by mail


def test_urgent_changes_go_by_text_too(client, smtp, gateway, visit, make_user):
    from tests.conftest import login

    enrol(client, visit, phone="040 123 4567", reminder_sms="y")
    make_user("org@example.fi", organiser=["lab"])
    login(client, "org@example.fi")
    response = client.post(
        f"/manage/events/{visit.id}/cancel", data={"confirm": "y", "message": ""}
    )
    assert response.status_code in (200, 303)
    send_all_due()
    assert any(text.startswith("Peruttu") for text in texts(gateway)), texts(gateway)
