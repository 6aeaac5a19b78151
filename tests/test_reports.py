"""The reach report: every number against hand-computed values, the totals, the organisation
scoping, the downloads read back, the chart, a fixed number of queries, and the same numbers
after anonymisation."""

import csv
import io
import re
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import event as sa_event
from sqlalchemy import select

from eventsapp.database import utcnow
from eventsapp.extensions import db
from eventsapp.models import (
    Attendance,
    Enrolment,
    Event,
    EventSession,
    EventStatus,
    Organisation,
)
from eventsapp.reports import services
from eventsapp.reports.services import Counts, Period
from tests.conftest import Client as ServerLikeClient
from tests.conftest import login

HELSINKI = ZoneInfo("Europe/Helsinki")
MARCH, APRIL = date(2025, 3, 1), date(2025, 4, 1)
PERIOD = Period(MARCH, APRIL)
QUERY = "from=2025-03&to=2025-04&lang=en"
KOULUTUS, PAJA = "koulutuspalvelut", "tyopajatoiminta"
MATTI = "matti@example.fi"  # attends four events: counted in each

# (events, enrolments, confirmed, waitlisted, attended, met target group, no-show marks, marks)
LAB_EXPECTED = {
    ("2025-03", KOULUTUS): (1, 9, 4, 2, 2, 1, 3, 6),
    ("2025-03", PAJA): (1, 3, 2, 0, 1, 1, 1, 2),
    ("2025-03", "all"): (2, 12, 6, 2, 3, 2, 4, 8),
    ("2025-04", KOULUTUS): (1, 2, 0, 0, 0, 0, 0, 0),
    ("2025-04", PAJA): (1, 4, 3, 1, 2, 1, 1, 3),
    ("2025-04", "all"): (2, 6, 3, 1, 2, 1, 1, 3),
    ("all", KOULUTUS): (2, 11, 4, 2, 2, 1, 3, 6),
    ("all", PAJA): (2, 7, 5, 1, 3, 2, 2, 5),
    ("all", "all"): (4, 18, 9, 3, 5, 3, 5, 11),
}
# No-show rate in per cent, one decimal: no-show marks / marks.
LAB_RATES = {
    ("2025-03", KOULUTUS): 50.0,
    ("2025-03", PAJA): 50.0,
    ("2025-03", "all"): 50.0,
    ("2025-04", KOULUTUS): None,
    ("2025-04", PAJA): 33.3,
    ("2025-04", "all"): 33.3,
    ("all", KOULUTUS): 50.0,
    ("all", PAJA): 40.0,
    ("all", "all"): 45.5,
}
# The network adds Ohjaamo's March event in koulutuspalvelut: one confirmed person who came.
NETWORK_EXPECTED = {
    **LAB_EXPECTED,
    ("2025-03", KOULUTUS): (2, 10, 5, 2, 3, 2, 3, 7),
    ("2025-03", "all"): (3, 13, 7, 2, 4, 3, 4, 9),
    ("all", KOULUTUS): (3, 12, 5, 2, 3, 2, 3, 7),
    ("all", "all"): (5, 19, 10, 3, 6, 4, 5, 12),
}
OHJAAMO_EXPECTED = {
    ("2025-03", KOULUTUS): (1, 1, 1, 0, 1, 1, 0, 1),
    ("2025-03", "all"): (1, 1, 1, 0, 1, 1, 0, 1),
    ("2025-04", "all"): (0, 0, 0, 0, 0, 0, 0, 0),
    ("all", KOULUTUS): (1, 1, 1, 0, 1, 1, 0, 1),
    ("all", "all"): (1, 1, 1, 0, 1, 1, 0, 1),
}


# --- building the data -----------------------------------------------------------------------


def helsinki(year, month, day, hour=10, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=HELSINKI)


