"""Coaches' screens: my clients and their enrolments."""

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import select

from eventsapp.auth.access import requires
from eventsapp.extensions import db
from eventsapp.models import Client

bp = Blueprint("coach", __name__, url_prefix="/coach")


@bp.get("/")
@requires("coach")
def index():
    clients = db.session.execute(
        select(Client).where(Client.coach_id == current_user.id).order_by(Client.last_name)
    ).scalars()
    return render_template("coach/index.html", clients=list(clients))
