"""Text messages: phone numbers, GSM-7 segments, the enrolment form's checkbox, and a gateway
that fails (a real local HTTP server standing in for GatewayAPI)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.mail.sender import send_all_due
from eventsapp.models import Enrolment, OutboxMessage, OutboxStatus
from eventsapp.sms import backends, gsm
from eventsapp.sms.phone import InvalidPhone, to_e164
from tests.conftest import form_data

DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("040 123 4567", "+358401234567"),
        ("040-1234567", "+358401234567"),
        ("+358 40 123 4567", "+358401234567"),
        ("+358 040 123 4567", "+358401234567"),
        ("00358401234567", "+358401234567"),
        ("050 987 6543", "+358509876543"),
        ("+46 70 123 45 67", "+46701234567"),
        ("(03) 814 2000", "+35838142000"),
    ],
)
def test_numbers_are_normalised_to_e164(written, e164):
    assert to_e164(written) == e164


@pytest.mark.parametrize(
    "written", ["", "040 12a 4567", "1234567", "+" + "1" * 40, "040", "+0 40 123", "++358401234567"]
)
def test_what_is_not_a_number_is_refused(written):
    with pytest.raises(InvalidPhone):
        to_e164(written)


def test_segments_follow_gsm_7_and_ucs_2():
    assert gsm.is_gsm("Hyvää päivää, Åbo! é ü")
    assert gsm.segments("ä" * 160) == 1
    assert gsm.segments("a" * 161) == 2
    assert gsm.segments("a" * 306) == 2 and gsm.segments("a" * 307) == 3
    assert gsm.length("€") == 2 and gsm.segments("€" * 80) == 1 and gsm.segments("€" * 81) == 2
    assert not gsm.is_gsm("Tervetuloa 👋") and gsm.segments("a" * 71 + "👋") == 2
    assert gsm.plain("klo 10.00–13.00 “tervetuloa”") == 'klo 10.00-13.00 "tervetuloa"'


def test_a_reminder_with_a_long_title_fits_two_segments_and_keeps_its_link(
    client, smtp, gateway, make_event
):
    event = make_event(
        title=("Työelämän digitaidot haltuun " * 7)[:200], starts_in=timedelta(days=3)
    )
    client.post(f"/events/{event.id}/enrol", data=form_data(phone="0401234567", reminder_sms="y"))
    start = event.sessions[0].starts_at
    send_all_due(start - DAY)
    (text,) = [t["message"] for t in gateway.texts]
    assert gsm.segments(text) <= 2 and gsm.is_gsm(text)
    assert "/e/" in text and "klo" in text and "..." in text


def test_the_checkbox_makes_the_phone_required(client, make_event):
    event = make_event()
    page = client.get(f"/events/{event.id}/enrol").get_data(as_text=True)
    assert 'name="reminder_sms"' in page and "Muistuta minua myös tekstiviestillä" in page
    response = client.post(f"/events/{event.id}/enrol", data=form_data(reminder_sms="y"))
    assert response.status_code == 200
    assert "Anna matkapuhelinnumerosi" in response.get_data(as_text=True)
    for bad in ("040 12a 4567", "1" * 40):
        response = client.post(
            f"/events/{event.id}/enrol", data=form_data(reminder_sms="y", phone=bad)
        )
        assert response.status_code == 200
        assert "Kirjoita puhelinnumero muodossa 040 123 4567." in response.get_data(as_text=True)
    assert db.session.execute(select(Enrolment)).first() is None
    response = client.post(
        f"/events/{event.id}/enrol", data=form_data(reminder_sms="y", phone="040 123 4567")
    )
    assert response.status_code == 303
    db.session.commit()  # a fresh read
    enrolment = db.session.execute(select(Enrolment)).scalar_one()
    assert enrolment.phone == "+358401234567" and enrolment.reminder_sms


def _enrol_for_texts(client, event, email="matti@example.fi", phone="040 123 4567"):
    response = client.post(
        f"/events/{event.id}/enrol", data=form_data(email=email, phone=phone, reminder_sms="y")
    )
    assert response.status_code == 303


def _rows(channel):
    db.session.commit()
    return list(
        db.session.execute(
            select(OutboxMessage).where(
                OutboxMessage.kind == "reminder", OutboxMessage.channel == channel
            )
        ).scalars()
    )


def test_a_gateway_answering_500_is_retried_and_mail_goes_out(client, smtp, gateway, make_event):
    event = make_event(starts_in=timedelta(days=3))
    _enrol_for_texts(client, event)
    gateway.status = 500
    start = event.sessions[0].starts_at
    report = send_all_due(start - DAY)
    (text,) = _rows("sms")
    assert text.status == OutboxStatus.QUEUED and text.attempts == 1
    assert "500" in text.last_error and "secret-token-123" not in text.last_error
    assert report.retried == 1
    assert [m["Subject"] for m in smtp.parsed()].count(f"Muistutus: {event.title}") == 1
    gateway.status = 200
    send_all_due(start - DAY + timedelta(minutes=5))
    assert _rows("sms")[0].status == OutboxStatus.SENT and len(gateway.texts) == 1


def test_a_gateway_that_hangs_times_out(client, smtp, gateway, make_event, monkeypatch):
    monkeypatch.setattr(backends, "TIMEOUT", 0.5)
    event = make_event(starts_in=timedelta(days=3))
    _enrol_for_texts(client, event)
    gateway.delay = 3
    send_all_due(event.sessions[0].starts_at - DAY)
    (text,) = _rows("sms")
    assert text.status == OutboxStatus.QUEUED and "unreachable" in text.last_error
    assert _rows("email")[0].status == OutboxStatus.SENT


def test_a_refused_number_fails_at_once_and_shows_in_the_outbox(
    client, smtp, gateway, make_event, make_user
):
    from tests.conftest import login

    event = make_event(starts_in=timedelta(days=3))
    _enrol_for_texts(client, event, phone="+1 202 555 0143")
    gateway.refuse.add(12025550143)
    send_all_due(event.sessions[0].starts_at - DAY)
    (text,) = _rows("sms")
    assert text.status == OutboxStatus.FAILED and "422" in text.last_error
    assert _rows("email")[0].status == OutboxStatus.SENT
    make_user("koordinaattori@example.fi", coordinator=True)
    login(client, "koordinaattori@example.fi")
    page = client.get("/outbox/").get_data(as_text=True)
    assert "Tekstiviesti" in page and "+12025550143" in page and "Epäonnistui" in page
    detail = client.get(f"/outbox/{text.id}")
    assert detail.status_code == 200 and "Muistutus" in detail.get_data(as_text=True)
    assert "secret-token-123" not in page + detail.get_data(as_text=True)
    assert client.get(f"/outbox/{text.id}.eml").status_code == 404


def test_the_gateway_gets_the_token_and_the_sender_name(client, smtp, gateway, make_event):
    event = make_event(starts_in=timedelta(days=3))
    _enrol_for_texts(client, event)
    send_all_due(event.sessions[0].starts_at - DAY)
    (body,) = gateway.texts
    assert body["sender"] == "Tapahtumat" and body["userref"]
    assert gateway.headers[0]["Authorization"] == "Token secret-token-123"
    assert "secret-token-123" not in repr(backends.backend_from(client.application.config))


def test_without_a_backend_texts_wait_in_the_outbox(app, client, smtp, make_event):
    event = make_event(starts_in=timedelta(days=3))
    _enrol_for_texts(client, event)
    send_all_due(event.sessions[0].starts_at - DAY)
    (text,) = _rows("sms")
    assert text.status == OutboxStatus.QUEUED
    assert _rows("email")[0].status == OutboxStatus.SENT