def make(catalogue, organisation, category, starts, sessions=1, status=EventStatus.PUBLISHED):
    """An event whose sessions start at `starts` and weekly after it."""
    event = Event(
        title=f"Event {organisation} {starts:%Y-%m-%d %H:%M}",
        organisation=catalogue[organisation],
        category=catalogue[category],
        status=status,
        capacity=20,
        sessions=[
            EventSession(
                starts_at=starts + timedelta(weeks=week),
                ends_at=starts + timedelta(weeks=week, hours=2),
            )
            for week in range(sessions)
        ],
    )
    db.session.add(event)
    db.session.flush()
    return event


_people = iter(range(1, 100000))


def enrol(event, status, missed=(), marks=(), email=None):
    """An enrolment made directly (any status), with attendance marks per session in order:
    "a" attended, "n" no-show, "-" no mark."""
    number = next(_people)
    email = email or f"person{number}@example.fi"
    enrolment = Enrolment(
        event_id=event.id,
        status=status,
        first_name=f"Matti{number}",
        last_name="Meikäläinen",
        email=email,
        email_key=email,
        phone="040 123 4567",
        birth_date=date(2001, 5, 17),
        notes="Tulen kaverin kanssa.",
        missed_rule_ids=list(missed),
        consent_at=utcnow(),
    )
    db.session.add(enrolment)
    db.session.flush()
    for session, mark in zip(event.sessions, marks, strict=False):
        if mark != "-":
            status_of = {"a": "attended", "n": "no_show"}[mark]
            db.session.add(
                Attendance(enrolment_id=enrolment.id, session_id=session.id, status=status_of)
            )
    return enrolment


@pytest.fixture
def world(app, catalogue):
    """Events of LAB and Ohjaamo in March and April 2025 (Helsinki), in two categories, with
    enrolments in every status and attendance marks; and events that must not count."""
    # E1: LAB, koulutuspalvelut, March, two sessions.
    e1 = make(catalogue, "lab", "category", helsinki(2025, 3, 10), sessions=2)
    enrol(e1, "confirmed", marks="aa", email=MATTI)  # attended twice: one person
    enrol(e1, "confirmed", missed=[5], marks="an")  # attended, missed a soft rule
    enrol(e1, "confirmed", marks="nn")
    enrol(e1, "confirmed")  # not marked
    enrol(e1, "waitlisted")
    enrol(e1, "waitlisted")
    enrol(e1, "pending")
    enrol(e1, "cancelled", marks="a-")  # came once, then cancelled: not "attended"
    enrol(e1, "rejected", missed=[5])
    # E2: LAB, työpajatoiminta, March.
    e2 = make(catalogue, "lab", "other_category", helsinki(2025, 3, 20))
    enrol(e2, "confirmed", marks="a", email=MATTI)  # the same person in another event
    enrol(e2, "confirmed", marks="n")
    enrol(e2, "cancelled")
    # E3: LAB, koulutuspalvelut, cancelled; 31.3. 21.30 UTC is already 1.4. in Helsinki.
    e3 = make(
        catalogue,
        "lab",
        "category",
        datetime(2025, 3, 31, 21, 30, tzinfo=UTC),
        status=EventStatus.CANCELLED,
    )
    enrol(e3, "cancelled")
    enrol(e3, "cancelled")
    # E4: LAB, työpajatoiminta, April.
    e4 = make(catalogue, "lab", "other_category", helsinki(2025, 4, 15))
    enrol(e4, "confirmed", missed=[7], marks="a")
    enrol(e4, "confirmed", marks="a", email=MATTI)
    enrol(e4, "confirmed", marks="n")
    enrol(e4, "waitlisted")
    # Not counted: a draft in March; an event whose first session is in February (28.2.
    # 23.30 in Helsinki) although its second is in March; one in May.
    draft = make(catalogue, "lab", "category", helsinki(2025, 3, 12), status=EventStatus.DRAFT)
    enrol(draft, "confirmed", marks="a")
    february = make(
        catalogue, "lab", "category", datetime(2025, 2, 28, 21, 30, tzinfo=UTC), sessions=2
    )
    enrol(february, "confirmed", marks="aa")
    may = make(catalogue, "lab", "other_category", helsinki(2025, 5, 2))
    enrol(may, "confirmed", marks="a")
    # Ohjaamo's March event: counted for the network, never for LAB.
    ohjaamo = make(catalogue, "ohjaamo", "category", helsinki(2025, 3, 25))
    enrol(ohjaamo, "confirmed", marks="a", email=MATTI)
    db.session.commit()
    return catalogue


