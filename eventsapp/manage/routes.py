"""Organisers' screens: their organisations' events and enrolments. Thin: parse the form, call
one service, commit, then redirect or render. Every event and enrolment is checked against the
user's organisations: another organisation's is 404, so nothing about it leaks."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from eventsapp.auth.access import organisation_ids, require, requires
from eventsapp.catalogue.services import seats_text, target_group
from eventsapp.database import utcnow
from eventsapp.enrolment import services as enrolment_services
from eventsapp.enrolment.services import EnrolmentRefused
from eventsapp.events import rule_date
from eventsapp.extensions import db
from eventsapp.manage import forms, services
from eventsapp.manage.services import ManageError
from eventsapp.models import (
    Category,
    EnrolmentStatus,
    EventStatus,
    InvalidTransition,
    Organisation,
    enrolment_closes_at,
    enrolment_window,
)
from eventsapp.questions import services as question_services

bp = Blueprint("manage", __name__, url_prefix="/manage")

ROLES = ("organiser", "coordinator")

PROBLEMS = {
    ManageError.CANCELLED: _l("The event has been cancelled: it can no longer be changed."),
    ManageError.NO_SESSIONS: _l("Add at least one session before publishing the event."),
    ManageError.NOT_WAITLISTED: _l("Only someone on the waiting list can be moved up."),
}
EVENT_STATUSES = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "cancelled": _l("Cancelled"),
}
PERIODS = {"upcoming": _l("Upcoming"), "past": _l("Past"), "all": _l("All")}


FILTER_LABELS = {
    "active": _l("Active"),
    "pending": _l("To review"),
    "confirmed": _l("Confirmed"),
    "waitlisted": _l("Waiting list"),
    "cancelled": _l("Cancelled"),
    "rejected": _l("Not accepted"),
    "all": _l("All"),
}


@bp.context_processor
def _labels() -> dict:
    return {"EVENT_STATUSES": EVENT_STATUSES, "FILTER_LABELS": FILTER_LABELS}


def _event(event_id: int):
    event = services.load(event_id)
    if event is None:
        abort(404)
    require("organiser", event.organisation_id)
    return event


def _enrolment(enrolment_id: int):
    found = services.enrolment_and_organisation(enrolment_id)
    if found is None:
        abort(404)
    enrolment, organisation_id = found
    require("organiser", organisation_id)
    return enrolment


def _to_event(event_id: int, shown: str | None = None):
    shown = shown if shown in services.FILTERS and shown != "active" else None
    return redirect(url_for("manage.event", event_id=event_id, shown=shown), code=303)


def _choices() -> tuple[list[Organisation], list[Category]]:
    """The organisations the user may create events for, and the categories."""
    allowed = organisation_ids("organiser")
    stmt = select(Organisation).order_by(Organisation.name)
    if allowed is not None:
        stmt = stmt.where(Organisation.id.in_(allowed))
    organisations = list(db.session.execute(stmt).scalars())
    categories = list(db.session.execute(select(Category).order_by(Category.position)).scalars())
    return organisations, categories


def _event_form(organisations, categories, data: dict) -> forms.EventForm:
    form = forms.EventForm() if request.method == "POST" else forms.EventForm(data=data)
    locale = str(get_locale())
    form.organisation_id.choices = [SelectChoice(o.id, o.name) for o in organisations]
    form.category_id.choices = [SelectChoice(c.id, c.name(locale)) for c in categories]
    return form


@bp.get("/")
@requires(*ROLES)
def index():
    status = request.args.get("status", "")
    status = status if status in EVENT_STATUSES else ""
    period = request.args.get("period", "upcoming")
    period = period if period in PERIODS else "upcoming"
    rows = services.overview(organisation_ids("organiser"), status, period, utcnow())
    return render_template(
        "manage/index.html", rows=rows, status=status, period=period, periods=PERIODS
    )


@bp.route("/events/new", methods=["GET", "POST"])
@requires(*ROLES)
def new():
    organisations, categories = _choices()
    if not organisations:
        flash(_l("You are not an organiser in any organisation."), "warning")
        return redirect(url_for("manage.index"), code=303)
    initial = forms.new_event_data(organisations[0].id, current_user.name, current_user.email)
    form = _event_form(organisations, categories, initial)
    if request.method == "POST" and not form.apply_button(request.form) and form.validate():
        event = services.create_event(form.to_data())
        db.session.commit()
        flash(_l("The event was saved as a draft. Publish it when it is ready."), "success")
        return _to_event(event.id)
    return render_template("manage/form.html", form=form, event=None, plan=None)


@bp.get("/events/<int:event_id>")
@requires(*ROLES)
def event(event_id: int):
    found = _event(event_id)
    shown = request.args.get("shown", "active")
    shown = shown if shown in services.FILTERS else "active"
    return render_template(
        "manage/event.html",
        event=found,
        enrolments=services.enrolments_of(found, shown),
        answers=question_services.answers_by_enrolment(found.id),
        shown=shown,
        filters=services.FILTERS,
        target_group=target_group(found),
    )


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@requires(*ROLES)
def edit(event_id: int):
    found = _event(event_id)
    if found.status == EventStatus.CANCELLED:
        flash(PROBLEMS[ManageError.CANCELLED], "warning")
        return _to_event(found.id)
    organisations, categories = _choices()
    form = _event_form(organisations, categories, forms.event_data(found))
    form.require_sessions = found.status == EventStatus.PUBLISHED
    plan = None
    if request.method == "POST" and not form.apply_button(request.form) and form.validate():
        data = form.to_data()
        plan = services.plan_edit(found, data)
        if not plan.notifies or request.form.get("confirm") == plan.token:
            try:
                saved = services.save_event(found.id, data)
            except ManageError as error:
                db.session.rollback()
                flash(PROBLEMS[error.code], "warning")
                return _to_event(event_id)
            db.session.commit()
            _flash_saved(saved)
            return _to_event(event_id)
    return render_template("manage/form.html", form=form, event=found, plan=plan)


def _flash_saved(saved: services.Saved) -> None:
    flash(_l("The changes were saved."), "success")
    sent = saved.updated + saved.cancelled + saved.invited
    if sent:
        flash(
            ngettext(
                "%(num)d calendar update was sent.", "%(num)d calendar updates were sent.", sent
            ),
            "info",
        )
    if saved.promoted:
        flash(
            ngettext(
                "%(num)d person got a seat from the waiting list.",
                "%(num)d people got a seat from the waiting list.",
                saved.promoted,
            ),
            "info",
        )
    if saved.over_capacity:
        flash(
            ngettext(
                "%(num)d person more than the seats is confirmed. Nobody was removed.",
                "%(num)d people more than the seats are confirmed. Nobody was removed.",
                saved.over_capacity,
            ),
            "warning",
        )


@bp.get("/events/<int:event_id>/preview")
@requires(*ROLES)
def preview(event_id: int):
    found = _event(event_id)
    seats = enrolment_services.seats_of(found)
    return render_template(
        "manage/preview.html",
        event=found,
        **found.texts(str(get_locale())),
        seats=seats,
        seats_text=seats_text(seats),
        window=enrolment_window(found, utcnow()),
        closes_at=enrolment_closes_at(found),
        target_group=target_group(found),
        rules_date=rule_date(found),
    )


def _state_change(event_id: int, change, done: str):
    found = _event(event_id)
    try:
        change(found.id)
    except ManageError as error:
        db.session.rollback()
        flash(PROBLEMS[error.code], "warning")
        if error.code == ManageError.NO_SESSIONS:
            return redirect(url_for("manage.edit", event_id=found.id), code=303)
    else:
        db.session.commit()
        flash(done, "success")
    return _to_event(found.id)


@bp.post("/events/<int:event_id>/publish")
@requires(*ROLES)
def publish(event_id: int):
    return _state_change(
        event_id, services.publish, _l("The event is published: it is in the calendar.")
    )


@bp.post("/events/<int:event_id>/unpublish")
@requires(*ROLES)
def unpublish(event_id: int):
    return _state_change(
        event_id,
        services.unpublish,
        _l(
            "The event is a draft again: it is not in the calendar and nobody can enrol. "
            "Those enrolled keep their enrolments."
        ),
    )


@bp.post("/events/<int:event_id>/duplicate")
@requires(*ROLES)
def duplicate(event_id: int):
    found = _event(event_id)
    copy = services.duplicate_event(found.id, gettext("Copy of %(title)s", title=found.title))
    db.session.commit()
    flash(_l("This is a copy, saved as a draft. Check its dates before publishing it."), "success")
    return redirect(url_for("manage.edit", event_id=copy.id), code=303)


@bp.route("/events/<int:event_id>/cancel", methods=["GET", "POST"])
@requires(*ROLES)
def cancel(event_id: int):
    found = _event(event_id)
    if found.status == EventStatus.CANCELLED:
        flash(_l("The event has already been cancelled."), "info")
        return _to_event(found.id)
    if request.method == "POST":
        notified = services.cancel_event(found.id)
        db.session.commit()
        flash(
            ngettext(
                "The event was cancelled. %(num)d person was told.",
                "The event was cancelled. %(num)d people were told.",
                notified,
            ),
            "success",
        )
        return _to_event(event_id)
    return render_template(
        "manage/cancel_event.html", event=found, count=services.active_count(found.id)
    )


@bp.route("/events/<int:event_id>/message", methods=["GET", "POST"])
@requires(*ROLES)
def message(event_id: int):
    found = _event(event_id)
    form = forms.MessageForm()
    if request.method == "GET":
        form.subject.data = found.title
    counts = services.recipients_count(found.id)
    if form.validate_on_submit():
        if counts[form.group.data] == 0:
            form.group.errors.append(_l("Nobody is in this group."))
        else:
            reached = services.message_participants(
                found.id, form.group.data, form.subject.data, form.body.data
            )
            db.session.commit()
            flash(
                ngettext(
                    "The message is on its way to %(num)d person.",
                    "The message is on its way to %(num)d people.",
                    reached,
                ),
                "success",
            )
            return _to_event(found.id)
    return render_template("manage/message.html", event=found, form=form, counts=counts)


# --- enrolments --------------------------------------------------------------------------


def _review(enrolment_id: int, action, done: str):
    enrolment = _enrolment(enrolment_id)
    form = forms.ReviewForm()
    shown = request.form.get("shown")
    if not form.validate():
        flash(" ".join(str(error) for error in form.message.errors), "warning")
        return _to_event(enrolment.event_id, shown)
    try:
        action(enrolment.id, form.message.data or "")
    except EnrolmentRefused:
        db.session.rollback()
        flash(_l("There is no seat and no room on the waiting list: add seats first."), "warning")
    except InvalidTransition:
        db.session.rollback()
        flash(_l("This enrolment has already been handled."), "warning")
    else:
        db.session.commit()
        flash(done, "success")
    return _to_event(enrolment.event_id, shown)


@bp.post("/enrolments/<int:enrolment_id>/approve")
@requires(*ROLES)
def approve(enrolment_id: int):
    return _review(
        enrolment_id,
        enrolment_services.approve,
        _l("The enrolment was accepted and the person was told."),
    )


@bp.post("/enrolments/<int:enrolment_id>/reject")
@requires(*ROLES)
def reject(enrolment_id: int):
    return _review(
        enrolment_id,
        enrolment_services.reject,
        _l("The enrolment was not accepted, and the person was told."),
    )


@bp.route("/enrolments/<int:enrolment_id>/cancel", methods=["GET", "POST"])
@requires(*ROLES)
def cancel_enrolment(enrolment_id: int):
    enrolment = _enrolment(enrolment_id)
    shown = request.values.get("shown")
    if not enrolment.is_active:
        flash(_l("This enrolment is no longer active."), "info")
        return _to_event(enrolment.event_id, shown)
    if request.method == "POST":
        enrolment_services.cancel_enrolment(enrolment.id)
        db.session.commit()
        flash(_l("The enrolment was cancelled and the person was told."), "success")
        return _to_event(enrolment.event_id, shown)
    return render_template(
        "manage/cancel_enrolment.html",
        enrolment=enrolment,
        event=services.load(enrolment.event_id),
        shown=shown,
    )


@bp.post("/enrolments/<int:enrolment_id>/promote")
@requires(*ROLES)
def promote(enrolment_id: int):
    enrolment = _enrolment(enrolment_id)
    shown = request.form.get("shown")
    if enrolment.status != EnrolmentStatus.WAITLISTED:
        flash(PROBLEMS[ManageError.NOT_WAITLISTED], "warning")
        return _to_event(enrolment.event_id, shown)
    full = services.over_capacity_if_promoted(enrolment)
    if full is not None and request.form.get("confirm") != "over_capacity":
        return render_template(
            "manage/promote.html",
            enrolment=enrolment,
            event=services.load(enrolment.event_id),
            seats=full,
            shown=shown,
        )
    try:
        enrolment_services.promote(enrolment.id)
    except InvalidTransition:
        db.session.rollback()
        flash(PROBLEMS[ManageError.NOT_WAITLISTED], "warning")
        return _to_event(enrolment.event_id, shown)
    db.session.commit()
    if full is not None:
        flash(  # gettext, not _l: a lazy string is flashed as markup, unescaped
            gettext(
                "%(name)s has a seat. The event now has %(num)d confirmed for %(seats)d seats.",
                name=enrolment.full_name,
                num=full.confirmed + 1,
                seats=full.capacity,
            ),
            "warning",
        )
    else:
        flash(gettext("%(name)s has a seat and was told.", name=enrolment.full_name), "success")
    return _to_event(enrolment.event_id, shown)
