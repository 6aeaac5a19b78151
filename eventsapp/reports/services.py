"""The reach report: what the network's events reached, per month and per service category.

Definitions (the page says the same in plain words):

- **Events counted**: published and cancelled events (never drafts) of the chosen
  organisations whose first session starts in the period. An event without sessions is left
  out.
- **Month**: the month (Europe/Helsinki) in which the event's first session starts. All of
  an event's enrolments and attendance count in that month, however many sessions it has.
- **Enrolments**: every enrolment made to the event, whatever its status now (confirmed,
  waiting list, waiting for review, cancelled, not accepted). Someone who cancels and enrols
  again has made two enrolments.
- **Confirmed**: enrolments that are confirmed now.
- **Waiting list**: enrolments that are on the waiting list now.
- **Attended**: confirmed enrolments (people) marked as attended at least once, at any of
  the event's sessions. One enrolment is one person in one event: someone who attends two
  events counts in both.
- **Met target group**: of those attended, the ones whose enrolment missed none of the
  event's target-group rules (`missed_rule_ids` empty). Strict rules can never be missed:
  whoever misses one cannot enrol.
- **No-show rate**: per session mark. No-show marks / (attended marks + no-show marks), over
  the marks given to confirmed enrolments (the same people as "attended"). A course of four
  sessions gives one person up to four marks. Empty when no marks were given.

Every number comes from fields that anonymisation keeps: the enrolment's status and
`missed_rule_ids`, the attendance marks, the event's status, organisation, category and
session times. Never names, contact details, dates of birth or free text: the report is the
same before and after anonymisation.

The numbers are aggregated in the database (GROUP BY): the report takes a fixed number of
queries however many events there are.
"""

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, distinct, func, literal, select

from eventsapp.database import UTCDateTime
from eventsapp.extensions import db
from eventsapp.models import (
    Attendance,
    AttendanceStatus,
    Category,
    Enrolment,
    EnrolmentStatus,
    Event,
    EventSession,
    EventStatus,
    session_spans,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
COUNTED_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED)
MAX_MONTHS = 36  # a longer period is refused: the month expression grows with it


# --- the period ------------------------------------------------------------------------------


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> int:
    """How many months from `first` to `last`, both included."""
    return (last.year - first.year) * 12 + last.month - first.month + 1


def helsinki_midnight(month: date) -> datetime:
    """The moment the month begins in Helsinki, in UTC."""
    return datetime(month.year, month.month, 1, tzinfo=HELSINKI).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    """Whole months, from `first` to `last` (both the first day of their month), inclusive."""

    first: date
    last: date

    @property
    def months(self) -> list[date]:
        return [add_months(self.first, i) for i in range(months_between(self.first, self.last))]

    @property
    def starts_at(self) -> datetime:
        return helsinki_midnight(self.first)

    @property
    def ends_at(self) -> datetime:
        """The moment after the period: the start of the month after `last`."""
        return helsinki_midnight(add_months(self.last, 1))


def this_month(now: datetime) -> date:
    local = now.astimezone(HELSINKI)
    return date(local.year, local.month, 1)


def last_twelve_months(now: datetime) -> Period:
    """The default: the last 12 months, the current one included."""
    current = this_month(now)
    return Period(add_months(current, -11), current)


PRESETS = {"spring": (1, 6), "autumn": (7, 12)}  # Jan–Jun, Jul–Dec


def preset(name: str, year: int) -> Period:
    first, last = PRESETS[name]
    return Period(date(year, first, 1), date(year, last, 1))


MONTH_PATTERNS = (
    re.compile(r"^(?P<year>\d{4})-(?P<month>\d{1,2})$"),  # 2025-03, as <input type=month>
    re.compile(r"^(?P<month>\d{1,2})[./](?P<year>\d{4})$"),  # 3/2025, 3.2025
)


