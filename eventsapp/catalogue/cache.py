"""Public pages kept in each worker and served again while nothing they show has changed.

Only anonymous GETs of the calendar and event pages are kept (no session user, no flashed
message, nothing set in a cookie). Before serving a kept page, one small query reads the
database's freshness: the last change to any event (sessions and rules count as changes to
their event, see `touch_events`) and the last enrolment change. Pages also age out after a
minute, as the clock moves enrolment windows and "upcoming". Each worker keeps at most
PAGE_CACHE_BYTES; nothing is shared, so several workers and hosts need no coordination.
"""

import time
from collections import OrderedDict
from functools import wraps

from flask import current_app, make_response, request, session
from flask_babel import get_locale
from sqlalchemy import event as sa_event
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eventsapp.database import utcnow
from eventsapp.extensions import db
from eventsapp.models import EligibilityRule, Enrolment, Event, EventSession

MAX_AGE = 60  # seconds


class PageCache:
    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self.pages: OrderedDict[tuple, tuple[tuple, bytes, str]] = OrderedDict()

    def get(self, key: tuple, version: tuple) -> tuple[bytes, str] | None:
        kept = self.pages.get(key)
        if kept is None or kept[0] != version:
            return None
        self.pages.move_to_end(key)
        return kept[1], kept[2]

    def put(self, key: tuple, version: tuple, body: bytes, content_type: str) -> None:
        if len(body) > self.max_bytes // 8:
            return
        old = self.pages.pop(key, None)
        if old is not None:
            self.size -= len(old[1])
        self.pages[key] = (version, body, content_type)
        self.size += len(body)
        while self.size > self.max_bytes:
            _, (_, dropped, _) = self.pages.popitem(last=False)
            self.size -= len(dropped)


def freshness() -> tuple:
    """What a kept page depends on, read in one query."""
    row = db.session.execute(
        select(
            select(func.max(Event.updated_at)).scalar_subquery(),
            select(func.max(Enrolment.id)).scalar_subquery(),
            select(func.max(Enrolment.status_changed_at)).scalar_subquery(),
        )
    ).one()
    return (*row, int(time.time() // MAX_AGE))


def _cacheable() -> bool:
    return (
        request.method == "GET"
        and current_app.config.get("PAGE_CACHE_BYTES", 0) > 0
        and "_user_id" not in session
        and "_flashes" not in session
        and "lang" not in request.args  # the answer sets a cookie
    )


def page_cache() -> PageCache:
    cache = current_app.extensions.get("page_cache")
    if cache is None:
        cache = current_app.extensions["page_cache"] = PageCache(
            current_app.config["PAGE_CACHE_BYTES"]
        )
    return cache


def cached_page(view):
    """Serve a kept copy of this view's page while it is fresh (see the module's notes)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not _cacheable():
            return view(*args, **kwargs)
        key = (request.full_path, str(get_locale()))
        version = freshness()
        kept = page_cache().get(key, version)
        if kept is not None:
            response = current_app.response_class(kept[0], content_type=kept[1])
        else:
            response = make_response(view(*args, **kwargs))
            if response.status_code == 200 and "Set-Cookie" not in response.headers:
                page_cache().put(key, version, response.get_data(), response.content_type)
        response.headers["Cache-Control"] = "no-cache"  # browsers revalidate with the ETag
        response.add_etag()
        return response.make_conditional(request)

    return wrapper


@sa_event.listens_for(Session, "before_flush")
def touch_events(session, _context, _instances) -> None:
    """A change to a session or a rule is a change to its event: mark the event updated, so
    that kept pages and calendar feeds see it."""
    now = utcnow()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, EventSession | EligibilityRule) and obj.event is not None:
            obj.event.updated_at = now