def as_table(report: services.Report) -> dict:
    """The report as {(month, category slug): numbers}; "all" for totals."""

    def numbers(counts: Counts) -> tuple:
        return tuple(getattr(counts, name) for name in services.NUMBER_COLUMNS)

    table = {}
    for block in report.months:
        month = f"{block.month:%Y-%m}"
        for category, counts in block.rows:
            table[(month, category.slug)] = numbers(counts)
        table[(month, "all")] = numbers(block.total)
    for category, counts in report.categories:
        table[("all", category.slug)] = numbers(counts)
    table[("all", "all")] = numbers(report.total)
    return table


def rates_of(report: services.Report) -> dict:
    rates = {}
    for block in report.months:
        month = f"{block.month:%Y-%m}"
        for category, counts in block.rows:
            rates[(month, category.slug)] = services.rate_percent(counts.no_show_rate)
        rates[(month, "all")] = services.rate_percent(block.total.no_show_rate)
    for category, counts in report.categories:
        rates[("all", category.slug)] = services.rate_percent(counts.no_show_rate)
    rates[("all", "all")] = services.rate_percent(report.total.no_show_rate)
    return rates


def org_id(slug: str) -> int:
    return db.session.execute(select(Organisation.id).where(Organisation.slug == slug)).scalar_one()


# --- reading the page ------------------------------------------------------------------------


class ReportTable(HTMLParser):
    """The page's table: {(data-month, data-category): {data-column: text}}."""

    def __init__(self):
        super().__init__()
        self.rows: dict = {}
        self._row = None
        self._column = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-month" in a:
            self._row = self.rows.setdefault((a["data-month"], a["data-category"]), {})
        elif tag == "td" and self._row is not None and "data-column" in a:
            self._column = a["data-column"]
            self._row[self._column] = ""

    def handle_data(self, data):
        if self._row is not None and self._column:
            self._row[self._column] += data

    def handle_endtag(self, tag):
        if tag == "td":
            self._column = None
        elif tag == "tr":
            self._row = None


PAGE_COLUMNS = ("events", "enrolments", "confirmed", "waitlisted", "attended", "met_target_group")


def page_numbers(html: str) -> tuple[dict, dict]:
    """The page's numbers as {(month, category): (six counts)} and its rates in per cent, read
    the way people read them ("50.0 % (4 of 8 marks)")."""
    parser = ReportTable()
    parser.feed(html)
    numbers, rates = {}, {}
    for key, cells in parser.rows.items():
        numbers[key] = tuple(int(cells[name].strip()) for name in PAGE_COLUMNS)
        rate = cells["no_show_rate"].strip()
        rates[key] = None if rate == "–" else float(re.match(r"([\d.]+) %", rate).group(1))
    return numbers, rates


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def users(make_user, world):
    return {
        "lab": make_user("lab@example.fi", organiser=["lab"]),
        "both": make_user("both@example.fi", organiser=["lab", "ohjaamo"]),
        "coordinator": make_user("dila@example.fi", coordinator=True),
        "coach": make_user("coach@example.fi", coach=["lab"]),
    }


# --- the numbers -----------------------------------------------------------------------------


def test_every_number_of_an_organisation(world):
    report = services.reach(PERIOD, {org_id("lab")})
    assert as_table(report) == LAB_EXPECTED
    assert rates_of(report) == LAB_RATES
    assert [block.month for block in report.months] == [MARCH, APRIL]
    # Categories in the catalogue's order: koulutuspalvelut (0) before työpajatoiminta (6).
    assert [c.slug for c, _ in report.months[0].rows] == [KOULUTUS, PAJA]


