"""The open JSON API: valid against its own OpenAPI 3.1 description, no personal data ever,
open to other sites, cached, and a fixed number of queries however many events."""

import json
from datetime import timedelta

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from sqlalchemy import event as sa_event

from eventsapp.enrolment.services import Applicant
from eventsapp.enrolment.services import enrol as take_enrolment
from eventsapp.extensions import db
from eventsapp.models import Enrolment

PERSONAL = set(Enrolment.__table__.columns.keys()) - {"id", "event_id", "status"}
PERSONAL |= {"email", "phone", "first_name", "last_name", "birth_date", "token"}


def spec(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()


def check(client, path: str, schema: str, status: int = 200) -> dict:
    """GET path, and check the answer against the description's schema."""
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    document = spec(client)
    body = response.get_json()
    OAS31Validator(
        {"$ref": f"#/components/schemas/{schema}", "components": document["components"]}
    ).validate(body)
    return body


def walk(value, path=""):
    """Every key in a JSON document, with its path."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key, f"{path}.{key}"
            yield from walk(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from walk(inner, f"{path}[{index}]")


@pytest.fixture
def network(make_event, catalogue):
    visit = make_event(title="Miestämö: kampustutustuminen", capacity=2)
    visit_start, visit_id = visit.sessions[0].starts_at, visit.id
    course = make_event(
        title="Työelämän digitaidot haltuun", organisation="ohjaamo", sessions=5,
        attendance_mode="hybrid", starts_in=timedelta(days=20),
    )  # fmt: skip
    starts = {"visit": visit_start, "course": course.sessions[0].starts_at}
    ids = {"visit": visit_id, "course": course.id}
    take_enrolment(
        visit_id, Applicant(first_name="Matti", last_name="Meikäläinen", email="matti@example.fi",
                            phone="+358401234567")
    )  # fmt: skip
    db.session.commit()
    return ids, starts


def test_the_description_is_valid_openapi_3_1(client):
    document = spec(client)
    assert document["openapi"] == "3.1.0"
    validate(document)


def test_every_answer_matches_the_description(client, network):
    ids, _starts = network
    listing = check(client, "/api/v1/events", "EventList")
    assert listing["meta"]["count"] == 2
    assert [e["name"]["fi"] for e in listing["data"]] == [
        "Miestämö: kampustutustuminen",
        "Työelämän digitaidot haltuun",
    ]
    one = check(client, f"/api/v1/events/{ids['course']}", "Event")
    assert len(one["sub_events"]) == 5 and one["location"]["online"] is True
    assert one["start_time"].endswith(("+02:00", "+03:00"))
    assert one["organizer"]["id"] == "ohjaamo-lahti"
    assert one["enrolment_url"].endswith(f"/events/{ids['course']}/enrol")
    check(client, "/api/v1/organisations", "OrganisationList")
    check(client, "/api/v1/categories", "CategoryList")
    check(client, "/api/v1/events/999999", "Error", status=404)


def test_filters_as_the_list_has_them(client, network):
    ids, starts = network
    lab = client.get("/api/v1/events?organisation=lab").get_json()
    assert [e["id"] for e in lab["data"]] == [ids["visit"]]
    courses = client.get("/api/v1/events?kind=course").get_json()
    assert [e["id"] for e in courses["data"]] == [ids["course"]]
    start = (starts["course"] - timedelta(days=1)).date().isoformat()
    later = client.get(f"/api/v1/events?start={start}").get_json()
    assert [e["id"] for e in later["data"]] == [ids["course"]]
    early = (starts["visit"] + timedelta(days=1)).date().isoformat()
    before = client.get(f"/api/v1/events?end={early}").get_json()
    assert [e["id"] for e in before["data"]] == [ids["visit"]]
    none = client.get("/api/v1/events?updated_since=2999-01-01T00:00:00%2B02:00").get_json()
    assert none["data"] == []
    paged = client.get("/api/v1/events?page_size=1").get_json()
    assert paged["meta"]["pages"] == 2 and paged["meta"]["next"].endswith("page=2")
    assert paged["meta"]["previous"] is None


def test_no_personal_data_in_any_answer(client, network):
    ids, _starts = network
    for path in (
        "/api/v1/events",
        f"/api/v1/events/{ids['visit']}",
        f"/api/v1/events/{ids['course']}",
        "/api/v1/organisations",
        "/api/v1/categories",
        "/api/v1/events?lang=sv",
    ):
        body = client.get(path).get_json()
        found = [where for key, where in walk(body) if key in PERSONAL]
        assert found == [], path
        text = json.dumps(body)
        assert "Meikäläinen" not in text and "matti@example.fi" not in text
        assert "+358401234567" not in text


def test_open_to_other_sites_and_cached(client, network):
    response = client.get("/api/v1/events", headers={"Origin": "https://www.lab.fi"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age=60" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    again = client.get("/api/v1/events", headers={"If-None-Match": etag})
    assert again.status_code == 304


def _queries(app, client, path) -> int:
    count = 0

    def counter(*_args):
        nonlocal count
        count += 1

    app.config["PAGE_CACHE_BYTES"] = 0  # count the real work, not a kept copy
    sa_event.listen(db.engine, "before_cursor_execute", counter)
    try:
        assert client.get(path).status_code == 200
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", counter)
    return count


def test_a_fixed_number_of_queries_however_many_events(app, client, make_event):
    make_event(title="Yksi")
    few = _queries(app, client, "/api/v1/events?page_size=100")
    for n in range(12):
        make_event(
            title=f"Tapahtuma {n}", sessions=1 + n % 3, organisation=("lab", "ohjaamo")[n % 2]
        )
    many = _queries(app, client, "/api/v1/events?page_size=100")
    assert few == many
