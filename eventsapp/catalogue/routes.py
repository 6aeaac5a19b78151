"""Views of the public calendar: thin, each calls a service and renders."""

import hashlib
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import get_locale, gettext

from eventsapp.catalogue import jsonld, services
from eventsapp.catalogue.cache import cached_page, page_cache
from eventsapp.database import utcnow
from eventsapp.enrolment.services import seats_of
from eventsapp.events import load_event, rule_date
from eventsapp.models import AttendanceMode, EventKind, enrolment_closes_at, enrolment_window

bp = Blueprint("catalogue", __name__)


@bp.app_template_global()
def event_url(event) -> str:
    return url_for("catalogue.event", event_id=event.id, slug=event.slug or None)


@bp.get("/")
@cached_page
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
@cached_page
def event(event_id: int, slug: str = ""):
    found = load_event(event_id)
    if found is None:
        abort(404)
    seats = seats_of(found)
    window = enrolment_window(found, utcnow())
    audience = services.target_group(found)
    return render_template(
        "catalogue/event.html",
        event=found,
        **found.texts(str(get_locale())),
        seats=seats,
        seats_text=services.seats_text(seats),
        window=window,
        json_ld=jsonld.json_ld(found, seats, window, audience) if found.sessions else None,
        closes_at=enrolment_closes_at(found),
        target_group=services.target_group(found),
        rules_date=rule_date(found),
        modes=AttendanceMode,
    )


def _calendar_response(body: bytes, events, filename: str):
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.cache_control.public = True
    response.cache_control.max_age = 900
    if events:
        response.last_modified = max(event.updated_at for event in events)
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/events/<int:event_id>.ics")
def event_ics(event_id: int):
    found = load_event(event_id)
    if found is None:
        abort(404)
    body = services.calendar_feed([found], found.title, *_base(), stamp=found.updated_at)
    return _calendar_response(body, [found], f"{found.slug or found.id}.ics")


@bp.get("/calendar.ics")
def calendar_ics():
    """The subscribable feed: every upcoming event within a year (FEED_DAYS), soonest first.
    Its ETag comes from the data (the last change, the filters, the day), so a subscriber's
    poll is answered 304 from one small query, before anything is built; a built feed is kept
    per worker (PAGE_CACHE_BYTES) until the data changes."""
    category = request.args.get("category", "")[:80]
    organisation = request.args.get("organisation", "")[:80]
    now = utcnow()
    version = (*services.feed_version(), now.date().isoformat())
    key = ("feed", category, organisation, str(get_locale()))
    etag = hashlib.sha256(repr((key, version)).encode()).hexdigest()[:32]
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        cache = page_cache()
        kept = cache.get(key, version)
        if kept is None:
            events = services.feed_events(category, organisation, now)
            name = gettext("Lahti-area employment network")
            days = services.FEED_DAYS
            description = gettext(
                "Upcoming events of the Lahti-area employment network that start within "
                "%(days)d days.",
                days=days,
            )
            body = services.calendar_feed(
                events, name, *_base(), description=description, stamp=version[0]
            )
            cache.put(key, version, body, "text/calendar; charset=utf-8")
        else:
            body = kept[0]
        response = Response(body, content_type="text/calendar; charset=utf-8")
        response.headers["Content-Disposition"] = 'inline; filename="calendar.ics"'
    response.set_etag(etag)
    response.cache_control.public = True
    response.cache_control.max_age = 900
    if version[0]:
        response.last_modified = version[0]
    return response


def _base() -> tuple[str, str]:
    base = current_app.config["EVENTSAPP_BASE_URL"].rstrip("/")
    return base, urlsplit(base).hostname or "eventsapp.local"


@bp.get("/privacy")
def privacy():
    from eventsapp.privacy.services import retention_days

    return render_template(
        "catalogue/privacy.html",
        retention_days=retention_days(),
        texts_by_gateway=bool(current_app.config.get("SMS_BACKEND")),
    )