def test_totals_are_the_sums_of_their_rows(world):
    report = services.reach(PERIOD, None)
    for block in report.months:
        summed = Counts()
        for _, counts in block.rows:
            summed.add(counts)
        assert summed == block.total
    by_category = Counts()
    for _, counts in report.categories:
        by_category.add(counts)
    by_month = Counts()
    for block in report.months:
        by_month.add(block.total)
    assert by_category == by_month == report.total


def test_the_network_and_another_organisation(world):
    assert as_table(services.reach(PERIOD, None)) == NETWORK_EXPECTED
    assert as_table(services.reach(PERIOD, {org_id("ohjaamo-lahti")})) == OHJAAMO_EXPECTED
    both = services.reach(PERIOD, {org_id("lab"), org_id("ohjaamo-lahti")})
    assert as_table(both) == NETWORK_EXPECTED


def test_month_is_the_helsinki_month_of_the_first_session(world):
    """February's event (first session 28.2. 23.30, second in March) is not in March; the one
    at 31.3. 21.30 UTC is April's; the draft and May's are nowhere."""
    february = services.reach(Period(date(2025, 2, 1), date(2025, 2, 1)), {org_id("lab")})
    assert as_table(february)[("2025-02", KOULUTUS)] == (1, 1, 1, 0, 1, 1, 0, 2)
    assert as_table(services.reach(PERIOD, {org_id("lab")}))[("2025-04", KOULUTUS)][0] == 1
    may = services.reach(Period(date(2025, 5, 1), date(2025, 5, 1)), {org_id("lab")})
    assert as_table(may)[("all", "all")] == (1, 1, 1, 0, 1, 1, 0, 1)


def test_periods():
    at = datetime(2025, 1, 15, 12, tzinfo=UTC)
    assert services.last_twelve_months(at) == Period(date(2024, 2, 1), date(2025, 1, 1))
    # 31.1. 22.30 UTC is already February in Helsinki.
    late = datetime(2025, 1, 31, 22, 30, tzinfo=UTC)
    assert services.last_twelve_months(late) == Period(date(2024, 3, 1), date(2025, 2, 1))
    assert services.preset("spring", 2025) == Period(date(2025, 1, 1), date(2025, 6, 1))
    assert services.preset("autumn", 2024) == Period(date(2024, 7, 1), date(2024, 12, 1))
    assert services.parse_month("2025-03") == services.parse_month("3/2025") == MARCH
    assert services.parse_month("3.2025") == MARCH
    for wrong in ("2025-13", "2025", "maaliskuu", "", "1999-01"):
        assert services.parse_month(wrong) is None
    assert Period(date(2024, 11, 1), date(2025, 2, 1)).months == [
        date(2024, 11, 1),
        date(2024, 12, 1),
        date(2025, 1, 1),
        date(2025, 2, 1),
    ]
    assert PERIOD.starts_at == datetime(2025, 2, 28, 22, 0, tzinfo=UTC)
    assert PERIOD.ends_at == datetime(2025, 4, 30, 21, 0, tzinfo=UTC)  # summer time


# --- the pages and who sees what -------------------------------------------------------------


def test_organiser_page_shows_their_numbers(client, users):
    login(client, "lab@example.fi")
    response = client.get(f"/manage/reports?{QUERY}")
    assert response.status_code == 200
    numbers, rates = page_numbers(text(response))
    assert numbers == {key: value[:6] for key, value in LAB_EXPECTED.items()}
    assert rates == LAB_RATES
    html = text(response)
    assert 'name="organisation"' not in html  # one organisation: nothing to choose
    assert "Ohjaamo" not in html
    assert "How the numbers are counted" in html


def test_organiser_asking_for_another_organisation_gets_404(client, users, world):
    login(client, "lab@example.fi")
    ohjaamo = org_id("ohjaamo-lahti")
    for wanted in (str(ohjaamo), "999999", "abc"):
        assert client.get(f"/manage/reports?organisation={wanted}").status_code == 404
        url = f"/manage/reports?organisation={wanted}&format=csv&{QUERY}"
        assert client.get(url).status_code == 404
    assert client.get(f"/manage/reports?organisation={org_id('lab')}").status_code == 200


