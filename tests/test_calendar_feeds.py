"""Calendar links for everyone: one event's .ics and the subscribable feed."""

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
