"""Views of the embeddable calendar. Only these pages may be framed, by the origins in
EMBED_ALLOWED_ORIGINS; every other page keeps frame-ancestors 'none'."""

from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, g, render_template, request, url_for
from flask_login import current_user

from eventsapp.auth.access import requires
from eventsapp.catalogue import services as catalogue
from eventsapp.catalogue.cache import cached_page
from eventsapp.database import utcnow
from eventsapp.embed.forms import ACCENTS, EmbedForm
from eventsapp.enrolment.services import seats_of
from eventsapp.events import load_event
from eventsapp.mail.links import absolute
from eventsapp.models import enrolment_window

bp = Blueprint("embed", __name__)

FILTERS = ("organisation", "category", "kind", "q", "lang", "accent")


def _framable(response):
    """This response may be shown in a frame of the allowed origins."""
    origins = current_app.config["EMBED_ALLOWED_ORIGINS"].strip() or "*"
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors {origins}"
    )
    g.framable = True
    return response


def _accent() -> str:
    accent = request.args.get("accent", "")
    return accent if accent in ACCENTS else ""


def _query(**extra) -> dict:
    """The embed's own filters, to carry from the list to an event and back."""
    return {key: request.args[key] for key in FILTERS if request.args.get(key)} | extra


@bp.get("/embed")
@cached_page
def index():
    filters = catalogue.Filters.from_args(request.args)
    page = catalogue.upcoming(filters, utcnow(), current_app.config["EVENTS_PER_PAGE"])
    response = current_app.make_response(
        render_template(
            "embed/index.html",
            page=page,
            filters=filters,
            accent=_accent(),
            query=_query(),
            page_link=lambda number: url_for("embed.index", **_query(page=number)),
            seats_text=catalogue.seats_text,
            enrol_url=lambda event: absolute(url_for("enrolment.enrol", event_id=event.id)),
        )
    )
    return _framable(response)


@bp.get("/embed/events/<int:event_id>")
@cached_page
def event(event_id: int):
    found = load_event(event_id)
    if found is None:
        abort(404)
    seats = seats_of(found)
    response = current_app.make_response(
        render_template(
            "embed/event.html",
            event=found,
            seats=seats,
            seats_text=catalogue.seats_text(seats),
            window=enrolment_window(found, utcnow()),
            target_group=catalogue.target_group(found),
            accent=_accent(),
            query=_query(),
            enrol_url=absolute(url_for("enrolment.enrol", event_id=found.id)),
            page_url=absolute(
                url_for("catalogue.event", event_id=found.id, slug=found.slug or None)
            ),
        )
    )
    return _framable(response)


@bp.get("/manage/embed")
@requires("organiser", "coordinator")
def builder():
    """Organisers build the <iframe> snippet: choose the filters, see a preview, copy."""
    form = EmbedForm(request.args, meta={"csrf": False})
    form.set_choices(*catalogue.filter_choices(), own=_own_organisations())
    params = form.params() if form.validate() else {}
    src = absolute(url_for("embed.index")) + (f"?{urlencode(params)}" if params else "")
    return render_template(
        "embed/builder.html",
        form=form,
        src=src,
        preview=url_for("embed.index", **params),
        resize_script=absolute(url_for("static", filename="js/embed-host.js")),
    )


def _own_organisations() -> set[int]:
    if current_user.is_coordinator:
        return set()
    return set(current_user.organisation_ids("organiser"))
