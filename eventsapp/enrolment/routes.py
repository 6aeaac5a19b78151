"""Views of enrolment: the form, the manage page, cancelling and erasing. Thin: parse, call,
commit."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from eventsapp.catalogue.services import target_group
from eventsapp.database import utcnow
from eventsapp.enrolment import services
from eventsapp.enrolment.forms import ResendForm, form_for
from eventsapp.enrolment.services import EnrolmentRefused
from eventsapp.events import load_event
from eventsapp.extensions import db, limiter, within_limit
from eventsapp.mail.reminders import upcoming
from eventsapp.models import EventStatus, Window, email_key, enrolment_window
from eventsapp.privacy import services as privacy
from eventsapp.questions import services as question_services

bp = Blueprint("enrolment", __name__)

REFUSALS = {
    EnrolmentRefused.UNAVAILABLE: _l("This event is not open for enrolment."),
    EnrolmentRefused.NOT_YET: _l("Enrolment has not opened yet."),
    EnrolmentRefused.CLOSED: _l("Enrolment has closed."),
    EnrolmentRefused.CANCELLED: _l("This event has been cancelled."),
    EnrolmentRefused.FULL: _l("Sorry, the event filled up just now. There are no seats left."),
}
DUPLICATE = _l(
    "This email address is already enrolled in this event. We have sent the link of that "
    "enrolment to the address again."
)
RESENT = _l("If this address has enrolments, we have sent their links to it.")

ERASURES = {
    privacy.Erasure.ERASED: (
        _l(
            "Your details have been erased. The enrolment remains without your name or contact "
            "details."
        ),
        "success",
    ),
    privacy.Erasure.ALREADY: (_l("Your details have already been erased."), "info"),
    privacy.Erasure.NOT_ERASABLE: (
        _l(
            "Your details can be erased once the enrolment has been cancelled. If you no longer "
            "want to take part, cancel the enrolment first."
        ),
        "error",
    ),
}


def _published_event(event_id: int):
    event = load_event(event_id)
    if event is None or event.status == EventStatus.DRAFT:
        abort(404)
    return event


def _enrolment_limit() -> str:
    return current_app.config["ENROLMENT_RATE_LIMIT"] or "1 per day"


def _no_enrolment_limit() -> bool:
    return not current_app.config["ENROLMENT_RATE_LIMIT"]


@bp.route("/events/<int:event_id>/enrol", methods=["GET", "POST"])
@limiter.limit(_enrolment_limit, methods=["POST"], exempt_when=_no_enrolment_limit)
def enrol(event_id: int):
    event = _published_event(event_id)
    locale = str(get_locale())
    own = tuple(q.to_question() for q in question_services.of_event(event.id))
    form = form_for(event.eligibility_rules(), locale, own)
    window = enrolment_window(event, utcnow())
    refusal, verdict, duplicate = None, None, False
    if window != Window.OPEN:
        refusal = REFUSALS[services.refusal_for(window)]
    elif form.validate_on_submit():
        try:
            enrolment = services.enrol(event.id, form.to_applicant(locale))
            question_services.save_answers(enrolment, form.own_answers())
        except EnrolmentRefused as refused:
            db.session.rollback()
            if refused.reason == EnrolmentRefused.DUPLICATE:
                form.email.errors = [*form.email.errors, DUPLICATE]
                duplicate = True
                _resend(form.email.data)
            elif refused.reason == EnrolmentRefused.INELIGIBLE:
                verdict = refused.verdict
            else:
                refusal = REFUSALS[refused.reason]
            event = _published_event(event_id)
        else:
            token = enrolment.token
            db.session.commit()
            flash(_l("Thank you! Your enrolment has been received."), "success")
            return redirect(url_for("enrolment.manage", token=token), code=303)
    return render_template(
        "enrolment/form.html",
        event=event,
        form=form,
        refusal=refusal,
        verdict=verdict,
        duplicate=duplicate,
        reasons=services.explain(verdict) if verdict else [],
        target_group=target_group(event),
        seats=services.seats_of(event),
    )


def _resend_limit() -> str:
    return current_app.config["RESEND_RATE_LIMIT"]


def _resend(email: str) -> None:
    """Send an address its enrolment links, at most RESEND_RATE_LIMIT times per address (the
    limit per client address is on the route); commits."""
    key = email_key(email or "")
    if key and within_limit("RESEND_RATE_LIMIT", "resend-email", key):
        services.resend_links(email)
        db.session.commit()


@bp.route("/enrolments/resend", methods=["GET", "POST"])
@limiter.limit(_resend_limit, methods=["POST"])
def resend():
    """ "Lost your link?": the same answer whether or not the address has enrolments."""
    form = ResendForm()
    if form.validate_on_submit():
        _resend(form.email.data)
        flash(RESENT, "success")
        return redirect(url_for("enrolment.resend"), code=303)
    return render_template("enrolment/resend.html", form=form)


@bp.get("/e/<token>")
def short(token: str):
    """The short manage link of text messages."""
    return redirect(url_for("enrolment.manage", token=token), code=301)


@bp.get("/enrolments/<token>")
def manage(token: str):
    enrolment = services.by_token(token)
    if enrolment is None:
        abort(404)
    event = load_event(enrolment.event_id, published_only=False)
    reasons = services.review_reasons(enrolment, event)
    return render_template(
        "enrolment/manage.html",
        enrolment=enrolment,
        event=event,
        position=services.waitlist_position(enrolment),
        reasons=reasons,
        can_cancel=enrolment.is_active,
        reminders=upcoming(event, enrolment, utcnow()),
    )


@bp.post("/enrolments/<token>/texts-off")
def texts_off(token: str):
    """ "No more text messages"."""
    enrolment = services.by_token(token)
    if enrolment is None:
        abort(404)
    services.texts_off(enrolment)
    db.session.commit()
    flash(_l("No more text messages will be sent to you about this enrolment."), "success")
    return redirect(url_for("enrolment.manage", token=token), code=303)


@bp.post("/enrolments/<token>/cancel")
def cancel(token: str):
    enrolment = services.cancel(token)
    if enrolment is None:
        abort(404)
    db.session.commit()
    flash(_l("Your enrolment has been cancelled."), "success")
    return redirect(url_for("enrolment.manage", token=token), code=303)


@bp.post("/enrolments/<token>/erase")
def erase(token: str):
    """The person erases their own details: a cancelled or rejected enrolment only."""
    enrolment = services.by_token(token)
    if enrolment is None:
        abort(404)
    if request.form.get("confirm") != "y":
        flash(_l("Tick the box to confirm that you want your details erased."), "error")
    else:
        message, category = ERASURES[privacy.erase(enrolment)]
        db.session.commit()
        flash(message, category)
    return redirect(url_for("enrolment.manage", token=token), code=303)
