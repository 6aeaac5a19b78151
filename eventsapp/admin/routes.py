"""The coordinator's screens."""

from flask import Blueprint, render_template

from eventsapp.auth.access import requires

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@requires("coordinator")
def index():
    return render_template("admin/index.html")
