"""Attendee-list exports: every file is read back (csv, openpyxl, pypdf) and compared with the
database; formula injection; the audit log of exports and who may read it; who may export."""

import csv
import io
import zipfile
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from eventsapp.exports import services
from eventsapp.extensions import db
from eventsapp.models import AuditEntry, Client, Enrolment, User
from tests.conftest import login

HELSINKI = ZoneInfo("Europe/Helsinki")
BOM = b"\xef\xbb\xbf"
INJECTIONS = ["=1+1", "+1", "-1", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]
WINTER = datetime(2027, 1, 15, 8, 30, tzinfo=UTC)  # 10.30 in Helsinki (UTC+2)
SUMMER = datetime(2027, 6, 1, 7, 0, tzinfo=UTC)  # 10.00 in Helsinki (UTC+3)


# --- helpers -------------------------------------------------------------------------------


def person(event, first, last, status="confirmed", **fields) -> Enrolment:
    email = fields.pop("email", f"{first}.{last}@example.fi".lower())
    enrolment = Enrolment(
        event_id=event.id,
        status=status,
        first_name=first,
        last_name=last,
        email=email,
        email_key=email.casefold(),
        consent_at=datetime.now(UTC),
        **fields,
    )
    db.session.add(enrolment)
    db.session.commit()
    return enrolment


def in_db(event_id: int, statuses=("confirmed",)) -> list[Enrolment]:
    """The enrolments as the database holds them, read in a session of its own."""
    with Session(db.engine) as session:
        stmt = select(Enrolment).where(
            Enrolment.event_id == event_id, Enrolment.status.in_(statuses)
        )
        return list(session.execute(stmt).scalars())


def audit_entries() -> list[AuditEntry]:
    with Session(db.engine) as session:
        return list(session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars())


def csv_rows(response, delimiter=",") -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(BOM), body[:20]
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=delimiter))


def workbook(response):
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return load_workbook(io.BytesIO(response.get_data())).active


def pdf_pages(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.get_data()))
    return [page.extract_text() for page in reader.pages]


def shown(value: str) -> str:
    """What a cell holding `value` must show: a formula start neutralised with an apostrophe."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def neutral_row(e: Enrolment) -> list[str]:
    return [shown(f"{e.first_name} {e.last_name}"), shown(e.email), shown(e.phone), "Confirmed"]


@pytest.fixture
def organiser(client, make_user):
    make_user("kati@lab.fi", name="Kati Ojala", organiser=["lab"])
    login(client, "kati@lab.fi")
    client.get("/?lang=en")
    return client


@pytest.fixture
def event(make_event):
    return make_event(title="Miestämö: kampustutustuminen", capacity=50)


@pytest.fixture
def people(event, make_user):
    """Finnish letters, a +358 phone, a coach's client, and people in every status."""
    coach = make_user("valmentaja@example.fi", name="Ville Valmentaja", coach=["ohjaamo"])
    client = Client(coach_id=coach.id, first_name="Jani", last_name="Åberg")
    db.session.add(client)
    db.session.commit()
    return [
        person(
            event,
            "Matti",
            "Meikäläinen",
            phone="+358 40 123 4567",
            birth_date=date(2001, 3, 15),
            municipality="398",
            created_at=WINTER,
        ),
        person(event, "Öljy", "Äijälä", phone="040 765 4321", created_at=SUMMER),
        person(
            event,
            "Jani",
            "Åberg",
            email="",
            municipality="098",
            client_id=client.id,
            enrolled_by_id=coach.id,
            created_at=SUMMER,
        ),
        person(event, "Ville", "Berg", notes="Tulen pyörätuolilla; tarvitsen hissin"),
        person(event, "Wilma", "Jonottaja", status="waitlisted"),
        person(event, "Pekka", "Odottaja", status="pending"),
        person(event, "Peruttu", "Pois", status="cancelled"),
    ]


# --- CSV -----------------------------------------------------------------------------------


