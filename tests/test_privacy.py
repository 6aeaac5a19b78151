"""Retention and erasure: `flask gdpr anonymise` and the person's own erasure through the
manage link. What the reports count stays the same."""

import re
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventsapp.enrolment import services
from eventsapp.enrolment.services import Applicant, OnBehalf
from eventsapp.extensions import db
from eventsapp.models import (
    Attendance,
    AttendanceStatus,
    AuditEntry,
    CalendarEntry,
    Client,
    Enrolment,
    EventSession,
    OutboxMessage,
    OutboxStatus,
)
from eventsapp.models.enrolment import token_digest
from eventsapp.privacy import cli as privacy_cli
from eventsapp.privacy import services as privacy
from tests.conftest import form_data, now

MEN_SOFT = {"kind": "gender", "allowed": ["male"], "strict": False}
UNEMPLOYED_QUESTION = {
    "kind": "question",
    "required_answer": True,
    "text": "Oletko työtön työnhakija?",
    "strict": False,
}
PERSONAL_BLANK = {
    "first_name": "",
    "last_name": "",
    "email": "",
    "phone": "",
    "birth_date": None,
    "notes": "",
    "override_reason": "",
    "staff_message": "",
    "client_id": None,
}
KEPT = (
    "event_id",
    "token_salt",
    "token_hash",
    "status",
    "municipality",
    "gender",
    "employment_status",
    "answers",
    "missed_rule_ids",
    "locale",
    "consent_at",
    "created_at",
    "status_changed_at",
    "queued_at",
    "enrolled_by_id",
)


# --- reading the database as it is, in a session of its own ----------------------------------


def rows(model, *where, order=None) -> list:
    with Session(db.engine) as session:
        stmt = select(model).where(*where).order_by(order if order is not None else model.id)
        return list(session.execute(stmt).scalars())


def as_dict(enrolment: Enrolment) -> dict:
    return {column.key: getattr(enrolment, column.key) for column in Enrolment.__table__.columns}


def snapshot() -> dict[int, dict]:
    return {e.id: as_dict(e) for e in rows(Enrolment)}


def report_counts() -> dict:
    """What the reports count, with plain queries: statuses, attendance marks, target-group
    misses and the counted facts, per event."""
    enrolments = rows(Enrolment)
    marks = rows(Attendance)
    status_of = {e.id: e.status for e in enrolments}
    event_of = {e.id: e.event_id for e in enrolments}
    attended = {m.enrolment_id for m in marks if m.status == AttendanceStatus.ATTENDED}
    return {
        "statuses": Counter((e.event_id, e.status) for e in enrolments),
        "attended": Counter(event_of[i] for i in attended if status_of[i] == "confirmed"),
        "marks": Counter((event_of[m.enrolment_id], m.session_id, m.status) for m in marks),
        "met_target_group": Counter(
            e.event_id for e in enrolments if e.id in attended and not e.missed_rule_ids
        ),
        "missed_rules": Counter(
            (e.event_id, rule_id) for e in enrolments for rule_id in e.missed_rule_ids
        ),
        "facts": Counter(
            (e.event_id, e.municipality, e.gender, e.employment_status) for e in enrolments
        ),
        "answers": Counter(
            (e.event_id, key, value) for e in enrolments for key, value in e.answers.items()
        ),
    }


# --- a network with past, recent and future events ------------------------------------------


def person(n: int, **fields) -> Applicant:
    values = {
        "first_name": f"Matti{n}",
        "last_name": "Meikäläinen",
        "email": f"matti{n}@example.fi",
        "phone": f"040 123 45{n:02d}",
        "birth_date": date(2001, 3, 15),
        "municipality": "398",
        "gender": "male",
        "employment_status": "unemployed",
        "notes": f"Tarvitsen esteettömän paikan {n}",
        "locale": "fi",
    }
    values.update(fields)
    return Applicant(**values)


def end_event(event_id: int, days_ago: float) -> None:
    """Move the event's sessions so that the last one ended `days_ago` days ago."""
    sessions = rows(EventSession, EventSession.event_id == event_id, order=EventSession.starts_at)
    end = now() - timedelta(days=days_ago)
    for back, session in enumerate(reversed(sessions)):
        row = db.session.get(EventSession, session.id)
        row.ends_at = end - timedelta(weeks=back)
        row.starts_at = row.ends_at - timedelta(hours=2)
    db.session.commit()


