"""The staff view of the outbox: rendered messages and .eml downloads, the coordinator's."""

from email import message_from_bytes
from email.policy import default

import pytest

from eventsapp.enrolment import services
from eventsapp.enrolment.services import Applicant
from eventsapp.extensions import db
from tests.conftest import login


@pytest.fixture
def queued(app, make_event):
    event = make_event(title="Työelämän digitaidot haltuun")
    services.enrol(
        event.id, Applicant(first_name="Matti", last_name="Meikäläinen", email="m@example.fi")
    )
    db.session.commit()


def test_the_coordinator_reads_the_outbox(client, queued, make_user):
    make_user("koordinaattori@example.fi", coordinator=True)
    login(client, "koordinaattori@example.fi")
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


def test_outbox_is_for_the_coordinator_only(client, queued, make_user):
    response = client.get("/outbox/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/outbox/1.eml").status_code == 302
    make_user("lab@example.fi", organiser=["lab"])
    login(client, "lab@example.fi")
    assert client.get("/outbox/").status_code == 403
    assert client.get("/outbox/1.eml").status_code == 403
