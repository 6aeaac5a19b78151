"""Attendee lists out of the system: CSV, XLSX and a printable sign-in sheet (PDF), and the
audit log that records every export of personal data.

The rows come from one query (`attendee_query`) read in batches (`yield_per`): a CSV is written
as the rows arrive, an XLSX goes row by row into a write-only workbook on disk, so a list of
10 000 people is never in memory at once. A sign-in sheet is built in memory, so it is refused
beyond PDF_MAX_NAMES names. Services flush; the caller commits.
"""

import csv
import io
import math
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import Connection, Engine, Select, func, select

from eventsapp import questions
from eventsapp.extensions import db
from eventsapp.models import (
    AuditEntry,
    Enrolment,
    EnrolmentStatus,
    Event,
    EventQuestion,
    QuestionAnswer,
    User,
)
from eventsapp.models.event import slugify

HELSINKI = ZoneInfo("Europe/Helsinki")
BATCH = 500  # rows fetched from the database at a time
PDF_MAX_NAMES = 2000  # a sign-in sheet is built in memory: beyond this, CSV or XLSX
AUDIT_PER_PAGE = 50

# The columns one may choose, in the form's order (a URL may ask for another).
COLUMNS: dict[str, Any] = {
    "name": _l("Name"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "status": _l("Status"),
    "enrolled_at": _l("Enrolled"),
    "birth_date": _l("Date of birth"),
    "municipality": _l("Municipality"),
    "notes": _l("Notes"),
    "coach": _l("Coach"),
    "client": _l("Enrolled as a coach's client"),
}
DEFAULT_COLUMNS = ("name", "email", "phone", "status")
STATUSES = tuple(str(status) for status in EnrolmentStatus)
DEFAULT_STATUSES = (str(EnrolmentStatus.CONFIRMED),)
DELIMITERS = {"comma": ",", "semicolon": ";"}

# XLSX column widths in characters: set before the rows stream past, so not measured.
WIDTHS = {
    "name": 30,
    "first_name": 18,
    "last_name": 22,
    "email": 34,
    "phone": 18,
    "status": 26,
    "enrolled_at": 17,
    "birth_date": 13,
    "municipality": 18,
    "notes": 50,
    "coach": 26,
    "client": 14,
}
QUESTION_WIDTH = 30
DATE_FORMAT = "d.m.yyyy"
DATETIME_FORMAT = "d.m.yyyy h:mm"

# Control characters a spreadsheet cannot hold (openpyxl's own rule; kept here so that web
# workers do not load openpyxl, and Pillow with it, until someone downloads a workbook).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


class BadOptions(ValueError):
    """A column, status or delimiter in the request that is not one of the choices."""


@dataclass(frozen=True)
class Options:
    columns: tuple[str, ...] = DEFAULT_COLUMNS
    statuses: tuple[str, ...] = DEFAULT_STATUSES
    delimiter: str = "comma"

    def detail(self, extra: str = "") -> str:
        """How the audit log describes the export (kept short: the column holds 300)."""
        parts = [f"columns={','.join(self.columns)}", f"status={','.join(self.statuses)}"]
        if extra:
            parts.append(extra)
        return "; ".join(parts)[:300]


def split_values(raw: Iterable[str]) -> list[str]:
    """?status=a,b&status=c -> [a, b, c], trimmed, without empties or repeats."""
    seen: list[str] = []
    for item in raw:
        for value in item.split(","):
            value = value.strip().lower()
            if value and value not in seen:
                seen.append(value)
    return seen


def parse_options(args: Mapping) -> Options:
    """Options from query arguments (a MultiDict); absent ones take the defaults. A value that
    is not one of the choices raises BadOptions: a mistyped URL does not quietly give another
    list than the one asked for."""
    columns = split_values(args.getlist("columns"))
    statuses = split_values(args.getlist("status"))
    delimiter = (args.get("delimiter") or "comma").strip().lower()
    unknown = [c for c in columns if c not in COLUMNS] + [s for s in statuses if s not in STATUSES]
    if unknown or delimiter not in DELIMITERS:
        raise BadOptions(", ".join(unknown) or delimiter)
    return Options(
        columns=tuple(columns) or DEFAULT_COLUMNS,  # in the order asked for
        statuses=tuple(s for s in STATUSES if s in statuses) or DEFAULT_STATUSES,
        delimiter=delimiter,
    )


# --- neutralising what a spreadsheet would run -------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral(value: str) -> str:
    """A cell a spreadsheet would read as a formula ("=1+1", "+358...", "@SUM(...)") gets an
    apostrophe in front, so that it is shown as the text it is and never run."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


# --- the rows --------------------------------------------------------------------------------


def attendee_query(
    event_id: int, statuses: Sequence[str], question_ids: Sequence[int] = ()
) -> Select:
    """Plain columns (no ORM objects): the enrolments of an event in these statuses, by last
    name, with the coach's name when a coach enrolled them, and the answer to each of
    `question_ids` as a column `q_<id>` (still one query)."""
    coach = func.coalesce(func.nullif(User.name, ""), User.email)
    answers = [
        select(QuestionAnswer.value)
        .where(QuestionAnswer.question_id == qid, QuestionAnswer.enrolment_id == Enrolment.id)
        .scalar_subquery()
        .label(questions.field_name(qid))
        for qid in question_ids
    ]
    return (
        select(
            Enrolment.first_name,
            Enrolment.last_name,
            Enrolment.email,
            Enrolment.phone,
            Enrolment.status,
            Enrolment.created_at,
            Enrolment.birth_date,
            Enrolment.municipality,
            Enrolment.notes,
            coach.label("coach"),
            (Enrolment.client_id.is_not(None)).label("client"),
            *answers,
        )
        .outerjoin(User, User.id == Enrolment.enrolled_by_id)
        .where(Enrolment.event_id == event_id, Enrolment.status.in_(statuses))
        .order_by(func.lower(Enrolment.last_name), func.lower(Enrolment.first_name), Enrolment.id)
    )


def count_query(event_id: int, statuses: Sequence[str]) -> Select:
    return select(func.count(Enrolment.id)).where(
        Enrolment.event_id == event_id, Enrolment.status.in_(statuses)
    )


def status_counts(event_id: int) -> dict[str, int]:
    """How many enrolments the event has in each status (for the export form)."""
    stmt = (
        select(Enrolment.status, func.count(Enrolment.id))
        .where(Enrolment.event_id == event_id)
        .group_by(Enrolment.status)
    )
    found = dict(db.session.execute(stmt).all())
    return {status: found.get(status, 0) for status in STATUSES}


@dataclass(frozen=True)
class Labels:
    """The translated words a file needs, taken while the request's locale is known: the rows
    may be written after the view has returned."""

    headers: dict[str, str]
    statuses: dict[str, str]
    yes: str
    locale: str

    @classmethod
    def now(cls, locale: str) -> "Labels":
        from eventsapp.labels import STATUSES as STATUS_LABELS

        return cls(
            headers={key: str(label) for key, label in COLUMNS.items()},
            statuses={key: str(label) for key, label in STATUS_LABELS.items()},
            yes=gettext("Yes"),
            locale=locale,
        )


def with_questions(event_id: int, options: Options, labels: Labels):
    """The export with one column per question of the event after the chosen ones, headed by
    the question: (options, labels, question ids). One query."""
    found = db.session.execute(
        select(EventQuestion.id, EventQuestion.text)
        .where(EventQuestion.event_id == event_id)
        .order_by(EventQuestion.position, EventQuestion.id)
    ).all()
    names = {questions.field_name(qid): text for qid, text in found}
    return (
        replace(options, columns=(*options.columns, *names)),
        replace(labels, headers={**labels.headers, **names}),
        [qid for qid, _ in found],
    )


def helsinki(value: datetime | None) -> datetime | None:
    """A stored UTC time as Helsinki wall-clock time to the second, without tzinfo (a
    spreadsheet has no time zones)."""
    return value.astimezone(HELSINKI).replace(tzinfo=None, microsecond=0) if value else None


def cell_values(row, columns: Sequence[str], labels: Labels) -> list[object]:
    """One enrolment as typed values: str, date, datetime or None."""
    from eventsapp.municipalities import name_of

    out: list[object] = []
    for column in columns:
        if column == "name":
            out.append(f"{row.first_name} {row.last_name}".strip())
        elif column == "status":
            out.append(labels.statuses.get(row.status, row.status))
        elif column == "enrolled_at":
            out.append(helsinki(row.created_at))
        elif column == "birth_date":
            out.append(row.birth_date)
        elif column == "municipality":
            out.append(name_of(row.municipality, labels.locale) if row.municipality else "")
        elif column == "coach":
            out.append(row.coach or "")
        elif column == "client":
            out.append(labels.yes if row.client else "")
        elif column.startswith("q_"):
            out.append(questions.cell(getattr(row, column)))
        else:
            out.append(getattr(row, column) or "")
    return out


# --- CSV -------------------------------------------------------------------------------------


def _csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return neutral(str(value))


def csv_chunks(
    rows: Iterable, options: Options, labels: Labels, flush_every: int = BATCH
) -> Iterator[bytes]:
    """The CSV file as UTF-8 byte chunks: a BOM (so Excel reads it as UTF-8), the header, then
    the rows, a chunk per `flush_every` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITERS[options.delimiter], lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([labels.headers[c] for c in options.columns])
    for n, row in enumerate(rows, start=1):
        writer.writerow([_csv_text(v) for v in cell_values(row, options.columns, labels)])
        if n % flush_every == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def snapshot(engine: Engine) -> Connection:
    """A connection of its own for a streamed export, in a transaction that sees one state of
    the database from its first query on: the count in the audit log and the rows streamed
    are the same (REPEATABLE READ on PostgreSQL; a SQLite read transaction is a snapshot)."""
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    return conn


class CsvStream:
    """The body of a streamed CSV response: reads the rows on its connection as they are sent,
    and closes the connection when the body is done or the server closes the response."""

    def __init__(self, conn: Connection, stmt: Select, options: Options, labels: Labels):
        self.conn, self.stmt, self.options, self.labels = conn, stmt, options, labels

    def __iter__(self) -> Iterator[bytes]:
        try:
            result = self.conn.execute(self.stmt.execution_options(yield_per=BATCH))
            yield from csv_chunks(result, self.options, self.labels)
        finally:
            self.close()

    def close(self) -> None:
        if not self.conn.closed:
            self.conn.close()


# --- XLSX ------------------------------------------------------------------------------------


def _xlsx_cell(sheet, value: object):
    """A date or a datetime as a date cell with its format; anything else as text (a plain
    str: openpyxl stores it as text, or as a formula only when it begins with "=", which
    `neutral` has made impossible); "" as an empty cell."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    # Remove what XML cannot hold first: "\x01=1+1" must not become "=1+1" after `neutral`.
    text = neutral(ILLEGAL_CHARACTERS_RE.sub("", str(value or "")))
    return text.replace("\r\n", "\n").replace("\r", "\n") or None  # a line break is \n


def write_xlsx(rows: Iterable, options: Options, labels: Labels, title: str, out: IO[bytes]) -> int:
    """Write the rows into a write-only workbook (rows go to disk as they come) saved into
    `out`; return how many rows were written. The header is frozen and filterable, dates
    are real date cells in Helsinki time, widths are set per column."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title(title))
    sheet.freeze_panes = "A2"
    for i, column in enumerate(options.columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = WIDTHS.get(column, QUESTION_WIDTH)
    bold = Font(bold=True)
    header = []
    for column in options.columns:
        cell = WriteOnlyCell(sheet, value=labels.headers[column])
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        sheet.append([_xlsx_cell(sheet, v) for v in cell_values(row, options.columns, labels)])
        count += 1
    last = get_column_letter(len(options.columns))
    sheet.auto_filter.ref = f"A1:{last}{count + 1}"
    sheet.print_title_rows = "1:1"
    workbook.save(out)
    return count


def sheet_title(title: str) -> str:
    """A worksheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = re.sub(r"[\[\]:*?/\\]", " ", title).strip().strip("'") or "Sheet"
    return cleaned[:31]


def xlsx_file(
    event_id: int, options: Options, labels: Labels, title: str, question_ids: Sequence[int] = ()
) -> tuple[IO, int]:
    """The workbook in a temporary file (deleted when closed), rewound; and its row count."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the caller streams it, send_file closes it
    try:
        stmt = attendee_query(event_id, options.statuses, question_ids).execution_options(
            yield_per=BATCH
        )
        count = write_xlsx(db.session.execute(stmt), options, labels, title, out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out, count


# --- PDF sign-in sheet -----------------------------------------------------------------------

LATIN1_SUBSTITUTES = str.maketrans(
    {
        "–": "-",
        "—": "-",
        "‒": "-",
        "−": "-",
        "‐": "-",
        "‑": "-",
        "‘": "'",
        "’": "'",
        "‚": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "…": "...",
        "€": "EUR",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
    }
)


def latin1(text: str) -> str:
    """Text the PDF core fonts can show (Latin-1: ä, ö, å are fine). Dashes and quotes become
    their plain forms, letters with other accents lose them (Š -> S), the rest becomes "?"."""
    text = text.translate(LATIN1_SUBSTITUTES)
    out = []
    for char in text:
        if ord(char) < 32:
            out.append(" ")
        elif ord(char) < 256:
            out.append(char)
        else:
            base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
            out.append(base.strip() or "?")
    return "".join(out)


@dataclass(frozen=True)
class SheetSession:
    """One session of the sheet, in words: "Tue 8.6.2027 at 10.00–12.00", the place."""

    when: str
    place: str


@dataclass(frozen=True)
class SheetText:
    """The words on a sign-in sheet, translated before the PDF is built."""

    heading: str  # "Sign-in sheet"
    organiser: str
    session_of: list[str]  # "Session 1 of 3", one per session ("" for a single session)
    number: str
    name: str
    municipality: str
    signature: str
    people: str  # "12 people"
    statuses: str  # "Status: Confirmed"
    page: str  # "Page {num} of {nb}": fpdf2 puts the number of pages in {nb}
    no_sessions: str


ROW_HEIGHT = 9  # mm: room for a signature


def sign_in_pdf(
    title: str,
    sessions: Sequence[SheetSession],
    people: Sequence[tuple[str, str]],
    words: SheetText,
    with_municipality: bool,
) -> bytes:
    """An A4 sign-in sheet: a page (or pages) per session, each with the event, the session's
    time and place and a table of numbered names and an empty signature column. A page that
    continues a session's list repeats the event, the session and the table's header row.
    `people` are (name, municipality) pairs. Drawn cell by cell: fpdf2's table() lays out
    every cell as a paragraph, some twenty times slower."""
    from fpdf import FPDF

    widths = (12, 78, 32, 58) if with_municipality else (12, 98, 70)
    heads = [words.number, words.name]
    if with_municipality:
        heads.append(words.municipality)
    heads.append(words.signature)

    class Sheet(FPDF):
        running = ""  # the event and the session, at the foot of each page
        first_page = 1  # the session's first page; the pages after it repeat the header

        def header(self) -> None:
            if self.page_no() > self.first_page:
                self.set_font("Helvetica", "B", 9)
                self.cell(0, 6, latin1(self.running), new_x="LMARGIN", new_y="NEXT")
                self.ln(1)
                self.heading_row()

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("Helvetica", size=8)
            self.set_text_color(90)
            page = words.page.replace("{num}", str(self.page_no()))
            self.cell(0, 5, latin1(f"{self.running}   {page}"), align="R")
            self.set_text_color(0)

        def heading_row(self) -> None:
            self.set_font("Helvetica", "B", 10)
            self.set_fill_color(230)
            for i, (width, head) in enumerate(zip(widths, heads, strict=True)):
                self.cell(width, 8, latin1(head), border=1, fill=True, align="R" if i == 0 else "L")
            self.ln(8)
            self.set_font("Helvetica", size=10)

        def fit(self, text: str, width: float) -> str:
            """The text, shortened with "..." when it is wider than its cell."""
            text = latin1(text)
            room = width - 2 * self.c_margin
            if self.get_string_width(text) <= room:
                return text
            while text and self.get_string_width(text + "...") > room:
                text = text[:-1]
            return text + "..."

    pdf = Sheet(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(latin1(f"{words.heading}: {title}"))
    pdf.set_creator("eventsapp")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_margins(15, 15, 15)

    for index, session in enumerate(sessions or [None]):
        pdf.first_page = pdf.page_no() + 1
        pdf.add_page()  # the last page's footer is drawn here: change `running` after it
        pdf.running = title if session is None else f"{title} - {session.when}"
        pdf.set_font("Helvetica", size=9)
        pdf.cell(0, 5, latin1(words.heading.upper()), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "B", 16)
        pdf.multi_cell(0, 8, latin1(title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        pdf.multi_cell(0, 5, latin1(words.organiser), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 12)
        if session is None:
            pdf.multi_cell(0, 6, latin1(words.no_sessions), new_x="LMARGIN", new_y="NEXT")
        else:
            label = words.session_of[index]
            line = f"{label}: {session.when}" if label else session.when
            pdf.multi_cell(0, 6, latin1(line), new_x="LMARGIN", new_y="NEXT")
            if session.place:
                pdf.set_font("Helvetica", size=11)
                pdf.multi_cell(0, 6, latin1(session.place), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(
            0, 5, latin1(f"{words.people}. {words.statuses}"), new_x="LMARGIN", new_y="NEXT"
        )
        pdf.ln(3)
        pdf.heading_row()
        for number, (name, municipality) in enumerate(people, start=1):
            if pdf.will_page_break(ROW_HEIGHT):
                pdf.add_page()  # header() repeats the event, the session and the header row
            pdf.cell(widths[0], ROW_HEIGHT, str(number), border=1, align="R")
            pdf.cell(widths[1], ROW_HEIGHT, pdf.fit(name, widths[1]), border=1)
            if with_municipality:
                pdf.cell(widths[2], ROW_HEIGHT, pdf.fit(municipality, widths[2]), border=1)
            pdf.cell(widths[-1], ROW_HEIGHT, "", border=1)
            pdf.ln(ROW_HEIGHT)
    return bytes(pdf.output())


def sign_in_sheet(event: Event, options: Options, labels: Labels) -> tuple[bytes, int]:
    """The event's sign-in sheet for the people in the chosen statuses (the caller has checked
    there are at most PDF_MAX_NAMES), and how many people it lists. Needs the event loaded
    with its organisation and sessions, and the request's locale for the words."""
    from eventsapp import labels as words_of

    rows = db.session.execute(attendee_query(event.id, options.statuses)).all()
    people = [
        (
            f"{row.last_name}, {row.first_name}".strip(" ,"),
            str(cell_values(row, ("municipality",), labels)[0]),
        )
        for row in rows
    ]
    total = len(event.sessions)
    sessions = [
        SheetSession(
            when=words_of.when(s.starts_at, s.ends_at),
            place=", ".join(part for part in (s.place, s.room, s.address) if part),
        )
        for s in event.sessions
    ]
    words = SheetText(
        heading=gettext("Sign-in sheet"),
        organiser=event.organisation.name,
        session_of=[
            gettext("Session %(num)d of %(total)d", num=i, total=total) if total > 1 else ""
            for i in range(1, total + 1)
        ],
        number=gettext("No."),
        name=gettext("Name"),
        municipality=gettext("Municipality"),
        signature=gettext("Signature"),
        people=ngettext("%(num)d person", "%(num)d people", len(people)),
        statuses=gettext(
            "Status: %(statuses)s",
            statuses=", ".join(labels.statuses[s] for s in options.statuses),
        ),
        page=gettext("Page %(page)s of %(pages)s", page="{num}", pages="{nb}"),
        no_sessions=gettext("No sessions yet"),
    )
    body = sign_in_pdf(event.title, sessions, people, words, "municipality" in options.columns)
    return body, len(people)


# --- file names ------------------------------------------------------------------------------


def file_name(event: Event, what: str, extension: str) -> str:
    """A download's name: the event's slug, the date of its first session (in Helsinki; today
    when it has none) and what it is, e.g. miestamo-kampustutustuminen-2027-06-08-attendees.csv"""
    first = event.sessions[0].starts_at if event.sessions else datetime.now(HELSINKI)
    day = first.astimezone(HELSINKI).date().isoformat()
    slug = event.slug or slugify(event.title) or f"event-{event.id}"
    return f"{slug[:60]}-{day}-{slugify(what) or 'export'}.{extension}"


# --- the audit log ---------------------------------------------------------------------------


def record_export(user, action: str, event_id: int, rows: int, detail: str) -> AuditEntry:
    """Who exported which event's personal data, when, and how many rows. Flushes."""
    entry = AuditEntry(
        user_id=user.id,
        user_email=user.email,
        action=action,
        event_id=event_id,
        rows=rows,
        detail=detail[:300],
    )
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    event_title: str | None


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    total: int
    page: int
    pages: int


def audit_page(event_id: int | None, user_email: str, page: int) -> AuditPage:
    """The log, newest first, filtered by event and by user; in two queries."""
    per_page = AUDIT_PER_PAGE
    conditions = []
    if event_id is not None:
        conditions.append(AuditEntry.event_id == event_id)
    if user_email:
        conditions.append(AuditEntry.user_email == user_email)
    total = db.session.execute(select(func.count(AuditEntry.id)).where(*conditions)).scalar_one()
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    stmt = (
        select(AuditEntry, Event.title)
        .outerjoin(Event, Event.id == AuditEntry.event_id)
        .where(*conditions)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    rows = [AuditRow(entry, title) for entry, title in db.session.execute(stmt)]
    return AuditPage(rows=rows, total=total, page=page, pages=pages)


def audit_choices() -> tuple[list[tuple[int, str]], list[str]]:
    """The events and the users that appear in the log, for its filters."""
    events = db.session.execute(
        select(Event.id, Event.title)
        .where(Event.id.in_(select(AuditEntry.event_id).where(AuditEntry.event_id.is_not(None))))
        .order_by(Event.title, Event.id)
    )
    users = db.session.execute(
        select(AuditEntry.user_email)
        .where(AuditEntry.user_email != "")
        .distinct()
        .order_by(AuditEntry.user_email)
    ).scalars()
    return [(id_, title) for id_, title in events], [email for email in users if email]
