"""Languages: the switch on every page, the visit's choice, the three catalogues."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape

from eventsapp.extensions import db
from eventsapp.mail.sender import send_due
from tests.conftest import form_data, login, now


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


def test_event_texts_in_the_visitors_language_else_finnish_marked_so(client, make_event):
    event = make_event(
        title="Miestämö: kampustutustuminen",
        description="Tutustumme **kampukseen**.",
        title_sv="Miestämö: campusbesök",
        description_sv="Vi bekantar oss med **campus**.",
    )
    swedish = client.get(f"/events/{event.id}?lang=sv").get_data(as_text=True)
    assert '<h1 lang="sv">Miestämö: campusbesök</h1>' in swedish
    assert '<div class="prose" lang="sv"><p>Vi bekantar oss med <strong>campus</strong>' in swedish
    # no English text given: the Finnish one, marked as Finnish on an English page
    english = client.get(f"/events/{event.id}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert '<h1 lang="fi">Miestämö: kampustutustuminen</h1>' in english
    assert '<div class="prose" lang="fi"><p>Tutustumme <strong>kampukseen</strong>' in english


def test_organiser_gives_the_swedish_and_english_texts_in_the_editor(client, make_event, make_user):
    from tests.test_manage import form_of, load

    event = make_event()
    make_user("kati@lab.fi", name="Kati Ojala", organiser=["lab"])
    login(client, "kati@lab.fi")
    form = form_of(client.get(f"/manage/events/{event.id}/edit").get_data(as_text=True))
    assert form["title_sv"] == form["title_en"] == form["description_en"] == ""
    form.update(title_sv="Campusbesök", title_en="Campus visit", description_en="A *visit*.")
    response = client.post(f"/manage/events/{event.id}/edit", data={**form, "save": "1"})
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    saved = load(event.id)
    assert (saved.title_sv, saved.title_en) == ("Campusbesök", "Campus visit")
    assert saved.description_html_en.strip() == "<p>A <em>visit</em>.</p>"
    assert saved.localised("title", "en") == ("Campus visit", "en")
    assert saved.localised("description_html", "sv") == (saved.description_html, "fi")


def test_dates_and_times_per_language_in_helsinki_time(client, make_event):
    """Enrolment closes 7.9.2027 10:00 UTC, which is 13.00 in Helsinki (summer time)."""
    closes = datetime(2027, 9, 7, 10, 0, tzinfo=UTC)
    event = make_event(starts_in=closes - now() + timedelta(days=7), enrol_closes_at=closes)
    shown = {
        lang: client.get(f"/events/{event.id}?lang={lang}").get_data(as_text=True)
        for lang in ("fi", "sv", "en")
    }
    assert "Ilmoittautuminen on auki 7.9.2027 klo 13.00 asti." in shown["fi"]
    assert "7.9.2027 kl. 13.00" in shown["sv"]
    assert "7 Sep 2027 at 13:00" in shown["en"]
    # a session's time: "klo 13.00" in Finnish, "kl. 13.00" in Finland-Swedish (not "13:00")
    assert re.search(r"klo 1?\d\.\d\d–1?\d\.\d\d", shown["fi"])
    assert re.search(r"kl\. 1?\d\.\d\d–1?\d\.\d\d", shown["sv"])
    assert re.search(r"1?\d:\d\d–1?\d:\d\d", shown["en"])


def test_finnish_staff_page_says_paattyy_klo(client, make_event, make_user):
    closes = datetime(2027, 9, 7, 10, 0, tzinfo=UTC)
    event = make_event(starts_in=closes - now() + timedelta(days=7), enrol_closes_at=closes)
    make_user("kati@lab.fi", name="Kati Ojala", organiser=["lab"])
    login(client, "kati@lab.fi")
    page = client.get(f"/manage/events/{event.id}?lang=fi").get_data(as_text=True)
    assert "päättyy 7.9.2027 klo 13.00" in page
