"""Organisers' screens: their organisations' events and enrolments."""

from flask import Blueprint, render_template
from sqlalchemy import select

from eventsapp.auth.access import organisation_ids, requires
from eventsapp.extensions import db
from eventsapp.models import Event

bp = Blueprint("manage", __name__, url_prefix="/manage")


@bp.get("/")
@requires("organiser", "coordinator")
def index():
    stmt = select(Event).order_by(Event.id.desc())
    allowed = organisation_ids("organiser")
    if allowed is not None:
        stmt = stmt.where(Event.organisation_id.in_(allowed))
    events = db.session.execute(stmt).scalars().all()
    return render_template("manage/index.html", events=events)
