"""The network's calendar and the event page."""

from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.models import Event
from tests.conftest import form_data


def titles(client, query="") -> list[str]:
    import re

    html = client.get("/" + query).get_data(as_text=True)
    return re.findall(r'<h2><a href="/events/\d+[^"]*">([^<]+)</a></h2>', html)


def test_list_shows_upcoming_published_events_in_date_order(client, make_event):
    make_event(title="Later", starts_in=timedelta(days=30))
    make_event(title="Sooner", starts_in=timedelta(days=3))
    make_event(title="Draft", status="draft")
    make_event(title="Cancelled", status="cancelled")
    make_event(title="Past", starts_in=timedelta(days=-3))
    assert titles(client) == ["Sooner", "Later"]


def test_course_shows_while_its_last_session_is_ahead(client, make_event):
    make_event(title="Running course", starts_in=timedelta(days=-8), sessions=3)
    assert titles(client) == ["Running course"]


def test_filters_and_search(client, make_event):
    make_event(title="Kampustutustuminen", organisation="lab")
    make_event(
        title="CV-paja",
        organisation="ohjaamo",
        category="other_category",
        kind="other",
        description="Tehdään **CV** kuntoon.",
    )
    make_event(title="Digitaidot", sessions=3, organisation="ohjaamo")
    assert titles(client, "?category=tyopajatoiminta") == ["CV-paja"]
    assert titles(client, "?kind=course") == ["Digitaidot"]
    assert set(titles(client, "?organisation=ohjaamo-lahti")) == {"CV-paja", "Digitaidot"}
    assert titles(client, "?q=kuntoon") == ["CV-paja"]
    assert titles(client, "?q=KAMPUS") == ["Kampustutustuminen"]
    assert titles(client, "?q=100%25") == []
    assert titles(client, "?organisation=ohjaamo-lahti&kind=other") == ["CV-paja"]


def test_search_ignores_case_and_accents_and_finds_the_organiser(client, make_event, catalogue):
    """Same answers on SQLite and PostgreSQL (run with TEST_DATABASE_URL for the latter)."""
    make_event(title="Miestämö: kampustutustuminen", organisation="ohjaamo")
    make_event(title="Työelämän digitaidot haltuun", sessions=3, summary="Miestämö-kurssi")
    make_event(title="Åbo Akademi: café", organisation="ohjaamo")
    make_event(title="Kirjaston työpaja", organisation="lab")  # LAB's name has "Miestämö"
    everything = {
        "Miestämö: kampustutustuminen",
        "Työelämän digitaidot haltuun",
        "Kirjaston työpaja",
    }
    for query in ("MIESTÄMÖ", "miestamo", "Miestämö", "MIESTAMO"):
        assert set(titles(client, "?q=" + query)) == everything, query
    for query in ("työelämän", "tyoelaman", "TYÖELÄMÄN digitaidot"):
        assert titles(client, "?q=" + query) == ["Työelämän digitaidot haltuun"], query
    assert titles(client, "?q=abo+CAFE") == ["Åbo Akademi: café"]
    assert titles(client, "?q=åbo") == ["Åbo Akademi: café"]
    assert set(titles(client, "?q=ohjaamo")) == {
        "Miestämö: kampustutustuminen",
        "Åbo Akademi: café",
    }
    assert titles(client, "?q=tyo%25") == []  # a typed % is a percent sign, not a wildcard

    # The app keeps the folded text when an event or its organiser changes.
    catalogue["ohjaamo"].name = "Nuorten Kohtaamo"
    db.session.commit()
    assert titles(client, "?q=ohjaamo") == []
    assert len(titles(client, "?q=kohtaamo")) == 2
    event = db.session.scalars(select(Event).where(Event.title.like("Kirjaston%"))).one()
    event.title = "Kirjaston kädentaidot"
    db.session.commit()
    assert titles(client, "?q=kadentaidot") == ["Kirjaston kädentaidot"]


def test_list_card_shows_what_a_participant_needs(client, make_event):
    make_event(
        title="Digitaidot",
        sessions=3,
        capacity=2,
        rules=[{"kind": "age", "min_age": 18, "max_age": 29}],
    )
    html = client.get("/?lang=en").get_data(as_text=True)
    for text in (
        "Digitaidot",
        "LAB-ammattikorkeakoulu (Miestämö)",
        "Education and training services",
        "Course",
        "3 sessions",
        "Lahden pääkirjasto",
        "aged 18–29",
        "2 seats left",
    ):
        assert text in html, text


def test_seat_states_in_the_list(client, make_event):
    event = make_event(title="Small", capacity=1)
    client.post(f"/events/{event.id}/enrol", data=form_data(email="a@example.fi"))
    assert "Full: you can join the waiting list" in client.get("/?lang=en").get_data(True)
    client.post(f"/events/{event.id}/enrol", data=form_data(email="b@example.fi"))
    make_event(title="Closed list", capacity=0, waitlist_enabled=False)
    html = client.get("/?lang=en").get_data(as_text=True)
    assert html.count("seats-full") == 1


def test_pagination(app, client, make_event):
    app.config["EVENTS_PER_PAGE"] = 2
    for day in range(5):
        make_event(title=f"E{day}", starts_in=timedelta(days=day + 1))
    assert titles(client) == ["E0", "E1"]
    assert titles(client, "?page=3") == ["E4"]
    assert titles(client, "?page=99") == ["E4"]


