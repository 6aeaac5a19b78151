"""A lost link, sent again: /enrolments/resend gives one answer whatever the address, and one
mail lists the address's active enrolments with their links. Limited per client and per
address."""

import re

from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.mail.sender import send_all_due
from eventsapp.models import Enrolment
from tests.conftest import form_data

ANSWER = "Jos tällä osoitteella on ilmoittautumisia, olemme lähettäneet niiden linkit siihen."


def test_known_and_unknown_addresses_get_the_same_answer(client, smtp, make_event):
    first = make_event(title="Miestämö: kampustutustuminen")
    second = make_event(title="Työelämän digitaidot haltuun")
    for event in (first, second):
        client.post(f"/events/{event.id}/enrol", data=form_data(email="Matti@Example.fi"))
    send_all_due()
    before = len(smtp.messages)

    page = client.get("/enrolments/resend")
    assert page.status_code == 200 and 'name="email"' in page.get_data(as_text=True)
    known = client.post("/enrolments/resend", data={"email": "matti@example.fi"})
    unknown = client.post("/enrolments/resend", data={"email": "ei.ole@example.fi"})
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"]
    known_page = client.get(known.headers["Location"]).get_data(as_text=True)
    assert ANSWER in known_page
    unknown = client.post(
        "/enrolments/resend", data={"email": "ei.ole@example.fi"}, follow_redirects=True
    )
    assert ANSWER in unknown.get_data(as_text=True)

    send_all_due()
    sent = smtp.parsed()[before:]
    assert len(sent) == 1 and sent[0]["To"].addresses[0].addr_spec == "Matti@Example.fi"
    body = sent[0].get_body(("plain",)).get_content()
    db.session.commit()
    tokens = [e.token for e in db.session.execute(select(Enrolment)).scalars()]
    assert all(f"/enrolments/{token}" in body for token in tokens)
    assert "Miestämö" in body and "Työelämän digitaidot" in body


def test_a_bad_address_gets_a_message_beside_the_field(client):
    response = client.post("/enrolments/resend", data={"email": "ei osoite"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Virhe:" in page or "error-summary" in page


def test_cancelled_enrolments_are_not_listed(client, smtp, make_event):
    event = make_event()
    client.post(f"/events/{event.id}/enrol", data=form_data())
    db.session.commit()
    token = db.session.execute(select(Enrolment)).scalar_one().token
    client.post(f"/enrolments/{token}/cancel")
    send_all_due()
    before = len(smtp.messages)
    client.post("/enrolments/resend", data={"email": "matti@example.fi"})
    send_all_due()
    assert len(smtp.messages) == before  # nothing active: no mail, the same answer


def test_the_duplicate_message_shows_nothing_of_the_enrolment_and_resends_its_link(
    client, smtp, make_event
):
    event = make_event()
    client.post(f"/events/{event.id}/enrol", data=form_data(first_name="Matti"))
    send_all_due()
    before = len(smtp.messages)
    response = client.post(
        f"/events/{event.id}/enrol", data=form_data(first_name="Joku", last_name="Muu")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "on jo ilmoittauduttu" in page and "/enrolments/resend" in page
    assert "Matti" not in page and "Vahvistettu" not in page
    send_all_due()
    sent = smtp.parsed()[before:]
    assert len(sent) == 1 and sent[0]["Subject"] == "Ilmoittautumistesi linkit"


def test_limited_per_address(app, client, smtp, make_event):
    app.config["RESEND_RATE_LIMIT"] = "2 per hour"
    event = make_event()
    client.post(f"/events/{event.id}/enrol", data=form_data())
    send_all_due()
    before = len(smtp.messages)
    for number in range(4):  # from four client addresses: the address's limit holds
        client.post(
            "/enrolments/resend",
            data={"email": "matti@example.fi"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{number}"},
        )
    send_all_due()
    assert len(smtp.messages) - before == 2


def test_limited_per_client_address(app, client):
    app.config["RESEND_RATE_LIMIT"] = "3 per hour"
    answers = [
        client.post("/enrolments/resend", data={"email": f"osoite{n}@example.fi"}).status_code
        for n in range(5)
    ]
    assert answers[:3] == [303, 303, 303] and answers[3:] == [429, 429]
    page = client.post("/enrolments/resend", data={"email": "x@example.fi"}).get_data(as_text=True)
    assert "Liian monta yritystä" in page


def test_every_event_page_offers_the_lost_link(client, make_event):
    event = make_event()
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert re.search(r'href="/enrolments/resend"', page)