def parse_month(text: str) -> date | None:
    """A month as typed: "2025-03", "3/2025" or "3.2025"; None if it is not one."""
    text = text.strip()
    for pattern in MONTH_PATTERNS:
        found = pattern.match(text)
        if found:
            year, month = int(found["year"]), int(found["month"])
            if 2000 <= year <= 2100 and 1 <= month <= 12:
                return date(year, month, 1)
    return None


# --- the numbers -----------------------------------------------------------------------------


@dataclass
class Counts:
    """The numbers of one row. All are sums over events, so rows add up exactly."""

    events: int = 0
    enrolments: int = 0
    confirmed: int = 0
    waitlisted: int = 0
    attended: int = 0
    met_target_group: int = 0
    no_show_marks: int = 0
    marks: int = 0  # attended marks + no-show marks

    @property
    def no_show_rate(self) -> float | None:
        """No-show marks / all marks; None when there are no marks."""
        return self.no_show_marks / self.marks if self.marks else None

    def add(self, other: "Counts") -> None:
        for name in COUNT_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


COUNT_FIELDS = tuple(f.name for f in fields(Counts))


@dataclass
class MonthBlock:
    month: date
    rows: list[tuple[Category, Counts]]  # per category with events, in catalogue order
    total: Counts


@dataclass
class Report:
    period: Period
    months: list[MonthBlock]
    categories: list[tuple[Category, Counts]]  # the whole period, per category with events
    total: Counts = field(default_factory=Counts)
    # The organiser's "counts in the reach report" questions: (event, question, {choice: n})
    choices: list[tuple[str, str, dict[str, int]]] = field(default_factory=list)


def _month_index(column, period: Period):
    """A CASE expression: which month of the period (0, 1, ...) a UTC moment falls in, by the
    Helsinki calendar. Portable: the boundaries are computed here, not by the database."""
    bounds = [helsinki_midnight(add_months(month, 1)) for month in period.months]
    whens = [(column < literal(bound, UTCDateTime()), i) for i, bound in enumerate(bounds)]
    return case(*whens, else_=None)


def _counted_events(period: Period, organisation_ids: Iterable[int] | None):
    """The events the report counts, with their month index and category, as a subquery."""
    spans = session_spans()
    stmt = (
        select(
            Event.id.label("event_id"),
            Event.category_id.label("category_id"),
            _month_index(spans.c.starts_at, period).label("month"),
        )
        .join(spans, spans.c.event_id == Event.id)
        .where(
            Event.status.in_([str(status) for status in COUNTED_STATUSES]),
            spans.c.starts_at >= literal(period.starts_at, UTCDateTime()),
            spans.c.starts_at < literal(period.ends_at, UTCDateTime()),
        )
    )
    if organisation_ids is not None:
        stmt = stmt.where(Event.organisation_id.in_(sorted(organisation_ids)))
    return stmt.subquery("counted")


def _enrolment_counts(events) -> dict[tuple[int, int], Counts]:
    """Events, enrolments, confirmed and waiting list per (month index, category)."""

    def count_status(status: str):
        return func.count(case((Enrolment.status == status, Enrolment.id)))

    stmt = (
        select(
            events.c.month,
            events.c.category_id,
            func.count(distinct(events.c.event_id)),
            func.count(Enrolment.id),
            count_status(EnrolmentStatus.CONFIRMED),
            count_status(EnrolmentStatus.WAITLISTED),
        )
        .select_from(events)
        .outerjoin(Enrolment, Enrolment.event_id == events.c.event_id)
        .group_by(events.c.month, events.c.category_id)
    )
    return {
        (month, category_id): Counts(
            events=n_events, enrolments=n_enrolments, confirmed=confirmed, waitlisted=waitlisted
        )
        for month, category_id, n_events, n_enrolments, confirmed, waitlisted in db.session.execute(
            stmt
        )
    }


