"""The MIME shape of a message, with or without a calendar invitation (RFC 6047, iMIP).

    multipart/mixed
      multipart/alternative
        text/plain
        text/html
        text/calendar; method=REQUEST; charset=UTF-8     (Outlook needs the method parameter)
      application/ics; name=invite.ics                    (attachment, for clients that want a file)

Without a calendar the message is a plain multipart/alternative of text and HTML.
"""

from email import charset, encoders
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTP
from email.utils import format_datetime, formataddr, make_msgid

from eventsapp.database import utcnow


def _charset(body_encoding: int) -> charset.Charset:
    chosen = charset.Charset("utf-8")
    chosen.body_encoding = body_encoding
    return chosen


READABLE = _charset(charset.QP)  # text and HTML stay readable in the raw message
EXACT = _charset(charset.BASE64)  # the calendar keeps its exact bytes (CRLF, folding)


def new_message_id(domain: str) -> str:
    return make_msgid(domain=domain)


def build(
    *,
    sender: str,
    to: tuple[str, str],
    subject: str,
    text: str,
    html: str,
    message_id: str,
    reply_to: str = "",
    calendar: bytes | None = None,
    method: str = "",
) -> bytes:
    """The whole message as bytes, ready for SMTP."""
    alternative = MIMEMultipart("alternative", policy=SMTP)
    alternative.attach(MIMEText(text, "plain", READABLE, policy=SMTP))
    alternative.attach(MIMEText(html, "html", READABLE, policy=SMTP))
    if calendar is None:
        message = alternative
    else:
        inline = MIMEText(calendar.decode("utf-8"), "calendar", EXACT, policy=SMTP)
        inline.set_param("method", method, requote=False)
        alternative.attach(inline)
        attachment = MIMEBase("application", "ics", name="invite.ics", policy=SMTP)
        attachment.set_payload(calendar)
        encoders.encode_base64(attachment)
        attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
        message = MIMEMultipart("mixed", policy=SMTP)
        message.attach(alternative)
        message.attach(attachment)
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = formataddr(to)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    return message.as_bytes(policy=SMTP)
