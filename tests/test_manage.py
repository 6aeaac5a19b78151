"""Organisers' screens: events created, edited, published, duplicated and cancelled through the
forms; enrolments approved, rejected, cancelled and moved up; messages; and who may do it."""

import re
from datetime import UTC, datetime, timedelta
from email import message_from_string
from email.policy import default
from html import unescape
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from eventsapp.enrolment import services as enrolment_services
from eventsapp.enrolment.services import Applicant, OnBehalf
from eventsapp.extensions import db
from eventsapp.mail.render import rendered
from eventsapp.models import Client, Enrolment, Event, OutboxMessage
from tests.conftest import login

HELSINKI = ZoneInfo("Europe/Helsinki")


# --- helpers -------------------------------------------------------------------------------


class FormFields(HTMLParser):
    """What a browser would send for the first <form method=post> with a given action (or the
    first post form): inputs, checked boxes and radios, textareas and selected options."""

    def __init__(self, action: str | None = None):
        super().__init__()
        self.action = action
        self.fields: list[tuple[str, str]] = []
        self.buttons: dict[str, str] = {}
        self._in_form = False
        self._done = False
        self._textarea: str | None = None
        self._select: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and not self._done and a.get("method") == "post":
            action = a.get("action")
            wanted = action != "/logout" if self.action is None else action == self.action
            self._in_form = wanted
            return
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind != "submit":
                self.fields.append((name, a.get("value", "")))
        elif tag == "button" and name:
            self.buttons.setdefault(name, a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None:
            self.fields.append(
                (self._textarea, unescape(self._text).removeprefix("\r\n").removeprefix("\n"))
            )
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form" and self._in_form:
            self._in_form, self._done = False, True


def form_of(html: str, action: str | None = None) -> dict:
    parser = FormFields(action)
    parser.feed(html)
    data: dict = {}
    for name, value in parser.fields:
        data.setdefault(name, []).append(value)
    return {name: values if len(values) > 1 else values[0] for name, values in data.items()}


def buttons_of(html: str, action: str | None = None) -> dict:
    parser = FormFields(action)
    parser.feed(html)
    return parser.buttons


def text(response) -> str:
    return response.get_data(as_text=True)


def fresh(model, ident, *options):
    """A row as the database holds it now, read in a session of its own."""
    with Session(db.engine) as session:
        stmt = select(model).where(model.id == ident).options(*options)
        return session.execute(stmt).scalar_one_or_none()


def load(event_id: int) -> Event | None:
    return fresh(Event, event_id, selectinload(Event.sessions), selectinload(Event.rules))


def outbox(kind: str | None = None) -> list[OutboxMessage]:
    with Session(db.engine) as session:
        stmt = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            stmt = stmt.where(OutboxMessage.kind == kind)
        return list(session.execute(stmt).scalars())


def parsed(row: OutboxMessage):
    return message_from_string(rendered(row), policy=default)


def calendar_of(row: OutboxMessage) -> str:
    """The message's calendar part, unfolded; "" if it has none."""
    parts = [p for p in parsed(row).walk() if p.get_content_type() == "text/calendar"]
    return parts[0].get_content().replace("\r\n ", "") if parts else ""


def plain_text(row: OutboxMessage) -> str:
    return parsed(row).get_body(("plain",)).get_content().replace("\r\n", "\n")


def events_count() -> int:
    with Session(db.engine) as session:
        return session.execute(select(func.count()).select_from(Event)).scalar_one()


def enrol(event, email, first="Matti", **facts) -> Enrolment:
    db.session.commit()
    enrolment = enrolment_services.enrol(
        event.id,
        Applicant(first_name=first, last_name="Meikäläinen", email=email, locale="en", **facts),
    )
    db.session.commit()
    return enrolment


def status_of(enrolment_id: int) -> str:
    return fresh(Enrolment, enrolment_id).status


def at_ten(days: int = 14) -> timedelta:
    """For make_event: the first session at 10.00-12.00 Helsinki time, `days` from today."""
    day = datetime.now(HELSINKI).date() + timedelta(days=days)
    start = datetime(day.year, day.month, day.day, 10, tzinfo=HELSINKI)
    return start - datetime.now(UTC) + timedelta(seconds=30)


def in_days(days: int) -> str:
    return (datetime.now(HELSINKI).date() + timedelta(days=days)).isoformat()


def new_event_form(catalogue, **overrides) -> dict:
    """A complete new-event form: two sessions and a rule of every kind."""
    data = {
        "title": "Työelämän digitaidot haltuun",
        "summary": "Digitaidot ja omat vahvuudet sanoiksi.",
        "description": "Kurssi **nuorille miehille**.",
        "organisation_id": str(catalogue["lab"].id),
        "category_id": str(catalogue["category"].id),
        "kind": "course",
        "attendance_mode": "hybrid",
        "language": ["fi", "en"],
        "target_group": "",
        "sessions-0-id": "",
        "sessions-0-date": in_days(30),
        "sessions-0-start": "17:00",
        "sessions-0-end": "19:00",
        "sessions-0-place": "Lahden pääkirjasto",
        "sessions-0-address": "Kirkkokatu 31, Lahti",
        "sessions-0-room": "Studio",
        "sessions-0-online_url": "https://meet.example.fi/digi",
        "sessions-1-id": "",
        "sessions-1-date": in_days(37),
        "sessions-1-start": "17:00",
        "sessions-1-end": "19:00",
        "sessions-1-place": "Lahden pääkirjasto",
        "sessions-1-address": "",
        "sessions-1-room": "",
        "sessions-1-online_url": "",
        "capacity": "12",
        "waitlist_enabled": "y",
        "waitlist_cap": "5",
        "enrol_opens_at": "",
        "enrol_closes_at": f"{in_days(29)}T16:00",
        "rules-0-id": "",
        "rules-0-kind": "age",
        "rules-0-strict": "strict",
        "rules-0-min_age": "18",
        "rules-0-max_age": "29",
        "rules-0-text": "18–29-vuotiaat",
        "rules-1-id": "",
        "rules-1-kind": "gender",
        "rules-1-strict": "soft",
        "rules-1-genders": "male",
        "rules-1-text": "",
        "rules-2-id": "",
        "rules-2-kind": "municipality",
        "rules-2-strict": "strict",
        "rules-2-lahti_region": "y",
        "rules-2-municipalities": "Kouvola",
        "rules-2-text": "",
        "rules-3-id": "",
        "rules-3-kind": "employment_status",
        "rules-3-strict": "soft",
        "rules-3-statuses": ["unemployed", "laid_off"],
        "rules-3-text": "",
        "rules-4-id": "",
        "rules-4-kind": "question",
        "rules-4-strict": "soft",
        "rules-4-question": "Oletko työllisyyskokeilun asiakas?",
        "rules-4-required_answer": "yes",
        "new_rule_kind": "age",
        "contact_name": "Kati Ojala",
        "contact_email": "kati@lab.fi",
        "contact_phone": "040 123 4567",
        "accessibility": "Esteetön sisäänkäynti.",
        "what_to_bring": "Oma puhelin.",
        "save": "1",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def organiser(client, make_user):
    make_user("kati@lab.fi", name="Kati Ojala", organiser=["lab"])
    login(client, "kati@lab.fi")
    client.get("/?lang=en")  # the pages in English from here on
    return client


def created_id(response) -> int:
    assert response.status_code == 303, text(response)[:3000]
    match = re.search(r"/manage/events/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


# --- creating, editing, publishing -----------------------------------------------------------


def test_create_with_sessions_and_rules_then_publish(organiser, catalogue):
    page = organiser.get("/manage/events/new")
    assert page.status_code == 200
    assert 'name="sessions-0-date"' in text(page)

    response = organiser.post("/manage/events/new", data=new_event_form(catalogue))
    event_id = created_id(response)
    event = load(event_id)
    assert (event.status, event.title, event.kind) == (
        "draft",
        "Työelämän digitaidot haltuun",
        "course",
    )
    assert (event.capacity, event.waitlist_enabled, event.waitlist_cap) == (12, True, 5)
    assert event.language == "fi,en" and event.attendance_mode == "hybrid"
    assert event.organisation_id == catalogue["lab"].id
    # Entered in Helsinki time, stored as UTC: 17:00 in summer or winter time.
    first = event.sessions[0]
    local = first.starts_at.astimezone(HELSINKI)
    assert (local.hour, local.minute) == (17, 0) and first.starts_at.tzinfo is not None
    assert first.starts_at.astimezone(UTC).hour in (14, 15)
    assert (first.place, first.room, first.online_url) == (
        "Lahden pääkirjasto",
        "Studio",
        "https://meet.example.fi/digi",
    )
    assert len(event.sessions) == 2
    assert event.enrol_closes_at.astimezone(HELSINKI).hour == 16
    rules = {rule.kind: rule for rule in event.rules}
    assert [rule.kind for rule in event.rules] == [
        "age",
        "gender",
        "municipality",
        "employment_status",
        "question",
    ]
    assert (rules["age"].min_age, rules["age"].max_age, rules["age"].strict) == (18, 29, True)
    assert rules["age"].text == "18–29-vuotiaat"
    assert (rules["gender"].allowed, rules["gender"].strict) == (["male"], False)
    assert "286" in rules["municipality"].allowed and "398" in rules["municipality"].allowed
    assert len(rules["municipality"].allowed) == 11
    assert sorted(rules["employment_status"].allowed) == ["laid_off", "unemployed"]
    assert rules["question"].required_answer is True
    assert rules["question"].text == "Oletko työllisyyskokeilun asiakas?"

    assert "Työelämän digitaidot haltuun" not in text(organiser.get("/"))  # a draft
    page = text(organiser.get(f"/manage/events/{event_id}"))
    assert "Draft" in page and f'action="/manage/events/{event_id}/publish"' in page

    response = organiser.post(f"/manage/events/{event_id}/publish")
    assert response.status_code == 303
    assert load(event_id).status == "published"
    assert "Työelämän digitaidot haltuun" in text(organiser.get("/"))
    assert organiser.get(f"/events/{event_id}").status_code == 200


def test_publishing_needs_a_session(organiser, catalogue):
    form = {k: v for k, v in new_event_form(catalogue).items() if not k.startswith("sessions-")}
    event_id = created_id(organiser.post("/manage/events/new", data=form))
    assert load(event_id).sessions == []
    response = organiser.post(f"/manage/events/{event_id}/publish", follow_redirects=True)
    assert "Add at least one session before publishing" in text(response)
    assert load(event_id).status == "draft"


def test_edit_round_trips_unchanged_then_saves_changes(organiser, make_event):
    event = make_event(
        starts_in=at_ten(),
        sessions=2,
        capacity=8,
        rules=[
            {"kind": "municipality", "allowed": sorted(["398", "098", "286"]), "strict": True},
            {"kind": "question", "required_answer": False, "text": "Käytkö koulua?"},
        ],
    )
    rule_ids = [rule.id for rule in event.rules]
    page = text(organiser.get(f"/manage/events/{event.id}/edit"))
    form = form_of(page)
    assert form["rules-0-municipalities"] in ("Hollola, Kouvola, Lahti", "Kouvola, Hollola, Lahti")
    assert form["title"] == event.title

    response = organiser.post(f"/manage/events/{event.id}/edit", data={**form, "save": "1"})
    assert response.status_code == 303, text(response)[:3000]
    same = load(event.id)
    assert [(s.id, s.starts_at, s.ends_at, s.place) for s in same.sessions] == [
        (s.id, s.starts_at, s.ends_at, s.place) for s in event.sessions
    ]
    assert [rule.id for rule in same.rules] == rule_ids  # kept: answers refer to them
    assert sorted(same.rules[0].allowed) == ["098", "286", "398"]
    assert same.rules[1].required_answer is False

    form.update(title="Miestämö: syksyn kampustutustuminen", capacity="10", summary="Uusi")
    form["rules-1-required_answer"] = "yes"
    response = organiser.post(f"/manage/events/{event.id}/edit", data={**form, "save": "1"})
    assert response.status_code == 303
    changed = load(event.id)
    assert (changed.title, changed.capacity, changed.summary) == (
        "Miestämö: syksyn kampustutustuminen",
        10,
        "Uusi",
    )
    assert changed.slug == "miestamo-syksyn-kampustutustuminen"
    assert changed.rules[1].required_answer is True and changed.rules[1].id == rule_ids[1]
    assert outbox() == []  # nobody enrolled, nothing to tell


def test_invalid_input_gets_messages_beside_the_fields_and_loses_nothing(organiser, catalogue):
    form = new_event_form(
        catalogue,
        title="",
        capacity="-1",
        waitlist_cap="-2",
        enrol_opens_at=f"{in_days(20)}T09:00",
        enrol_closes_at=f"{in_days(10)}T09:00",
        **{
            "sessions-0-end": "16:00",
            "sessions-1-date": "31.2.2030",
            "sessions-1-place": "",
            "sessions-0-online_url": "meet.example.fi",
            "rules-0-min_age": "30",
            "rules-0-max_age": "18",
            "rules-2-municipalities": "Kouvola, Atlantis, <i>Oz</i>",
            "rules-4-question": "",
        },
    )
    response = organiser.post("/manage/events/new", data=form)
    assert response.status_code == 200
    page = text(response)
    assert events_count() == 0
    assert 'class="error-summary"' in page
    for message in (
        "Enter the title.",
        "Enter 0 or more seats.",
        "Enter 0 or more places.",
        "Enrolment must close after it opens.",
        "The session must end after it starts.",
        "Enter the date as year-month-day",
        "Enter the place, or choose online attendance.",
        "Enter a web address that starts with https://.",
        "The oldest age cannot be below the youngest.",
        "Unknown municipality: Atlantis, &lt;i&gt;Oz&lt;/i&gt;.",
        "Write the question.",
    ):
        assert message in page, message
    assert "<i>Oz</i>" not in page  # what was typed is escaped, also in the messages
    # each message sits beside its field and the summary links to it
    assert 'id="sessions-0-end-error"' in page and 'href="#sessions-0-end"' in page
    assert 'id="rules-0-max_age-error"' in page and 'aria-invalid="true"' in page
    # nothing typed is lost
    kept = form_of(page)
    for name in ("summary", "sessions-0-place", "sessions-1-date", "rules-2-municipalities"):
        assert kept[name] == form[name], name
    assert kept["capacity"] == "-1" and kept["rules-1-genders"] == "male"
    assert kept["rules-3-statuses"] == ["unemployed", "laid_off"]
    assert kept["description"] == form["description"]


def test_add_and_remove_buttons_rerender_the_form_without_saving(organiser, catalogue):
    form = new_event_form(catalogue)
    form.pop("save")
    response = organiser.post("/manage/events/new", data={**form, "add_session": "1"})
    page = text(response)
    assert response.status_code == 200 and events_count() == 0
    assert "error-summary" not in page
    kept = form_of(page)
    assert kept["sessions-2-place"] == "Lahden pääkirjasto"  # copied from the last session
    assert kept["sessions-2-start"] == "17:00" and kept["sessions-2-date"] == ""

    response = organiser.post("/manage/events/new", data={**form, "remove_session": "0"})
    kept = form_of(text(response))
    assert "sessions-1-date" not in kept
    assert kept["sessions-0-date"] == form["sessions-1-date"]  # the second moved up

    response = organiser.post(
        "/manage/events/new", data={**form, "add_rule": "1", "new_rule_kind": "question"}
    )
    page = text(response)
    assert 'name="rules-5-question"' in page and 'name="rules-5-min_age"' not in page
    response = organiser.post("/manage/events/new", data={**form, "remove_rule": "1"})
    kept = form_of(text(response))
    assert kept["rules-1-kind"] == "municipality" and "rules-4-kind" not in kept
    assert events_count() == 0


def test_description_preview_renders_markdown_safely(organiser, catalogue):
    form = new_event_form(
        catalogue, description="Tervetuloa **kampukselle**!\n\n<script>alert(1)</script>"
    )
    form.pop("save")
    response = organiser.post("/manage/events/new", data={**form, "preview_description": "1"})
    page = text(response)
    assert "<strong>kampukselle</strong>" in page
    assert "<script>alert(1)</script>" not in page
    assert events_count() == 0


def test_preview_shows_a_draft_that_the_public_cannot_see(organiser, make_event):
    event = make_event(status="draft", description="Tule tutustumaan **LAB**-kampukseen.")
    response = organiser.get(f"/manage/events/{event.id}/preview")
    assert response.status_code == 200
    page = text(response)
    assert event.title in page and "<strong>LAB</strong>" in page
    assert "It is a draft" in page
    assert organiser.get(f"/events/{event.id}").status_code == 404


def test_unpublish_hides_the_event_from_the_calendar(organiser, make_event):
    event = make_event(title="Miestämö: kesäkuun kampustutustuminen")
    assert event.title in text(organiser.get("/"))
    response = organiser.post(f"/manage/events/{event.id}/unpublish")
    assert response.status_code == 303
    assert load(event.id).status == "draft"
    assert event.title not in text(organiser.get("/"))
    assert organiser.get(f"/events/{event.id}").status_code == 404


def test_duplicate_makes_a_draft_copy_with_sessions_and_rules(organiser, make_event):
    event = make_event(
        sessions=3,
        rules=[{"kind": "age", "min_age": 18, "max_age": 29, "text": "18–29"}],
        summary="Kurssi",
    )
    response = organiser.post(f"/manage/events/{event.id}/duplicate")
    assert response.status_code == 303
    match = re.fullmatch(r".*/manage/events/(\d+)/edit", response.headers["Location"])
    assert match
    copy = load(int(match.group(1)))
    assert copy.id != event.id and copy.status == "draft"
    assert copy.title == f"Copy of {event.title}"
    assert copy.summary == "Kurssi" and copy.capacity == event.capacity
    assert [(s.starts_at, s.place) for s in copy.sessions] == [
        (s.starts_at, s.place) for s in event.sessions
    ]
    assert {s.id for s in copy.sessions}.isdisjoint({s.id for s in event.sessions})
    assert [(r.kind, r.min_age, r.max_age, r.text) for r in copy.rules] == [
        ("age", 18, 29, "18–29")
    ]
    assert len(load(event.id).sessions) == 3 and load(event.id).status == "published"
    assert organiser.get(response.headers["Location"]).status_code == 200


# --- changes that notify people ----------------------------------------------------------------


def test_cancel_event_says_how_many_then_notifies_them(organiser, make_event):
    event = make_event(sessions=2, capacity=1)
    enrol(event, "a@example.fi")
    enrol(event, "b@example.fi")  # waitlisted
    before = len(outbox())
    page = text(organiser.get(f"/manage/events/{event.id}/cancel"))
    assert "2 people will be notified." in page
    assert load(event.id).status == "published" and len(outbox()) == before  # GET changes nothing

    response = organiser.post(f"/manage/events/{event.id}/cancel")
    assert response.status_code == 303
    assert load(event.id).status == "cancelled"
    messages = outbox()[before:]
    cancels = [m for m in messages if "METHOD:CANCEL" in calendar_of(m)]
    assert {m.to_address for m in cancels} == {"a@example.fi"}
    assert len(cancels) == 2  # one per session in a@'s calendar
    assert sorted(m.to_address for m in messages if m.kind == "event_cancelled") == [
        "a@example.fi",
        "b@example.fi",
    ]
    assert "has been cancelled" in text(organiser.get(f"/events/{event.id}"))
    assert organiser.get(f"/manage/events/{event.id}/edit").status_code == 303


def test_moving_a_session_asks_for_confirmation_then_sends_updates(organiser, make_event):
    event = make_event(starts_in=at_ten(), sessions=2, capacity=5)
    enrol(event, "a@example.fi")
    enrol(event, "b@example.fi")
    second = event.sessions[1]
    before = len(outbox())
    form = form_of(text(organiser.get(f"/manage/events/{event.id}/edit")))
    form["sessions-1-start"] = "09:00"
    form["sessions-1-end"] = "11:30"
    form["sessions-1-place"] = "LAB-kampus, Mukkulankatu 19"

    response = organiser.post(f"/manage/events/{event.id}/edit", data={**form, "save": "1"})
    assert response.status_code == 200
    page = text(response)
    assert "2 people will get an updated calendar invitation." in page
    assert fresh(type(second), second.id).starts_at == second.starts_at  # not saved yet
    assert len(outbox()) == before
    confirm = buttons_of(page)["confirm"]
    assert confirm

    kept = form_of(page)
    assert kept["sessions-1-place"] == "LAB-kampus, Mukkulankatu 19"
    response = organiser.post(f"/manage/events/{event.id}/edit", data={**kept, "confirm": confirm})
    assert response.status_code == 303
    moved = fresh(type(second), second.id)
    local = moved.starts_at.astimezone(HELSINKI)
    assert (local.date(), local.hour) == (second.starts_at.astimezone(HELSINKI).date(), 9)
    assert moved.place == "LAB-kampus, Mukkulankatu 19"
    updates = outbox("session_changed")
    assert sorted(m.to_address for m in updates) == ["a@example.fi", "b@example.fi"]
    for message in updates:
        calendar = calendar_of(message)
        assert "METHOD:REQUEST" in calendar and "SEQUENCE:1" in calendar
        assert "Mukkulankatu 19" in calendar
    assert len(outbox()) == before + 2
    assert fresh(type(event.sessions[0]), event.sessions[0].id).starts_at == (
        event.sessions[0].starts_at
    )


def test_a_stale_confirmation_asks_again(organiser, make_event):
    event = make_event(starts_in=at_ten(), sessions=1, capacity=5)
    enrol(event, "a@example.fi")
    form = form_of(text(organiser.get(f"/manage/events/{event.id}/edit")))
    form["sessions-0-start"] = "08:00"
    page = text(organiser.post(f"/manage/events/{event.id}/edit", data={**form, "save": "1"}))
    assert "1 person will get an updated calendar invitation." in page
    enrol(event, "b@example.fi")  # meanwhile someone else enrols: two would be told now
    response = organiser.post(
        f"/manage/events/{event.id}/edit", data={**form, "confirm": buttons_of(page)["confirm"]}
    )
    assert response.status_code == 200
    assert "2 people will get an updated calendar invitation." in text(response)
    assert outbox("session_changed") == []


def test_removing_a_held_session_asks_then_sends_a_cancel(organiser, make_event):
    event = make_event(starts_in=at_ten(), sessions=3, capacity=5)
    enrol(event, "a@example.fi")
    third = event.sessions[2]
    form = form_of(text(organiser.get(f"/manage/events/{event.id}/edit")))
    page = text(
        organiser.post(f"/manage/events/{event.id}/edit", data={**form, "remove_session": "2"})
    )
    form = form_of(page)
    assert "sessions-2-date" not in form
    page = text(organiser.post(f"/manage/events/{event.id}/edit", data={**form, "save": "1"}))
    assert "1 person will get a cancellation for a removed session." in page
    assert len(load(event.id).sessions) == 3
    response = organiser.post(
        f"/manage/events/{event.id}/edit", data={**form, "confirm": buttons_of(page)["confirm"]}
    )
    assert response.status_code == 303
    assert [s.id for s in load(event.id).sessions] == [s.id for s in event.sessions[:2]]
    [cancel] = outbox("session_cancelled")
    assert cancel.to_address == "a@example.fi" and "METHOD:CANCEL" in calendar_of(cancel)
    assert fresh(type(third), third.id) is None


def test_a_new_session_invites_those_confirmed(organiser, make_event):
    event = make_event(starts_in=at_ten(), sessions=1, capacity=1)
    enrol(event, "a@example.fi")
    enrol(event, "b@example.fi")  # waitlisted: no invitation
    form = form_of(text(organiser.get(f"/manage/events/{event.id}/edit")))
    page = text(
        organiser.post(f"/manage/events/{event.id}/edit", data={**form, "add_session": "1"})
    )
    form = form_of(page)
    form["sessions-1-date"] = in_days(40)
    page = text(organiser.post(f"/manage/events/{event.id}/edit", data={**form, "save": "1"}))
    assert "1 person will get a calendar invitation for the new session." in page
    response = organiser.post(
        f"/manage/events/{event.id}/edit", data={**form, "confirm": buttons_of(page)["confirm"]}
    )
    assert response.status_code == 303
    assert len(load(event.id).sessions) == 2
    [invitation] = outbox("invitation")
    assert invitation.to_address == "a@example.fi" and "METHOD:REQUEST" in calendar_of(invitation)


def test_raising_the_capacity_promotes_from_the_waiting_list_at_once(organiser, make_event):
    event = make_event(starts_in=at_ten(), capacity=1)
    first = enrol(event, "a@example.fi")
    second = enrol(event, "b@example.fi")
    third = enrol(event, "c@example.fi")
    assert [status_of(e.id) for e in (first, second, third)] == [
        "confirmed",
        "waitlisted",
        "waitlisted",
    ]
    form = form_of(text(organiser.get(f"/manage/events/{event.id}/edit")))
    form["capacity"] = "2"
    response = organiser.post(
        f"/manage/events/{event.id}/edit", data={**form, "save": "1"}, follow_redirects=True
    )
    assert "1 person got a seat from the waiting list." in text(response)
    assert status_of(second.id) == "confirmed" and status_of(third.id) == "waitlisted"
    assert [m.to_address for m in outbox("confirmed")][-1] == "b@example.fi"


# --- enrolments -----------------------------------------------------------------------------


def test_pending_enrolments_show_why_and_are_approved_or_rejected_with_a_message(
    organiser, make_event
):
    event = make_event(capacity=5, rules=[{"kind": "gender", "strict": False, "allowed": ["male"]}])
    anna = enrol(event, "anna@example.fi", first="Anna", gender="female")
    liisa = enrol(event, "liisa@example.fi", first="Liisa", gender="female")
    assert status_of(anna.id) == "pending"

    page = text(organiser.get(f"/manage/events/{event.id}?shown=pending"))
    assert "Anna Meikäläinen" in page and "Why it waits for review" in page
    assert "This event is mainly meant for men." in page
    assert "To review (2)" in page

    response = organiser.post(
        f"/manage/enrolments/{anna.id}/approve", data={"message": "Tervetuloa mukaan!"}
    )
    assert response.status_code == 303
    approved = fresh(Enrolment, anna.id)
    assert (approved.status, approved.staff_message) == ("confirmed", "Tervetuloa mukaan!")
    assert [m.to_address for m in outbox("confirmed")] == ["anna@example.fi"]

    response = organiser.post(
        f"/manage/enrolments/{liisa.id}/reject", data={"message": "Kurssi on miehille."}
    )
    assert response.status_code == 303
    rejected = fresh(Enrolment, liisa.id)
    assert (rejected.status, rejected.staff_message) == ("rejected", "Kurssi on miehille.")
    assert [m.to_address for m in outbox("rejected")] == ["liisa@example.fi"]

    # A second click finds it handled: nothing changes, and the organiser is told.
    response = organiser.post(f"/manage/enrolments/{liisa.id}/approve", follow_redirects=True)
    assert "already been handled" in text(response)
    assert status_of(liisa.id) == "rejected"


def test_list_shows_coach_and_override_justification(organiser, make_event, make_user):
    coach = make_user("valmentaja@example.fi", name="Ville Valmentaja", coach=["ohjaamo"])
    event = make_event(capacity=5, rules=[{"kind": "gender", "strict": False, "allowed": ["male"]}])
    client_row = Client(coach_id=coach.id, first_name="Sanna", last_name="Asiakas")
    db.session.add(client_row)
    db.session.commit()
    enrolment_services.enrol(
        event.id,
        Applicant(first_name="Sanna", last_name="Asiakas", email="", gender="female"),
        on_behalf=OnBehalf(client_row.id, coach.id, "Hyötyy kurssista, sovittu Katin kanssa."),
    )
    db.session.commit()
    page = text(organiser.get(f"/manage/events/{event.id}"))
    assert "Sanna Asiakas" in page
    assert "by the coach Ville Valmentaja" in page
    assert "Hyötyy kurssista, sovittu Katin kanssa." in page


def test_cancelling_one_enrolment_gives_the_seat_to_the_next(organiser, make_event):
    event = make_event(capacity=1)
    first = enrol(event, "a@example.fi")
    second = enrol(event, "b@example.fi")
    page = text(organiser.get(f"/manage/enrolments/{first.id}/cancel"))
    assert "Cancel the enrolment of Matti Meikäläinen?" in page
    assert status_of(first.id) == "confirmed"  # asking changes nothing

    response = organiser.post(f"/manage/enrolments/{first.id}/cancel")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/manage/events/{event.id}")
    assert (status_of(first.id), status_of(second.id)) == ("cancelled", "confirmed")
    assert [m.to_address for m in outbox("cancelled")] == ["a@example.fi"]
    assert [m.to_address for m in outbox("confirmed")][-1] == "b@example.fi"


def test_manual_promote_warns_when_it_goes_over_capacity(organiser, make_event):
    event = make_event(capacity=1)
    enrol(event, "a@example.fi")
    second = enrol(event, "b@example.fi")
    third = enrol(event, "c@example.fi")

    response = organiser.post(f"/manage/enrolments/{third.id}/promote")
    assert response.status_code == 200
    page = text(response)
    assert "The event is full: 1 confirmed for 1 seats." in page
    assert status_of(third.id) == "waitlisted"

    response = organiser.post(
        f"/manage/enrolments/{third.id}/promote",
        data={"confirm": buttons_of(page)["confirm"]},
        follow_redirects=True,
    )
    assert "2 confirmed for 1 seats" in text(response)
    assert (status_of(second.id), status_of(third.id)) == ("waitlisted", "confirmed")
    assert [m.to_address for m in outbox("confirmed")][-1] == "c@example.fi"
    assert "over the capacity" in text(organiser.get(f"/manage/events/{event.id}"))

    response = organiser.post(f"/manage/enrolments/{third.id}/promote", follow_redirects=True)
    assert "Only someone on the waiting list can be moved up." in text(response)


def test_manual_promote_with_a_free_seat_needs_no_confirmation(organiser, make_event):
    event = make_event(capacity=1, waitlist_enabled=True)
    first = enrol(event, "a@example.fi")
    second = enrol(event, "b@example.fi")
    with Session(db.engine) as session:  # a seat frees up without promotion (e.g. by an edit)
        session.get(Event, event.id).capacity = 2
        session.commit()
    response = organiser.post(f"/manage/enrolments/{second.id}/promote")
    assert response.status_code == 303
    assert (status_of(first.id), status_of(second.id)) == ("confirmed", "confirmed")


def test_message_to_everyone_confirmed_queues_one_mail_each(organiser, make_event, make_user):
    coach = make_user("valmentaja@example.fi", name="Ville Valmentaja", coach=["ohjaamo"])
    event = make_event(capacity=3)
    enrol(event, "a@example.fi")
    enrol(event, "b@example.fi")
    client_row = Client(coach_id=coach.id, first_name="Sanna", last_name="Asiakas")
    db.session.add(client_row)
    db.session.commit()
    enrolment_services.enrol(
        event.id,
        Applicant(first_name="Sanna", last_name="Asiakas", email="", locale="en"),
        on_behalf=OnBehalf(client_row.id, coach.id),
    )
    db.session.commit()
    enrol(event, "waiting@example.fi")
    before = len(outbox())

    page = text(organiser.get(f"/manage/events/{event.id}/message"))
    assert "3 people are confirmed." in page and "1 person is on the waiting list." in page
    response = organiser.post(
        f"/manage/events/{event.id}/message",
        data={
            "group": "confirmed",
            "subject": "Huomenna nähdään",
            "body": "Ovet aukeavat klo 16.45.\n\nTervetuloa!",
        },
    )
    assert response.status_code == 303
    messages = outbox("message")
    assert len(outbox()) == before + 3
    assert sorted(m.to_address for m in messages) == [
        "a@example.fi",
        "b@example.fi",
        "valmentaja@example.fi",  # the client has no email: the coach gets it
    ]
    for message in messages:
        assert message.subject == "Huomenna nähdään"
        body = plain_text(message)
        assert "Ovet aukeavat klo 16.45.\n\nTervetuloa!" in body
        assert "A message from the organiser of" in body


def test_message_needs_a_subject_and_a_body(organiser, make_event):
    event = make_event()
    enrol(event, "a@example.fi")
    response = organiser.post(
        f"/manage/events/{event.id}/message", data={"group": "confirmed", "subject": "", "body": ""}
    )
    assert response.status_code == 200
    assert "Enter the subject." in text(response) and "Write the message." in text(response)
    assert outbox("message") == []


# --- who may ----------------------------------------------------------------------------------


def test_an_organiser_of_another_organisation_gets_404_everywhere(client, make_user, make_event):
    event = make_event(capacity=1)
    confirmed = enrol(event, "a@example.fi")
    waiting = enrol(event, "b@example.fi")
    make_user("olli@ohjaamo.fi", organiser=["ohjaamo"])
    login(client, "olli@ohjaamo.fi")
    before = len(outbox())

    assert event.title not in text(client.get("/manage/"))
    for path in ("", "/edit", "/preview", "/cancel", "/message"):
        assert client.get(f"/manage/events/{event.id}{path}").status_code == 404, path
    for path in ("/edit", "/publish", "/unpublish", "/duplicate", "/cancel", "/message"):
        assert client.post(f"/manage/events/{event.id}{path}").status_code == 404, path
    for action in ("approve", "reject", "cancel", "promote"):
        assert client.post(f"/manage/enrolments/{waiting.id}/{action}").status_code == 404
    assert client.get(f"/manage/enrolments/{confirmed.id}/cancel").status_code == 404
    assert client.get("/manage/events/999999").status_code == 404

    assert (load(event.id).status, events_count(), len(outbox())) == ("published", 1, before)
    assert (status_of(confirmed.id), status_of(waiting.id)) == ("confirmed", "waitlisted")


def test_an_organiser_cannot_create_an_event_for_another_organisation(client, make_user, catalogue):
    make_user("olli@ohjaamo.fi", organiser=["ohjaamo"])
    login(client, "olli@ohjaamo.fi")
    response = client.post("/manage/events/new", data=new_event_form(catalogue))
    assert response.status_code == 200 and events_count() == 0
    page = text(client.get("/manage/events/new"))
    assert "Ohjaamo Lahti" in page and "LAB-ammattikorkeakoulu" not in page


def test_a_coach_gets_403_and_anonymous_is_sent_to_login(client, make_user, make_event):
    event = make_event()
    response = client.get("/manage/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post(f"/manage/events/{event.id}/cancel")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    make_user("valmentaja@example.fi", coach=["lab"])
    login(client, "valmentaja@example.fi")
    assert client.get("/manage/").status_code == 403
    assert client.get(f"/manage/events/{event.id}").status_code == 403
    assert client.post(f"/manage/events/{event.id}/cancel").status_code == 403
    assert load(event.id).status == "published"


def test_the_list_shows_own_events_with_counts(organiser, make_event, make_user):
    lab = make_event(title="Miestämö: kampustutustuminen", capacity=1)
    make_event(title="Ohjaamon digikurssi", organisation="ohjaamo")
    make_event(title="Luonnos", status="draft")
    make_event(title="Mennyt tapahtuma", starts_in=timedelta(days=-30))
    enrol(lab, "a@example.fi")
    enrol(lab, "b@example.fi")
    page = text(organiser.get("/manage/"))
    assert "Miestämö: kampustutustuminen" in page and "Luonnos" in page
    assert "Ohjaamon digikurssi" not in page and "Mennyt tapahtuma" not in page
    assert "1 of 1" in page and 'href="/manage/events/new"' in page
    past = text(organiser.get("/manage/?period=past"))
    assert "Mennyt tapahtuma" in past and "Luonnos" not in past
    drafts = text(organiser.get("/manage/?status=draft"))
    assert "Luonnos" in drafts and "Miestämö: kampustutustuminen" not in drafts


def test_the_coordinator_manages_every_organisation(client, make_user, make_event):
    event = make_event(organisation="ohjaamo", title="Ohjaamon digikurssi")
    make_user("dila@example.fi", coordinator=True)
    login(client, "dila@example.fi")
    assert "Ohjaamon digikurssi" in text(client.get("/manage/"))
    assert client.get(f"/manage/events/{event.id}").status_code == 200
    assert client.post(f"/manage/events/{event.id}/unpublish").status_code == 303
    assert load(event.id).status == "draft"


def test_every_form_carries_a_csrf_token(organiser, app, make_event):
    event = make_event(
        starts_in=at_ten(),
        capacity=1,
        rules=[{"kind": "gender", "strict": False, "allowed": ["male"]}],
    )
    enrol(event, "a@example.fi", gender="male")
    enrol(event, "b@example.fi", gender="male")
    enrol(event, "c@example.fi", gender="female")
    app.config["WTF_CSRF_ENABLED"] = True  # as in production
    page = text(organiser.get(f"/manage/events/{event.id}"))
    forms = re.findall(r'(?s)<form method="post".*?</form>', page)
    assert len(forms) == 5  # log out, unpublish, duplicate, accept/reject, give a seat
    assert all('name="csrf_token"' in form for form in forms)
    assert organiser.post(f"/manage/events/{event.id}/unpublish").status_code == 400
    assert load(event.id).status == "published"
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = organiser.post(f"/manage/events/{event.id}/unpublish", data={"csrf_token": token})
    assert response.status_code == 303 and load(event.id).status == "draft"

    form = form_of(text(organiser.get(f"/manage/events/{event.id}/edit")))
    assert form["csrf_token"]
    form["title"] = "Uusi nimi"
    response = organiser.post(f"/manage/events/{event.id}/edit", data={**form, "save": "1"})
    assert response.status_code == 303 and load(event.id).title == "Uusi nimi"
    for path in ("/message", "/cancel"):
        html = text(organiser.get(f"/manage/events/{event.id}{path}"))
        assert 'name="csrf_token"' in html, path


def test_names_in_messages_are_escaped(organiser, make_event):
    event = make_event(capacity=1)
    enrol(event, "a@example.fi")
    waiting = enrol(event, "b@example.fi", first="<b>Bold</b>")
    response = organiser.post(
        f"/manage/enrolments/{waiting.id}/promote",
        data={"confirm": "over_capacity"},
        follow_redirects=True,
    )
    page = text(response)
    assert "&lt;b&gt;Bold&lt;/b&gt; Meikäläinen has a seat" in page
    assert "<b>Bold</b>" not in page


def test_list_pages_run_a_fixed_number_of_queries(organiser, make_event):
    from sqlalchemy import event as sa_event

    def queries(path: str) -> int:
        count = 0

        def count_one(*_args):
            nonlocal count
            count += 1

        sa_event.listen(db.engine, "before_cursor_execute", count_one)
        try:
            assert organiser.get(path).status_code == 200
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", count_one)
        return count

    first = make_event(capacity=2, sessions=2)
    enrol(first, "a@example.fi")
    few = queries("/manage/"), queries(f"/manage/events/{first.id}?shown=all")
    for number in range(4):
        other = make_event(title=f"Tapahtuma {number}", sessions=3)
        enrol(other, f"x{number}@example.fi")
    for number in range(5):
        enrol(first, f"p{number}@example.fi")
    assert (queries("/manage/"), queries(f"/manage/events/{first.id}?shown=all")) == few
