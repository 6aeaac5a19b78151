"""Coaches' screens: their clients, enrolling a client on the client's behalf with consent,
overriding soft rules (never strict ones), the mail a coach gets, cancelling, and who may see
what. Pages are read in English (the msgids); the database is read in a session of its own."""

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventsapp.database import utcnow
from eventsapp.eligibility import LAHTI_REGION
from eventsapp.enrolment import services as enrolment_services
from eventsapp.enrolment.services import Applicant
from eventsapp.events import load_event
from eventsapp.extensions import db
from eventsapp.mail.sender import send_due
from eventsapp.models import Client as ClientRecord
from eventsapp.models import Enrolment
from tests.conftest import login

TODAY = date.today()  # birth dates are calendar dates
YOUNG = date(TODAY.year - 24, 6, 15)  # 23 or 24 on any date in the next weeks
OLD = date(TODAY.year - 45, 6, 15)
AGE_18_29 = {"kind": "age", "min_age": 18, "max_age": 29, "strict": True}
LAHTI_SOFT = {"kind": "municipality", "allowed": sorted(LAHTI_REGION), "strict": False}
MEN_SOFT = {"kind": "gender", "allowed": ["male"], "strict": False}
CONSENT_LABEL = "The client agrees that I enrol them and share these details with the organiser"


# --- helpers ----------------------------------------------------------------------------------


def read(stmt):
    """What the database holds now, read in a transaction of its own."""
    with Session(db.engine, expire_on_commit=False) as session:
        return list(session.execute(stmt).scalars())


def enrolments(event_id=None) -> list[Enrolment]:
    stmt = select(Enrolment).order_by(Enrolment.id)
    if event_id is not None:
        stmt = stmt.where(Enrolment.event_id == event_id)
    return read(stmt)


def record(client_id: int) -> ClientRecord | None:
    found = read(select(ClientRecord).where(ClientRecord.id == client_id))
    return found[0] if found else None


def add_client(coach, first="Matti", last="Meikäläinen", **fields) -> int:
    fields.setdefault("birth_date", YOUNG)
    fields.setdefault("municipality", "398")  # Lahti
    fields.setdefault("gender", "male")
    fields.setdefault("employment_status", "unemployed")
    db.session.commit()  # end any read transaction: a stale one cannot write on SQLite
    client = ClientRecord(coach_id=coach.id, first_name=first, last_name=last, **fields)
    db.session.add(client)
    db.session.commit()
    return client.id


def text(response) -> str:
    """The page as a person reads it (entities such as ' decoded)."""
    return html.unescape(response.get_data(as_text=True))


def confirm_url(client_id: int, event) -> str:
    return f"/coach/clients/{client_id}/enrol/{event.id}"


def enrol(http, client_id: int, event, **data):
    data.setdefault("consent", "y")
    return http.post(confirm_url(client_id, event), data={k: v for k, v in data.items() if v})


