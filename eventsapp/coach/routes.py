"""Coaches' screens: my clients, their enrolments, and enrolling them on their behalf.

Thin views: parse, call one service, commit once, render or redirect. Who may see what is
decided in coach.services; another coach's client or enrolment is 404.
"""

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from eventsapp import municipalities
from eventsapp.attendance import services as attendance_services
from eventsapp.auth.access import requires
from eventsapp.catalogue.services import Filters, seats_text, target_group
from eventsapp.coach import services
from eventsapp.coach.forms import (
    CLIENT_GENDER_LABELS,
    EMPLOYMENT_LABELS,
    ClientForm,
    confirm_form_for,
)
from eventsapp.database import utcnow
from eventsapp.enrolment import services as enrolment_services
from eventsapp.enrolment.services import EnrolmentRefused, explain
from eventsapp.events import load_event
from eventsapp.extensions import db
from eventsapp.models import EventStatus, Window, enrolment_window
from eventsapp.privacy import services as privacy

bp = Blueprint("coach", __name__, url_prefix="/coach")

REFUSALS = {
    EnrolmentRefused.UNAVAILABLE: _l("This event is not open for enrolment."),
    EnrolmentRefused.NOT_YET: _l("Enrolment has not opened yet."),
    EnrolmentRefused.CLOSED: _l("Enrolment has closed."),
    EnrolmentRefused.CANCELLED: _l("This event has been cancelled."),
    EnrolmentRefused.FULL: _l(
        "The event filled up just now: there are no seats left and no room on the waiting list."
    ),
    EnrolmentRefused.DUPLICATE: _l(
        "This client already has an enrolment in this event, or someone has enrolled with the "
        "client's email address. See the client's enrolments."
    ),
}
RESULTS = {
    "confirmed": _l("Done: %(client)s has a seat."),
    "waitlisted": _l("The event is full: %(client)s is on the waiting list."),
    "pending": _l("The enrolment of %(client)s waits for the organiser's review."),
}


@bp.app_context_processor
def _coach_helpers() -> dict:
    """What the coach's templates use to show a client's facts in words."""
    return {
        "GENDER_NAMES": CLIENT_GENDER_LABELS,
        "EMPLOYMENT_NAMES": EMPLOYMENT_LABELS,
        "municipality_name": lambda code: municipalities.name_of(code, str(get_locale())),
        "age_today": services.age_today,
    }


def _locale() -> str:
    return str(get_locale())


def _page() -> int:
    return request.args.get("page", 1, type=int) or 1


def _query() -> str:
    return " ".join(request.args.get("q", "").split())[: services.MAX_QUERY]


def _show_all() -> bool:
    """The coordinator sees every coach's clients (a coordinator who coaches: on request)."""
    if not current_user.is_coordinator:
        return False
    return "coach" not in current_user.roles or request.args.get("all") == "1"


def _own_client(client_id: int):
    client = services.client_for_change(client_id, current_user)
    if client is None:
        abort(404)
    return client


def _open_event(event_id: int):
    event = load_event(event_id)
    if event is None or event.status == EventStatus.DRAFT:
        abort(404)
    return event


# --- my clients -------------------------------------------------------------------------------


DUE_WARNING = timedelta(days=14)  # the coach hears this long before a client is removed


@bp.get("/")
@requires("coach", "coordinator")
def index():
    show_all = _show_all()
    q = _query()
    page = services.client_list(current_user, q, _page(), all_coaches=show_all)
    return render_template(
        "coach/index.html",
        page=page,
        due=privacy.clients_due(
            privacy.retention_days(), utcnow() + DUE_WARNING, coach_id=current_user.id
        ),
        due_warning_days=DUE_WARNING.days,
        q=q,
        show_all=show_all,
        can_add="coach" in current_user.roles,
        can_switch=current_user.is_coordinator and "coach" in current_user.roles,
    )


