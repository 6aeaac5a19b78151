"""Translated labels for the codes the models store, and date formats people read."""

from datetime import datetime

from flask_babel import format_date, format_datetime, format_time, get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l

KINDS = {
    "campus_visit": _l("Campus visit"),
    "course": _l("Course"),
    "other": _l("Other event"),
}
ATTENDANCE = {
    "in_person": _l("On site"),
    "online": _l("Online"),
    "hybrid": _l("On site or online"),
}
LANGUAGES = {"fi": _l("Finnish"), "sv": _l("Swedish"), "en": _l("English")}
STATUSES = {
    "confirmed": _l("Confirmed"),
    "waitlisted": _l("On the waiting list"),
    "pending": _l("Waiting for the organiser's review"),
    "cancelled": _l("Cancelled"),
    "rejected": _l("Not accepted"),
}
OUTBOX_STATES = {
    "queued": _l("Waiting to be sent"),
    "sending": _l("Being sent"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    "skipped": _l("Not sent (no longer needed)"),
}
LANGUAGE_SWITCH = {"fi": "Suomeksi", "sv": "På svenska", "en": "In English"}


def languages_of(codes: str) -> str:
    return ", ".join(str(LANGUAGES.get(code.strip(), code)) for code in codes.split(","))


# A moment people read, in Helsinki time (Flask-Babel's timezone): Finnish "7.9.2027 klo 13.00",
# Finland-Swedish "7.9.2027 kl. 13.00", English "7 Sep 2027 at 13:00".
MOMENT_PATTERNS = {
    "fi": "d.M.yyyy 'klo' H.mm",
    "sv": "d.M.yyyy 'kl.' H.mm",
    "en": "d MMM yyyy 'at' HH:mm",
}
# A time of day: "13.00" in Finnish and Finland-Swedish (not Sweden's "13:00"), "13:00" in English.
CLOCK_PATTERNS = {"fi": "H.mm", "sv": "H.mm", "en": "HH:mm"}


def clock(value: datetime, _fmt: str = "short") -> str:
    """A time of day in the page's language, in Helsinki time."""
    return format_time(value, CLOCK_PATTERNS.get(str(get_locale()), CLOCK_PATTERNS["fi"]))


def moment(value: datetime, _fmt: str = "short") -> str:
    """A date and time in the page's language (`_fmt` is kept for the templates' filter
    calls: every moment is shown the same way)."""
    pattern = MOMENT_PATTERNS.get(str(get_locale()), MOMENT_PATTERNS["fi"])
    return format_datetime(value, pattern)


def day(value: datetime) -> str:
    return format_date(value, "EEE d.M.yyyy")


def when(starts_at: datetime, ends_at: datetime) -> str:
    """One session: "ti 8.6.2027 klo 10.00–13.00" (the day of the end is the same)."""
    return gettext(
        "%(day)s at %(start)s–%(end)s",
        day=day(starts_at),
        start=clock(starts_at),
        end=clock(ends_at),
    )


def span(starts_at: datetime, ends_at: datetime, sessions: int) -> str:
    """A whole event in the calendar: its one session, or its first and last day."""
    if sessions <= 1:
        return when(starts_at, ends_at)
    return gettext(
        "%(first)s – %(last)s, %(num)d sessions",
        first=day(starts_at),
        last=day(ends_at),
        num=sessions,
    )


def offset_label(minutes: int) -> str:
    """A reminder's offset as the organiser's menu says it: "2 hours before", "1 day before"."""
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return ngettext("%(num)d day before", "%(num)d days before", days)
    hours = minutes // 60
    return ngettext("%(num)d hour before", "%(num)d hours before", hours)


CHANNELS = {"email": _l("Email"), "sms": _l("Text message")}

JINJA_GLOBALS = {
    "CHANNELS": CHANNELS,
    "KINDS": KINDS,
    "ATTENDANCE": ATTENDANCE,
    "STATUSES": STATUSES,
    "OUTBOX_STATES": OUTBOX_STATES,
    "LANGUAGE_SWITCH": LANGUAGE_SWITCH,
}
JINJA_FILTERS = {"languages_of": languages_of, "day": day, "datetime": moment, "time": clock}
JINJA_FUNCTIONS = {"when": when, "span": span}