def enrolment_id_of(response) -> int:
    assert response.status_code == 303, text(response)[:3000]
    match = re.fullmatch(r".*/coach/enrolments/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


@pytest.fixture
def coach(make_user):
    return make_user("olli@tyollisyys.example.fi", coach=["ohjaamo"], name="Olli Valmentaja")


@pytest.fixture
def as_coach(client, coach):
    client.set_cookie("lang", "en")
    login(client, coach.email)
    return client


@pytest.fixture
def other_coach(make_user):
    return make_user("kaisa@tyollisyys.example.fi", coach=["ohjaamo"], name="Kaisa Toinen")


# --- clients ----------------------------------------------------------------------------------


def test_create_and_edit_a_client(as_coach, coach):
    response = as_coach.post(
        "/coach/clients/new",
        data={
            "first_name": " Matti ",
            "last_name": "Meikäläinen",
            "email": "",
            "phone": "040 123 4567",
            "birth_date": "15.3.2001",
            "municipality": "Hollola",
            "gender": "male",
            "employment_status": "unemployed",
            "note": "Kiinnostunut IT-alasta.",
        },
    )
    assert response.status_code == 303
    client_id = int(response.headers["Location"].rsplit("/", 1)[1])
    saved = record(client_id)
    assert saved.coach_id == coach.id
    assert (saved.first_name, saved.last_name, saved.email) == ("Matti", "Meikäläinen", "")
    assert saved.birth_date == date(2001, 3, 15)
    assert saved.municipality == "098"
    assert (saved.gender, saved.employment_status) == ("male", "unemployed")

    page = text(as_coach.get(f"/coach/clients/{client_id}"))
    assert "Matti Meikäläinen" in page
    assert "Hollola" in page and "040 123 4567" in page and "Kiinnostunut IT-alasta." in page
    assert "None: mail about enrolments comes to you" in page
    assert "Matti" in text(as_coach.get("/coach/"))

    edit = as_coach.get(f"/coach/clients/{client_id}/edit")
    assert 'value="Meikäläinen"' in text(edit)
    response = as_coach.post(
        f"/coach/clients/{client_id}/edit",
        data={
            "first_name": "Matti",
            "last_name": "Virtanen",
            "email": "matti@example.fi",
            "phone": "",
            "birth_date": "2001-03-15",
            "municipality": "",
            "gender": "",
            "employment_status": "student",
            "note": "",
        },
    )
    assert response.status_code == 303
    saved = record(client_id)
    assert (saved.last_name, saved.email, saved.phone) == ("Virtanen", "matti@example.fi", "")
    assert saved.municipality is None and saved.gender is None
    assert saved.employment_status == "student" and saved.note == ""
    assert saved.coach_id == coach.id


def test_client_form_errors_are_shown_and_nothing_is_stored(as_coach):
    response = as_coach.post(
        "/coach/clients/new",
        data={
            "first_name": "Matti",
            "last_name": "",
            "email": "ei-osoite",
            "birth_date": "2999-01-01",
        },
    )
    assert response.status_code == 200
    page = text(response)
    assert 'class="error-summary"' in page
    assert "Enter the client's last name." in page
    assert "Enter an email address like name@example.fi." in page
    assert "The date of birth cannot be in the future." in page
    assert read(select(ClientRecord)) == []


def test_search_finds_clients_by_name(as_coach, coach):
    add_client(coach, "Matti", "Meikäläinen")
    add_client(coach, "Pekka", "Virtanen", email="pekka@example.fi")
    page = text(as_coach.get("/coach/?q=virt"))
    assert "Virtanen, Pekka" in page and "Meikäläinen" not in page
    assert "Virtanen, Pekka" in text(as_coach.get("/coach/?q=pekka@example"))


def test_only_the_own_coach_and_the_coordinator_see_a_client(
    client, coach, other_coach, make_user, make_event
):
    make_user("dila@example.fi", coordinator=True)
    client_id = add_client(coach, "Salainen", "Asiakas", note="Vain minulle")
    event = make_event()
    client.set_cookie("lang", "en")
    login(client, other_coach.email)
    assert "Salainen" not in text(client.get("/coach/"))
    for url in (
        f"/coach/clients/{client_id}",
        f"/coach/clients/{client_id}/edit",
        f"/coach/clients/{client_id}/delete",
        f"/coach/clients/{client_id}/enrol",
        confirm_url(client_id, event),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Salainen" not in text(response) and "Vain minulle" not in text(response)
    assert (
        client.post(f"/coach/clients/{client_id}/edit", data={"first_name": "X"}).status_code == 404
    )
    assert client.post(f"/coach/clients/{client_id}/delete").status_code == 404
    assert enrol(client, client_id, event).status_code == 404
    assert "Salainen" not in text(client.get(f"/coach/events/{event.id}/enrol"))
    assert record(client_id).first_name == "Salainen" and enrolments() == []

    client.post("/logout")
    login(client, "dila@example.fi")
    page = text(client.get("/coach/"))
    assert "Asiakas, Salainen" in page and "Olli Valmentaja" in page
    page = text(client.get(f"/coach/clients/{client_id}"))
    assert "Salainen Asiakas" in page and "Vain minulle" in page
    assert f"/coach/clients/{client_id}/edit" not in page  # the coordinator only looks
    assert client.get(f"/coach/clients/{client_id}/edit").status_code == 403

    client.post("/logout")
    login(client, coach.email)
    enrolment_id = enrolment_id_of(enrol(client, client_id, event))
    client.post("/logout")
    login(client, "dila@example.fi")
    assert "Salainen Asiakas" in text(client.get("/coach/enrolments"))
    page = text(client.get(f"/coach/enrolments/{enrolment_id}"))
    assert "Status: Confirmed" in page and "Cancel the enrolment" not in page
    assert client.post(f"/coach/enrolments/{enrolment_id}/cancel").status_code == 403
    assert enrolments()[0].status == "confirmed"


def test_delete_asks_first_and_keeps_enrolments_without_the_link(as_coach, coach, make_event):
    client_id = add_client(coach)
    event = make_event()
    enrolment_id = enrolment_id_of(enrol(as_coach, client_id, event))
    page = text(as_coach.get(f"/coach/clients/{client_id}/delete"))
    assert "Their enrolments stay" in page and "lose the link" in page
    assert event.title in page  # the active enrolment, to cancel first
    assert record(client_id) is not None  # GET changes nothing

    response = as_coach.post(f"/coach/clients/{client_id}/delete")
    assert response.status_code == 303 and response.headers["Location"].endswith("/coach/")
    assert record(client_id) is None
    [kept] = enrolments()
    assert kept.id == enrolment_id and kept.client_id is None and kept.status == "confirmed"
    assert kept.enrolled_by_id == coach.id
    assert as_coach.get(f"/coach/enrolments/{enrolment_id}").status_code == 404


# --- enrolling a client -----------------------------------------------------------------------


def test_enrol_a_client_who_meets_the_rules(as_coach, coach, make_event):
    client_id = add_client(coach)
    event = make_event(rules=[AGE_18_29, LAHTI_SOFT, MEN_SOFT])
    page = text(as_coach.get(confirm_url(client_id, event)))
    assert event.title in page and "Matti Meikäläinen" in page and "Lahti" in page
    assert "The client fits the event's target group." in page
    assert CONSENT_LABEL in page
    for name in ("birth_date", "municipality", "gender", "employment_status", "decision"):
        assert f'name="{name}"' not in page  # all on record, and nothing to decide

    before = utcnow()
    enrolment_id = enrolment_id_of(enrol(as_coach, client_id, event, notes="Pyörätuoli"))
    [enrolment] = enrolments()
    assert enrolment.id == enrolment_id and enrolment.status == "confirmed"
    assert enrolment.client_id == client_id and enrolment.enrolled_by_id == coach.id
    assert before <= enrolment.consent_at <= utcnow()
    assert enrolment.override_reason == "" and enrolment.notes == "Pyörätuoli"
    assert (enrolment.first_name, enrolment.email) == ("Matti", "")
    assert enrolment.email_key == f"client:{client_id}"
    assert enrolment.birth_date == YOUNG and enrolment.municipality == "398"

    page = text(as_coach.get(f"/coach/enrolments/{enrolment_id}"))
    assert "Status: Confirmed" in page and "Done: Matti Meikäläinen has a seat." in page
    assert "Olli Valmentaja" in page and "Client's consent" in page
    assert event.title in text(as_coach.get("/coach/"))  # an active enrolment on my list


def test_consent_is_required(as_coach, coach, make_event):
    client_id = add_client(coach)
    event = make_event()
    response = enrol(as_coach, client_id, event, consent="")
    assert response.status_code == 200
    assert "Confirm that the client agrees to the enrolment." in text(response)
    assert enrolments() == []


def test_asks_only_the_missing_facts_and_saves_them(as_coach, coach, make_event):
    client_id = add_client(coach, birth_date=None, municipality=None)
    question = {"kind": "question", "text": "Onko sinulla ajokortti?", "required_answer": True}
    event = make_event(rules=[AGE_18_29, MEN_SOFT, question])
    page = text(as_coach.get(confirm_url(client_id, event)))
    assert 'name="birth_date"' in page  # needed, not on record
    assert 'name="gender"' not in page  # on record
    assert 'name="municipality"' not in page  # on record nowhere, but no rule needs it
    assert "Onko sinulla ajokortti?" in page

    [rule_id] = [rule.id for rule in event.rules if rule.kind == "question"]
    response = enrol(
        as_coach, client_id, event, birth_date=YOUNG.isoformat(), **{f"q_{rule_id}": "yes"}
    )
    enrolment_id_of(response)
    [enrolment] = enrolments()
    assert enrolment.status == "confirmed" and enrolment.birth_date == YOUNG
    assert enrolment.answers == {str(rule_id): True}
    saved = record(client_id)
    assert saved.birth_date == YOUNG and saved.municipality is None
    assert 'name="birth_date"' not in text(
        as_coach.get(confirm_url(client_id, make_event(rules=[AGE_18_29])))
    )


def test_soft_miss_without_justification_goes_to_review(as_coach, coach, make_event):
    client_id = add_client(coach, municipality="091")  # Helsinki: outside the Lahti region
    event = make_event(rules=[AGE_18_29, LAHTI_SOFT], capacity=1)
    page = text(as_coach.get(confirm_url(client_id, event)))
    assert "Your home municipality is not part of it." in page
    assert 'name="decision"' in page and 'name="override_reason"' in page

    undecided = enrol(as_coach, client_id, event)
    assert undecided.status_code == 200
    assert "Choose whether you vouch for the client or send it for review." in text(undecided)
    vouched_blank = enrol(as_coach, client_id, event, decision="override")
    assert "Write why the event suits the client" in text(vouched_blank)
    assert enrolments() == []

    enrolment_id = enrolment_id_of(enrol(as_coach, client_id, event, decision="review"))
    [enrolment] = enrolments()
    assert enrolment.status == "pending" and enrolment.override_reason == ""
    assert enrolment.client_id == client_id and enrolment.enrolled_by_id == coach.id
    assert enrolment_services.seats_of(load_event(event.id)).confirmed == 0
    page = text(as_coach.get(f"/coach/enrolments/{enrolment_id}"))
    assert "Waiting for the organiser's review" in page


def test_soft_miss_with_justification_is_confirmed_and_the_reason_kept(
    as_coach, coach, make_event, make_user
):
    db.session.commit()  # end the read transaction that a stale snapshot would keep
    make_user("kati@lab.example.fi", organiser=["lab"])
    client_id = add_client(coach, municipality="091", gender="female")
    event = make_event(rules=[AGE_18_29, LAHTI_SOFT, MEN_SOFT])
    reason = "Muuttaa Lahteen ensi kuussa; hyötyy digitaitokurssista."
    response = enrol(
        as_coach, client_id, event, decision="override", override_reason=f"  {reason} "
    )
    enrolment_id = enrolment_id_of(response)
    [enrolment] = enrolments()
    assert enrolment.status == "confirmed"
    # The organiser's data: the enrolment row their lists and exports read.
    assert enrolment.override_reason == reason
    assert enrolment.enrolled_by_id == coach.id
    assert sorted(enrolment.missed_rule_ids) == sorted(
        rule.id for rule in event.rules if rule.kind != "age"
    )
    page = text(as_coach.get(f"/coach/enrolments/{enrolment_id}"))
    assert "Coach's justification" in page and reason in page

    as_coach.post("/logout")
    login(as_coach, "kati@lab.example.fi")
    page = text(as_coach.get(f"/manage/events/{event.id}"))
    assert "The coach's justification:" in page and reason in page
    assert "by the coach Olli Valmentaja" in page


def test_justification_is_not_stored_when_no_rule_is_missed(as_coach, coach, make_event):
    client_id = add_client(coach)
    event = make_event(rules=[LAHTI_SOFT])
    enrolment_id_of(enrol(as_coach, client_id, event, decision="override", override_reason="x"))
    assert enrolments()[0].override_reason == ""


def test_strict_miss_cannot_be_overridden(as_coach, coach, make_event):
    client_id = add_client(coach, birth_date=OLD)
    event = make_event(rules=[AGE_18_29, LAHTI_SOFT])
    page = text(as_coach.get(confirm_url(client_id, event)))
    assert "The client cannot be enrolled in this event" in page
    assert "This event is for people aged 18–29" in page
    assert "a coach cannot override it" in page
    assert CONSENT_LABEL not in page and 'name="override_reason"' not in page

    response = enrol(as_coach, client_id, event, decision="override", override_reason="Pakko")
    assert response.status_code == 200
    assert "This event is for people aged 18–29" in text(response)
    assert enrolments() == []


def test_strict_miss_found_from_facts_given_in_the_form(as_coach, coach, make_event):
    client_id = add_client(coach, birth_date=None)
    event = make_event(rules=[AGE_18_29])
    page = text(as_coach.get(confirm_url(client_id, event)))
    assert "The target group is checked when you send the form." in page
    response = enrol(as_coach, client_id, event, birth_date=OLD.isoformat())
    assert response.status_code == 200
    assert "The client cannot be enrolled in this event" in text(response)
    assert enrolments() == []
    assert record(client_id).birth_date is None  # nothing stored


def test_duplicate_enrolment_of_the_same_client_is_refused(as_coach, coach, make_event):
    client_id = add_client(coach)
    event = make_event()
    enrolment_id_of(enrol(as_coach, client_id, event))
    page = text(as_coach.get(confirm_url(client_id, event)))
    assert "Matti Meikäläinen already has an enrolment in this event." in page
    assert CONSENT_LABEL not in page
    response = enrol(as_coach, client_id, event)
    assert response.status_code == 200
    assert "This client already has an enrolment in this event" in text(response)
    assert len(enrolments()) == 1
    assert "Already enrolled in this event." in text(
        as_coach.get(f"/coach/events/{event.id}/enrol")
    )


def test_a_client_who_enrolled_themselves_is_not_enrolled_twice(as_coach, coach, make_event):
    client_id = add_client(coach, email="matti@example.fi")
    event = make_event()
    enrolment_services.enrol(
        event.id, Applicant(first_name="Matti", last_name="M", email="Matti@Example.fi")
    )
    db.session.commit()
    response = enrol(as_coach, client_id, event)
    assert response.status_code == 200
    assert "someone has enrolled with the client's email address" in text(response)
    assert len(enrolments()) == 1


def test_full_event_and_closed_window_give_messages_not_errors(as_coach, coach, make_event):
    client_id = add_client(coach)
    full = make_event(capacity=1, waitlist_enabled=False)
    enrolment_services.enrol(full.id, Applicant(first_name="A", last_name="B", email="a@b.fi"))
    db.session.commit()
    response = enrol(as_coach, client_id, full)
    assert response.status_code == 200
    assert "there are no seats left and no room on the waiting list" in text(response)

    closed = make_event(title="Closed", enrol_closes_at=utcnow() - timedelta(hours=1))
    page = text(as_coach.get(confirm_url(client_id, closed)))
    assert "Enrolment has closed." in page and CONSENT_LABEL not in page
    response = enrol(as_coach, client_id, closed)
    assert response.status_code == 200 and "Enrolment has closed." in text(response)
    assert len(enrolments()) == 1  # only the one made directly


def test_choose_an_event_for_a_client_and_a_client_for_an_event(as_coach, coach, make_event):
    client_id = add_client(coach, birth_date=OLD)
    fits = make_event(title="Kaikille avoin")
    strict = make_event(title="Nuorille", rules=[AGE_18_29])
    draft = make_event(title="Luonnos", status="draft")
    page = text(as_coach.get(f"/coach/clients/{client_id}/enrol"))
    assert confirm_url(client_id, fits) in page and "Fits the target group" in page
    assert "Not for this client" in page
    assert "Luonnos" not in page
    page = text(as_coach.get(f"/coach/events/{strict.id}/enrol"))
    assert "Meikäläinen, Matti" in page and "Not for this client" in page
    assert as_coach.get(f"/coach/events/{draft.id}/enrol").status_code == 404
    assert as_coach.get(confirm_url(client_id, draft)).status_code == 404


def test_new_client_from_an_event_goes_on_to_the_confirmation(as_coach, coach, make_event):
    event = make_event()
    response = as_coach.post(
        f"/coach/clients/new?event={event.id}",
        data={"first_name": "Uusi", "last_name": "Asiakas"},
    )
    assert response.status_code == 303
    assert re.search(rf"/coach/clients/\d+/enrol/{event.id}$", response.headers["Location"])


def test_event_page_links_a_coach_to_enrol_a_client(client, coach, make_event, make_user):
    event = make_event()
    client.set_cookie("lang", "en")
    assert f"/coach/events/{event.id}/enrol" not in text(client.get(f"/events/{event.id}"))
    make_user("org@lab.example.fi", organiser=["lab"])
    login(client, "org@lab.example.fi")
    assert f"/coach/events/{event.id}/enrol" not in text(client.get(f"/events/{event.id}"))
    client.post("/logout")
    login(client, coach.email)
    page = text(client.get(f"/events/{event.id}"))
    assert f'href="/coach/events/{event.id}/enrol"' in page and "Enrol a client" in page


# --- mail ------------------------------------------------------------------------------------


def calendar_parts(message) -> list:
    return [part for part in message.walk() if part.get_content_type() == "text/calendar"]


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_client_without_email_mail_goes_to_the_coach_naming_the_client(
    as_coach, coach, make_event, smtp
):
    client_id = add_client(coach, email="")
    event = make_event(title="Työelämän digitaidot haltuun", sessions=2)
    enrolment_id_of(enrol(as_coach, client_id, event))
    report = send_due()
    assert report.failed == 0 and report.retried == 0, report.errors
    messages = smtp.parsed()
    assert len(messages) == 2  # the confirmation with the first invitation, and the second
    assert {envelope.rcpt_tos[0] for envelope in smtp.messages} == {coach.email}
    confirmation, invitation = messages
    assert confirmation["Subject"] == "Enrolment confirmed: Työelämän digitaidot haltuun"
    assert invitation["Subject"].startswith("Calendar invitation: Työelämän digitaidot haltuun")
    for message in messages:
        assert message["To"] == f"Olli Valmentaja <{coach.email}>"
        assert "This message is about your client Matti Meikäläinen." in body_of(message)
        [calendar] = calendar_parts(message)
        assert f"mailto:{coach.email}" in calendar.get_payload(decode=True).decode()


def test_client_with_email_gets_the_invitation_and_the_coach_a_copy_without_it(
    as_coach, coach, make_event, smtp
):
    client_id = add_client(coach, email="matti@example.fi")
    event = make_event(title="Miestämö: kampustutustuminen", sessions=2)
    enrolment_id_of(enrol(as_coach, client_id, event))
    report = send_due()
    assert report.failed == 0 and report.retried == 0, report.errors
    by_recipient: dict[str, list] = {}
    for envelope, message in zip(smtp.messages, smtp.parsed(), strict=True):
        by_recipient.setdefault(envelope.rcpt_tos[0], []).append(message)
    assert set(by_recipient) == {"matti@example.fi", coach.email}

    to_client = by_recipient["matti@example.fi"]
    assert len(to_client) == 2 and all(len(calendar_parts(m)) == 1 for m in to_client)
    assert to_client[0]["Subject"] == "Enrolment confirmed: Miestämö: kampustutustuminen"

    [copy] = by_recipient[coach.email]
    assert copy["Subject"] == "Copy: Enrolment confirmed: Miestämö: kampustutustuminen"
    assert calendar_parts(copy) == []
    assert "This message is about your client Matti Meikäläinen." in body_of(copy)


# --- enrolments and cancelling ----------------------------------------------------------------


def test_cancelling_for_a_client_gives_the_seat_to_the_next_in_line(as_coach, coach, make_event):
    first = add_client(coach, "Matti", "Ensimmäinen")
    second = add_client(coach, "Pekka", "Toinen")
    event = make_event(capacity=1)
    first_id = enrolment_id_of(enrol(as_coach, first, event))
    second_id = enrolment_id_of(enrol(as_coach, second, event))
    page = text(as_coach.get(f"/coach/enrolments/{second_id}"))
    assert "Status: On the waiting list" in page and "number 1 on the waiting list" in page

    assert as_coach.get(f"/coach/enrolments/{first_id}/cancel").status_code == 405  # no GET
    assert {e.id: e.status for e in enrolments()} == {
        first_id: "confirmed",
        second_id: "waitlisted",
    }

    response = as_coach.post(f"/coach/enrolments/{first_id}/cancel")
    assert response.status_code == 303
    assert {e.id: e.status for e in enrolments()} == {first_id: "cancelled", second_id: "confirmed"}
    page = text(as_coach.get(response.headers["Location"]))
    assert "The enrolment of Matti Ensimmäinen was cancelled." in page
    assert "Status: Cancelled" in page and "Cancel the enrolment" not in page


def test_another_coach_cannot_see_or_cancel_an_enrolment(client, coach, other_coach, make_event):
    client_id = add_client(coach)
    event = make_event()
    client.set_cookie("lang", "en")
    login(client, coach.email)
    enrolment_id = enrolment_id_of(enrol(client, client_id, event))
    client.post("/logout")
    login(client, other_coach.email)
    assert client.get(f"/coach/enrolments/{enrolment_id}").status_code == 404
    assert client.post(f"/coach/enrolments/{enrolment_id}/cancel").status_code == 404
    assert "Meikäläinen" not in text(client.get("/coach/enrolments?when=all"))
    assert enrolments()[0].status == "confirmed"


def test_enrolments_of_my_clients_filtered_by_status(as_coach, coach, make_event):
    client_id = add_client(coach)
    kept = make_event(title="Pysyvä tapahtuma")
    dropped = make_event(title="Peruttu ilmoittautuminen")
    enrolment_id_of(enrol(as_coach, client_id, kept))
    dropped_id = enrolment_id_of(enrol(as_coach, client_id, dropped))
    as_coach.post(f"/coach/enrolments/{dropped_id}/cancel")

    page = text(as_coach.get("/coach/enrolments"))
    assert "Pysyvä tapahtuma" in page and "Peruttu ilmoittautuminen" in page
    page = text(as_coach.get("/coach/enrolments?status=cancelled"))
    assert "Pysyvä tapahtuma" not in page and "Peruttu ilmoittautuminen" in page
    page = text(as_coach.get("/coach/enrolments?status=active"))
    assert "Pysyvä tapahtuma" in page and "Peruttu ilmoittautuminen" not in page
    page = text(as_coach.get("/coach/enrolments?when=past"))
    assert "Pysyvä tapahtuma" not in page
    # My clients: only active enrolments beside the client.
    page = text(as_coach.get("/coach/"))
    assert "Pysyvä tapahtuma" in page and "Peruttu ilmoittautuminen" not in page
    # The client's page: every enrolment with its status.
    page = text(as_coach.get(f"/coach/clients/{client_id}"))
    assert "Pysyvä tapahtuma" in page and "Peruttu ilmoittautuminen" in page
    assert "Cancelled" in page and "Confirmed" in page


# --- access ------------------------------------------------------------------------------------

URLS = [
    ("get", "/coach/"),
    ("get", "/coach/clients/new"),
    ("post", "/coach/clients/new"),
    ("get", "/coach/clients/{client}"),
    ("get", "/coach/clients/{client}/edit"),
    ("post", "/coach/clients/{client}/edit"),
    ("get", "/coach/clients/{client}/delete"),
    ("post", "/coach/clients/{client}/delete"),
    ("get", "/coach/clients/{client}/enrol"),
    ("get", "/coach/events/{event}/enrol"),
    ("get", "/coach/clients/{client}/enrol/{event}"),
    ("post", "/coach/clients/{client}/enrol/{event}"),
    ("get", "/coach/enrolments"),
    ("get", "/coach/enrolments/{enrolment}"),
    ("post", "/coach/enrolments/{enrolment}/cancel"),
]


@pytest.fixture
def objects(coach, make_event):
    client_id = add_client(coach)
    event = make_event()
    enrolment = enrolment_services.enrol(
        event.id,
        Applicant(first_name="Matti", last_name="M", email=""),
        on_behalf=enrolment_services.OnBehalf(client_id, coach.id),
    )
    db.session.commit()
    return {"client": client_id, "event": event.id, "enrolment": enrolment.id}


def test_anonymous_is_sent_to_login(client, objects):
    for method, url in URLS:
        response = getattr(client, method)(url.format(**objects))
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login"), url
    assert record(objects["client"]) is not None and enrolments()[0].status == "confirmed"


def test_an_organiser_is_forbidden(client, objects, make_user):
    make_user("org@lab.example.fi", organiser=["lab"])
    login(client, "org@lab.example.fi")
    for method, url in URLS:
        assert getattr(client, method)(url.format(**objects)).status_code == 403, url
    assert record(objects["client"]) is not None and enrolments()[0].status == "confirmed"


def test_forms_need_the_csrf_token(app, as_coach, objects):
    app.config["WTF_CSRF_ENABLED"] = True
    response = as_coach.post("/coach/clients/new", data={"first_name": "A", "last_name": "B"})
    assert response.status_code == 400
    assert as_coach.post(f"/coach/enrolments/{objects['enrolment']}/cancel").status_code == 400
    assert as_coach.post(f"/coach/clients/{objects['client']}/delete").status_code == 400
    assert len(read(select(ClientRecord))) == 1 and enrolments()[0].status == "confirmed"
    page = text(as_coach.get("/coach/clients/new"))
    assert 'name="csrf_token"' in page


@pytest.fixture
def count_queries(app):
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", before)
    yield statements
    sa_event.remove(db.engine, "before_cursor_execute", before)


@pytest.mark.parametrize("path", ["/coach/", "/coach/enrolments"])
def test_lists_run_a_fixed_number_of_queries(as_coach, coach, make_event, count_queries, path):
    event = make_event(sessions=2)
    enrolment_id_of(enrol(as_coach, add_client(coach), event))
    as_coach.get(path)
    count_queries.clear()
    as_coach.get(path)
    few = len(count_queries)
    for i in range(6):
        enrolment_id_of(enrol(as_coach, add_client(coach, f"N{i}"), make_event(title=f"E{i}")))
    count_queries.clear()
    page = as_coach.get(path)
    assert page.status_code == 200 and "E5" in text(page)
    assert len(count_queries) == few, [s[:70] for s in count_queries]
    assert read(select(func.count()).select_from(Enrolment)) == [7]