@bp.route("/clients/new", methods=["GET", "POST"])
@requires("coach")
def new_client():
    event_id = request.args.get("event", type=int)
    form = ClientForm(locale=_locale())
    if form.validate_on_submit():
        client = services.create_client(current_user.id, form.to_data())
        db.session.commit()
        flash(_("The client %(name)s was added.", name=client.full_name), "success")
        if event_id:
            return redirect(
                url_for("coach.confirm", client_id=client.id, event_id=event_id), code=303
            )
        return redirect(url_for("coach.client", client_id=client.id), code=303)
    return render_template("coach/client_form.html", form=form, client=None, event_id=event_id)


@bp.get("/clients/<int:client_id>")
@requires("coach", "coordinator")
def client(client_id: int):
    found = services.client_for_view(client_id, current_user)
    if found is None:
        abort(404)
    own = found.coach_id == current_user.id
    return render_template(
        "coach/client.html",
        client=found,
        coach=None if own else services.coach_of(found),
        enrolments=services.client_enrolments(found),
        attendance=attendance_services.for_client(found.id),
        can_change=own,
    )


@bp.route("/clients/<int:client_id>/edit", methods=["GET", "POST"])
@requires("coach")
def edit_client(client_id: int):
    found = _own_client(client_id)
    form = ClientForm(obj=found, locale=_locale())
    if form.validate_on_submit():
        services.update_client(found, form.to_data())
        db.session.commit()
        flash(_("The client's details were saved."), "success")
        return redirect(url_for("coach.client", client_id=found.id), code=303)
    return render_template("coach/client_form.html", form=form, client=found, event_id=None)


@bp.route("/clients/<int:client_id>/delete", methods=["GET", "POST"])
@requires("coach")
def delete_client(client_id: int):
    found = _own_client(client_id)
    if request.method == "POST":
        name = found.full_name
        services.delete_client(found)
        db.session.commit()
        flash(_("The client %(name)s was deleted.", name=name), "success")
        return redirect(url_for("coach.index"), code=303)
    active = [e for e in services.client_enrolments(found) if e.is_active]
    return render_template("coach/client_delete.html", client=found, active=active)


# --- enrolling a client -----------------------------------------------------------------------


@bp.get("/clients/<int:client_id>/enrol")
@requires("coach")
def choose_event(client_id: int):
    found = _own_client(client_id)
    filters = Filters.from_args(request.args)
    page, choices = services.event_choices(
        found, filters, utcnow(), current_app.config["EVENTS_PER_PAGE"]
    )
    return render_template(
        "coach/choose_event.html",
        client=found,
        filters=filters,
        page=page,
        choices=choices,
        seats_text=seats_text,
    )


@bp.get("/events/<int:event_id>/enrol")
@requires("coach")
def choose_client(event_id: int):
    event = _open_event(event_id)
    q = _query()
    page = services.client_list(current_user, q, _page())
    fits = {row.client.id: services.fit(event, row.client) for row in page.rows}
    enrolled = {
        row.client.id for row in page.rows if any(e.event_id == event.id for e in row.enrolments)
    }
    return render_template(
        "coach/choose_client.html",
        event=event,
        page=page,
        q=q,
        fits=fits,
        enrolled=enrolled,
        window=enrolment_window(event, utcnow()),
        target_group=target_group(event),
    )


