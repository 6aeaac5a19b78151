"""The reach report: organisers see their organisations' (/manage/reports), the coordinator
the whole network's (/admin/reports). The page has a chart and a table; the same table
downloads as CSV (?format=csv, with ?delimiter=semicolon for Excel in Finnish) or XLSX
(?format=xlsx). Reading only: GET changes nothing. How the numbers are counted:
`eventsapp.reports.services`."""

from dataclasses import dataclass, field
from datetime import date

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import format_date, format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from eventsapp import labels
from eventsapp.auth.access import organisation_ids, requires
from eventsapp.database import utcnow
from eventsapp.extensions import db
from eventsapp.models import Organisation
from eventsapp.reports import services
from eventsapp.reports.services import MAX_MONTHS, PRESETS, Period

bp = Blueprint("reports", __name__)

DEFINITIONS = (
    (
        _l("Events counted"),
        _l(
            "Published and cancelled events whose first session starts in the period. "
            "Drafts are not counted."
        ),
    ),
    (
        _l("Month"),
        _l(
            "The month in which the event's first session starts (Finnish time). A course "
            "with sessions in several months counts in the month it starts."
        ),
    ),
    (
        _l("Enrolments"),
        _l(
            "Every enrolment made, whatever its status now: confirmed, on the waiting list, "
            "waiting for review, cancelled or not accepted."
        ),
    ),
    (_l("Confirmed"), _l("Enrolments that are confirmed now.")),
    (_l("Waiting list"), _l("Enrolments that are on the waiting list now.")),
    (
        _l("Attended"),
        _l(
            "Confirmed people marked as attended at least once, at any session of the event. "
            "Someone who attended two events counts in both."
        ),
    ),
    (
        _l("In the target group"),
        _l(
            "Of the people who attended, those who met all of the event's target-group rules "
            "when they enrolled. People accepted after a review or on a coach's word although "
            "they missed a rule are not counted here."
        ),
    ),
    (
        _l("No-show rate"),
        _l(
            "Counted per session mark: the no-show marks divided by all attendance marks "
            "(attended and no-show) of confirmed people. A course of four sessions gives one "
            "person up to four marks. A dash means nobody has been marked yet."
        ),
    ),
    (
        _l("Anonymised enrolments"),
        _l(
            "They count the same as before: the report uses no names, contact details, "
            "dates of birth or free text."
        ),
    ),
)

PRESET_LABELS = {"spring": _l("Spring (Jan–Jun)"), "autumn": _l("Autumn (Jul–Dec)")}
SERIES_LABELS = {"confirmed": _l("Confirmed"), "attended": _l("Attended")}


@bp.get("/manage/reports")
@requires("organiser", "coordinator")
def manage():
    """An organiser's organisations (one of them, or all together); the coordinator's any."""
    return _report(organisation_ids("organiser"), area="manage")


@bp.get("/admin/reports")
@requires("coordinator")
def admin():
    """The whole network, or one organisation of it."""
    return _report(None, area="admin")


# --- the request -----------------------------------------------------------------------------


@dataclass
class PeriodChoice:
    """The period asked for, as the form shows it again; `period` is None if it had errors."""

    period: Period | None
    first: str
    last: str
    year: int
    errors: dict[str, str] = field(default_factory=dict)


def _period_choice(args, current_month: date) -> PeriodChoice:
    """From ?preset=spring|autumn&year=2025, or ?from=2025-01&to=2025-06; by default the last
    12 months, the current one included."""
    errors: dict[str, str] = {}
    wanted_preset = args.get("preset", "")
    if wanted_preset:
        year_text = args.get("year", "").strip()
        year = int(year_text) if year_text.isdigit() and len(year_text) == 4 else 0
        if wanted_preset not in PRESETS:
            errors["preset"] = _("Choose spring or autumn.")
        if not 2000 <= year <= 2100:
            errors["year"] = _("Choose a year.")
        if errors:
            return PeriodChoice(None, "", "", current_month.year, errors)
        period = services.preset(wanted_preset, year)
    elif "from" in args or "to" in args:
        first_text, last_text = args.get("from", ""), args.get("to", "")
        first, last = services.parse_month(first_text), services.parse_month(last_text)
        if first is None:
            errors["from"] = _("Enter the first month as year and month, for example 2025-01.")
        if last is None:
            errors["to"] = _("Enter the last month as year and month, for example 2025-06.")
        if first and last and last < first:
            errors["to"] = _("The last month cannot be before the first month.")
        elif first and last and services.months_between(first, last) > MAX_MONTHS:
            errors["to"] = _("Choose a period of at most %(num)d months.", num=MAX_MONTHS)
        if errors:
            return PeriodChoice(None, first_text[:20], last_text[:20], current_month.year, errors)
        period = Period(first, last)
    else:
        period = services.last_twelve_months(utcnow())
    return PeriodChoice(
        period, f"{period.first:%Y-%m}", f"{period.last:%Y-%m}", period.last.year, errors
    )


