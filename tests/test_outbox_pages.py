"""The staff view of the outbox: rendered messages and .eml downloads, not public."""

from email import message_from_bytes
from email.policy import default

import pytest

from eventsapp.enrolment import services
from eventsapp.enrolment.services import Applicant
from eventsapp.extensions import db


@pytest.fixture
def queued(app, make_event):
    event = make_event(title="Työelämän digitaidot haltuun")
    services.enrol(
        event.id, Applicant(first_name="Matti", last_name="Meikäläinen", email="m@example.fi")
    )
    db.session.commit()


def test_staff_read_the_outbox_from_this_machine(client, queued):
    listing = client.get("/outbox/?lang=en")
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert "m@example.fi" in html and "Waiting to be sent" in html
    page = client.get("/outbox/1?lang=en").get_data(as_text=True)
    assert "Työelämän digitaidot haltuun" in page
    assert "METHOD:REQUEST" in page
    assert "/enrolments/" in page
    preview = client.get("/outbox/1/html")
    assert "sandbox" in preview.headers["Content-Security-Policy"]
    eml = client.get("/outbox/1.eml")
    assert eml.mimetype == "message/rfc822"
    assert "attachment" in eml.headers["Content-Disposition"]
    parsed = message_from_bytes(eml.get_data(), policy=default)
    assert parsed["To"].addresses[0].addr_spec == "m@example.fi"


def test_outbox_is_not_public(app, client, queued):
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/outbox/", environ_base=outside).status_code == 404
    assert client.get("/outbox/1.eml", environ_base=outside).status_code == 404
    app.config["ENV_NAME"] = "production"
    assert client.get("/outbox/").status_code == 404


def test_outbox_password_uses_basic_auth(app, client, queued):
    app.config["OUTBOX_PASSWORD"] = "s3cret-for-staff"
    assert client.get("/outbox/").status_code == 401
    assert client.get("/outbox/", auth=("staff", "wrong")).status_code == 401
    assert client.get("/outbox/", auth=("staff", "s3cret-for-staff")).status_code == 200
    outside = {"REMOTE_ADDR": "203.0.113.9"}
    response = client.get("/outbox/", auth=("x", "s3cret-for-staff"), environ_base=outside)
    assert response.status_code == 200