def enrol(event_id: int, applicant: Applicant, on_behalf: OnBehalf | None = None) -> Enrolment:
    enrolment = services.enrol(event_id, applicant, on_behalf=on_behalf)
    db.session.commit()
    return enrolment


@pytest.fixture
def world(app, make_event, make_user):
    """An event that ended 100 days ago, with every kind of enrolment, attendance and mail;
    events that ended 40 and 10 days ago; one still to come."""
    coach = make_user("coach@example.fi", coach=["ohjaamo"])
    old = make_event(
        title="Old course", sessions=2, capacity=2, rules=[MEN_SOFT, UNEMPLOYED_QUESTION]
    )
    question_id = next(rule.id for rule in old.rules if rule.kind == "question")
    answers = {question_id: True}
    client = Client(
        coach_id=coach.id, first_name="Sanna", last_name="Asiakas", email="sanna@example.fi"
    )
    db.session.add(client)
    db.session.commit()
    client_id = client.id

    confirmed = enrol(old.id, person(1, answers=answers))
    on_behalf = OnBehalf(client_id=client_id, coach_id=coach.id, override_reason="Hyötyy kurssista")
    overridden = enrol(
        old.id,
        person(2, first_name="Sanna", email="sanna@example.fi", gender="female", answers=answers),
        on_behalf,
    )
    waitlisted = enrol(old.id, person(3, answers=answers))
    cancelled = enrol(old.id, person(4, answers=answers))
    services.cancel_enrolment(cancelled.id)
    db.session.commit()
    rejected = enrol(old.id, person(5, gender="female", answers=answers))
    services.reject(rejected.id, "Kurssi on miehille; katso Ohjaamon palvelut.")
    db.session.commit()

    edge = make_event(title="Forty days ago")
    edge_enrolment = enrol(edge.id, person(6))
    recent = make_event(title="Ten days ago")
    recent_enrolment = enrol(recent.id, person(7))
    future = make_event(title="Still to come")
    future_enrolment = enrol(future.id, person(8))

    end_event(old.id, 100)
    end_event(edge.id, 40)
    end_event(recent.id, 10)

    first, second = rows(EventSession, EventSession.event_id == old.id)
    db.session.add_all(
        [
            Attendance(enrolment_id=confirmed.id, session_id=first.id, status="attended"),
            Attendance(enrolment_id=confirmed.id, session_id=second.id, status="attended"),
            Attendance(enrolment_id=overridden.id, session_id=first.id, status="attended"),
            Attendance(enrolment_id=overridden.id, session_id=second.id, status="no_show"),
        ]
    )
    # Some of the old event's mail went out, one failed, one is being sent right now; the
    # rest is still queued.
    messages = rows(OutboxMessage, OutboxMessage.enrolment_id == confirmed.id)
    assert len(messages) >= 2
    sent = db.session.get(OutboxMessage, messages[0].id)
    sent.status, sent.mime = OutboxStatus.SENT, "To: Matti1 Meikäläinen <matti1@example.fi>\n..."
    failed = db.session.get(OutboxMessage, messages[1].id)
    failed.status, failed.last_error = OutboxStatus.FAILED, "550 no such user matti1@example.fi"
    [in_flight] = rows(OutboxMessage, OutboxMessage.enrolment_id == waitlisted.id)
    db.session.get(OutboxMessage, in_flight.id).status = OutboxStatus.SENDING
    db.session.commit()
    return {
        "old": [confirmed.id, overridden.id, waitlisted.id, cancelled.id, rejected.id],
        "edge": [edge_enrolment.id],
        "recent": [recent_enrolment.id],
        "future": [future_enrolment.id],
        "client_id": client_id,
        "in_flight": in_flight.id,
    }


def gdpr(app, *args):
    if "gdpr" not in app.cli.commands:
        privacy_cli.register(app)
    result = app.test_cli_runner().invoke(args=["gdpr", "anonymise", *args])
    db.session.remove()  # the command's session ends: the test reads afresh
    return result