def _attendance_counts(events) -> dict[tuple[int, int], tuple[int, int, int, int]]:
    """Attended, met target group, no-show marks and all marks per (month index, category),
    over the marks of confirmed enrolments at the event's own sessions."""
    attended = Attendance.status == AttendanceStatus.ATTENDED
    met_all_rules = func.coalesce(func.json_array_length(Enrolment.missed_rule_ids), 0) == 0
    stmt = (
        select(
            events.c.month,
            events.c.category_id,
            func.count(distinct(case((attended, Enrolment.id)))),
            func.count(distinct(case((and_(attended, met_all_rules), Enrolment.id)))),
            func.count(case((Attendance.status == AttendanceStatus.NO_SHOW, Attendance.id))),
            func.count(Attendance.id),
        )
        .select_from(Attendance)
        .join(Enrolment, Enrolment.id == Attendance.enrolment_id)
        .join(
            EventSession,
            and_(
                EventSession.id == Attendance.session_id,
                EventSession.event_id == Enrolment.event_id,
            ),
        )
        .join(events, events.c.event_id == Enrolment.event_id)
        .where(Enrolment.status == EnrolmentStatus.CONFIRMED)
        .group_by(events.c.month, events.c.category_id)
    )
    return {(row[0], row[1]): tuple(row[2:]) for row in db.session.execute(stmt)}


def reach(period: Period, organisation_ids: Iterable[int] | None) -> Report:
    """The reach report of these organisations (None: the whole network) for the period.

    Five queries, however many events: the categories, the enrolment counts and the
    attendance counts, both grouped by month and category in the database, and the counts
    per choice of the organisers' "counts in the reach report" questions (two)."""
    if organisation_ids is not None:
        organisation_ids = frozenset(organisation_ids)
    categories = list(
        db.session.execute(select(Category).order_by(Category.position, Category.id)).scalars()
    )
    events = _counted_events(period, organisation_ids)
    counts = _enrolment_counts(events)
    for key, (attended, met, no_shows, marks) in _attendance_counts(events).items():
        row = counts.setdefault(key, Counts())
        row.attended, row.met_target_group = attended, met
        row.no_show_marks, row.marks = no_shows, marks

    report = Report(period=period, months=[], categories=[])
    per_category = {category.id: Counts() for category in categories}
    for index, month in enumerate(period.months):
        block = MonthBlock(month=month, rows=[], total=Counts())
        for category in categories:
            numbers = counts.get((index, category.id))
            if numbers is None:
                continue
            block.rows.append((category, numbers))
            block.total.add(numbers)
            per_category[category.id].add(numbers)
        report.months.append(block)
        report.total.add(block.total)
    report.categories = [
        (category, per_category[category.id])
        for category in categories
        if per_category[category.id].events
    ]
    from eventsapp.questions import services as question_services

    report.choices = question_services.reach_counts(select(events.c.event_id))
    return report


# --- the chart -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    series: str  # "confirmed" or "attended"
    y: float
    width: float
    value: int
    text_x: float


@dataclass(frozen=True)
class ChartMonth:
    month: date
    label_y: float
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Chart:
    """Geometry of a horizontal bar chart in SVG user units: per month, a bar for confirmed
    and one for attended, each labelled with its series and number in text."""

    width: int
    height: float
    axis_x: float
    bar_height: float
    axis_top: float
    months: tuple[ChartMonth, ...]


CHART_WIDTH = 340  # user units; at 360 px the chart scales down to about 330 px wide
MONTH_COLUMN = 58  # the month's short name over its year
LABEL_ROOM = 122  # for "Confirmed 1234" after the longest bar
BAR_HEIGHT = 15
BAR_GAP = 3
GROUP_GAP = 11
LEGEND_HEIGHT = 30
SERIES = ("confirmed", "attended")


