"""The outbox: a message is queued in the same transaction as the change that causes it, as
what to say; eventsapp.mail.render renders it and eventsapp.mail.sender sends it, after the
commit. This module is what web requests need: it loads no mail machinery (MIME, SMTP).
"""

from email.utils import make_msgid
from urllib.parse import urlsplit

from flask import current_app

from eventsapp.extensions import db
from eventsapp.models import Channel, OutboxMessage


def mail_domain() -> str:
    return urlsplit(current_app.config["EVENTSAPP_BASE_URL"]).hostname or "eventsapp.local"


def enqueue_payload(
    *,
    kind: str,
    to: tuple[str, str],
    subject: str,
    payload: dict,
    enrolment_id: int | None = None,
    channel: str = Channel.EMAIL,
    **fields,
) -> OutboxMessage:
    """Queue what to say in the current transaction; it is rendered and sent after the
    commit. `payload["renderer"]` names the function in mail.render.RENDERERS that renders
    it; `fields`: more columns (a reminder's session, offset and moment)."""
    row = OutboxMessage(
        kind=kind,
        channel=channel,
        to_name=to[0],
        to_address=to[1],
        subject=subject,
        message_id=make_msgid(domain=mail_domain()),
        payload=payload,
        enrolment_id=enrolment_id,
        **fields,
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
