"""Languages: the switch on every page, the visit's choice, the three catalogues."""

import re
from html import unescape

from eventsapp.extensions import db
from eventsapp.mail.sender import send_due
from tests.conftest import form_data, login


def switch_links(html: str) -> dict[str, str]:
    links = re.findall(r'<a href="([^"]+)" lang="(\w+)" hreflang', html)
    return {code: unescape(href) for href, code in links}


def test_switch_keeps_the_page_and_its_query(client, make_event):
    make_event()
    html = client.get("/?q=kurssi&page=1").get_data(as_text=True)
    links = switch_links(html)
    assert set(links) == {"fi", "sv", "en"}
    assert links["sv"] == "/?q=kurssi&page=1&lang=sv"
    # an earlier choice in the query is replaced, not repeated
    links = switch_links(client.get("/privacy?lang=en").get_data(as_text=True))
    assert links["fi"] == "/privacy?lang=fi"


def test_choice_stays_for_the_visit(client, make_event):
    make_event()
    swedish = client.get("/?lang=sv").get_data(as_text=True)
    assert '<html lang="sv">' in swedish
    # the next page, without ?lang=, is still Swedish (cookie)
    assert '<html lang="sv">' in client.get("/privacy").get_data(as_text=True)
    # ?lang= still wins over the cookie
    assert '<html lang="en">' in client.get("/privacy?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_unknown_language_falls_back_to_finnish(client):
    assert '<html lang="fi">' in client.get("/?lang=xx").get_data(as_text=True)


def test_mail_goes_in_the_language_of_the_enrolment_whoever_triggers_it(
    app, client, make_event, make_user, smtp
):
    """A Swedish enrolment gets the Swedish mail even when a Finnish-speaking organiser cancels
    the event; the Finnish enrolment beside it is the control (it gets the Finnish mail)."""
    event_id = make_event(title="Miestämö").id
    db.session.commit()  # end the read transaction: SQLite would stay locked
    participant = app.test_client()
    for lang, email in (("sv", "sara@example.fi"), ("fi", "matti@example.fi")):
        response = participant.post(
            f"/events/{event_id}/enrol?lang={lang}", data=form_data(email=email)
        )
        assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    make_user("kati@lab.fi", name="Kati Ojala", organiser=["lab"])
    login(client, "kati@lab.fi")
    assert '<html lang="fi">' in client.get("/?lang=fi").get_data(as_text=True)
    assert client.post(f"/manage/events/{event_id}/cancel").status_code in (302, 303)
    assert send_due().failed == 0
    subjects: dict[str, list[str]] = {}
    bodies: dict[str, str] = {}
    calendars: dict[str, list[str]] = {}
    for message in smtp.parsed():
        to = message["To"].addresses[0].addr_spec
        subjects.setdefault(to, []).append(message["Subject"])
        bodies[to] = message.get_body(("plain",)).get_content()
        for part in message.walk():
            if part.get_content_type() == "text/calendar":
                calendars.setdefault(to, []).append(part.get_content().replace("\r\n ", ""))
    assert subjects["sara@example.fi"] == [
        "Anmälan bekräftad: Miestämö",
        "Evenemanget inställt: Miestämö",
    ]
    assert subjects["matti@example.fi"] == [
        "Ilmoittautuminen vahvistettu: Miestämö",
        "Tapahtuma peruttu: Miestämö",
    ]
    assert "arrangören har ställt in Miestämö" in bodies["sara@example.fi"]
    # the calendar text too
    assert "Se eller annullera din anmälan" in calendars["sara@example.fi"][0]
    assert "Se eller annullera" not in calendars["matti@example.fi"][0]