def test_organiser_of_two_organisations_chooses(client, users, world):
    login(client, "both@example.fi")
    html = text(client.get(f"/manage/reports?{QUERY}"))
    assert 'name="organisation"' in html and "All my organisations" in html
    assert page_numbers(html)[0] == {k: v[:6] for k, v in NETWORK_EXPECTED.items()}
    ohjaamo = text(client.get(f"/manage/reports?organisation={org_id('ohjaamo-lahti')}&{QUERY}"))
    assert page_numbers(ohjaamo)[0] == {k: v[:6] for k, v in OHJAAMO_EXPECTED.items()}


def test_coordinator_sees_the_network_and_filters(client, users, world):
    login(client, "dila@example.fi")
    for path in ("/admin/reports", "/manage/reports"):
        html = text(client.get(f"{path}?{QUERY}"))
        assert page_numbers(html)[0] == {k: v[:6] for k, v in NETWORK_EXPECTED.items()}
        assert "The whole network" in html
        lab = text(client.get(f"{path}?organisation={org_id('lab')}&{QUERY}"))
        assert page_numbers(lab)[0] == {k: v[:6] for k, v in LAB_EXPECTED.items()}
    assert client.get("/admin/reports?organisation=999999").status_code == 404


def test_who_may_open_the_reports(app, users):
    app.test_client_class = ServerLikeClient  # each request in its own app context
    anonymous = app.test_client()
    for path in ("/manage/reports", "/admin/reports"):
        response = anonymous.get(path)
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    expected = {
        "lab@example.fi": {"/manage/reports": 200, "/admin/reports": 403},
        "coach@example.fi": {"/manage/reports": 403, "/admin/reports": 403},
        "dila@example.fi": {"/manage/reports": 200, "/admin/reports": 200},
    }
    for email, answers in expected.items():
        client = app.test_client()
        login(client, email)
        for path, status in answers.items():
            assert client.get(path).status_code == status, (email, path)


def test_default_period_and_presets(client, users):
    login(client, "lab@example.fi")
    default = services.last_twelve_months(utcnow())
    html = text(client.get("/manage/reports?lang=en"))
    assert f'value="{default.first:%Y-%m}"' in html and f'value="{default.last:%Y-%m}"' in html
    assert len(page_numbers(html)[0]) >= 12 + 1  # every month's total and the overall total
    html = text(client.get("/manage/reports?preset=spring&year=2025&lang=en"))
    assert 'value="2025-01"' in html and 'value="2025-06"' in html
    assert page_numbers(html)[0][("all", "all")] == (6, 20, 11, 3, 7, 5)
    assert "Spring (Jan–Jun)" in html and "Autumn (Jul–Dec)" in html
    autumn = text(client.get("/manage/reports?preset=autumn&year=2024&lang=en"))
    assert 'value="2024-07"' in autumn and 'value="2024-12"' in autumn


def test_a_wrong_period_is_explained(client, users):
    login(client, "lab@example.fi")
    cases = {
        "from=maaliskuu&to=2025-04": "Enter the first month",
        "from=2025-04&to=2025-03": "The last month cannot be before the first month.",
        "from=2020-01&to=2025-01": "at most 36 months",
        "preset=winter&year=2025": "Choose spring or autumn.",
        "preset=spring&year=x": "Choose a year.",
    }
    for query, message in cases.items():
        response = client.get(f"/manage/reports?{query}&lang=en")
        html = text(response)
        assert response.status_code == 200
        assert message in html and 'role="alert"' in html
        assert "data-month" not in html  # no numbers for a period that is not one
        assert client.get(f"/manage/reports?{query}&format=csv").status_code == 400
    assert client.get(f"/manage/reports?{QUERY}&format=pdf").status_code == 404


# --- downloads -------------------------------------------------------------------------------


def csv_numbers(body: bytes, delimiter: str) -> tuple[dict, dict, list]:
    """The CSV's numbers keyed like the page's; its header."""
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 byte order mark
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=delimiter))
    header, rows = rows[0], rows[1:]
    return _keyed(header, rows, lambda rate: float(rate.replace(",", ".")) if rate else None)