def chart(report: Report) -> Chart:
    biggest = max((max(b.total.confirmed, b.total.attended) for b in report.months), default=0)
    room = CHART_WIDTH - MONTH_COLUMN - LABEL_ROOM
    scale = room / biggest if biggest else 0
    months = []
    y = LEGEND_HEIGHT + 4
    for block in report.months:
        bars = []
        for i, series in enumerate(SERIES):
            value = getattr(block.total, series)
            width = round(value * scale, 1)
            bar_y = y + i * (BAR_HEIGHT + BAR_GAP)
            bars.append(Bar(series, bar_y, width, value, MONTH_COLUMN + width + 5))
        months.append(ChartMonth(block.month, y + BAR_HEIGHT + BAR_GAP / 2, tuple(bars)))
        y += 2 * BAR_HEIGHT + BAR_GAP + GROUP_GAP
    return Chart(
        width=CHART_WIDTH,
        height=y,
        axis_x=MONTH_COLUMN,
        bar_height=BAR_HEIGHT,
        axis_top=LEGEND_HEIGHT,
        months=tuple(months),
    )


# --- downloads -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One row of the table as the downloads write it."""

    month: str
    category: str
    counts: Counts


def lines(report: Report, category_name, whole_period: str, all_categories: str) -> list[Line]:
    """The table in the page's order: per month its categories and its total, then the whole
    period per category, then the overall total. `category_name(category)` gives a name."""
    out = []
    for block in report.months:
        month = block.month.strftime("%Y-%m")
        out += [Line(month, category_name(c), counts) for c, counts in block.rows]
        out.append(Line(month, all_categories, block.total))
    out += [Line(whole_period, category_name(c), counts) for c, counts in report.categories]
    out.append(Line(whole_period, all_categories, report.total))
    return out


NUMBER_COLUMNS = (
    "events",
    "enrolments",
    "confirmed",
    "waitlisted",
    "attended",
    "met_target_group",
    "no_show_marks",
    "marks",
)


def _safe(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def rate_percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def to_csv(header: list[str], rows: list[Line], semicolon: bool) -> bytes:
    """UTF-8 with a byte order mark (Excel reads it as such). With semicolons, as Excel in
    Finnish expects, the rate has a decimal comma too."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if semicolon else ",")
    writer.writerow(header)
    for line in rows:
        rate = rate_percent(line.counts.no_show_rate)
        rate_text = "" if rate is None else f"{rate:.1f}"
        if semicolon:
            rate_text = rate_text.replace(".", ",")
        writer.writerow(
            [
                _safe(line.month),
                _safe(line.category),
                *(getattr(line.counts, name) for name in NUMBER_COLUMNS),
                rate_text,
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _sheet_title(text: str) -> str:
    """What Excel allows as a sheet's name: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "", text)[:31] or "Sheet"


def to_xlsx(
    header: list[str], rows: list[Line], about: list[tuple[str, str]], titles: tuple[str, str]
) -> bytes:
    """One sheet of numbers (typed: integers, the rate a fraction shown as a percentage) under
    a frozen header; a second sheet says what the report covers and how it counts."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = _sheet_title(titles[0])
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for line in rows:
        rate = line.counts.no_show_rate
        sheet.append(
            [
                line.month,
                line.category,
                *(getattr(line.counts, name) for name in NUMBER_COLUMNS),
                rate,
            ]
        )
        sheet.cell(row=sheet.max_row, column=len(header)).number_format = "0.0%"
    sheet.freeze_panes = "C2"
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 36
    for letter in "CDEFGHIJK":
        sheet.column_dimensions[letter].width = 13

    notes = book.create_sheet(_sheet_title(titles[1]))
    for label, value in about:
        notes.append([label, value])
        notes.cell(row=notes.max_row, column=1).font = Font(bold=True)
        notes.cell(row=notes.max_row, column=2).alignment = Alignment(wrap_text=True)
    notes.column_dimensions["A"].width = 28
    notes.column_dimensions["B"].width = 90

    for worksheet in book.worksheets:
        for row in worksheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":  # text that begins with "=": keep it text
                    cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