def test_csv_with_commas_matches_the_confirmed_rows_of_the_database(organiser, event, people):
    response = organiser.get(f"/manage/events/{event.id}/attendees.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    rows = csv_rows(response)
    assert rows[0] == ["Name", "Email", "Phone", "Status"]
    expected = [neutral_row(e) for e in in_db(event.id)]
    assert len(expected) == 4
    assert sorted(rows[1:]) == sorted(expected)
    # The phone number stays readable: an apostrophe in front, the digits as they were.
    matti = next(row for row in rows if row[0] == "Matti Meikäläinen")
    assert matti[1:3] == ["matti.meikäläinen@example.fi", "'+358 40 123 4567"]
    assert "Wilma Jonottaja" not in {r[0] for r in rows}  # the default: confirmed only


def test_csv_rows_come_in_order_of_last_name(organiser, event):
    for first, last in [("C", "Virtanen"), ("A", "Berg"), ("B", "Lahtinen"), ("A", "Lahtinen")]:
        person(event, first, last)
    rows = csv_rows(organiser.get(f"/manage/events/{event.id}/attendees.csv?columns=name"))
    assert [r[0] for r in rows[1:]] == ["A Berg", "A Lahtinen", "B Lahtinen", "C Virtanen"]


def test_csv_with_semicolons_chosen_statuses_and_columns(organiser, event, people):
    url = (
        f"/manage/events/{event.id}/attendees.csv?delimiter=semicolon"
        "&status=confirmed,waitlisted&status=pending"
        "&columns=last_name,first_name,status,enrolled_at,birth_date,municipality,coach,client"
    )
    response = organiser.get(url)
    assert response.get_data().startswith(BOM + b"Last name;First name;Status;")
    rows = csv_rows(response, delimiter=";")
    assert rows[0] == [
        "Last name",
        "First name",
        "Status",
        "Enrolled",
        "Date of birth",
        "Municipality",
        "Coach",
        "Enrolled as a coach's client",
    ]
    by_name = {(r[0], r[1]): r for r in rows[1:]}
    wanted = in_db(event.id, ("confirmed", "waitlisted", "pending"))
    assert set(by_name) == {(e.last_name, e.first_name) for e in wanted}
    assert len(rows) - 1 == len(wanted) == 6
    assert by_name[("Meikäläinen", "Matti")][2:] == [
        "Confirmed",
        "2027-01-15 10:30",  # Helsinki time, winter
        "2001-03-15",
        "Lahti",
        "",
        "",
    ]
    assert by_name[("Åberg", "Jani")][3:] == [
        "2027-06-01 10:00",  # Helsinki time, summer
        "",
        "Hollola",
        "Ville Valmentaja",
        "Yes",
    ]
    assert by_name[("Jonottaja", "Wilma")][2] == "On the waiting list"
    assert by_name[("Odottaja", "Pekka")][2] == "Waiting for the organiser's review"


def test_csv_keeps_free_text_with_delimiters_and_newlines(organiser, event):
    note = 'Hei; "lainaus", rivi\ntoinen rivi'
    person(event, "Matti", "Meikäläinen", notes=note)
    for delimiter, char in (("comma", ","), ("semicolon", ";")):
        url = f"/manage/events/{event.id}/attendees.csv?columns=name,notes&delimiter={delimiter}"
        rows = csv_rows(organiser.get(url), delimiter=char)
        assert rows[1] == ["Matti Meikäläinen", note]


@pytest.mark.parametrize(
    "query",
    ["columns=name,password", "status=confirmed,maybe", "delimiter=tab", "columns=__class__"],
)
def test_an_unknown_choice_is_refused_not_ignored(organiser, event, people, query):
    for path in ("attendees.csv", "attendees.xlsx", "sign-in.pdf"):
        response = organiser.get(f"/manage/events/{event.id}/{path}?{query}")
        assert response.status_code == 400, (path, query)
    assert audit_entries() == []


def test_csv_is_streamed_in_batches(organiser, event, app):
    """1 200 people are sent in several chunks, written as the rows arrive, not all at once."""
    now = datetime.now(UTC)
    db.session.execute(
        insert(Enrolment),
        [
            {
                "event_id": event.id,
                "token_salt": f"t{i}",
                "token_hash": f"h{i}",
                "status": "confirmed",
                "first_name": f"Etu{i:04d}",
                "last_name": "Suku",
                "email": f"p{i}@example.fi",
                "email_key": f"p{i}@example.fi",
                "consent_at": now,
                "created_at": now,
                "status_changed_at": now,
            }
            for i in range(1200)
        ],
    )
    db.session.commit()
    response = organiser.get(f"/manage/events/{event.id}/attendees.csv", buffered=False)
    assert response.is_streamed
    chunks = [chunk for chunk in response.response if chunk]
    response.close()
    assert len(chunks) >= 1200 // services.BATCH
    assert max(len(chunk) for chunk in chunks) < len(b"".join(chunks)) / 2
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert len(rows) == 1201
    assert audit_entries()[-1].rows == 1200


# --- XLSX ----------------------------------------------------------------------------------


def test_xlsx_is_a_real_workbook_that_matches_the_database(organiser, event, people):
    columns = "name,email,phone,enrolled_at,birth_date"
    url = f"/manage/events/{event.id}/attendees.xlsx?columns={columns}"
    response = organiser.get(url)
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = workbook(response)
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header == ["Name", "Email", "Phone", "Enrolled", "Date of birth"]
    assert all(c.font.bold for c in sheet[1])
    assert sheet.column_dimensions["A"].width == services.WIDTHS["name"]
    assert sheet.column_dimensions["B"].width == services.WIDTHS["email"]
    assert sheet.column_dimensions["E"].width == services.WIDTHS["birth_date"]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    expected = in_db(event.id)
    assert set(rows) == {f"{e.first_name} {e.last_name}" for e in expected}
    for e in expected:
        row = rows[f"{e.first_name} {e.last_name}"]
        assert row[1].value == (e.email or None)
        assert (row[2].value or "") == shown(e.phone)
        assert row[2].data_type == ("s" if e.phone else "n")  # text, or an empty cell
        assert row[3].is_date
        local = e.created_at.astimezone(HELSINKI).replace(tzinfo=None, microsecond=0)
        assert row[3].value == local
        if e.birth_date:
            assert row[4].is_date
            assert row[4].value.date() == e.birth_date
            assert row[4].number_format == services.DATE_FORMAT
    matti = rows["Matti Meikäläinen"]
    assert matti[3].value == datetime(2027, 1, 15, 10, 30)  # Helsinki wall-clock time
    assert matti[3].number_format == services.DATETIME_FORMAT
    assert matti[2].value == "'+358 40 123 4567"
    assert rows["Jani Åberg"][3].value == datetime(2027, 6, 1, 10, 0)


def test_xlsx_filter_covers_the_rows_and_status_filter_applies(organiser, event, people):
    query = "status=waitlisted,cancelled&columns=name,status"
    url = f"/manage/events/{event.id}/attendees.xlsx?{query}"
    sheet = workbook(organiser.get(url))
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert sorted(values) == [
        ["Peruttu Pois", "Cancelled"],
        ["Wilma Jonottaja", "On the waiting list"],
    ]
    assert sheet.auto_filter.ref == "A1:B3"


# --- formula injection ---------------------------------------------------------------------


@pytest.fixture
def injected(event):
    for i, value in enumerate(INJECTIONS):
        person(event, value, f"Suku{i}", email=f"p{i}@example.fi", phone=value, notes=value)
    person(event, "Turvallinen", "Suku9", email="safe@example.fi", phone="1+1", notes="a=b")


def test_formula_injection_is_neutralised_in_csv(organiser, event, injected):
    for delimiter, char in (("comma", ","), ("semicolon", ";")):
        url = (
            f"/manage/events/{event.id}/attendees.csv"
            f"?columns=first_name,phone,notes&delimiter={delimiter}"
        )
        rows = csv_rows(organiser.get(url), delimiter=char)[1:]
        by_value = {row[0]: row for row in rows}
        for value in INJECTIONS:
            assert by_value["'" + value] == ["'" + value] * 3, value
        assert by_value["Turvallinen"] == ["Turvallinen", "1+1", "a=b"]  # left as it was
        assert not [cell for row in rows for cell in row if cell[:1] in "=+-@\t\r" and cell]


def test_formula_injection_is_neutralised_in_xlsx(organiser, event, injected):
    url = f"/manage/events/{event.id}/attendees.xlsx?columns=first_name,phone,notes"
    response = organiser.get(url)
    sheet = workbook(response)
    rows = [list(row) for row in sheet.iter_rows(min_row=2)]
    by_value = {row[0].value: row for row in rows}
    for value in INJECTIONS:
        value = value.replace("\r", "\n")  # a line break in a cell is \n (XML has no \r)
        row = by_value["'" + value]
        assert [c.value for c in row] == ["'" + value] * 3, value
        assert [c.data_type for c in row] == ["s", "s", "s"]
    assert [c.value for c in by_value["Turvallinen"]] == ["Turvallinen", "1+1", "a=b"]
    with zipfile.ZipFile(io.BytesIO(response.get_data())) as package:
        sheets = [n for n in package.namelist() if n.startswith("xl/worksheets/sheet")]
        xml = package.read(sheets[0]).decode()
    assert "<f>" not in xml and "<f " not in xml  # no formula anywhere in the sheet


def test_xlsx_survives_control_characters_that_excel_refuses(organiser, event):
    person(event, "Matti", "Meikäläinen", notes="rivi\x0bvälilyönti\x01", phone="\x01=1+1")
    response = organiser.get(f"/manage/events/{event.id}/attendees.xlsx?columns=name,notes,phone")
    sheet = workbook(response)
    assert sheet["B2"].value == "rivivälilyönti"
    assert sheet["C2"].value == "'=1+1"  # the control character gone, then neutralised
    assert sheet["C2"].data_type == "s"


def test_neutral_and_latin1_on_their_own():
    for value in INJECTIONS:
        assert services.neutral(value) == "'" + value
    for value in ("", "Matti", "1+1", " =1", "a@b.fi", "040 123"):
        assert services.neutral(value) == value
    assert services.latin1("Työelämän – digitaidot … Šárka €") == (
        "Työelämän - digitaidot ... Sárka EUR"
    )
    assert services.latin1("日本") == "??"


# --- PDF -----------------------------------------------------------------------------------


def test_sign_in_sheet_has_a_page_per_session_and_every_confirmed_name(
    organiser, make_event, make_user
):
    course = make_event(title="Työelämän digitaidot haltuun – syksy", sessions=3, capacity=30)
    starts = [session.starts_at for session in course.sessions]
    names = [("Matti", "Meikäläinen"), ("Öljy", "Äijälä"), ("Åke", "Åberg"), ("Ville", "Berg")]
    for first, last in names:
        person(course, first, last)
    person(course, "Wilma", "Jonottaja", status="waitlisted")
    pages = pdf_pages(organiser.get(f"/manage/events/{course.id}/sign-in.pdf"))
    assert len(pages) == 3
    confirmed = in_db(course.id)
    assert len(confirmed) == 4
    for number, (text, start) in enumerate(zip(pages, starts, strict=True), start=1):
        assert "Työelämän digitaidot haltuun - syksy" in text  # the en dash made plain
        assert "LAB-ammattikorkeakoulu (Miestämö)" in text
        assert f"Session {number} of 3" in text
        local = start.astimezone(HELSINKI)
        assert f"{local.day}/{local.month}/{local.year}" in text or (
            f"{local.day}.{local.month}.{local.year}" in text
        ), text
        assert "Lahden pääkirjasto" in text
        assert "Signature" in text
        for e in confirmed:
            assert f"{e.last_name}, {e.first_name}" in text
        assert "Jonottaja" not in text
        assert "4 people" in text


def test_sign_in_sheet_repeats_its_header_on_a_new_page(organiser, event):
    for i in range(70):
        person(event, f"Etu{i:02d}", f"Suku{i:02d}", municipality="398")
    pages = pdf_pages(
        organiser.get(f"/manage/events/{event.id}/sign-in.pdf?columns=name,municipality")
    )
    assert len(pages) >= 2
    for text in pages:
        assert "Signature" in text and "Municipality" in text and "Name" in text
    everything = "\n".join(pages)
    for i in range(70):
        assert f"Suku{i:02d}, Etu{i:02d}" in everything
    assert everything.count("Lahti") >= 70


def test_sign_in_sheet_is_refused_beyond_its_limit(organiser, event, monkeypatch):
    monkeypatch.setattr(services, "PDF_MAX_NAMES", 3)
    for i in range(4):
        person(event, f"Etu{i}", "Suku")
    response = organiser.get(f"/manage/events/{event.id}/sign-in.pdf")
    assert response.status_code == 303
    assert f"/manage/events/{event.id}/export?" in response.headers["Location"]
    assert "format=pdf" in response.headers["Location"]
    page = organiser.get(response.headers["Location"])
    assert page.status_code == 200
    assert "A sign-in sheet can hold at most 3 names, and 4 are chosen." in page.get_data(
        as_text=True
    )
    assert audit_entries() == []


# --- file names, the form ------------------------------------------------------------------


def test_file_names_carry_the_event_and_its_date(organiser, make_event):
    event = make_event(title="Miestämö: kampustutustuminen", starts_in=timedelta(days=40))
    day = event.sessions[0].starts_at.astimezone(HELSINKI).date().isoformat()
    person(event, "Matti", "Meikäläinen")
    for path, name in (
        ("attendees.csv", f"miestamo-kampustutustuminen-{day}-attendees.csv"),
        ("attendees.xlsx", f"miestamo-kampustutustuminen-{day}-attendees.xlsx"),
        ("sign-in.pdf", f"miestamo-kampustutustuminen-{day}-sign-in-sheet.pdf"),
    ):
        response = organiser.get(f"/manage/events/{event.id}/{path}")
        assert response.headers["Content-Disposition"] == f"attachment; filename={name}", path


def test_the_export_form_is_labelled_and_leads_to_the_files(organiser, event, people):
    page = organiser.get(f"/manage/events/{event.id}/export")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for legend in ("Whose enrolments", "Columns", "File", "Separator in a CSV file"):
        assert f"<legend>{legend}" in html
    assert "Confirmed (4)" in html and "On the waiting list (1)" in html
    for key in services.COLUMNS:
        assert f'value="{key}"' in html
    assert html.count("<label for=") >= len(services.COLUMNS) + len(services.STATUSES) + 5
    response = organiser.get(
        f"/manage/events/{event.id}/export?status=confirmed&status=waitlisted"
        "&columns=name&columns=email&format=csv&delimiter=semicolon"
    )
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location == (
        f"/manage/events/{event.id}/attendees.csv"
        "?status=confirmed,waitlisted&columns=name,email&delimiter=semicolon"
    )
    assert audit_entries() == []  # the form itself exports nothing
    rows = csv_rows(organiser.get(location), delimiter=";")
    assert len(rows) == 1 + len(in_db(event.id, ("confirmed", "waitlisted")))


def test_the_export_form_says_what_is_missing(organiser, event, people):
    response = organiser.get(f"/manage/events/{event.id}/export?columns=name&format=xlsx")
    assert response.status_code == 200
    assert "Choose at least one status." in response.get_data(as_text=True)
    response = organiser.get(f"/manage/events/{event.id}/export?status=confirmed&format=pdf")
    assert "Choose at least one column." in response.get_data(as_text=True)


# --- the audit log, and who may export ----------------------------------------------------------


def test_every_export_is_recorded_with_user_event_and_rows(organiser, event, people):
    user = db.session.execute(select(User).where(User.email == "kati@lab.fi")).scalar_one()
    organiser.get(f"/manage/events/{event.id}/attendees.csv?status=confirmed,waitlisted")
    organiser.get(f"/manage/events/{event.id}/attendees.xlsx?columns=name,phone")
    organiser.get(f"/manage/events/{event.id}/sign-in.pdf")
    entries = audit_entries()
    assert [e.action for e in entries] == ["export-csv", "export-xlsx", "export-pdf"]
    assert {(e.user_id, e.user_email, e.event_id) for e in entries} == {
        (user.id, "kati@lab.fi", event.id)
    }
    assert [e.rows for e in entries] == [
        len(in_db(event.id, ("confirmed", "waitlisted"))),
        len(in_db(event.id)),
        len(in_db(event.id)),
    ]
    assert entries[0].rows == 5
    assert entries[0].detail == (
        "columns=name,email,phone,status; status=confirmed,waitlisted; delimiter=comma"
    )
    assert entries[1].detail == "columns=name,phone; status=confirmed"
    assert entries[2].detail.startswith("columns=name; status=confirmed")
    assert all(abs(e.at - datetime.now(UTC)) < timedelta(minutes=1) for e in entries)


def test_the_coordinator_reads_the_log_newest_first_and_filters_it(
    client, organiser, event, people, make_user, make_event, monkeypatch
):
    other = make_event(title="Toinen tapahtuma")
    organiser.get(f"/manage/events/{event.id}/attendees.csv")
    organiser.get(f"/manage/events/{other.id}/attendees.xlsx")
    db.session.commit()  # end the test's read transaction: a stale one cannot write on SQLite
    make_user("dila@example.fi", coordinator=True)
    coordinator = client.application.test_client()
    login(coordinator, "dila@example.fi")
    coordinator.get(f"/manage/events/{event.id}/sign-in.pdf?lang=en")

    html = coordinator.get("/admin/audit").get_data(as_text=True)
    assert html.index("Sign-in sheet (PDF)") < html.index("XLSX export") < html.index("CSV export")
    assert "kati@lab.fi" in html and "dila@example.fi" in html
    assert "3 entries" in html

    html = coordinator.get(f"/admin/audit?event={other.id}").get_data(as_text=True)
    assert "1 entry" in html and "XLSX export" in html and "CSV export" not in html
    html = coordinator.get("/admin/audit?user=dila@example.fi").get_data(as_text=True)
    assert "1 entry" in html and "Sign-in sheet (PDF)" in html and "XLSX export" not in html

    assert coordinator.get("/admin/audit?page=%C2%B2&event=x").status_code == 200  # ignored

    monkeypatch.setattr(services, "AUDIT_PER_PAGE", 2)
    first = coordinator.get("/admin/audit").get_data(as_text=True)
    second = coordinator.get("/admin/audit?page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first and "Sign-in sheet (PDF)" in first and "CSV export" not in first
    assert "Page 2 of 2" in second and "CSV export" in second and "XLSX export" not in second


def test_only_the_coordinator_reads_the_log(client, organiser, make_user):
    app = client.application
    assert organiser.get("/admin/audit").status_code == 403
    make_user("valmentaja@example.fi", coach=["lab"])
    coach = app.test_client()
    login(coach, "valmentaja@example.fi")
    assert coach.get("/admin/audit").status_code == 403
    anonymous = app.test_client().get("/admin/audit")
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["Location"]


EXPORT_PATHS = ("export", "attendees.csv", "attendees.xlsx", "sign-in.pdf")


def test_another_organisations_organiser_gets_404_and_leaves_no_entry(
    client, event, people, make_user
):
    app = client.application
    make_user("ohjaamo@example.fi", organiser=["ohjaamo"])
    other = app.test_client()
    login(other, "ohjaamo@example.fi")
    for path in EXPORT_PATHS:
        response = other.get(f"/manage/events/{event.id}/{path}")
        assert response.status_code == 404, path
        assert b"Meik" not in response.get_data()
    assert audit_entries() == []


def test_a_coach_gets_403_and_an_anonymous_user_the_login_page(client, event, people, make_user):
    app = client.application
    make_user("valmentaja2@example.fi", coach=["lab"])
    coach = app.test_client()
    login(coach, "valmentaja2@example.fi")
    anonymous = app.test_client()
    for path in EXPORT_PATHS:
        assert coach.get(f"/manage/events/{event.id}/{path}").status_code == 403, path
        response = anonymous.get(f"/manage/events/{event.id}/{path}")
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    assert audit_entries() == []


def test_the_coordinator_exports_any_event(client, event, people, make_user):
    app = client.application
    make_user("dila@example.fi", coordinator=True)
    coordinator = app.test_client()
    login(coordinator, "dila@example.fi")
    rows = csv_rows(coordinator.get(f"/manage/events/{event.id}/attendees.csv"))
    assert len(rows) == 5
    assert audit_entries()[0].user_email == "dila@example.fi"


def test_a_missing_event_is_404(organiser):
    for path in EXPORT_PATHS:
        assert organiser.get(f"/manage/events/999999/{path}").status_code == 404
    with Session(db.engine) as session:
        assert session.execute(select(func.count(AuditEntry.id))).scalar_one() == 0
