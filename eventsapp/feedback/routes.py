"""The participant's feedback page (no login: the token is the key) and the organiser's
per-event summary. Thin: parse, call, commit."""

from flask import Blueprint, abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length

from eventsapp.auth.access import require, requires
from eventsapp.extensions import db
from eventsapp.feedback import services
from eventsapp.models import Event

bp = Blueprint("feedback", __name__)

SCORE_LABELS = {
    1: _l("Not at all"),
    2: _l("Not much"),
    3: _l("Somewhat"),
    4: _l("Quite"),
    5: _l("Very much"),
}


class FeedbackForm(FlaskForm):
    text = TextAreaField(
        _l("Anything you want to tell the organiser? (optional)"),
        validators=[Length(max=services.TEXT_MAX)],
    )


@bp.route("/feedback/<token>", methods=["GET", "POST"])
def answer(token: str):
    found = services.request_of(token)
    if found is None:
        abort(404)
    event = db.session.get(Event, found.event_id)
    named = services.setting_of(found.event_id).named
    form = FeedbackForm()
    error = None
    if not found.used and form.validate_on_submit():
        try:
            score = int(request.form.get("score", ""))
        except ValueError:
            score = 0
        if score in services.SCORES:
            services.answer(found, score, form.text.data or "")
            db.session.commit()
            db.session.refresh(found)
        else:
            error = _l("Choose one of the five answers.")
    return render_template(
        "feedback/answer.html",
        event=event,
        form=form,
        done=found.used,
        named=named,
        error=error,
        scores=SCORE_LABELS,
    )


@bp.get("/manage/events/<int:event_id>/feedback")
@requires("organiser", "coordinator")
def summary(event_id: int):
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    require("organiser", event.organisation_id)
    return render_template(
        "feedback/summary.html",
        event=event,
        summary=services.summary(event.id),
        scores=SCORE_LABELS,
    )
