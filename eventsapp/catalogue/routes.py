"""Views of the public calendar: thin, each calls a service and renders."""

from flask import Blueprint, abort, current_app, render_template, request, url_for

from eventsapp.catalogue import services
from eventsapp.database import utcnow
from eventsapp.enrolment.services import load_event, rule_date, seats_of
from eventsapp.models import AttendanceMode, EventKind, enrolment_closes_at, enrolment_window

bp = Blueprint("catalogue", __name__)


@bp.app_template_global()
def event_url(event) -> str:
    return url_for("catalogue.event", event_id=event.id, slug=event.slug or None)


@bp.get("/")
def index():
    filters = services.Filters.from_args(request.args)
    page = services.upcoming(filters, utcnow(), current_app.config["EVENTS_PER_PAGE"])
    categories, organisations = services.filter_choices()
    return render_template(
        "catalogue/index.html",
        page=page,
        filters=filters,
        categories=categories,
        organisations=organisations,
        kinds=list(EventKind),
        seats_text=services.seats_text,
    )


@bp.get("/events/<int:event_id>")
@bp.get("/events/<int:event_id>-<slug>")
def event(event_id: int, slug: str = ""):
    found = load_event(event_id)
    if found is None:
        abort(404)
    seats = seats_of(found)
    return render_template(
        "catalogue/event.html",
        event=found,
        seats=seats,
        seats_text=services.seats_text(seats),
        window=enrolment_window(found, utcnow()),
        closes_at=enrolment_closes_at(found),
        target_group=services.target_group(found),
        rules_date=rule_date(found),
        modes=AttendanceMode,
    )


@bp.get("/privacy")
def privacy():
    return render_template("catalogue/privacy.html")
