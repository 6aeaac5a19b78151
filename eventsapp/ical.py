"""iCalendar (RFC 5545) building: invitations (iTIP, RFC 5546) and published feeds.

Pure: no Flask, no database; the standard library and ``icalendar`` only. The mail layer
attaches the output of :func:`request` and :func:`cancel` to invitation emails (iMIP,
RFC 6047) as ``text/calendar; method=REQUEST`` or ``method=CANCEL``, ``charset=UTF-8``; the feeds
serve :func:`publish`.

Every function returns UTF-8 bytes with CRLF line endings, lines folded at 75 octets (never
inside a multi-byte character). Times are written as Europe/Helsinki wall time against one
hand-built VTIMEZONE of yearly rules (the form Outlook maps correctly), ``DTSTAMP`` and
``LAST-MODIFIED`` in UTC. Text loses only what iCalendar cannot carry: CR and CRLF become LF,
other control characters except TAB are dropped.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import (
    Alarm,
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vDatetime,
    vDuration,
    vText,
)

PRODID = "-//Lahden alueen tyollisyysverkosto//eventsapp//FI"
TZID = "Europe/Helsinki"

_HELSINKI = ZoneInfo(TZID)
_REFRESH = timedelta(hours=1)
_REMINDER = timedelta(days=1)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # C0 controls and DEL, except TAB and LF


@dataclass(frozen=True)
class Invite:
    """One calendar entry of one attendee: one session of an event.

    Raises ValueError for a naive datetime, an end not after the start, or a negative sequence.
    """

    uid: str  # stays the same for the life of the entry
    sequence: int  # 0 first, +1 on every update or cancel
    summary: str
    starts_at: datetime  # timezone-aware (any zone; written in Europe/Helsinki)
    ends_at: datetime
    organizer_name: str
    organizer_email: str
    attendee_name: str
    attendee_email: str
    description: str = ""  # plain text; the caller puts the manage link in it
    location: str = ""
    url: str = ""
    dtstamp: datetime | None = None  # default: now, UTC

    def __post_init__(self) -> None:
        _check_span(self.starts_at, self.ends_at)
        _check_aware("dtstamp", self.dtstamp)
        if self.sequence < 0:
            raise ValueError(f"sequence must be 0 or more, not {self.sequence}")


@dataclass(frozen=True)
class FeedEntry:
    """One session in a published feed.

    Raises ValueError for a naive datetime or an end not after the start.
    """

    uid: str
    summary: str
    starts_at: datetime  # timezone-aware
    ends_at: datetime
    description: str = ""
    location: str = ""
    url: str = ""
    last_modified: datetime | None = None
    cancelled: bool = False
    categories: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_span(self.starts_at, self.ends_at)
        _check_aware("last_modified", self.last_modified)


def request(invite: Invite) -> bytes:
    """A ``METHOD:REQUEST`` calendar: the attendee's entry, created or updated (``CONFIRMED``).

    Carries a display reminder one day before the start.
    """
    calendar, event = _invitation(invite, "REQUEST", "CONFIRMED")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -_REMINDER)
    alarm.add("description", vText(_clean(invite.summary)))
    event.add_component(alarm)
    return calendar.to_ical()


def cancel(invite: Invite) -> bytes:
    """A ``METHOD:CANCEL`` calendar removing the entry (``CANCELLED``).

    Pass the entry's UID and a SEQUENCE higher than the last one sent.
    """
    calendar, _ = _invitation(invite, "CANCEL", "CANCELLED")
    return calendar.to_ical()


def publish(
    entries: Iterable[FeedEntry],
    name: str,
    dtstamp: datetime | None = None,
    description: str = "",
) -> bytes:
    """A ``METHOD:PUBLISH`` feed named ``name``, asking subscribers to refresh every hour.

    Cancelled entries stay in the feed with ``STATUS:CANCELLED``. ``dtstamp`` defaults to now.
    ``description`` (X-WR-CALDESC) says what the feed holds.
    """
    _check_aware("dtstamp", dtstamp)
    stamp = _stamp(dtstamp)
    calendar = _calendar("PUBLISH")
    # NAME and X-* are untyped in icalendar and would go out unescaped: wrap them in vText.
    calendar.add("name", vText(_clean(name)))
    calendar.add("x-wr-calname", vText(_clean(name)))
    calendar.add("x-wr-timezone", vText(TZID))
    if description:
        calendar.add("x-wr-caldesc", vText(_clean(description)))
    calendar.add("refresh-interval", vDuration(_REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(_REFRESH))
    for entry in entries:
        event = _event(
            entry.uid,
            entry.summary,
            entry.starts_at,
            entry.ends_at,
            stamp,
            entry.description,
            entry.location,
            entry.url,
        )
        event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
        if entry.last_modified is not None:
            event.add("last-modified", entry.last_modified.astimezone(UTC))
        categories = [c for c in map(_clean, entry.categories) if c]
        if categories:
            event.add("categories", categories)
        calendar.add_component(event)
    return calendar.to_ical()


def _invitation(invite: Invite, method: str, status: str) -> tuple[Calendar, Event]:
    """The calendar and event shared by REQUEST and CANCEL."""
    calendar = _calendar(method)
    event = _event(
        invite.uid,
        invite.summary,
        invite.starts_at,
        invite.ends_at,
        _stamp(invite.dtstamp),
        invite.description,
        invite.location,
        invite.url,
    )
    event.add("sequence", invite.sequence)
    event.add("status", status)
    event.add("transp", "OPAQUE")
    event.add("organizer", vCalAddress.new(invite.organizer_email, cn=_name(invite.organizer_name)))
    event.add(
        "attendee",
        vCalAddress.new(
            invite.attendee_email,
            cn=_name(invite.attendee_name),
            partstat="NEEDS-ACTION",
            role="REQ-PARTICIPANT",
            rsvp=False,
        ),
    )
    calendar.add_component(event)
    return calendar, event


def _calendar(method: str) -> Calendar:
    """An empty VCALENDAR with its headers and the Helsinki VTIMEZONE (before any event)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add_component(_vtimezone())
    return calendar


