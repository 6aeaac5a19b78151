"""What search engines read besides the pages: /sitemap.xml and /robots.txt (the JSON-LD of
each event page: eventsapp.catalogue.jsonld)."""

from flask import Blueprint, Response, render_template, url_for
from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.mail.links import absolute
from eventsapp.models import Event, EventStatus

bp = Blueprint("seo", __name__)

# Kept out of search engines: staff pages, people's own pages, the API's write paths (none).
DISALLOW = (
    "/manage/", "/admin/", "/coach/", "/outbox/", "/attendance/", "/reports/", "/exports/",
    "/enrolments/", "/e/", "/feedback/", "/login", "/logout", "/reset-password", "/account",
    "/events/*/enrol",
)  # fmt: skip


@bp.get("/sitemap.xml")
def sitemap():
    rows = db.session.execute(
        select(Event.id, Event.slug, Event.updated_at)
        .where(Event.status.in_((EventStatus.PUBLISHED, EventStatus.CANCELLED)))
        .order_by(Event.id)
    ).all()
    urls = [
        (
            absolute(url_for("catalogue.event", event_id=row.id, slug=row.slug or None)),
            row.updated_at,
        )
        for row in rows
    ]
    body = render_template("seo/sitemap.xml", home=absolute("/"), urls=urls)
    return Response(body, content_type="application/xml; charset=utf-8")


@bp.get("/robots.txt")
def robots():
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in DISALLOW)]
    lines.append(f"Sitemap: {absolute(url_for('seo.sitemap'))}")
    return Response("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