def _keyed(header, rows, read_rate) -> tuple[dict, dict, list]:
    slugs = {"Education and training services": KOULUTUS, "Workshop activities": PAJA}
    numbers, rates = {}, {}
    for row in rows:
        month = "all" if row[0] == "Whole period" else row[0]
        category = "all" if row[1] == "All categories" else slugs[row[1]]
        numbers[(month, category)] = tuple(int(value) for value in row[2:10])
        rates[(month, category)] = read_rate(row[10])
    return numbers, rates, header


def test_csv_downloads_equal_the_page(client, users):
    login(client, "lab@example.fi")
    page, page_rates = page_numbers(text(client.get(f"/manage/reports?{QUERY}")))
    comma = client.get(f"/manage/reports?{QUERY}&format=csv")
    assert comma.status_code == 200
    assert comma.mimetype == "text/csv"
    assert "attachment" in comma.headers["Content-Disposition"]
    assert "reach-lab-2025-03-2025-04.csv" in comma.headers["Content-Disposition"]
    numbers, rates, header = csv_numbers(comma.data, ",")
    assert numbers == LAB_EXPECTED
    assert {key: value[:6] for key, value in numbers.items()} == page
    assert rates == page_rates == LAB_RATES
    assert header[:3] == ["Month", "Service category", "Events"]
    semicolon = client.get(f"/manage/reports?{QUERY}&format=csv&delimiter=semicolon")
    assert b";" in semicolon.data.splitlines()[0]
    assert b"33,3" in semicolon.data  # the decimal comma goes with the semicolons
    numbers, rates, _ = csv_numbers(semicolon.data, ";")
    assert numbers == LAB_EXPECTED and rates == LAB_RATES


