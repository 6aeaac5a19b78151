"""Enrolment through the form: statuses, seats, the waiting list, duplicates, the manage link."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventsapp.eligibility import LAHTI_REGION
from eventsapp.extensions import db
from eventsapp.models import Enrolment
from tests.conftest import form_data, now


def enrolments(event_id=None) -> list[Enrolment]:
    """What the database holds now, read in a transaction of its own."""
    stmt = select(Enrolment).order_by(Enrolment.id)
    if event_id is not None:
        stmt = stmt.where(Enrolment.event_id == event_id)
    with Session(db.engine) as session:
        return list(session.execute(stmt).scalars())


def enrol(client, event, **fields):
    return client.post(f"/events/{event.id}/enrol", data=form_data(**fields))


def token_of(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    match = re.fullmatch(r".*/enrolments/([\w-]+)", response.headers["Location"])
    assert match
    return match.group(1)


def test_enrol_confirms_and_shows_manage_page(client, make_event):
    event = make_event()
    response = enrol(client, event, email="  Matti@Example.FI ")
    token = token_of(response)
    [enrolment] = enrolments()
    assert enrolment.status == "confirmed"
    assert enrolment.email == "Matti@Example.FI"
    assert enrolment.email_key == "matti@example.fi"
    assert enrolment.token == token and len(token) >= 32

    page = client.get(f"/enrolments/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Vahvistettu" in html or "Confirmed" in html
    assert "Matti Meikäläinen" in html
    assert f'action="/enrolments/{token}/cancel"' in html


def test_form_asks_only_what_rules_need(client, make_event):
    plain = make_event()
    html = client.get(f"/events/{plain.id}/enrol").get_data(as_text=True)
    for name in ("first_name", "last_name", "email", "phone", "notes", "consent"):
        assert f'name="{name}"' in html
    for name in ("birth_date", "municipality", "gender", "employment_status"):
        assert f'name="{name}"' not in html

    course = make_event(
        title="Työelämän digitaidot haltuun",
        sessions=5,
        rules=[
            {"kind": "age", "min_age": 18, "max_age": 29},
            {"kind": "municipality", "strict": False, "allowed": sorted(LAHTI_REGION)},
            {"kind": "question", "text": "Onko sinulla sähköposti?", "required_answer": True},
        ],
    )
    html = client.get(f"/events/{course.id}/enrol").get_data(as_text=True)
    assert 'name="birth_date"' in html and 'type="date"' in html
    assert 'name="municipality"' in html
    question_id = course.rules[2].id
    assert f'name="q_{question_id}"' in html
    assert 'name="gender"' not in html and 'name="employment_status"' not in html
    # Päijät-Häme first, then all of Finland's municipalities
    assert html.index(">Lahti<") < html.index(">Akaa<")
    assert html.count("<option value=") == 308 + 1


def test_strict_rule_turns_away_with_reason_and_contact(client, make_event):
    event = make_event(rules=[{"kind": "age", "min_age": 18, "max_age": 29}])
    first_day = event.sessions[0].starts_at.date()
    too_old = first_day.replace(year=first_day.year - 30).isoformat()
    response = enrol(client, event, birth_date=too_old)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert enrolments() == []
    assert 'id="ineligible"' in html
    assert "30" in html  # the age they would be
    assert "kati@example.fi" in html  # whom to contact
    assert 'value="Matti"' in html  # what they typed is kept


def test_soft_rule_makes_pending_without_taking_a_seat(client, make_event):
    event = make_event(capacity=1, rules=[{"kind": "gender", "strict": False, "allowed": ["male"]}])
    token = token_of(enrol(client, event, gender="female", email="a@example.fi"))
    token_of(enrol(client, event, gender="male", email="b@example.fi"))
    pending, confirmed = enrolments()
    assert (pending.status, confirmed.status) == ("pending", "confirmed")
    assert pending.missed_rule_ids == [event.rules[0].id]
    html = client.get(f"/enrolments/{token}?lang=en").get_data(as_text=True)
    assert "Waiting for the organiser's review" in html
    assert "mainly meant for men" in html


def test_waiting_list_and_promotion_on_cancel(client, make_event):
    event = make_event(capacity=2, waitlist_enabled=True)
    tokens = [token_of(enrol(client, event, email=f"p{i}@example.fi")) for i in range(4)]
    assert [e.status for e in enrolments()] == [
        "confirmed",
        "confirmed",
        "waitlisted",
        "waitlisted",
    ]
    html = client.get(f"/enrolments/{tokens[3]}").get_data(as_text=True)
    assert re.search(r"\b2\b", html)  # second on the waiting list

    response = client.post(f"/enrolments/{tokens[0]}/cancel")
    assert response.status_code == 303
    assert [e.status for e in enrolments()] == ["cancelled", "confirmed", "confirmed", "waitlisted"]
    html = client.get(f"/enrolments/{tokens[3]}").get_data(as_text=True)
    assert re.search(r"\b1\b", html)

    # cancelling twice changes nothing and is no error
    assert client.post(f"/enrolments/{tokens[0]}/cancel").status_code == 303
    assert [e.status for e in enrolments()].count("confirmed") == 2


def test_waitlist_cap_and_no_waitlist_mean_full(client, make_event):
    capped = make_event(capacity=1, waitlist_enabled=True, waitlist_cap=1)
    for i in range(2):
        token_of(enrol(client, capped, email=f"c{i}@example.fi"))
    response = enrol(client, capped, email="late@example.fi")
    assert response.status_code == 200
    assert len(enrolments(capped.id)) == 2
    page = client.get(f"/events/{capped.id}").get_data(as_text=True)
    assert "/enrol" not in page.split('id="enrol-title"')[1].split("</section>")[0]

    no_list = make_event(capacity=1, waitlist_enabled=False)
    token_of(enrol(client, no_list, email="first@example.fi"))
    enrol(client, no_list, email="second@example.fi")
    assert [e.status for e in enrolments(no_list.id)] == ["confirmed"]


def test_duplicate_email_is_refused_beside_the_field(client, make_event):
    event = make_event()
    token_of(enrol(client, event, email="matti@example.fi"))
    response = enrol(client, event, email=" MATTI@example.fi")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert len(enrolments()) == 1
    assert 'id="email-error"' in html
    assert 'aria-invalid="true"' in html


def test_can_enrol_again_after_cancelling(client, make_event):
    event = make_event()
    token = token_of(enrol(client, event))
    client.post(f"/enrolments/{token}/cancel")
    token_of(enrol(client, event))
    assert [e.status for e in enrolments()] == ["cancelled", "confirmed"]


def test_database_refuses_a_second_active_enrolment(app, make_event):
    from sqlalchemy.exc import IntegrityError

    event = make_event()
    for i in range(2):
        db.session.add(
            Enrolment(
                event_id=event.id,
                status="confirmed",
                first_name="A",
                last_name="B",
                email=f"x{i}@EXAMPLE.fi",
                email_key="x@example.fi",
                consent_at=now(),
            )
        )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_enrolment_window(client, make_event):
    not_yet = make_event(enrol_opens_at=now() + timedelta(days=2))
    html = client.get(f"/events/{not_yet.id}?lang=en").get_data(as_text=True)
    assert "Enrolment opens" in html
    assert f'href="/events/{not_yet.id}/enrol"' not in html
    assert enrol(client, not_yet).status_code == 200
    closed = make_event(enrol_closes_at=now() - timedelta(hours=1))
    assert enrol(client, closed).status_code == 200
    assert enrolments() == []


@pytest.mark.parametrize("status", ["draft"])
def test_unpublished_event_is_not_found(client, make_event, status):
    event = make_event(status=status)
    assert client.get(f"/events/{event.id}").status_code == 404
    assert client.get(f"/events/{event.id}/enrol").status_code == 404
    assert enrol(client, event).status_code == 404
    assert enrolments() == []


def test_cancelled_event_refuses_enrolment(client, make_event):
    event = make_event(status="cancelled")
    assert client.get(f"/events/{event.id}").status_code == 200
    response = enrol(client, event)
    assert response.status_code == 200
    assert enrolments() == []


def test_tampered_token_is_not_found(client, make_event):
    event = make_event()
    token = token_of(enrol(client, event))
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 200, "nope"):
        assert client.get(f"/enrolments/{bad}").status_code == 404
        assert client.post(f"/enrolments/{bad}/cancel").status_code == 404
    assert enrolments()[0].status == "confirmed"


def test_the_lock_refuses_to_come_after_a_change(app, make_event):
    """A write lock taken after a flush would lose the flushed work on SQLite: refused."""
    from eventsapp.database import lock_for_update
    from eventsapp.models import Event, Organisation

    event = make_event()
    db.session.add(Organisation(slug="x", name="X"))
    db.session.flush()
    with pytest.raises(RuntimeError):
        lock_for_update(db.session, Event, event.id)
    db.session.rollback()
    assert lock_for_update(db.session, Event, event.id).id == event.id
