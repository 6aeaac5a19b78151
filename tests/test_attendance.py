"""Attendance at the door: one person at a time, many at once, a mark changed or cleared; who
may see and mark it; the coach's view of a client's attendance; the list on a 360 px phone.

Each test asserts both what the database holds afterwards (read in a session of its own) and
what the page shows."""

import re
from datetime import UTC, datetime, timedelta
from html import unescape
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from eventsapp.attendance import services
from eventsapp.attendance.services import AttendanceError, Summary
from eventsapp.extensions import db
from eventsapp.models import Attendance, Client, Enrolment, EventSession
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, login

HELD = timedelta(hours=-1)  # make_event(starts_in=HELD): a session that began an hour ago


# --- helpers ---------------------------------------------------------------------------------


class Forms(HTMLParser):
    """Every <form method=post> of a page as a browser would send it: its hidden fields, its
    submit buttons, radios and checkboxes, with those elsewhere that name it by form="…"."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.by_id: dict[str, dict] = {}
        self._current: dict | None = None
        self._row: str | None = None  # the id of the <li> we are in
        self._elsewhere: list[tuple[str, str, tuple[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "li" and a.get("id", "").startswith("enrolment-"):
            self._row = a["id"]
        if tag == "form" and a.get("method") == "post":
            self._current = {"action": a.get("action"), "row": self._row, "id": a.get("id")}
            for kind in ("fields", "buttons", "radios", "boxes"):
                self._current[kind] = []
            self.forms.append(self._current)
            return
        if tag not in ("input", "button") or not a.get("name"):
            return
        kind = a.get("type", "submit" if tag == "button" else "text")
        kind = {"submit": "buttons", "radio": "radios", "checkbox": "boxes"}.get(kind, "fields")
        pair = (a["name"], a.get("value", ""))
        if a.get("form"):
            self._elsewhere.append((a["form"], kind, pair))
        elif self._current is not None:
            self._current[kind].append(pair)

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None
        elif tag == "li":
            self._row = None

    def close(self):
        super().close()
        self.by_id = {form["id"]: form for form in self.forms if form["id"]}
        for form_id, kind, pair in self._elsewhere:
            self.by_id[form_id][kind].append(pair)


def forms_of(html: str) -> Forms:
    parser = Forms()
    parser.feed(html)
    parser.close()
    return parser


def row_form(html: str, enrolment_id: int) -> dict:
    [form] = [f for f in forms_of(html).forms if f["row"] == f"enrolment-{enrolment_id}"]
    return form


def submit(http, form: dict, button: tuple[str, str] | None = None, **extra):
    data: dict[str, list[str]] = {}
    for name, value in form["fields"]:
        data.setdefault(name, []).append(value)
    if button:
        assert button in form["buttons"], (button, form["buttons"])
        data[button[0]] = [button[1]]
    for name, value in extra.items():
        data[name] = value if isinstance(value, list) else [value]
    return http.post(form["action"], data=data)


def text(response) -> str:
    return response.get_data(as_text=True)


def visible(html: str) -> str:
    """The page's text, without tags, entities decoded, whitespace collapsed."""
    html = re.sub(r"(?s)<(script|style|head)\b.*?</\1>", " ", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def marks(session_id: int | None = None) -> dict[int, str]:
    """enrolment id -> status, as the database holds it now."""
    stmt = select(Attendance)
    if session_id is not None:
        stmt = stmt.where(Attendance.session_id == session_id)
    with Session(db.engine) as s:
        return {m.enrolment_id: m.status for m in s.execute(stmt).scalars()}


def mark_row(enrolment_id: int, session_id: int) -> Attendance | None:
    stmt = select(Attendance).where(
        Attendance.enrolment_id == enrolment_id, Attendance.session_id == session_id
    )
    with Session(db.engine) as s:
        return s.execute(stmt).scalar_one_or_none()


def person(event, first, last="Meikäläinen", status="confirmed", **fields) -> Enrolment:
    """An enrolment as it stands on the day (written directly: the window has closed)."""
    db.session.commit()
    enrolment = Enrolment(
        event_id=event.id,
        status=status,
        first_name=first,
        last_name=last,
        email=f"{first.lower()}.{last.lower()}@example.fi",
        email_key=f"{first.lower()}.{last.lower()}@example.fi",
        consent_at=datetime.now(UTC),
        **fields,
    )
    db.session.add(enrolment)
    db.session.commit()
    return enrolment


def set_status(enrolment_id: int, status: str) -> None:
    """Change an enrolment's status behind the app's back (another request did it)."""
    with Session(db.engine) as s:
        s.get(Enrolment, enrolment_id).status = status
        s.commit()
    db.session.commit()  # the test's own session reads afresh from here on


def counts(html: str) -> tuple[int, int, int]:
    found = re.search(
        r"<dt>Came</dt><dd>(\d+)</dd></div>\s*<div><dt>Did not come</dt><dd>(\d+)</dd></div>"
        r"\s*<div><dt>Not marked</dt><dd>(\d+)</dd>",
        html,
    )
    assert found, "no counts on the page"
    return tuple(int(n) for n in found.groups())


def page_url(event, session=None) -> str:
    return f"/manage/events/{event.id}/attendance" + (f"?session={session.id}" if session else "")


@pytest.fixture
def organiser(client, make_user):
    user = make_user("kati@lab.fi", name="Kati Ojala", organiser=["lab"])
    login(client, "kati@lab.fi")
    client.get("/?lang=en")
    client.user_id = user.id
    return client


@pytest.fixture
def held(make_event):
    """LAB's campus visit that began an hour ago."""
    return make_event(starts_in=HELD)


# --- marking one person ---------------------------------------------------------------------


def test_mark_one_came_then_change_to_did_not_come_then_clear(organiser, held):
    session = held.sessions[0]
    matti = person(held, "Matti")
    html = text(organiser.get(page_url(held)))
    assert counts(html) == (0, 0, 1)
    assert "Matti Meikäläinen" in html
    form = row_form(html, matti.id)
    assert ("status", "clear") not in form["buttons"]  # nothing to clear yet

    response = submit(organiser, form, ("status", "attended"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(
        f"/manage/events/{held.id}/attendance?session={session.id}#enrolment-{matti.id}"
    )
    row = mark_row(matti.id, session.id)
    assert row.status == "attended" and row.marked_by_id == organiser.user_id
    assert abs(row.marked_at - datetime.now(UTC)) < timedelta(minutes=1)
    html = text(organiser.get(response.headers["Location"]))
    assert counts(html) == (1, 0, 0)
    assert "Matti Meikäläinen: came." in visible(html)
    assert re.search(r'value="attended" class="button attendance-came" aria-current="true"', html)

    response = submit(organiser, row_form(html, matti.id), ("status", "no_show"))
    assert response.status_code == 303
    assert marks() == {matti.id: "no_show"}  # changed, not added
    html = text(organiser.get(response.headers["Location"]))
    assert counts(html) == (0, 1, 0)
    assert "Did not come" in visible(html.split(f'id="enrolment-{matti.id}"')[1])

    response = submit(organiser, row_form(html, matti.id), ("status", "clear"))
    assert response.status_code == 303
    assert marks() == {}
    html = text(organiser.get(response.headers["Location"]))
    assert counts(html) == (0, 0, 1)
    assert "The mark of Matti Meikäläinen was cleared." in visible(html)


def test_the_same_mark_again_keeps_who_and_when(organiser, held, make_user):
    session = held.sessions[0]
    matti = person(held, "Matti")
    other = make_user("toinen@lab.fi", organiser=["lab"])
    services.mark(matti.id, session.id, "attended", other.id)
    db.session.commit()
    first = mark_row(matti.id, session.id)
    form = row_form(text(organiser.get(page_url(held))), matti.id)
    assert submit(organiser, form, ("status", "attended")).status_code == 303
    again = mark_row(matti.id, session.id)
    assert (again.marked_by_id, again.marked_at) == (other.id, first.marked_at)


def test_a_person_no_longer_confirmed_cannot_be_marked_and_is_told_so(organiser, held):
    matti = person(held, "Matti")
    form = row_form(text(organiser.get(page_url(held))), matti.id)
    set_status(matti.id, "cancelled")
    response = submit(organiser, form, ("status", "attended"))
    assert response.status_code == 303
    assert marks() == {}
    page = visible(text(organiser.get(response.headers["Location"])))
    assert "Only a confirmed enrolment can be marked" in page
    assert "Matti Meikäläinen" not in page


def test_a_mark_made_before_a_cancellation_stays_and_can_be_cleared(organiser, held):
    session = held.sessions[0]
    matti = person(held, "Matti")
    services.mark(matti.id, session.id, "attended", None)
    db.session.commit()
    set_status(matti.id, "cancelled")
    html = text(organiser.get(page_url(held)))
    assert counts(html) == (0, 0, 0)
    others = visible(html.split("Marked, but no longer confirmed")[1])
    assert "Matti Meikäläinen" in others and "Came" in others and "Cancelled" in others
    form = row_form(html, matti.id)
    assert form["buttons"] == [("status", "clear")]  # no marking, only clearing
    assert submit(organiser, form, status="no_show").status_code == 303
    assert marks() == {matti.id: "attended"}  # a forged "did not come" changed nothing
    assert submit(organiser, form, ("status", "clear")).status_code == 303
    assert marks() == {}


def test_a_future_session_lists_people_but_cannot_be_marked_yet(organiser, make_event):
    event = make_event(starts_in=timedelta(days=14))
    matti = person(event, "Matti")
    html = text(organiser.get(page_url(event)))
    page = visible(html)
    assert "Matti Meikäläinen" in page
    assert "Attendance can be marked from that day on." in page
    form = row_form(html, matti.id)
    assert form["buttons"] == []
    assert 'id="attendance-bulk"' not in html
    response = submit(organiser, form, status="attended")
    assert response.status_code == 303 and marks() == {}
    assert "from the day of the session on" in visible(
        text(organiser.get(response.headers["Location"]))
    )


def test_an_incomplete_form_marks_nothing_and_says_why(organiser, held):
    matti = person(held, "Matti")
    form = row_form(text(organiser.get(page_url(held))), matti.id)
    response = submit(organiser, form)  # no button value
    assert response.status_code == 303 and marks() == {}
    assert "Choose came or did not come." in visible(
        text(organiser.get(response.headers["Location"]))
    )
    for data in ({}, {"session": "x", "enrolment": "y", "status": "attended"}):
        assert organiser.post(f"/manage/events/{held.id}/attendance", data=data).status_code == 303
    assert organiser.post(f"/manage/events/{held.id}/attendance/bulk").status_code == 303
    assert marks() == {}


# --- many at once ----------------------------------------------------------------------------


def bulk_forms(html: str) -> tuple[dict, dict]:
    found = forms_of(html)
    unmarked = next(f for f in found.forms if ("scope", "unmarked") in f["fields"])
    return unmarked, found.by_id["attendance-selected"]


def test_mark_all_unmarked_keeps_the_marks_made(organiser, held):
    session = held.sessions[0]
    aino, eero, liisa, ville = (person(held, n) for n in ("Aino", "Eero", "Liisa", "Ville"))
    person(held, "Jonna", status="waitlisted")
    services.mark(aino.id, session.id, "attended", organiser.user_id)
    db.session.commit()
    html = text(organiser.get(page_url(held)))
    assert counts(html) == (1, 0, 3)
    unmarked, _ = bulk_forms(html)
    assert "3 people are not marked." in visible(html)
    assert sorted(int(v) for n, v in unmarked["fields"] if n == "enrolment") == sorted(
        [eero.id, liisa.id, ville.id]
    )
    # Eero is marked at the other door after this page was loaded: his mark stays.
    services.mark(eero.id, session.id, "attended", None)
    db.session.commit()

    response = submit(organiser, unmarked, ("status", "no_show"))
    assert response.status_code == 303
    assert marks(session.id) == {
        aino.id: "attended",
        eero.id: "attended",
        liisa.id: "no_show",
        ville.id: "no_show",
    }
    assert mark_row(liisa.id, session.id).marked_by_id == organiser.user_id
    html = text(organiser.get(response.headers["Location"]))
    assert counts(html) == (2, 2, 0)
    page = visible(html)
    assert "2 people marked: Did not come." in page
    assert "1 person had been marked meanwhile, and kept the mark." in page
    assert "Everyone is marked." in page


def test_mark_the_selected_changes_their_marks_and_leaves_the_rest(organiser, held):
    session = held.sessions[0]
    aino, eero, liisa = (person(held, n) for n in ("Aino", "Eero", "Liisa"))
    services.mark(eero.id, session.id, "no_show", None)
    db.session.commit()
    html = text(organiser.get(page_url(held)))
    _, selected = bulk_forms(html)
    boxes = {int(v): (n, v) for n, v in selected["boxes"]}
    assert sorted(boxes) == sorted([aino.id, eero.id, liisa.id])
    assert selected["radios"] == [("status", "attended"), ("status", "no_show")]

    response = submit(
        organiser, selected, enrolment=[str(aino.id), str(eero.id)], status="attended"
    )
    assert response.status_code == 303
    assert marks(session.id) == {aino.id: "attended", eero.id: "attended"}
    html = text(organiser.get(response.headers["Location"]))
    assert counts(html) == (2, 0, 1)
    assert "2 people marked: Came." in visible(html)

    response = submit(organiser, selected, status="attended")  # nobody ticked
    assert "Nobody was selected" in visible(text(organiser.get(response.headers["Location"])))
    response = submit(organiser, selected, enrolment=[str(liisa.id)])  # no mark chosen
    assert "Choose came or did not come." in visible(
        text(organiser.get(response.headers["Location"]))
    )
    assert marks(session.id) == {aino.id: "attended", eero.id: "attended"}


# --- what the page lists ---------------------------------------------------------------------


def test_the_list_has_only_the_confirmed_people_of_that_event(organiser, held, make_event):
    person(held, "Aino", "Virtanen")
    person(held, "Pekka", "Odottaja", status="waitlisted")
    person(held, "Paula", "Harkinta", status="pending")
    person(held, "Kalle", "Peruja", status="cancelled")
    person(held, "Reijo", "Hylatty", status="rejected")
    person(held, "Öljy", "Öhman")
    person(held, "Eero", "Ahonen")
    other = make_event(title="Toinen tapahtuma", starts_in=HELD)
    person(other, "Toni", "Toisessa")
    html = text(organiser.get(page_url(held)))
    names = re.findall(r'<span class="attendance-name">([^<]+)</span>', html)
    assert names == ["Eero Ahonen", "Aino Virtanen", "Öljy Öhman"]  # by surname, Ö after V
    for absent in ("Odottaja", "Harkinta", "Peruja", "Hylatty", "Toisessa"):
        assert absent not in html
    assert counts(html) == (0, 0, 3)
    assert "3 people are confirmed." in visible(html)


def test_a_coach_enrolled_client_shows_the_coach(organiser, held, make_user):
    coach = make_user("ville@ohjaamo.fi", name="Ville Valmentaja", coach=["ohjaamo"])
    person(held, "Sanna", "Asiakas", enrolled_by_id=coach.id)
    page = visible(text(organiser.get(page_url(held))))
    assert "Sanna Asiakas Coach: Ville Valmentaja" in page


def test_sessions_are_marked_one_by_one(organiser, make_event):
    course = make_event(sessions=3, starts_in=timedelta(days=-8))  # two held, one next week
    first, second, third = course.sessions
    matti = person(course, "Matti")
    html = text(organiser.get(page_url(course)))  # the next session by default
    assert 'id="attendance-session"' in html
    assert re.search(rf'<option value="{third.id}" selected>', html)
    assert "Session 3:" in html
    # the held sessions still unmarked say so in the picker
    assert re.search(rf'<option value="{first.id}">1\. [^<]*\(not marked: 1\)', html)

    html = text(organiser.get(page_url(course, second)))
    assert "Session 2:" in html
    submit(organiser, row_form(html, matti.id), ("status", "attended"))
    assert marks(second.id) == {matti.id: "attended"} and marks(first.id) == {}
    assert counts(text(organiser.get(page_url(course, first)))) == (0, 0, 1)
    assert counts(text(organiser.get(page_url(course, second)))) == (1, 0, 0)


def test_an_event_without_sessions_says_so(organiser, make_event):
    event = make_event(sessions=0, status="draft")
    page = visible(text(organiser.get(page_url(event))))
    assert "The event has no sessions yet." in page


# --- refusals --------------------------------------------------------------------------------


def test_a_session_or_enrolment_of_another_event_is_404(organiser, held, make_event):
    session = held.sessions[0]
    other = make_event(title="Toinen", starts_in=HELD)
    foreign = other.sessions[0]
    matti, toni = person(held, "Matti"), person(other, "Toni")
    assert organiser.get(page_url(held, foreign)).status_code == 404
    assert organiser.get(f"/manage/events/{held.id}/attendance?session=999999").status_code == 404
    url = f"/manage/events/{held.id}/attendance"
    for data in (
        {"session": foreign.id, "enrolment": matti.id, "status": "attended"},
        {"session": session.id, "enrolment": toni.id, "status": "attended"},
        {"session": session.id, "enrolment": 999999, "status": "attended"},
        {"session": session.id, "enrolment": toni.id, "status": "clear"},
    ):
        assert organiser.post(url, data=data).status_code == 404, data
    bad = {"session": session.id, "enrolment": matti.id, "status": "came"}
    assert organiser.post(url, data=bad).status_code == 303  # "choose came or did not come"
    bulk = {"session": session.id, "scope": "selected", "status": "attended"}
    for data in (
        {**bulk, "enrolment": [matti.id, toni.id]},
        {**bulk, "session": foreign.id, "enrolment": matti.id},
    ):
        assert organiser.post(f"{url}/bulk", data=data).status_code == 404, data
    assert marks() == {}


def test_the_service_refuses_a_session_of_another_event_with_a_clear_error(held, make_event):
    other = make_event(title="Toinen", starts_in=HELD)
    foreign = other.sessions[0]
    matti = person(held, "Matti")
    with pytest.raises(AttendanceError) as refused:
        services.mark(matti.id, foreign.id, "attended", None)
    assert refused.value.code == AttendanceError.OTHER_EVENT
    db.session.rollback()
    with pytest.raises(AttendanceError) as refused:
        services.mark(matti.id, 999999, "attended", None)
    assert refused.value.code == AttendanceError.NOT_FOUND
    db.session.rollback()
    with pytest.raises(AttendanceError) as refused:
        services.clear(matti.id, foreign.id)
    assert refused.value.code == AttendanceError.OTHER_EVENT
    db.session.rollback()
    assert marks() == {}


def test_another_organisations_organiser_gets_404(client, make_user, held):
    session = held.sessions[0]
    matti = person(held, "Matti")
    services.mark(matti.id, session.id, "no_show", None)
    db.session.commit()
    make_user("olli@ohjaamo.fi", organiser=["ohjaamo"])
    login(client, "olli@ohjaamo.fi")
    url = f"/manage/events/{held.id}/attendance"
    assert client.get(url).status_code == 404
    assert client.get(f"{url}?session={session.id}").status_code == 404
    for status in ("attended", "clear"):
        data = {"session": session.id, "enrolment": matti.id, "status": status}
        assert client.post(url, data=data).status_code == 404
    data = {"session": session.id, "scope": "selected", "status": "attended", "enrolment": matti.id}
    assert client.post(f"{url}/bulk", data=data).status_code == 404
    assert marks() == {matti.id: "no_show"}


def test_the_coordinator_may_mark_any_event(client, make_user, make_event):
    event = make_event(organisation="ohjaamo", starts_in=HELD)
    matti = person(event, "Matti")
    make_user("dila@example.fi", coordinator=True)
    login(client, "dila@example.fi")
    html = text(client.get(page_url(event)))
    assert submit(client, row_form(html, matti.id), ("status", "attended")).status_code == 303
    assert marks() == {matti.id: "attended"}


def test_a_coach_gets_403_and_anonymous_is_sent_to_login(client, make_user, held):
    session = held.sessions[0]
    matti = person(held, "Matti")
    url = f"/manage/events/{held.id}/attendance"
    data = {"session": session.id, "enrolment": matti.id, "status": "attended"}
    for response in (client.get(url), client.post(url, data=data), client.post(f"{url}/bulk")):
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    make_user("ville@lab.fi", coach=["lab"])
    login(client, "ville@lab.fi")
    assert client.get(url).status_code == 403
    assert client.post(url, data=data).status_code == 403
    assert client.post(f"{url}/bulk", data=data).status_code == 403
    assert marks() == {}


def test_every_form_needs_the_csrf_token_and_a_get_changes_nothing(organiser, app, held):
    session = held.sessions[0]
    matti = person(held, "Matti")
    person(held, "Liisa")
    app.config["WTF_CSRF_ENABLED"] = True
    html = text(organiser.get(page_url(held)))
    assert marks() == {}  # looking changes nothing
    forms = re.findall(r'(?s)<form method="post".*?</form>', html)
    assert len(forms) == 1 + 2 + 2  # log out, one per person, all unmarked, the selected
    assert all('name="csrf_token"' in form for form in forms)
    url = f"/manage/events/{held.id}/attendance"
    data = {"session": session.id, "enrolment": matti.id, "status": "attended"}
    assert organiser.post(url, data=data).status_code == 400
    assert organiser.post(f"{url}/bulk", data={**data, "scope": "selected"}).status_code == 400
    assert marks() == {}
    assert submit(organiser, row_form(html, matti.id), ("status", "attended")).status_code == 303
    assert marks() == {matti.id: "attended"}


# --- the coach's view ------------------------------------------------------------------------


def test_a_coach_sees_the_clients_attendance(client, make_user, make_event):
    coach = make_user("ville@ohjaamo.fi", name="Ville Valmentaja", coach=["ohjaamo"])
    course = make_event(title="Digitaidot", sessions=3, starts_in=timedelta(days=-8))
    first, second, _ = course.sessions
    sanna = Client(coach_id=coach.id, first_name="Sanna", last_name="Asiakas")
    db.session.add(sanna)
    db.session.commit()
    enrolment = person(course, "Sanna", "Asiakas", client_id=sanna.id, enrolled_by_id=coach.id)
    services.mark(enrolment.id, first.id, "attended", None)
    services.mark(enrolment.id, second.id, "no_show", None)
    db.session.commit()

    login(client, "ville@ohjaamo.fi")
    client.get("/?lang=en")
    for url in (f"/coach/clients/{sanna.id}", f"/coach/enrolments/{enrolment.id}"):
        html = text(client.get(url))
        block = visible(html.split("<dt>Attendance</dt>")[1].split("</dd>")[0])
        assert re.fullmatch(
            r"\w+ [\d.]+: ✓ Came \w+ [\d.]+: ✗ Did not come \w+ [\d.]+: Not held yet", block
        ), (url, block)

    services.clear(enrolment.id, first.id)
    db.session.commit()
    block = visible(text(client.get(f"/coach/clients/{sanna.id}")).split("<dt>Attendance</dt>")[1])
    assert block.split(" ")[2:4] == ["Not", "marked"]


def test_the_coach_sees_no_attendance_before_the_first_session(client, make_user, make_event):
    coach = make_user("ville@ohjaamo.fi", coach=["ohjaamo"])
    event = make_event(starts_in=timedelta(days=3))
    sanna = Client(coach_id=coach.id, first_name="Sanna", last_name="Asiakas")
    db.session.add(sanna)
    db.session.commit()
    person(event, "Sanna", "Asiakas", client_id=sanna.id, enrolled_by_id=coach.id)
    login(client, "ville@ohjaamo.fi")
    client.get("/?lang=en")
    html = text(client.get(f"/coach/clients/{sanna.id}"))
    assert "Sanna Asiakas" in html and "<dt>Attendance</dt>" not in html


# --- services --------------------------------------------------------------------------------


def test_summary_and_for_enrolments(held, make_event):
    session = held.sessions[0]
    aino, eero, liisa = (person(held, n) for n in ("Aino", "Eero", "Liisa"))
    gone = person(held, "Kalle")
    services.mark_many([aino.id, gone.id], session.id, "attended", None)
    services.mark(eero.id, session.id, "no_show", None)
    db.session.commit()
    set_status(gone.id, "cancelled")
    assert services.summary(session.id) == Summary(attended=1, no_show=1, unmarked=1)
    course = make_event(title="Kurssi", sessions=2, starts_in=HELD)
    course_sessions = [s.id for s in course.sessions]
    pekka = person(course, "Pekka")
    found = services.for_enrolments([aino.id, liisa.id, pekka.id, gone.id])
    assert {k: [(s.id, m) for s, m in v] for k, v in found.items()} == {
        aino.id: [(session.id, "attended")],
        liisa.id: [(session.id, None)],
        pekka.id: [(course_sessions[0], None), (course_sessions[1], None)],
        gone.id: [(session.id, "attended")],
    }
    assert services.for_enrolments([]) == {}
    assert liisa.id not in marks()


def test_a_mark_made_meanwhile_is_updated_not_duplicated(held, monkeypatch):
    """The insert meets the unique constraint (another door marked the same person): only that
    insert is undone, in a savepoint, and the mark is updated."""
    session = held.sessions[0]
    matti, liisa = person(held, "Matti"), person(held, "Liisa")
    services.mark(matti.id, session.id, "attended", None)
    db.session.commit()
    real = services._marks
    calls = []

    def blind(ids, session_id):  # the first look misses Matti's mark
        calls.append(ids)
        return {} if len(calls) == 1 else real(ids, session_id)

    monkeypatch.setattr(services, "_marks", blind)
    done = services.mark_many([matti.id, liisa.id], session.id, "no_show", None)
    db.session.commit()
    assert len(calls) == 2  # the second look, after the refused insert
    assert (done.changed, done.unchanged, done.skipped) == (2, 0, 0)
    assert marks() == {matti.id: "no_show", liisa.id: "no_show"}


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        ("2030-09-03T08:00", 0),  # the day of the first session, before it: that one
        ("2030-09-03T20:00", 0),  # the same evening, after it ended: still today's
        ("2030-09-05T12:00", 1),  # between: the next one
        ("2030-09-10T18:00", 1),  # during the second
        ("2030-09-20T12:00", 2),  # after all: the last one
    ],
)
def test_the_default_session_is_todays_else_the_next_else_the_last(now, expected):
    helsinki = timedelta(hours=3)  # EEST in September
    starts = [datetime(2030, 9, d, 17, tzinfo=UTC) - helsinki for d in (3, 10, 17)]
    sessions = [
        EventSession(id=i, starts_at=s, ends_at=s + timedelta(hours=2))
        for i, s in enumerate(starts)
    ]
    moment = datetime.fromisoformat(now).replace(tzinfo=UTC) - helsinki
    assert services.default_session(sessions, moment) is sessions[expected]
    assert services.default_session([], moment) is None


# --- on a phone at the door ------------------------------------------------------------------


SMALL_TARGETS = """(minimum) => [...document.querySelectorAll(
    'main button, main input:not([type=hidden]), main select')]
  .map((el) => {
    // a checkbox or radio is tapped through its label too: measure the larger of the two
    const label = el.id && document.querySelector(`label[for="${el.id}"]`);
    const box = el.getBoundingClientRect();
    const area = label ? label.closest('.choice') || label : el;
    const big = area.getBoundingClientRect();
    const w = Math.max(box.width, big.width), h = Math.max(box.height, big.height);
    return {what: `${el.tagName} ${el.name}=${el.value} ${(el.textContent || '').trim()}`, w, h};
  })
  .filter((t) => t.w < minimum || t.h < minimum)
  .map((t) => `${t.what}: ${Math.round(t.w)}x${Math.round(t.h)}`)"""

UNNAMED = """() => [...document.querySelectorAll('main button, main input:not([type=hidden])')]
  .filter((el) => {
    const label = el.id && document.querySelector(`label[for="${el.id}"]`);
    return !((label && label.textContent.trim()) || el.textContent.trim());
  })
  .map((el) => el.outerHTML.slice(0, 80))"""


def named(action: str, name: str) -> re.Pattern:
    """A control's accessible name: its visible words, then the person's name (hidden)."""
    return re.compile(rf"^{re.escape(action)}\s*: {re.escape(name)}$")


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"{CHROMIUM} is absent")
def test_the_list_works_on_a_phone_without_javascript(live_server, make_user, held, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    expect = sync_api.expect
    session = held.sessions[0]
    make_user("kati@lab.fi", name="Kati Ojala", organiser=["lab"])
    coach = make_user("ville@ohjaamo.fi", name="Ville Valmentaja", coach=["ohjaamo"])
    long = "Jalmari-Aleksanteri Kymäläinen-Vähäkangas-Hyvönen"
    people = [
        person(held, "Aino", "Virtanen"),
        person(held, *long.split(" "), enrolled_by_id=coach.id),
        person(held, "Eero", "Ahonen"),
    ]
    ids = [p.id for p in people]
    db.session.commit()  # the server's requests must not wait on the test's transaction

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(
            base_url=live_server,
            viewport=PHONE,
            screen=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            java_script_enabled=False,  # works without JavaScript
        )
        context.set_default_timeout(5_000)
        page = context.new_page()
        try:
            page.goto("/login?lang=en")
            page.locator("#email").fill("kati@lab.fi")
            page.locator("#password").fill("oikein-hevonen-akku-niitti")
            page.get_by_role("button", name="Log in").click()
            page.goto(f"/manage/events/{held.id}/attendance")
            expect(page.get_by_role("heading", level=1)).to_have_text("Attendance")
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            assert page.evaluate(SMALL_TARGETS, 44) == []
            assert page.evaluate(UNNAMED) == []
            group = page.get_by_role("group", name=re.compile(long))
            expect(group).to_contain_text("Coach: Ville Valmentaja")

            # One tap marks one person and comes back to the same row.
            group.get_by_role("button", name=named("Came", long)).click()
            expect(page).to_have_url(re.compile(rf"#enrolment-{ids[1]}$"))
            expect(page.locator(f"#enrolment-{ids[1]} .attendance-now")).to_contain_text("Came")
            assert marks(session.id) == {ids[1]: "attended"}

            # With the keyboard: Tab to "Did not come" of Eero and press Enter.
            eero = page.get_by_role("button", name=named("Did not come", "Eero Ahonen"))
            eero.focus()
            page.keyboard.press("Enter")
            expect(page).to_have_url(re.compile(rf"#enrolment-{ids[2]}$"))
            assert marks(session.id) == {ids[1]: "attended", ids[2]: "no_show"}

            # The rest in one go, then a mistaken mark cleared.
            page.get_by_role("button", name="Mark all unmarked as came").click()
            assert marks(session.id) == {ids[0]: "attended", ids[1]: "attended", ids[2]: "no_show"}
            expect(page.locator(".attendance-counts dd")).to_have_text(["2", "1", "0"])
            page.get_by_role("button", name=named("Clear the mark", long)).click()
            assert marks(session.id) == {ids[0]: "attended", ids[2]: "no_show"}
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            assert page.evaluate(SMALL_TARGETS, 44) == []

            # Tick two people and mark them both.
            page.get_by_label(named("Select for marking many", long)).check()
            page.get_by_label(named("Select for marking many", "Eero Ahonen")).check()
            page.get_by_role("group", name="Mark the selected people as").get_by_label(
                "Came"
            ).check()
            page.get_by_role("button", name="Mark the selected").click()
            assert marks(session.id) == dict.fromkeys(ids, "attended")
            expect(page.get_by_role("status").first).to_have_text("2 people marked: Came.")
        finally:
            page.screenshot(path=str(tmp_path / "attendance.png"), full_page=True)
            context.close()
            browser.close()