def _vtimezone() -> Timezone:
    """Europe/Helsinki as two yearly rules (EU summer time), built by hand.

    icalendar's zoneinfo-derived VTIMEZONE lists every transition as RDATEs, which Outlook maps
    wrongly. Transitions are at 01:00 UTC: 04:00 EEST back to 03:00 EET on the last Sunday of
    October, 03:00 EET forward to 04:00 EEST on the last Sunday of March.
    """
    timezone = Timezone()
    timezone.add("tzid", TZID)
    rules = (
        (TimezoneStandard(), "19701025T040000", 10, 3, 2, "EET"),
        (TimezoneDaylight(), "19700329T030000", 3, 2, 3, "EEST"),
    )
    for part, start, month, offset_from, offset_to, tzname in rules:
        part.add("dtstart", vDatetime.from_ical(start))  # local time, no zone
        part.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1su"})
        part.add("tzoffsetfrom", timedelta(hours=offset_from))
        part.add("tzoffsetto", timedelta(hours=offset_to))
        part.add("tzname", tzname)
        timezone.add_component(part)
    return timezone


def _event(
    uid: str,
    summary: str,
    starts_at: datetime,
    ends_at: datetime,
    dtstamp: datetime,
    description: str,
    location: str,
    url: str,
) -> Event:
    """A VEVENT with the properties every output has; empty texts and URL are left out."""
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", dtstamp)
    event.add("dtstart", _wall_time(starts_at))
    event.add("dtend", _wall_time(ends_at))
    event.add("summary", vText(_clean(summary)))
    if description:
        event.add("description", vText(_clean(description)))
    if location:
        event.add("location", vText(_clean(location)))
    if url:
        event.add("url", url)
    return event


def _wall_time(moment: datetime) -> datetime:
    """``moment`` as Helsinki wall time (written with ``TZID``).

    A Helsinki time that does not exist (in the hour skipped in spring) is written as the wall
    time of the instant it stands for. In the hour repeated in autumn a wall time means its first
    occurrence (RFC 5545, 3.3.5), so the second occurrence is written in UTC instead.
    """
    utc = moment.astimezone(UTC)
    local = utc.astimezone(_HELSINKI)  # via UTC: a Helsinki time in the spring gap moves on
    return utc if local.fold else local


def _stamp(dtstamp: datetime | None) -> datetime:
    """``dtstamp`` (default: now) in UTC, to the second."""
    return (dtstamp or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)


def _clean(text: str) -> str:
    """``text`` as iCalendar TEXT can carry it: CRLF and CR become LF, other controls but TAB go."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _name(name: str) -> str:
    """``name`` for a CN parameter: as text, with ``\\`` made ``/``.

    A backslash is an ordinary character in a parameter value (RFC 5545, 3.1), but icalendar
    (issue collective/icalendar#1497) and other parsers read it as an escape, so that ``CN=Matti\\``
    swallows the colon before ``mailto:``. Quotes, commas, colons and newlines are left to
    icalendar, which quotes the value and uses RFC 6868 ``^'`` and ``^n``.
    """
    return _clean(name).replace("\\", "/")


def _check_aware(name: str, value: datetime | None) -> None:
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def _check_span(starts_at: datetime, ends_at: datetime) -> None:
    _check_aware("starts_at", starts_at)
    _check_aware("ends_at", ends_at)
    if ends_at <= starts_at:
        raise ValueError(f"ends_at {ends_at.isoformat()} is not after {starts_at.isoformat()}")
