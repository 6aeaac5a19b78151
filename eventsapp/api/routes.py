"""GET /api/v1/…: read-only JSON, open to any site (CORS), kept per worker like the pages."""

from flask import Blueprint, abort, current_app, jsonify, request, url_for

from eventsapp.api import services
from eventsapp.api.openapi import SPEC
from eventsapp.catalogue import services as catalogue
from eventsapp.catalogue.cache import cached_page
from eventsapp.database import utcnow
from eventsapp.enrolment.services import seats_of
from eventsapp.events import load_event

bp = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_AGE = 60  # seconds a client may keep an answer without asking again
PAGE_SIZE, MAX_PAGE_SIZE = 20, 100


@bp.after_request
def _open(response):
    """Any site may read the API from a browser; clients keep answers a minute."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    if response.status_code in (200, 304):
        response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    return response


def _lang() -> str:
    lang = request.args.get("lang", "fi")
    return lang if lang in services.LANGUAGES else "fi"


def _page_size() -> int:
    try:
        return max(1, min(int(request.args.get("page_size", PAGE_SIZE)), MAX_PAGE_SIZE))
    except ValueError:
        return PAGE_SIZE


def _link(page: int) -> str:
    args = {**request.args.to_dict(), "page": page}
    return url_for("api.events", _external=False, **args)


@bp.get("/events")
@cached_page
def events():
    filters = catalogue.Filters.from_args(request.args)
    now = utcnow()
    page = catalogue.upcoming(filters, now, _page_size())
    base = current_app.config["EVENTSAPP_BASE_URL"].rstrip("/")
    return jsonify(
        {
            "meta": {
                "count": page.total,
                "page": page.page,
                "pages": page.pages,
                "next": base + _link(page.page + 1) if page.page < page.pages else None,
                "previous": base + _link(page.page - 1) if page.page > 1 else None,
            },
            "data": [services.event_resource(card, now, _lang()) for card in page.cards],
        }
    )


@bp.get("/events/<int:event_id>")
@cached_page
def event(event_id: int):
    found = load_event(event_id)
    if found is None or not found.sessions:
        abort(404)
    card = catalogue.Card(
        event=found,
        seats=seats_of(found),
        starts_at=found.sessions[0].starts_at,
        ends_at=max(session.ends_at for session in found.sessions),
        target_group="",
    )
    return jsonify(services.event_resource(card, utcnow(), _lang()))


@bp.get("/organisations")
@cached_page
def organisations():
    _categories, orgs = catalogue.filter_choices()
    return jsonify({"data": [services.organisation(org) for org in orgs]})


@bp.get("/categories")
@cached_page
def categories():
    cats, _organisations = catalogue.filter_choices()
    return jsonify({"data": [services.category(cat) for cat in cats]})


@bp.get("/openapi.json")
def openapi():
    return jsonify(SPEC)


@bp.errorhandler(404)
def _not_found(_error):
    return jsonify({"detail": "not found"}), 404
