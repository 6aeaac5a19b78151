"""The outbox: a message is queued in the same transaction as the change that causes it, as
what to say; eventsapp.mail.sender renders and sends it after the commit. This module is what
web requests need, and loads no mail machinery (MIME, SMTP) until a message is rendered.
"""

from email.utils import make_msgid
from urllib.parse import urlsplit

from flask import current_app

from eventsapp.extensions import db
from eventsapp.models import OutboxMessage


def mail_domain() -> str:
    return urlsplit(current_app.config["EVENTSAPP_BASE_URL"]).hostname or "eventsapp.local"


def enqueue_payload(
    *,
    kind: str,
    to: tuple[str, str],
    subject: str,
    payload: dict,
    enrolment_id: int | None = None,
) -> OutboxMessage:
    """Queue what to say in the current transaction; it is rendered and sent after the
    commit. `payload["renderer"]` names the function in RENDERERS that renders it."""
    row = OutboxMessage(
        kind=kind,
        to_name=to[0],
        to_address=to[1],
        subject=subject,
        message_id=make_msgid(domain=mail_domain()),
        payload=payload,
        enrolment_id=enrolment_id,
    )
    db.session.add(row)
    return row


def enqueue(
    *,
    kind: str,
    to: tuple[str, str],
    subject: str,
    text: str,
    html: str,
    reply_to: str = "",
    calendar: bytes | None = None,
    method: str = "",
    enrolment_id: int | None = None,
) -> OutboxMessage:
    """Queue a message whose text and HTML are written already."""
    payload = {
        "renderer": "parts",
        "text": text,
        "html": html,
        "reply_to": reply_to,
        "calendar": calendar.decode("utf-8") if calendar else None,
        "method": method,
    }
    return enqueue_payload(
        kind=kind, to=to, subject=subject, payload=payload, enrolment_id=enrolment_id
    )


def _render_parts(row: OutboxMessage) -> bytes:
    from eventsapp.mail import message

    payload = row.payload
    calendar = payload.get("calendar")
    return message.build(
        sender=current_app.config["MAIL_DEFAULT_SENDER"],
        to=(row.to_name, row.to_address),
        subject=row.subject,
        text=payload["text"],
        html=payload["html"],
        message_id=row.message_id,
        reply_to=payload.get("reply_to", ""),
        calendar=calendar.encode("utf-8") if calendar else None,
        method=payload.get("method", ""),
    )


def _render_enrolment(row: OutboxMessage) -> bytes:
    from eventsapp.mail import notify  # notify queues through this module

    return notify.render(row)


RENDERERS = {"parts": _render_parts, "enrolment": _render_enrolment}


def rendered(row: OutboxMessage) -> str:
    """The whole message: as rendered before, or rendered now (not stored)."""
    if row.mime:
        return row.mime
    return RENDERERS[row.payload["renderer"]](row).decode("ascii")