def _organisations(allowed: frozenset[int] | None) -> list[Organisation]:
    stmt = select(Organisation).order_by(Organisation.name)
    if allowed is not None:
        stmt = stmt.where(Organisation.id.in_(sorted(allowed)))
    return list(db.session.execute(stmt).scalars())


def _chosen(organisations: list[Organisation]) -> Organisation | None:
    """The organisation in ?organisation=<id>, or None for all of them. One the user may not
    see, or that does not exist, is 404."""
    wanted = request.args.get("organisation", "")
    if not wanted:
        return None
    by_id = {str(organisation.id): organisation for organisation in organisations}
    if wanted not in by_id:
        abort(404)
    return by_id[wanted]


def _scope(allowed, organisations, chosen) -> tuple[str, str]:
    """What the report covers, in words and as a file name part."""
    if chosen is not None:
        return chosen.name, chosen.slug
    if allowed is None:
        return _("The whole network"), "network"
    if len(organisations) == 1:
        return organisations[0].name, organisations[0].slug
    return _("All my organisations: %(names)s", names=", ".join(o.name for o in organisations)), (
        "my-organisations"
    )


def _report(allowed: frozenset[int] | None, area: str):
    organisations = _organisations(allowed)
    chosen = _chosen(organisations)
    current_month = services.this_month(utcnow())
    choice = _period_choice(request.args, current_month)
    wanted_format = request.args.get("format", "")
    if wanted_format not in ("", "csv", "xlsx"):
        abort(404)
    if wanted_format and choice.period is None:
        abort(400)
    scope, scope_slug = _scope(allowed, organisations, chosen)
    if choice.period is None:
        report = None
    else:
        ids = {chosen.id} if chosen is not None else allowed
        report = services.reach(choice.period, ids)
    if wanted_format:
        return _download(report, wanted_format, scope, scope_slug)
    years = sorted(
        {*range(current_month.year - 5, current_month.year + 2), choice.year}, reverse=True
    )
    return render_template(
        "reports/report.html",
        area=area,
        endpoint=f"reports.{area}",
        report=report,
        chart=services.chart(report) if report else None,
        choice=choice,
        years=years,
        presets=PRESET_LABELS,
        series_labels=SERIES_LABELS,
        organisations=organisations,
        chosen=chosen,
        show_select=allowed is None or len(organisations) > 1,
        everything_label=_("The whole network") if allowed is None else _("All my organisations"),
        scope=scope,
        definitions=DEFINITIONS,
        locale=str(get_locale()),
        rate=_rate,
        month_name=_month_name,
        download_args=_download_args(choice, chosen),
    )


def _download_args(choice: PeriodChoice, chosen: Organisation | None) -> dict:
    args = {"from": choice.first, "to": choice.last}
    if chosen is not None:
        args["organisation"] = chosen.id
    return args


def _rate(counts: services.Counts) -> str:
    """The no-show rate as people read it: "25,0 %" in Finnish; "–" when nobody was marked."""
    percent = services.rate_percent(counts.no_show_rate)
    if percent is None:
        return "–"
    return _("%(num)s %%", num=format_decimal(percent, "0.0"))


# --- downloads -------------------------------------------------------------------------------


def _header() -> list[str]:
    return [
        _("Month"),
        _("Service category"),
        _("Events"),
        _("Enrolments"),
        _("Confirmed"),
        _("Waiting list"),
        _("Attended"),
        _("Attended, in the target group"),
        _("No-show marks"),
        _("Attendance marks"),
        _("No-show rate (%)"),
    ]


def _download(report: services.Report, wanted_format: str, scope: str, scope_slug: str):
    locale = str(get_locale())
    rows = services.lines(
        report,
        lambda category: category.name(locale),
        whole_period=_("Whole period"),
        all_categories=_("All categories"),
    )
    period = report.period
    name = f"reach-{scope_slug}-{period.first:%Y-%m}-{period.last:%Y-%m}"
    if wanted_format == "csv":
        semicolon = request.args.get("delimiter") == "semicolon"
        body = services.to_csv(_header(), rows, semicolon)
        mimetype, name = "text/csv; charset=utf-8", f"{name}.csv"
    else:
        header = [*_header()[:-1], _("No-show rate")]
        about = [
            (_("Report"), _("Reach report")),
            (_("Organisations"), scope),
            (_("Period"), f"{period.first:%Y-%m} – {period.last:%Y-%m}"),
            (_("Made"), labels.moment(utcnow())),
            *((str(term), str(text)) for term, text in DEFINITIONS),
        ]
        body = services.to_xlsx(header, rows, about, (_("Reach"), _("About the report")))
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        name = f"{name}.xlsx"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _month_name(month: date, form: str = "LLLL yyyy") -> str:
    """A month as people read it: "maaliskuu 2025"; short ("LLL yyyy") in the chart."""
    return format_date(month, form)
