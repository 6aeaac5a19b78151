"""The staff view of the outbox: every message, rendered, and as an .eml file (the
coordinator's)."""

from email import message_from_string
from email.policy import default

from flask import Blueprint, Response, abort, render_template
from sqlalchemy import select

from eventsapp.auth.access import requires
from eventsapp.extensions import db
from eventsapp.mail.render import rendered
from eventsapp.models import Channel, OutboxMessage

bp = Blueprint("outbox", __name__, url_prefix="/outbox")


@bp.before_request
@requires("coordinator")
def guard():
    """Only the coordinator reads the outbox: it holds every participant's mail."""
    return None


def _message(message_id: int) -> OutboxMessage:
    row = db.session.get(OutboxMessage, message_id)
    if row is None:
        abort(404)
    return row


@bp.get("/")
def index():
    rows = db.session.execute(
        select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(500)
    ).scalars()
    return render_template("mail/outbox.html", messages=list(rows))


def _mail(message_id: int) -> OutboxMessage:
    row = _message(message_id)
    if row.channel != Channel.EMAIL:
        abort(404)
    return row


def _render_or_reason(row: OutboxMessage) -> tuple[str, str]:
    """The rendered message, or why it cannot be rendered (shown, never a 500)."""
    try:
        return rendered(row), ""
    except Exception as error:
        return "", repr(error)


@bp.get("/<int:message_id>")
def show(message_id: int):
    row = _message(message_id)
    source, problem = _render_or_reason(row)
    if row.channel == Channel.SMS or problem:
        return render_template(
            "mail/message.html", row=row, headers=[("To", row.to_address)], text=source,
            problem=problem, calendar="", method="",
        )  # fmt: skip
    parsed = message_from_string(source, policy=default)
    text = parsed.get_body(("plain",))
    calendars = [part for part in parsed.walk() if part.get_content_type() == "text/calendar"]
    return render_template(
        "mail/message.html",
        row=row,
        headers=[(name, parsed[name]) for name in ("From", "To", "Reply-To", "Subject", "Date")],
        text=text.get_content() if text else "",
        calendar=calendars[0].get_content() if calendars else "",
        method=calendars[0].get_param("method") if calendars else "",
    )


@bp.get("/<int:message_id>/html")
def html(message_id: int):
    """The HTML body on its own, sandboxed: no script, no outside requests."""
    parsed = message_from_string(rendered(_mail(message_id)), policy=default)
    body = parsed.get_body(("html",))
    response = Response(body.get_content() if body else "", mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
    )
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/<int:message_id>.eml")
def eml(message_id: int):
    row = _mail(message_id)
    return Response(
        rendered(row),
        mimetype="message/rfc822",
        headers={"Content-Disposition": f'attachment; filename="message-{row.id}.eml"'},
    )