def test_event_page_shows_everything_a_participant_needs(client, make_event):
    event = make_event(
        title="Työelämän digitaidot haltuun",
        sessions=2,
        attendance_mode="hybrid",
        language="fi,en",
        accessibility="Esteetön sisäänkäynti.",
        what_to_bring="Oma puhelin.",
        description="Kurssi **nuorille miehille**.",
        rules=[{"kind": "age", "min_age": 18, "max_age": 29}],
    )
    for session in event.sessions:
        session.online_url = "https://meet.example.fi/digi"
    db.session.commit()
    html = client.get(f"/events/{event.id}?lang=en").get_data(as_text=True)
    for text in (
        "Työelämän digitaidot haltuun",
        "<strong>nuorille miehille</strong>",
        "Kirkkokatu 31, Lahti",
        "https://meet.example.fi/digi",
        "Finnish, English",
        "Esteetön sisäänkäynti.",
        "Oma puhelin.",
        "kati@example.fi",
        "aged 18–29",
        "8 seats left",
        "Enrolment is open until",
        f"/events/{event.id}/enrol",
    ):
        assert text in html, text
    assert html.count("<li>\n      <strong>") == 2  # both sessions


def test_event_times_are_shown_in_helsinki_time(client, make_event):
    from datetime import UTC, datetime

    from eventsapp.models import EventSession

    event = make_event(title="Aamu")
    session = db.session.get(EventSession, event.sessions[0].id)
    session.starts_at = datetime(2031, 6, 10, 7, 0, tzinfo=UTC)  # 10.00 in summer time
    session.ends_at = datetime(2031, 6, 10, 10, 0, tzinfo=UTC)
    db.session.commit()
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "10.6.2031" in html and "10.00–13.00" in html


def test_slug_url_and_canonical_link(client, make_event):
    event = make_event(title="Työelämän digitaidot haltuun")
    assert event.slug == "tyoelaman-digitaidot-haltuun"
    page = client.get(f"/events/{event.id}-{event.slug}")
    assert page.status_code == 200
    assert f'href="/events/{event.id}-tyoelaman-digitaidot-haltuun"' in page.get_data(True)
    assert client.get(f"/events/{event.id}").status_code == 200


def test_finnish_is_the_default_language(client, make_event):
    make_event()
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="fi">' in html
    assert "Tietosuojaseloste" in html
    english = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "Privacy notice" in english
    # the choice is remembered
    assert '<html lang="en">' in client.get("/privacy").get_data(as_text=True)


def test_privacy_notice_exists(client):
    response = client.get("/privacy?lang=en")
    assert response.status_code == 200
    assert "What we ask and why" in response.get_data(as_text=True)


@pytest.fixture
def count_queries(app):
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", before)
    yield statements
    sa_event.remove(db.engine, "before_cursor_execute", before)


@pytest.mark.parametrize("path", ["/", "/?q=MIESTAMO", "/events/{id}", "/events/{id}/enrol"])
def test_pages_run_a_fixed_number_of_queries(app, client, make_event, count_queries, path):
    app.config["PAGE_CACHE_BYTES"] = 0  # count what a page costs when it is rendered
    rules = [{"kind": "age", "min_age": 18}, {"kind": "gender", "allowed": ["male"]}]
    url = path.format(id=make_event(sessions=3, rules=rules).id)
    client.get(url)
    count_queries.clear()
    client.get(url)
    few = len(count_queries)
    for i in range(15):
        make_event(title=f"Event {i}", sessions=1 + i % 4, rules=rules[: i % 3])
    count_queries.clear()
    client.get(url)
    assert len(count_queries) == few, [s[:70] for s in count_queries]
    assert few <= 8


def test_kept_pages_cost_one_query_and_follow_every_change(app, client, make_event, count_queries):
    from eventsapp.manage import services as manage

    event = make_event(title="Visit", capacity=2)
    url = f"/events/{event.id}?x=1"
    first = client.get(url).get_data(as_text=True)
    count_queries.clear()
    again = client.get(url)
    assert again.get_data(as_text=True) == first
    [query] = [q for q in count_queries if q != "BEGIN"]  # the freshness check only
    assert query.startswith("SELECT (SELECT max")
    assert client.get(url, headers={"If-None-Match": again.headers["ETag"]}).status_code == 304

    client.post(f"/events/{event.id}/enrol", data=form_data())  # a seat is taken
    assert "1 seat left" in client.get(url + "&lang=en").get_data(as_text=True)
    assert client.get(url).get_data(as_text=True) != first

    session = event.sessions[0]
    manage.change_session(event.id, session.id, place="LAB-kampus")  # a session moves
    db.session.commit()
    assert "LAB-kampus" in client.get(url).get_data(as_text=True)


def test_staff_and_flashed_pages_are_not_kept(app, client, make_event, make_user):
    from tests.conftest import login

    make_event(title="Visit")
    make_user("lab@example.fi", name="Kati Ojala", organiser=["lab"])
    client.get("/")
    login(client, "lab@example.fi")
    assert "Kati Ojala" in client.get("/").get_data(as_text=True)
