"""Calendar links for everyone: one event's .ics and the subscribable feed."""

import re
from datetime import timedelta

import icalendar
import vobject

from eventsapp.extensions import db
from eventsapp.manage import services as manage


def parse(response) -> icalendar.Calendar:
    body = response.get_data()
    vobject.readOne(body.decode("utf-8")).validate()
    return icalendar.Calendar.from_ical(body)


def test_event_ics_publishes_every_session(client, make_event):
    course = make_event(title="Työelämän digitaidot haltuun", sessions=3)
    response = client.get(f"/events/{course.id}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.mimetype_params["charset"] == "utf-8"
    calendar = parse(response)
    assert calendar["METHOD"] == "PUBLISH"
    starts = sorted(item["DTSTART"].dt for item in calendar.walk("VEVENT"))
    assert starts == [session.starts_at for session in course.sessions]
    assert all(item["SUMMARY"] == course.title for item in calendar.walk("VEVENT"))
    page = client.get(f"/events/{course.id}").get_data(as_text=True)
    assert f'href="/events/{course.id}.ics"' in page


def test_feed_filters_and_hides_drafts_and_past(client, make_event):
    make_event(title="LAB visit", organisation="lab")
    make_event(title="Workshop", organisation="ohjaamo", category="other_category")
    make_event(title="Draft", status="draft")
    make_event(title="Past", starts_in=timedelta(days=-5))
    summaries = lambda query: sorted(  # noqa: E731
        str(item["SUMMARY"]) for item in parse(client.get(f"/calendar.ics{query}")).walk("VEVENT")
    )
    assert summaries("") == ["LAB visit", "Workshop"]
    assert summaries("?organisation=lab") == ["LAB visit"]
    assert summaries("?category=tyopajatoiminta") == ["Workshop"]
    assert summaries("?category=nope") == []


def test_feed_is_cheap_to_poll_and_changes_when_a_session_moves(client, make_event):
    event = make_event(title="Visit", sessions=1)
    first = client.get("/calendar.ics")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag and modified
    again = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""

    session = event.sessions[0]
    manage.change_session(event.id, session.id, starts_at=session.starts_at + timedelta(hours=1))
    db.session.commit()
    changed = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_cancelled_event_shows_as_cancelled_in_the_feed(client, make_event):
    event = make_event(title="Visit")
    manage.cancel_event(event.id)
    db.session.commit()
    [item] = parse(client.get("/calendar.ics")).walk("VEVENT")
    assert item["STATUS"] == "CANCELLED"


def test_the_feed_holds_events_by_date_within_a_year_and_says_so(client, make_event):
    make_event(title="Later", starts_in=timedelta(days=60))
    make_event(title="Sooner", starts_in=timedelta(days=2))
    make_event(title="Next year", starts_in=timedelta(days=400))
    body = client.get("/calendar.ics").get_data(as_text=True)
    summaries = re.findall(r"^SUMMARY:(.*)\r$", body, flags=re.M)
    assert summaries == ["Sooner", "Later"]  # by start, not by id; beyond a year: left out
    assert "X-WR-CALDESC:" in body and "366" in body


def test_an_unchanged_feed_keeps_its_etag_and_bytes(client, make_event):
    import time

    make_event(title="Visit")
    first = client.get("/calendar.ics")
    time.sleep(1.05)  # the old feed's DTSTAMP was the second it was built
    second = client.get("/calendar.ics")
    assert first.headers["ETag"] == second.headers["ETag"]
    assert first.get_data() == second.get_data()


def test_a_304_is_answered_before_the_feed_is_built(client, make_event, monkeypatch):
    from eventsapp.catalogue import services

    make_event(title="Visit")
    etag = client.get("/calendar.ics").headers["ETag"]

    def refuse(*_args, **_kwargs):
        raise AssertionError("the feed was built for a 304")

    monkeypatch.setattr(services, "feed_events", refuse)
    monkeypatch.setattr(services, "calendar_feed", refuse)
    again = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304