def test_xlsx_download_equals_the_page(client, users):
    login(client, "lab@example.fi")
    page, page_rates = page_numbers(text(client.get(f"/manage/reports?{QUERY}")))
    response = client.get(f"/manage/reports?{QUERY}&format=xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "C2"  # the header row (and the row labels) stay in view
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header, data = rows[0], rows[1:]
    for row in data:
        assert all(type(value) is int for value in row[2:10]), row
        assert row[10] is None or isinstance(row[10], float)
    assert sheet.cell(row=2, column=11).number_format == "0.0%"
    numbers, rates, _ = _keyed(
        header, data, lambda rate: None if rate is None else round(rate * 100, 1)
    )
    assert numbers == LAB_EXPECTED
    assert {key: value[:6] for key, value in numbers.items()} == page
    assert rates == page_rates
    assert "No-show rate" in [row[0] for row in book.worksheets[1].iter_rows(values_only=True)]


# --- the chart -------------------------------------------------------------------------------


def test_chart_is_labelled_in_text_and_needs_no_colour(client, users):
    login(client, "lab@example.fi")
    html = text(client.get(f"/manage/reports?{QUERY}"))
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg
    assert 'aria-labelledby="reach-chart-title reach-chart-desc"' in svg
    assert '<title id="reach-chart-title">' in svg and '<desc id="reach-chart-desc">' in svg
    assert "viewBox=" in svg and 'width="100%"' in svg and "<script" not in html
    labels = re.findall(r'<text class="report-bar-label"[^>]*>([^<]*)</text>', svg)
    # Two bars a month, each named with its series and number: March, then April.
    assert labels == ["Confirmed 6", "Attended 3", "Confirmed 3", "Attended 2"]
    assert 'fill="url(#reach-hatch)"' in svg  # attended is hatched, confirmed solid
    assert svg.count('class="report-bar report-bar-confirmed"') == 2
    assert svg.count('class="report-bar report-bar-attended"') == 2
    widths = [float(w) for w in re.findall(r'class="report-bar [^"]*"[^>]*width="([\d.]+)"', svg)]
    assert widths[0] == max(widths) and widths[1] == widths[2] == widths[0] / 2


def test_chart_geometry_of_zero_months():
    report = services.Report(
        period=PERIOD,
        months=[
            services.MonthBlock(MARCH, [], Counts()),
            services.MonthBlock(APRIL, [], Counts(confirmed=4, attended=0)),
        ],
        categories=[],
    )
    chart = services.chart(report)
    march, april = chart.months
    assert [bar.width for bar in march.bars] == [0, 0]
    assert april.bars[0].width == services.CHART_WIDTH - services.MONTH_COLUMN - 122
    assert all(bar.text_x + 115 <= chart.width for m in chart.months for bar in m.bars)


# --- queries and anonymisation ---------------------------------------------------------------


@contextmanager
def counted_queries():
    statements: list[str] = []

    def remember(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", remember)


def test_a_fixed_number_of_queries(client, app, catalogue, make_user):
    make_user("dila@example.fi", coordinator=True)
    login(client, "dila@example.fi")

    def add_events(count: int) -> None:
        for i in range(count):
            event = make(
                catalogue,
                ("lab", "ohjaamo")[i % 2],
                ("category", "other_category")[i % 2],
                helsinki(2025, 3 + i % 2, 1 + i),
                sessions=2,
            )
            enrol(event, "confirmed", marks="an")
            enrol(event, "waitlisted")
        db.session.commit()

    def measure() -> tuple[int, int, int]:
        db.session.commit()
        with counted_queries() as service:
            report = services.reach(PERIOD, None)
        with counted_queries() as page:
            assert client.get(f"/admin/reports?{QUERY}").status_code == 200
        with counted_queries() as download:
            assert client.get(f"/admin/reports?{QUERY}&format=xlsx").status_code == 200
        selects = [s for s in service if s.lstrip().upper().startswith("SELECT")]
        # categories, enrolment counts, attendance counts, the reach questions' answers
        assert len(selects) == 4, selects
        # The user and their memberships, the organisations, and the report's four.
        assert len([s for s in page if s.lstrip().upper().startswith("SELECT")]) == 7, page
        return report.total.events, len(page), len(download)

    add_events(2)
    events, page_two, download_two = measure()
    assert events == 2
    add_events(18)
    events, page_twenty, download_twenty = measure()
    assert events == 20
    assert (page_twenty, download_twenty) == (page_two, download_two)


def test_same_numbers_after_anonymisation(client, users):
    login(client, "dila@example.fi")
    before = services.reach(PERIOD, None)
    before_csv = client.get(f"/admin/reports?{QUERY}&format=csv").data
    before_page = page_numbers(text(client.get(f"/admin/reports?{QUERY}")))
    enrolments = list(db.session.execute(select(Enrolment)).scalars())
    assert len(enrolments) > 20
    for enrolment in enrolments:
        enrolment.first_name = enrolment.last_name = ""
        enrolment.email = ""
        enrolment.email_key = f"anonymised:{enrolment.id}"
        enrolment.phone = enrolment.notes = enrolment.override_reason = ""
        enrolment.staff_message = ""
        enrolment.birth_date = None
        enrolment.municipality = enrolment.gender = enrolment.employment_status = None
        enrolment.answers = {}
        enrolment.anonymised_at = utcnow()
    db.session.commit()
    after = services.reach(PERIOD, None)
    assert as_table(after) == as_table(before) == NETWORK_EXPECTED
    assert rates_of(after) == rates_of(before)
    assert client.get(f"/admin/reports?{QUERY}&format=csv").data == before_csv
    assert page_numbers(text(client.get(f"/admin/reports?{QUERY}"))) == before_page


def test_same_numbers_after_the_retention_command(client, users):
    """The real `flask gdpr anonymise`, on events long past: the report does not move."""
    from eventsapp.privacy.services import anonymise_expired

    before = services.reach(PERIOD, None)
    result = anonymise_expired(days=90)
    db.session.commit()
    db.session.expire_all()
    names = db.session.execute(select(Enrolment.first_name, Enrolment.anonymised_at)).all()
    assert result.anonymised > 20
    assert all(first == "" and at is not None for first, at in names)
    after = services.reach(PERIOD, None)
    assert as_table(after) == as_table(before) == NETWORK_EXPECTED
    assert rates_of(after) == rates_of(before)
