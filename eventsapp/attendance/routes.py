"""The attendance list at the door: mark each confirmed person came or did not come, one at a
time or many at once. Thin views: parse the form, call one service, commit, redirect back to the
same row. The event is checked against the user's organisations: another organisation's is 404,
as is a session or an enrolment that is not the event's (an id the page never offers)."""

from datetime import datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from eventsapp.attendance import forms, services
from eventsapp.attendance.services import AttendanceError
from eventsapp.auth.access import require, requires
from eventsapp.database import utcnow
from eventsapp.events import load_event
from eventsapp.extensions import db
from eventsapp.models import AttendanceStatus, Enrolment, EnrolmentStatus, EventSession

bp = Blueprint("attendance", __name__, url_prefix="/manage")

ROLES = ("organiser", "coordinator")

MARKS = forms.MARKS
PROBLEMS = {
    AttendanceError.NOT_CONFIRMED: _l(
        "Only a confirmed enrolment can be marked: this one is no longer confirmed."
    ),
    AttendanceError.NOT_YET: _l("Attendance can be marked from the day of the session on."),
}


@bp.app_context_processor
def _attendance_words() -> dict:
    """For any template that shows marks (the coach's pages too)."""
    return {"ATTENDANCE_MARKS": MARKS, "attendance_rows": attendance_rows}


def attendance_word(session: EventSession, status: str | None, now: datetime) -> str:
    """A mark in words; an unmarked session that has not started is not held yet."""
    if status in MARKS:
        return str(MARKS[status])
    if session.starts_at > now:
        return gettext("Not held yet")
    return gettext("Not marked")


def attendance_rows(
    enrolment: Enrolment, marks: list[tuple[EventSession, str | None]]
) -> list[tuple[EventSession, str | None, str]]:
    """What a coach sees of one enrolment's attendance (`marks` from
    services.for_enrolments): each session, its mark and the mark in words. Nothing until a
    session of a confirmed enrolment has started, and nothing for an unconfirmed enrolment
    that was never marked."""
    now = utcnow()
    marked = any(status for _, status in marks)
    started = any(session.starts_at <= now for session, _ in marks)
    if not marked and not (started and enrolment.status == EnrolmentStatus.CONFIRMED):
        return []
    return [(session, status, attendance_word(session, status, now)) for session, status in marks]


def _event(event_id: int):
    event = load_event(event_id, published_only=False)
    if event is None:
        abort(404)
    require("organiser", event.organisation_id)
    return event


def _session_of(event, session_id: int | None):
    """The event's session by id (another event's is 404), or None when the id is None."""
    if session_id is None:
        return None
    found = next((s for s in event.sessions if s.id == session_id), None)
    if found is None:
        abort(404)
    return found


def _back(event_id: int, session_id: int | None, anchor: str | None = None):
    return redirect(
        url_for("attendance.event", event_id=event_id, session=session_id, _anchor=anchor),
        code=303,
    )


def _refused(error: AttendanceError):
    """A tampered id is 404; what can happen to anyone is said in words."""
    db.session.rollback()
    if error.code in AttendanceError.TAMPERED:
        abort(404)
    flash(PROBLEMS[error.code], "warning")


@bp.get("/events/<int:event_id>/attendance")
@requires(*ROLES)
def event(event_id: int):
    found = _event(event_id)
    session = _session_of(found, request.args.get("session", type=int))
    session = session or services.default_session(found.sessions)
    return render_template(
        "attendance/event.html",
        event=found,
        sheet=services.sheet(session) if session else None,
        summaries=services.summaries(found.id) if len(found.sessions) > 1 else {},
        now=utcnow(),
    )


@bp.post("/events/<int:event_id>/attendance")
@requires(*ROLES)
def mark(event_id: int):
    """One person: came, did not come, or clear a mistaken mark."""
    found = _event(event_id)
    form = forms.MarkForm()
    if not form.validate():
        flash(_l("Choose came or did not come."), "warning")
        return _back(found.id, request.form.get("session", type=int))
    session_id = _session_of(found, form.session.data).id
    enrolment_id, status = form.enrolment.data, form.status.data
    anchor = f"enrolment-{enrolment_id}"
    try:
        if status == forms.CLEAR:
            cleared = services.clear(enrolment_id, session_id)
        else:
            services.mark(enrolment_id, session_id, status, current_user.id)
    except AttendanceError as error:
        _refused(error)
        return _back(event_id, session_id, anchor)
    db.session.commit()
    name = _name(enrolment_id)
    if status == forms.CLEAR:
        if cleared:
            flash(gettext("The mark of %(name)s was cleared.", name=name), "success")
        else:
            flash(gettext("%(name)s had no mark.", name=name), "info")
    elif status == AttendanceStatus.ATTENDED:
        flash(gettext("%(name)s: came.", name=name), "success")
    else:
        flash(gettext("%(name)s: did not come.", name=name), "success")
    return _back(event_id, session_id, anchor)


def _name(enrolment_id: int) -> str:
    enrolment = db.session.get(Enrolment, enrolment_id)
    return enrolment.full_name if enrolment else ""


@bp.post("/events/<int:event_id>/attendance/bulk")
@requires(*ROLES)
def bulk(event_id: int):
    """Everyone still unmarked of those listed, or the people ticked, came or did not come."""
    found = _event(event_id)
    form = forms.BulkForm()
    session_id = request.form.get("session", type=int)
    if not form.validate():
        if form.enrolment.errors or form.scope.errors or form.session.errors:
            flash(_l("Something in the form was wrong: nothing was marked."), "warning")
        else:
            flash(form.status.errors[0], "warning")
        return _back(found.id, session_id, "attendance-bulk")
    session_id = _session_of(found, form.session.data).id
    if not form.enrolment.data:
        flash(_l("Nobody was selected: nothing was marked."), "warning")
        return _back(found.id, session_id, "attendance-bulk")
    try:
        done = services.mark_many(
            form.enrolment.data,
            session_id,
            form.status.data,
            current_user.id,
            only_unmarked=form.scope.data == forms.UNMARKED,
        )
    except AttendanceError as error:
        _refused(error)
        return _back(event_id, session_id, "attendance-bulk")
    db.session.commit()
    word = MARKS[form.status.data]
    flash(
        ngettext(
            "%(num)d person marked: %(mark)s.",
            "%(num)d people marked: %(mark)s.",
            done.changed,
            mark=word,
        ),
        "success",
    )
    if done.skipped:
        flash(
            ngettext(
                "%(num)d person was not marked: the enrolment is no longer confirmed.",
                "%(num)d people were not marked: their enrolments are no longer confirmed.",
                done.skipped,
            ),
            "warning",
        )
    if form.scope.data == forms.UNMARKED and done.unchanged:
        flash(
            ngettext(
                "%(num)d person had been marked meanwhile, and kept the mark.",
                "%(num)d people had been marked meanwhile, and kept their marks.",
                done.unchanged,
            ),
            "info",
        )
    return _back(event_id, session_id)
