"""Attendee lists for organisers (CSV, XLSX, a PDF sign-in sheet) and the coordinator's audit log
of those exports.

Every download is a GET that records one AuditEntry (who, which event, when, how many rows):
the only change a GET makes, and the point of the log. Another organisation's event is 404
and leaves no entry.
"""

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from eventsapp.auth.access import require, requires
from eventsapp.exports import services
from eventsapp.exports.forms import ExportForm
from eventsapp.extensions import db
from eventsapp.manage.services import load

bp = Blueprint("exports", __name__, url_prefix="/manage")
audit_bp = Blueprint("audit", __name__, url_prefix="/admin")

ROLES = ("organiser", "coordinator")
ACTIONS = {
    "export-csv": _l("CSV export"),
    "export-xlsx": _l("XLSX export"),
    "export-pdf": _l("Sign-in sheet (PDF)"),
}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _event(event_id: int):
    event = load(event_id)
    if event is None:
        abort(404)
    require("organiser", event.organisation_id)
    return event


def _options() -> services.Options:
    try:
        return services.parse_options(request.args)
    except services.BadOptions:
        abort(400)


def _labels() -> services.Labels:
    return services.Labels.now(str(get_locale() or "fi"))


def _attachment(response: Response, name: str) -> Response:
    response.headers.set("Content-Disposition", "attachment", filename=name)
    return response


@bp.get("/events/<int:event_id>/export")
@requires(*ROLES)
def export(event_id: int):
    """The form: statuses, columns, file and separator. Sent (it has `format`), it leads to
    the download URL; a sign-in sheet too long to print is refused here, beside the choice."""
    event = _event(event_id)
    counts = services.status_counts(event.id)
    sent = "format" in request.args
    form = ExportForm.from_args(request.args) if sent else ExportForm()
    form.show_counts(counts)
    if sent and all([form.validate(), form.check_size(counts)]):  # both, for every error
        endpoint = {"csv": "exports.csv", "xlsx": "exports.xlsx", "pdf": "exports.pdf"}
        return redirect(
            url_for(endpoint[form.format.data], event_id=event.id, **form.query()), code=303
        )
    return render_template(
        "exports/export.html", event=event, form=form, max_names=services.PDF_MAX_NAMES
    )


@bp.get("/events/<int:event_id>/attendees.csv")
@requires(*ROLES)
def csv(event_id: int):
    """Streamed: the rows are read in batches and sent as they are written. The audit entry is
    written first, with the count of the same rows in the same snapshot."""
    event = _event(event_id)
    options = _options()
    name = services.file_name(event, gettext("attendees"), "csv")
    options, words, question_ids = services.with_questions(event.id, options, _labels())
    stmt = services.attendee_query(event.id, options.statuses, question_ids)
    conn = services.snapshot(db.engine)
    try:
        rows = conn.execute(services.count_query(event.id, options.statuses)).scalar_one()
        services.record_export(
            current_user,
            "export-csv",
            event.id,
            rows,
            options.detail(f"delimiter={options.delimiter}"),
        )
        db.session.commit()
    except BaseException:
        conn.close()
        raise
    response = Response(services.CsvStream(conn, stmt, options, words), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    return _attachment(response, name)


@bp.get("/events/<int:event_id>/attendees.xlsx")
@requires(*ROLES)
def xlsx(event_id: int):
    """Written row by row into a write-only workbook in a temporary file, then streamed from
    the file; the audit entry gets the number of rows written."""
    event = _event(event_id)
    options = _options()
    name = services.file_name(event, gettext("attendees"), "xlsx")
    options, words, question_ids = services.with_questions(event.id, options, _labels())
    out, rows = services.xlsx_file(event.id, options, words, event.title, question_ids)
    try:
        services.record_export(current_user, "export-xlsx", event.id, rows, options.detail())
        db.session.commit()
    except BaseException:
        out.close()
        raise
    return send_file(
        out,
        mimetype=XLSX_TYPE,
        as_attachment=True,
        download_name=name,
        max_age=0,
    )


@bp.get("/events/<int:event_id>/sign-in.pdf")
@requires(*ROLES)
def pdf(event_id: int):
    """A sign-in sheet: a page (or more) per session. Built in memory, so at most
    PDF_MAX_NAMES names: a longer list is sent back to the form, which says why."""
    event = _event(event_id)
    options = _options()
    count = db.session.execute(services.count_query(event.id, options.statuses)).scalar_one()
    if count > services.PDF_MAX_NAMES:
        args = {"status": ",".join(options.statuses), "columns": ",".join(options.columns)}
        return redirect(url_for("exports.export", event_id=event.id, format="pdf", **args), 303)
    name = services.file_name(event, gettext("sign-in sheet"), "pdf")
    body, people = services.sign_in_sheet(event, options, _labels())
    with_municipality = "municipality" in options.columns
    detail = services.Options(
        columns=("name", "municipality") if with_municipality else ("name",),
        statuses=options.statuses,
    ).detail(f"sessions={len(event.sessions)}")
    services.record_export(current_user, "export-pdf", event.id, people, detail)
    db.session.commit()
    return _attachment(Response(body, mimetype="application/pdf"), name)


# --- the audit log --------------------------------------------------------------------------


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


@audit_bp.get("/audit")
@requires("coordinator")
def index():
    """Every export of personal data, newest first; by event and by user; 50 to a page."""
    events, users = services.audit_choices()
    event_id = _int_arg("event")
    user = request.args.get("user", "").strip()
    page = services.audit_page(event_id, user, _int_arg("page") or 1)
    return render_template(
        "exports/audit.html",
        page=page,
        events=events,
        users=users,
        event_id=event_id,
        user=user,
        actions=ACTIONS,
    )