def anonymised_ids() -> set[int]:
    return {e.id for e in rows(Enrolment, Enrolment.anonymised_at.is_not(None))}


# --- the command -----------------------------------------------------------------------------


def test_the_fixture_is_what_the_tests_think(world):
    statuses = {e.id: e.status for e in rows(Enrolment)}
    assert [statuses[i] for i in world["old"]] == [
        "confirmed",
        "confirmed",
        "waitlisted",
        "cancelled",
        "rejected",
    ]
    old = {e.id: e for e in rows(Enrolment, Enrolment.id.in_(world["old"]))}
    assert old[world["old"][1]].missed_rule_ids and old[world["old"][1]].client_id
    assert old[world["old"][4]].staff_message
    assert all(e.answers for e in old.values())


def test_command_anonymises_exactly_the_enrolments_of_events_ended_long_enough_ago(app, world):
    result = gdpr(app)
    assert result.exit_code == 0, result.output
    assert "5 enrolments anonymised" in result.output
    assert anonymised_ids() == set(world["old"])

    result = gdpr(app, "--days", "30")
    assert result.exit_code == 0, result.output
    assert "1 enrolments anonymised" in result.output
    assert anonymised_ids() == set(world["old"] + world["edge"])
    untouched = rows(Enrolment, Enrolment.id.in_(world["recent"] + world["future"]))
    assert [e.first_name for e in untouched] == ["Matti7", "Matti8"]
    assert all(e.email_key.endswith("@example.fi") for e in untouched)


def test_retention_days_come_from_the_config(app, world):
    app.config["RETENTION_DAYS"] = 5
    assert gdpr(app).exit_code == 0
    assert anonymised_ids() == set(world["old"] + world["edge"] + world["recent"])


def test_days_must_be_a_whole_number_not_negative(app, world):
    result = gdpr(app, "--days", "-1")
    assert result.exit_code == 2
    app.config["RETENTION_DAYS"] = "ninety"
    result = gdpr(app)
    assert result.exit_code == 1
    assert "RETENTION_DAYS must be a whole number of days" in result.output
    assert anonymised_ids() == set()
    assert rows(AuditEntry) == []


def test_personal_fields_are_blank_and_counted_fields_intact(app, world):
    before = snapshot()
    assert gdpr(app).exit_code == 0
    after = snapshot()
    for enrolment_id in world["old"]:
        row = after[enrolment_id]
        assert {key: row[key] for key in PERSONAL_BLANK} == PERSONAL_BLANK
        assert row["email_key"] == f"anonymised:{enrolment_id}"
        assert row["anonymised_at"] is not None
        assert {key: row[key] for key in KEPT} == {key: before[enrolment_id][key] for key in KEPT}
    for enrolment_id in world["edge"] + world["recent"] + world["future"]:
        assert after[enrolment_id] == before[enrolment_id]
    # The coach's own client record is the coach's to keep or delete: only the link goes.
    assert db.session.get(Client, world["client_id"]) is not None


def test_running_twice_changes_nothing_the_second_time(app, world):
    assert gdpr(app).exit_code == 0
    enrolments, messages = snapshot(), [m.id for m in rows(OutboxMessage)]
    result = gdpr(app)
    assert result.exit_code == 0
    assert "0 enrolments anonymised" in result.output
    assert snapshot() == enrolments
    assert [m.id for m in rows(OutboxMessage)] == messages