@bp.route("/clients/<int:client_id>/enrol/<int:event_id>", methods=["GET", "POST"])
@requires("coach")
def confirm(client_id: int, event_id: int):
    found = _own_client(client_id)
    event = _open_event(event_id)
    locale = _locale()
    asked = services.missing_facts(event.eligibility_rules(), found)
    form = confirm_form_for(event.eligibility_rules(), asked, locale)
    existing = services.active_enrolment(found.id, event.id)
    window = enrolment_window(event, utcnow())
    refusal = REFUSALS[enrolment_services.refusal_for(window)] if window != Window.OPEN else None
    verdict = None if refusal or existing else services.precheck(event, found, asked)
    submitted = request.method == "POST" and not (refusal or existing)

    if submitted:
        valid = form.validate_on_submit()
        if form.reminder_sms.data and services.phone_for_texts(found) is None:
            form.reminder_sms.errors = [
                _l("The client's details have no mobile number: add it there first.")
            ]
            valid = False
        if form.asked_valid():
            verdict = services.check(event, found, form.extra())
        decided = verdict is not None and not verdict.ineligible and form.check_decision(verdict)
        if valid and decided:
            try:
                enrolment = services.enrol_client(
                    event.id,
                    found,
                    current_user,
                    form.extra(),
                    override_reason=form.override(verdict),
                    notes=form.notes.data or "",
                    locale=locale,
                    reminder_sms=bool(form.reminder_sms.data),
                )
            except EnrolmentRefused as refused:
                db.session.rollback()
                if refused.reason == EnrolmentRefused.INELIGIBLE:
                    verdict = refused.verdict
                else:
                    refusal = REFUSALS[refused.reason]
                event = _open_event(event_id)
            else:
                db.session.commit()
                message = RESULTS.get(enrolment.status, RESULTS["pending"])
                flash(str(message) % {"client": found.full_name}, "success")
                return redirect(url_for("coach.enrolment", enrolment_id=enrolment.id), code=303)
    elif request.method == "POST" and existing:
        refusal = REFUSALS[EnrolmentRefused.DUPLICATE]

    blocked = verdict is not None and verdict.ineligible
    with_decision = verdict is not None and verdict.needs_review
    return render_template(
        "coach/confirm.html",
        client=found,
        event=event,
        form=form,
        fields=form.ordered_fields(with_decision=with_decision),
        asked=asked,
        verdict=verdict,
        reasons=explain(verdict) if verdict else [],
        blocked=blocked,
        with_decision=with_decision,
        show_form=not existing and window == Window.OPEN and not (blocked and not submitted),
        refusal=refusal,
        existing=existing,
        target_group=target_group(event),
        seats=enrolment_services.seats_of(event),
    )


# --- enrolments -------------------------------------------------------------------------------


@bp.get("/enrolments")
@requires("coach", "coordinator")
def enrolments():
    show_all = _show_all()
    filters = services.EnrolmentFilters.from_args(request.args)
    page = services.enrolment_list(current_user, filters, utcnow(), all_coaches=show_all)
    return render_template(
        "coach/enrolments.html",
        page=page,
        filters=filters,
        show_all=show_all,
        statuses=list(services.StatusFilter),
        whens=list(services.WhenFilter),
        can_switch=current_user.is_coordinator and "coach" in current_user.roles,
    )


@bp.get("/enrolments/<int:enrolment_id>")
@requires("coach", "coordinator")
def enrolment(enrolment_id: int):
    found = services.enrolment_for_view(enrolment_id, current_user)
    if found is None:
        abort(404)
    item, client = found
    event = load_event(item.event_id, published_only=False)
    own = client.coach_id == current_user.id
    return render_template(
        "coach/enrolment.html",
        enrolment=item,
        client=client,
        event=event,
        position=enrolment_services.waitlist_position(item),
        reasons=enrolment_services.review_reasons(item, event),
        attendance=attendance_services.for_enrolments([item.id]),
        can_cancel=own and item.is_active and not services.has_ended(event, utcnow()),
        can_change=own,
    )


@bp.post("/enrolments/<int:enrolment_id>/cancel")
@requires("coach")
def cancel(enrolment_id: int):
    found = services.enrolment_for_change(enrolment_id, current_user)
    if found is None:
        abort(404)
    item, client = found
    name = client.full_name
    if not item.is_active:
        flash(_("This enrolment was not active, so nothing changed."), "info")
    else:
        services.cancel_for_client(item)
        db.session.commit()
        flash(_("The enrolment of %(client)s was cancelled.", client=name), "success")
    return redirect(url_for("coach.enrolment", enrolment_id=enrolment_id), code=303)