def test_dry_run_counts_and_changes_nothing(app, world):
    before = snapshot()
    result = gdpr(app, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "5 enrolments would be anonymised" in result.output
    assert snapshot() == before
    assert rows(AuditEntry) == []


def test_outbox_text_of_anonymised_enrolments_is_removed(app, world):
    old = world["old"]
    assert len(rows(OutboxMessage, OutboxMessage.enrolment_id.in_(old))) > 3
    keep = {m.id for m in rows(OutboxMessage, OutboxMessage.enrolment_id.not_in(old))}
    assert keep

    assert gdpr(app).exit_code == 0
    left = rows(OutboxMessage, OutboxMessage.enrolment_id.in_(old))
    # Only the message a sender holds right now stays, until the sender is done with it.
    assert [m.id for m in left] == [world["in_flight"]]
    assert {m.id for m in rows(OutboxMessage, OutboxMessage.enrolment_id.not_in(old))} == keep
    for message in rows(OutboxMessage):
        text = f"{message.to_address} {message.to_name} {message.payload} {message.mime}"
        assert "matti1@" not in text and "Sanna" not in text and "matti4@" not in text

    db.session.get(OutboxMessage, world["in_flight"]).status = OutboxStatus.SENT
    db.session.commit()
    assert gdpr(app).exit_code == 0
    assert rows(OutboxMessage, OutboxMessage.enrolment_id.in_(old)) == []
    # Calendar entries hold no personal data (a random UID, the event's title, place, time).
    assert rows(CalendarEntry, CalendarEntry.enrolment_id.in_(old))


def test_each_run_writes_one_audit_entry(app, world):
    assert gdpr(app, "--chunk-size", "2").exit_code == 0
    [entry] = rows(AuditEntry)
    assert (entry.action, entry.user_email, entry.rows) == ("anonymise", "cli", 5)
    assert "90 days" in entry.detail
    assert gdpr(app).exit_code == 0
    assert [(e.user_email, e.rows) for e in rows(AuditEntry)] == [("cli", 5), ("cli", 0)]


def test_report_counts_are_the_same_before_and_after(app, world):
    before = report_counts()
    assert before["attended"] and before["missed_rules"] and before["answers"]
    assert gdpr(app, "--days", "0").exit_code == 0  # every past event
    assert anonymised_ids() == set(world["old"] + world["edge"] + world["recent"])
    assert report_counts() == before


def test_chunks_take_a_fixed_number_of_queries(app, make_event):
    """Each chunk is one transaction of the same few statements, however many rows it has."""

    def statements(size: int, chunk_size: int) -> tuple[int, privacy.RetentionReport]:
        event = make_event(capacity=size)
        for n in range(size):
            enrol(event.id, person(n, email=f"e{event.id}-{n}@example.fi"))
        end_event(event.id, 100)
        db.session.remove()
        count = 0

        def counter(*_args):
            nonlocal count
            count += 1

        sa_event.listen(db.engine, "before_cursor_execute", counter)
        try:
            report = privacy.anonymise_expired(90, chunk_size=chunk_size)
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", counter)
        db.session.remove()
        assert report.anonymised == size
        return count, report.chunks

    few, chunks = statements(2, chunk_size=500)
    assert chunks == 1
    many, chunks = statements(6, chunk_size=500)
    assert (many, chunks) == (few, 1)  # rows do not add queries
    two, chunks = statements(4, chunk_size=2)
    assert chunks == 2
    three, chunks = statements(6, chunk_size=2)
    assert chunks == 3
    per_chunk = three - two
    # 8: the ids, the enrolments, their question answers (delete, unlink), their named
    # feedback (unlink), their mail, the audit entry
    assert two - few == per_chunk and per_chunk <= 8


# --- the person's own erasure ----------------------------------------------------------------


@pytest.fixture
def browser(client):
    client.get("/?lang=en")  # the language cookie: the page speaks English
    return client


def enrol_through_form(browser, event, **fields) -> str:
    response = browser.post(f"/events/{event.id}/enrol", data=form_data(**fields))
    assert response.status_code == 303, response.get_data(as_text=True)[:1000]
    return re.fullmatch(r".*/enrolments/([\w-]+)", response.headers["Location"]).group(1)


def by_token(token: str) -> Enrolment:
    [enrolment] = rows(Enrolment, Enrolment.token_hash == token_digest(token))
    return enrolment


def page(browser, token: str) -> str:
    response = browser.get(f"/enrolments/{token}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def erase(browser, token: str, **data):
    return browser.post(f"/enrolments/{token}/erase", data=data, follow_redirects=True)


def test_a_cancelled_enrolment_can_be_erased_by_its_owner(browser, make_event):
    event = make_event()
    token = enrol_through_form(
        browser, event, email="erkki@example.fi", first_name="Erkki", phone="0401234567",
        notes="Tulen pyörätuolilla",
    )  # fmt: skip
    assert "Erase my details" not in page(browser, token)  # active: cancel first
    browser.post(f"/enrolments/{token}/cancel")
    html = page(browser, token)
    assert "Erase my details" in html and f'action="/enrolments/{token}/erase"' in html
    enrolment = by_token(token)
    assert rows(OutboxMessage, OutboxMessage.enrolment_id == enrolment.id)

    response = erase(browser, token, confirm="y")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Your details have been erased." in html
    assert "Your details were erased on" in html
    assert "Cancelled" in html  # the status is still shown
    for personal in ("Erkki", "erkki@example.fi", "0401234567", "pyörätuolilla"):
        assert personal not in html
    assert "Erase my details" not in html

    erased = by_token(token)  # the token keeps working
    assert {key: getattr(erased, key) for key in PERSONAL_BLANK} == PERSONAL_BLANK
    assert erased.email_key == f"anonymised:{erased.id}" and erased.anonymised_at
    assert erased.status == "cancelled"
    assert rows(OutboxMessage, OutboxMessage.enrolment_id == erased.id) == []
    [entry] = rows(AuditEntry)
    assert (entry.action, entry.user_email, entry.rows, entry.event_id) == (
        "anonymise",
        "participant",
        1,
        event.id,
    )
    assert "erkki" not in entry.detail.lower()

    again = erase(browser, token, confirm="y").get_data(as_text=True)
    assert "Your details have already been erased." in again
    assert len(rows(AuditEntry)) == 1


def test_a_rejected_enrolment_can_be_erased(browser, make_event):
    event = make_event(rules=[MEN_SOFT])
    enrolment = enrol(event.id, person(1, gender="female"))
    services.reject(enrolment.id, "Kurssi on miehille.")
    db.session.commit()
    html = erase(browser, enrolment.token, confirm="y").get_data(as_text=True)
    assert "Your details have been erased." in html
    erased = by_token(enrolment.token)
    assert (erased.staff_message, erased.birth_date, erased.status) == ("", None, "rejected")


def test_an_active_enrolment_cannot_be_erased(browser, make_event):
    event = make_event()
    token = enrol_through_form(browser, event, email="erkki@example.fi", first_name="Erkki")
    before = as_dict(by_token(token))
    mail = len(rows(OutboxMessage))

    html = erase(browser, token, confirm="y").get_data(as_text=True)
    assert "can be erased once the enrolment has been cancelled" in html
    assert "Erkki" in html  # nothing changed
    assert as_dict(by_token(token)) == before
    assert len(rows(OutboxMessage)) == mail
    assert rows(AuditEntry) == []


def test_erasure_needs_the_confirmation(browser, make_event):
    event = make_event()
    token = enrol_through_form(browser, event, email="erkki@example.fi", first_name="Erkki")
    browser.post(f"/enrolments/{token}/cancel")
    before = as_dict(by_token(token))
    html = erase(browser, token).get_data(as_text=True)
    assert "Tick the box to confirm" in html
    assert as_dict(by_token(token)) == before


def test_erasure_is_a_post_with_the_csrf_token(app, browser, make_event):
    event = make_event()
    token = enrol_through_form(browser, event, email="erkki@example.fi", first_name="Erkki")
    browser.post(f"/enrolments/{token}/cancel")
    before = as_dict(by_token(token))

    assert browser.get(f"/enrolments/{token}/erase").status_code == 405
    assert browser.post("/enrolments/no-such-token/erase", data={"confirm": "y"}).status_code == 404

    app.config["WTF_CSRF_ENABLED"] = True
    forged = browser.post(f"/enrolments/{token}/erase", data={"confirm": "y"})
    assert forged.status_code == 400
    assert as_dict(by_token(token)) == before

    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page(browser, token)).group(1)
    response = erase(browser, token, confirm="y", csrf_token=csrf)
    assert "Your details have been erased." in response.get_data(as_text=True)
    assert by_token(token).anonymised_at is not None


def test_the_privacy_notice_states_the_retention_period(app, browser):
    html = browser.get("/privacy").get_data(as_text=True)
    assert "removed 90 days after the event has ended" in html
    assert "Erase my details" in html
    app.config["RETENTION_DAYS"] = 30
    assert "removed 30 days after" in browser.get("/privacy").get_data(as_text=True)
