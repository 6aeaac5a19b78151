"""eventsapp.ical: invitations (REQUEST, CANCEL) and feeds (PUBLISH).

Every output is read back with icalendar and, as a second opinion, with vobject: vobject
validates the structure and resolves each local time through our own VTIMEZONE (dateutil's
tzical reads its rules), which must give the instant that was passed in.
"""

import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest
import vobject
from hypothesis import example, given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Event

from eventsapp import ical
from eventsapp.ical import PRODID, TZID, FeedEntry, Invite, cancel, publish, request

HELSINKI = ZoneInfo(TZID)
STAMP = datetime(2026, 5, 4, 9, 30, 15, tzinfo=UTC)


def invite(**changes) -> Invite:
    base = Invite(
        uid="session-17-person-42@eventsapp",
        sequence=0,
        summary="Työnhakupaja",
        starts_at=datetime(2026, 6, 10, 7, 0, tzinfo=UTC),  # 10:00 in Helsinki (+03)
        ends_at=datetime(2026, 6, 10, 9, 30, tzinfo=UTC),
        organizer_name="Ohjaamo Lahti / Miestämö",
        organizer_email="ohjaamo@lahti.fi",
        attendee_name="Meikäläinen, Matti",
        attendee_email="matti@example.fi",
        description="Tervetuloa!\nPeru tai muuta: https://tapahtumat.example.fi/m/abc",
        location="Kirkkokatu 31, Lahti",
        url="https://tapahtumat.example.fi/e/17",
        dtstamp=STAMP,
    )
    return replace(base, **changes)


def parse(data: bytes) -> Calendar:
    """icalendar's reading of ``data``, after checking the bytes on the wire."""
    assert_wire_format(data)
    return Calendar.from_ical(data)


def only_event(calendar: Calendar) -> Event:
    (event,) = calendar.walk("VEVENT")
    return event


def assert_wire_format(data: bytes) -> None:
    """Bytes, CRLF only, every physical line at most 75 octets and whole UTF-8 on its own."""
    assert isinstance(data, bytes)
    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r" not in data.replace(b"\r\n", b"")
    for line in data.split(b"\r\n")[:-1]:
        assert len(line) <= 75, line
        line.decode("utf-8")  # a fold inside a multi-byte character would raise here


def vobject_instants(data: bytes) -> list[tuple[datetime, datetime]]:
    """vobject's validation, and (DTSTART, DTEND) of each VEVENT as UTC instants.

    ``validate=True`` raises on a missing PRODID, UID or DTSTAMP, a repeated single property, a
    VTIMEZONE without TZID or without STANDARD/DAYLIGHT, a VALARM without ACTION or TRIGGER.
    Local times are resolved through this calendar's own VTIMEZONE (read by dateutil's tzical,
    as vobject does), not through vobject's global TZID registry, which keeps the first VTIMEZONE
    it ever saw. (``transform=False`` for speed; test_vobject_reads_every_output_natively does
    the full transformation.)
    """
    calendar = vobject.readOne(data.decode("utf-8"), validate=True, transform=False)
    assert calendar.validate(raiseException=True)
    (vtimezone,) = calendar.contents["vtimezone"]
    zone = vtimezone_zone(vtimezone)
    instants = []
    for event in calendar.contents.get("vevent", []):
        pair = []
        for line in (event.dtstart, event.dtend):
            if "TZID" in line.params:
                assert line.params["TZID"] == [TZID]
                value = vobject.icalendar.stringToDateTime(line.value, zone)
            else:
                assert line.value.endswith("Z")
                value = vobject.icalendar.stringToDateTime(line.value)
            assert value.utcoffset() is not None
            pair.append(value.astimezone(UTC))
        instants.append((pair[0], pair[1]))
    return instants


_ZONES: dict[str, tzinfo] = {}


def vtimezone_zone(vtimezone: vobject.base.Component) -> tzinfo:
    """dateutil's tzinfo for a VTIMEZONE, kept per text (its rrules cache: for speed)."""
    key = vtimezone.serialize()
    if key not in _ZONES:
        zone = vobject.icalendar.TimezoneComponent.gettzinfo(vtimezone)
        assert zone is not None
        _ZONES[key] = zone
    return _ZONES[key]


def raw_lines(data: bytes) -> list[str]:
    """The unfolded content lines."""
    return data.decode("utf-8").replace("\r\n ", "").split("\r\n")


# -- the calendar and its VTIMEZONE --------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "method"),
    [
        (lambda: request(invite()), "REQUEST"),
        (lambda: cancel(invite(sequence=1)), "CANCEL"),
        (lambda: publish([FeedEntry("a", "A", *span(2026, 6))], "Tapahtumat"), "PUBLISH"),
    ],
)
def test_calendar_headers_and_one_vtimezone_before_the_events(build, method):
    data = build()
    calendar = parse(data)
    assert calendar["PRODID"] == PRODID
    assert calendar["VERSION"] == "2.0"
    assert calendar["CALSCALE"] == "GREGORIAN"
    assert calendar["METHOD"] == method
    names = [component.name for component in calendar.subcomponents]
    assert names == ["VTIMEZONE", "VEVENT"]
    lines = raw_lines(data)
    assert lines.index("BEGIN:VTIMEZONE") < lines.index("BEGIN:VEVENT")
    vobject_instants(data)


@pytest.mark.parametrize(
    "build",
    [
        lambda: request(invite(attendee_name="Åsa, Öhman")),
        lambda: cancel(invite(sequence=1)),
        lambda: publish([FeedEntry("a", "A", *span(2026, 6), categories=("x",))], "Tapahtumat"),
    ],
)
def test_vobject_reads_every_output_natively(build):
    data = build()
    calendar = vobject.readOne(data.decode(), validate=True)  # transform: dates, durations
    again = vobject.readOne(calendar.serialize(validate=True), validate=True)
    for parsed in (calendar, again):
        (event,) = parsed.contents["vevent"]
        assert event.uid.value
        assert event.dtstart.value.tzinfo is not None
        assert event.dtend.value > event.dtstart.value
        assert event.dtstamp.value.utcoffset() == timedelta(0)


def test_vtimezone_is_two_yearly_rules_built_by_hand():
    (vtimezone,) = parse(request(invite())).walk("VTIMEZONE")
    assert vtimezone["TZID"] == TZID
    assert [c.name for c in vtimezone.subcomponents] == ["STANDARD", "DAYLIGHT"]
    standard, daylight = vtimezone.subcomponents
    for part, start, month, before, after, name in [
        (standard, datetime(1970, 10, 25, 4), 10, 3, 2, "EET"),
        (daylight, datetime(1970, 3, 29, 3), 3, 2, 3, "EEST"),
    ]:
        assert part.decoded("DTSTART") == start  # local time, no zone
        assert start.weekday() == 6 and (start + timedelta(weeks=1)).month != month  # last Sunday
        assert dict(part["RRULE"]) == {"FREQ": ["YEARLY"], "BYMONTH": [month], "BYDAY": ["-1SU"]}
        assert part.decoded("TZOFFSETFROM") == timedelta(hours=before)
        assert part.decoded("TZOFFSETTO") == timedelta(hours=after)
        assert part["TZNAME"] == name
        assert "RDATE" not in part
    assert "RDATE" not in request(invite()).decode()


def test_vtimezone_agrees_with_zoneinfo_around_every_transition_2000_2099():
    (vtimezone,) = vobject.readOne(request(invite()).decode()).contents["vtimezone"]
    zone = vtimezone.gettzinfo()
    for year in range(2000, 2100):
        for month in (3, 10):
            last_sunday = max(
                date(year, month, day)
                for day in range(25, 32)
                if date(year, month, day).weekday() == 6
            )
            switch = datetime.combine(last_sunday, datetime.min.time(), UTC) + timedelta(hours=1)
            for moment in (switch - timedelta(minutes=1), switch, switch + timedelta(minutes=1)):
                expected = moment.astimezone(HELSINKI)
                ours = moment.astimezone(zone)
                assert ours.replace(tzinfo=None) == expected.replace(tzinfo=None), moment
                assert ours.utcoffset() == expected.utcoffset(), moment


# -- REQUEST -------------------------------------------------------------------------------


def test_request_event_properties():
    data = request(invite())
    event = only_event(parse(data))
    assert event["UID"] == "session-17-person-42@eventsapp"
    assert event.decoded("SEQUENCE") == 0
    assert event["SUMMARY"] == "Työnhakupaja"
    assert event["DESCRIPTION"] == invite().description
    assert event["LOCATION"] == "Kirkkokatu 31, Lahti"
    assert event["URL"] == "https://tapahtumat.example.fi/e/17"
    assert event["STATUS"] == "CONFIRMED"
    assert event["TRANSP"] == "OPAQUE"
    assert event.decoded("DTSTAMP") == STAMP
    assert "DTSTAMP:20260504T093015Z" in raw_lines(data)

    organizer = event["ORGANIZER"]
    assert organizer == "mailto:ohjaamo@lahti.fi"
    assert dict(organizer.params) == {"CN": "Ohjaamo Lahti / Miestämö"}
    attendee = event["ATTENDEE"]
    assert attendee == "mailto:matti@example.fi"
    assert dict(attendee.params) == {
        "CN": "Meikäläinen, Matti",
        "PARTSTAT": "NEEDS-ACTION",
        "ROLE": "REQ-PARTICIPANT",
        "RSVP": "FALSE",
    }
    (alarm,) = event.walk("VALARM")
    assert alarm["ACTION"] == "DISPLAY"
    assert alarm.decoded("TRIGGER") == -timedelta(days=1)
    assert alarm["DESCRIPTION"] == "Työnhakupaja"
    assert vobject_instants(data) == [(invite().starts_at, invite().ends_at)]


@pytest.mark.parametrize(
    ("starts_at", "wall_time", "offset"),
    [
        (datetime(2027, 1, 14, 8, 0, tzinfo=UTC), "20270114T100000", 2),  # EET
        (datetime(2027, 7, 14, 7, 0, tzinfo=UTC), "20270714T100000", 3),  # EEST
    ],
)
def test_start_and_end_are_helsinki_wall_time_across_summer_time(starts_at, wall_time, offset):
    ends_at = starts_at + timedelta(hours=2)
    data = request(invite(starts_at=starts_at, ends_at=ends_at))
    lines = raw_lines(data)
    assert f"DTSTART;TZID=Europe/Helsinki:{wall_time}" in lines
    assert f"DTEND;TZID=Europe/Helsinki:{wall_time[:9]}120000" in lines
    event = only_event(parse(data))
    assert event.decoded("DTSTART") == starts_at
    assert event.decoded("DTSTART").utcoffset() == timedelta(hours=offset)
    assert event.decoded("DTEND") == ends_at
    assert vobject_instants(data) == [(starts_at, ends_at)]


def test_the_zone_of_the_input_does_not_matter():
    in_utc = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)
    elsewhere = invite(
        starts_at=in_utc.astimezone(ZoneInfo("America/New_York")),
        ends_at=(in_utc + timedelta(hours=1)).astimezone(timezone(timedelta(hours=5, minutes=30))),
    )
    assert request(elsewhere) == request(
        invite(starts_at=in_utc, ends_at=in_utc + timedelta(hours=1))
    )
    assert "DTSTART;TZID=Europe/Helsinki:20261103T170000" in raw_lines(request(elsewhere))


def test_the_repeated_hour_is_written_in_utc_the_second_time():
    # 25 Oct 2026: 04:00 EEST goes back to 03:00 EET, so 03:30 happens twice.
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    later = datetime(2026, 10, 25, 3, 0, tzinfo=UTC)
    data_first = request(invite(starts_at=first, ends_at=later))
    data_second = request(invite(starts_at=second, ends_at=later))
    assert "DTSTART;TZID=Europe/Helsinki:20261025T033000" in raw_lines(data_first)
    assert "DTSTART:20261025T013000Z" in raw_lines(data_second)
    for data, starts_at in ((data_first, first), (data_second, second)):
        # (aware == across zones is always False for an ambiguous time: compare in UTC)
        assert only_event(parse(data)).decoded("DTSTART").astimezone(UTC) == starts_at
        assert vobject_instants(data) == [(starts_at, later)]


def test_a_helsinki_time_in_the_skipped_hour_is_written_as_its_instant():
    # 26 Mar 2000: 03:00 EET jumps to 04:00 EEST; 03:00 (fold 0, +02) is the instant 01:00Z.
    skipped = datetime(2000, 3, 26, 3, 0, tzinfo=HELSINKI)
    ends_at = datetime(2000, 3, 26, 2, 0, tzinfo=UTC)
    data = request(invite(starts_at=skipped, ends_at=ends_at))
    assert "DTSTART;TZID=Europe/Helsinki:20000326T040000" in raw_lines(data)
    assert only_event(parse(data)).decoded("DTSTART").astimezone(UTC) == skipped.astimezone(UTC)
    assert vobject_instants(data) == [(skipped.astimezone(UTC), ends_at)]


def test_empty_optional_texts_and_url_are_left_out():
    data = request(invite(description="", location="", url=""))
    event = only_event(parse(data))
    assert not {"DESCRIPTION", "LOCATION", "URL"} & set(event)
    vobject_instants(data)


def test_default_dtstamp_is_now_in_utc():
    before = datetime.now(UTC).replace(microsecond=0)
    data = request(invite(dtstamp=None))
    after = datetime.now(UTC)
    stamp = only_event(parse(data)).decoded("DTSTAMP")
    assert before <= stamp <= after
    assert any(re.fullmatch(r"DTSTAMP:\d{8}T\d{6}Z", line) for line in raw_lines(data))


def test_a_dtstamp_in_another_zone_is_written_in_utc():
    data = request(invite(dtstamp=STAMP.astimezone(HELSINKI)))
    assert "DTSTAMP:20260504T093015Z" in raw_lines(data)


# -- text ----------------------------------------------------------------------------------

AWKWARD = 'Äiti, Öljy; Åland: "lainaus"\nrivi 2\\ ja tab\t – 😀'


def test_finnish_letters_and_separators_round_trip_in_texts_and_names():
    data = request(
        invite(
            summary=AWKWARD,
            location=AWKWARD,
            description=AWKWARD,
            organizer_name="Työllisyyspalvelut: Lahti, Hollola",
            attendee_name="Åsa Öhman; Ääninen\nrivi",
        )
    )
    event = only_event(parse(data))
    for name in ("SUMMARY", "LOCATION", "DESCRIPTION"):
        assert event[name] == AWKWARD
    assert event["ORGANIZER"].params["CN"] == "Työllisyyspalvelut: Lahti, Hollola"
    assert event["ORGANIZER"] == "mailto:ohjaamo@lahti.fi"
    assert event["ATTENDEE"].params["CN"] == "Åsa Öhman; Ääninen\nrivi"
    assert event["ATTENDEE"] == "mailto:matti@example.fi"
    text = data.decode()
    assert 'SUMMARY:Äiti\\, Öljy\\; Åland: "lainaus"\\nrivi 2\\\\ ja tab\t – 😀' in text
    # A CN with a comma, colon or semicolon is quoted (RFC 5545, 3.2); a newline is RFC 6868 ^n.
    assert ';CN="Työllisyyspalvelut: Lahti, Hollola":mailto:ohjaamo@lahti.fi' in text
    attendee_line = next(line for line in raw_lines(data) if line.startswith("ATTENDEE;"))
    assert 'CN="Åsa Öhman; Ääninen^nrivi"' in attendee_line
    vobject_event = vobject.readOne(text).vevent
    assert vobject_event.summary.value == AWKWARD
    assert vobject_event.organizer.params["CN"] == ["Työllisyyspalvelut: Lahti, Hollola"]
    assert vobject_event.attendee.value == "mailto:matti@example.fi"


def test_examples_from_the_brief_are_quoted_and_round_trip():
    data = request(invite())
    lines = raw_lines(data)
    assert 'ORGANIZER;CN="Ohjaamo Lahti / Miestämö":mailto:ohjaamo@lahti.fi' in lines
    assert any(line.startswith('ATTENDEE;CN="Meikäläinen, Matti";') for line in lines)


def test_a_backslash_in_a_name_cannot_swallow_the_address():
    data = request(invite(organizer_name="Matti\\", attendee_name="a\\,b"))
    event = only_event(parse(data))
    assert event["ORGANIZER"] == "mailto:ohjaamo@lahti.fi"
    assert event["ORGANIZER"].params["CN"] == "Matti/"
    assert event["ATTENDEE"].params["CN"] == "a/,b"


def test_line_breaks_are_normalised_and_control_characters_dropped():
    data = request(invite(summary="a\r\nb\rc\x00d\x1be\x7ff\tg", attendee_name="x\r\ny\x01"))
    event = only_event(parse(data))
    assert event["SUMMARY"] == "a\nb\ncdef\tg"
    assert event["ATTENDEE"].params["CN"] == "x\ny"
    vobject_instants(data)


@pytest.mark.parametrize("lead", ["", "x", "xx", "xxx"])
def test_long_finnish_text_folds_at_75_octets_between_characters(lead):
    # Two- and four-byte characters at every alignment against the fold.
    description = lead + "Tämä on pitkä kuvaus äöåÄÖÅ 😀 " * 12
    data = request(invite(description=description, summary=lead + "ä" * 100))
    assert_wire_format(data)
    physical = data.split(b"\r\n")
    assert max(len(line) for line in physical) > 70  # really folded, not short lines
    assert sum(line.startswith(b" ") for line in physical) > 8
    event = only_event(parse(data))
    assert event["DESCRIPTION"] == description
    assert event["SUMMARY"] == lead + "ä" * 100
    vobject_instants(data)


# -- CANCEL --------------------------------------------------------------------------------


def test_cancel_continues_the_entry_of_the_request():
    first = invite(sequence=0)
    update = replace(first, sequence=1, starts_at=first.starts_at + timedelta(days=1),
                     ends_at=first.ends_at + timedelta(days=1))  # fmt: skip
    cancellation = replace(update, sequence=2, dtstamp=STAMP + timedelta(hours=1))
    events = [only_event(parse(request(first))), only_event(parse(request(update)))]
    data = cancel(cancellation)
    calendar = parse(data)
    events.append(only_event(calendar))
    assert calendar["METHOD"] == "CANCEL"
    assert {event["UID"] for event in events} == {first.uid}
    assert [event.decoded("SEQUENCE") for event in events] == [0, 1, 2]

    event = events[-1]
    assert event["STATUS"] == "CANCELLED"
    assert event["SUMMARY"] == "Työnhakupaja"
    assert event["ORGANIZER"] == "mailto:ohjaamo@lahti.fi"
    assert event["ORGANIZER"].params["CN"] == "Ohjaamo Lahti / Miestämö"
    assert event["ATTENDEE"] == "mailto:matti@example.fi"
    assert event["ATTENDEE"].params["CN"] == "Meikäläinen, Matti"
    assert event.decoded("DTSTART") == update.starts_at
    assert event.decoded("DTEND") == update.ends_at
    assert event.decoded("DTSTAMP") == STAMP + timedelta(hours=1)
    assert "DTSTART;TZID=Europe/Helsinki:20260611T100000" in raw_lines(data)
    assert not event.walk("VALARM")
    assert vobject_instants(data) == [(update.starts_at, update.ends_at)]


# -- PUBLISH -------------------------------------------------------------------------------


def span(year: int, month: int, day: int = 15, hour: int = 14) -> tuple[datetime, datetime]:
    start = datetime(year, month, day, hour, tzinfo=HELSINKI)
    return start, start + timedelta(hours=2)


def test_feed_with_several_entries_and_a_cancelled_one():
    changed = datetime(2026, 4, 1, 12, 0, tzinfo=HELSINKI)
    entries = [
        FeedEntry(
            "s1@eventsapp", "Talvikahvit", *span(2027, 1), location="Lahti, Aleksanterinkatu"
        ),
        FeedEntry(
            "s2@eventsapp",
            "Kesätyömessut; osa 2",
            *span(2026, 7),
            description="Rivi 1\nRivi 2",
            url="https://tapahtumat.example.fi/e/2",
            last_modified=changed,
            categories=("Työnhaku", "Nuoret, 18–29"),
        ),
        FeedEntry("s3@eventsapp", "Peruttu paja", *span(2026, 9), cancelled=True),
    ]
    data = publish(iter(entries), "Lahden tapahtumat, kaikki", dtstamp=STAMP)
    calendar = parse(data)
    assert calendar["METHOD"] == "PUBLISH"
    # icalendar leaves NAME and X-* escaped when reading; vobject unescapes them.
    headers = vobject.readOne(data.decode()).contents
    assert headers["x-wr-calname"][0].value == "Lahden tapahtumat, kaikki"
    assert headers["name"][0].value == "Lahden tapahtumat, kaikki"
    assert calendar["X-WR-TIMEZONE"] == TZID
    lines = raw_lines(data)
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in lines
    assert "X-PUBLISHED-TTL:PT1H" in lines
    assert "X-WR-CALNAME:Lahden tapahtumat\\, kaikki" in lines
    assert "NAME:Lahden tapahtumat\\, kaikki" in lines

    events = calendar.walk("VEVENT")
    assert [event["UID"] for event in events] == ["s1@eventsapp", "s2@eventsapp", "s3@eventsapp"]
    assert [event["STATUS"] for event in events] == ["CONFIRMED", "CONFIRMED", "CANCELLED"]
    for event, entry in zip(events, entries, strict=True):
        assert event["SUMMARY"] == entry.summary
        assert event.decoded("DTSTART") == entry.starts_at
        assert event.decoded("DTEND") == entry.ends_at
        assert event.decoded("DTSTAMP") == STAMP
        assert not {"ORGANIZER", "ATTENDEE", "SEQUENCE"} & set(event)
        assert not event.walk("VALARM")
    assert "DTSTART;TZID=Europe/Helsinki:20270115T140000" in lines
    assert "DTSTART;TZID=Europe/Helsinki:20260715T140000" in lines
    assert events[0]["LOCATION"] == "Lahti, Aleksanterinkatu"
    assert events[1]["DESCRIPTION"] == "Rivi 1\nRivi 2"
    assert events[1]["URL"] == "https://tapahtumat.example.fi/e/2"
    assert events[1].decoded("LAST-MODIFIED") == changed
    assert "LAST-MODIFIED:20260401T090000Z" in lines
    assert events[1].categories == ["Työnhaku", "Nuoret, 18–29"]
    assert "LAST-MODIFIED" not in events[0] and "CATEGORIES" not in events[0]
    assert vobject_instants(data) == [(e.starts_at, e.ends_at) for e in entries]


def test_an_empty_feed_is_still_a_valid_calendar():
    data = publish([], "Tyhjä")
    calendar = parse(data)
    assert [c.name for c in calendar.subcomponents] == ["VTIMEZONE"]
    assert vobject_instants(data) == []


# -- bad input -----------------------------------------------------------------------------

NAIVE = datetime(2026, 6, 10, 10, 0)


@pytest.mark.parametrize("field", ["starts_at", "ends_at", "dtstamp"])
def test_a_naive_datetime_in_an_invite_raises(field):
    with pytest.raises(ValueError, match="timezone-aware"):
        invite(**{field: NAIVE if field != "ends_at" else NAIVE + timedelta(hours=1)})


@pytest.mark.parametrize("field", ["starts_at", "ends_at", "last_modified"])
def test_a_naive_datetime_in_a_feed_entry_raises(field):
    start, end = span(2026, 6)
    values = {"starts_at": start, "ends_at": end, field: NAIVE}
    with pytest.raises(ValueError, match="timezone-aware"):
        FeedEntry("u", "s", **values)


def test_a_naive_feed_dtstamp_raises():
    with pytest.raises(ValueError, match="timezone-aware"):
        publish([], "x", dtstamp=NAIVE)


def test_an_end_not_after_the_start_or_a_negative_sequence_raises():
    start = invite().starts_at
    with pytest.raises(ValueError, match="not after"):
        invite(ends_at=start)
    with pytest.raises(ValueError, match="not after"):
        FeedEntry("u", "s", start, start - timedelta(minutes=1))
    with pytest.raises(ValueError, match="sequence"):
        invite(sequence=-1)


def test_the_second_opinion_rejects_a_broken_calendar():
    good = request(invite())
    without_uid = re.sub(rb"UID:[^\r]*\r\n", b"", good)
    with pytest.raises(vobject.base.ValidateError):
        vobject_instants(without_uid)
    wrong_offset = good.replace(b"TZOFFSETTO:+0300", b"TZOFFSETTO:+0400")
    assert vobject_instants(wrong_offset) != vobject_instants(good)
    with pytest.raises(AssertionError):
        assert_wire_format(good.replace(b"\r\n", b"\n"))
    with pytest.raises(UnicodeDecodeError):
        assert_wire_format("ä".encode()[:1] + b"\r\n")


def test_module_is_pure():
    source = ical.__file__
    with open(source, encoding="utf-8") as file:
        imports = set(re.findall(r"^(?:from|import) (\w+)", file.read(), re.MULTILINE))
    assert imports <= {"re", "collections", "dataclasses", "datetime", "zoneinfo", "icalendar"}


# -- property ------------------------------------------------------------------------------

ZONES = st.sampled_from(
    [
        UTC,
        HELSINKI,
        ZoneInfo("America/New_York"),
        ZoneInfo("Asia/Kolkata"),
        timezone(-timedelta(hours=9, minutes=30)),
    ]
)
TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from('äöåÄÖÅ,;:\\\n\t" ^'),
        st.characters(exclude_categories=("Cs", "Cc")),
    ),
    max_size=120,
)


@settings(max_examples=100, deadline=None)
@given(
    starts_at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59), timezones=ZONES
    ).map(lambda moment: moment.replace(microsecond=0)),
    minutes=st.integers(min_value=1, max_value=24 * 60 * 3),
    summary=TEXT,
    location=TEXT,
    description=TEXT,
)
@example(
    starts_at=datetime(2000, 3, 26, 3, 0, tzinfo=HELSINKI),  # skipped hour
    minutes=1,
    summary="",
    location="",
    description="",
)
@example(
    starts_at=datetime(2026, 10, 25, 3, 30, fold=1, tzinfo=HELSINKI),  # repeated hour
    minutes=1,
    summary="Äiti, isä; lapset\n",
    location="\\",
    description="rivi\nrivi",
)
def test_request_round_trips_texts_and_the_start(
    starts_at, minutes, summary, location, description
):
    ends_at = starts_at.astimezone(UTC) + timedelta(minutes=minutes)
    data = request(
        invite(
            starts_at=starts_at,
            ends_at=ends_at,
            summary=summary,
            location=location,
            description=description,
        )
    )
    event = only_event(parse(data))
    assert event.get("SUMMARY", "") == summary
    assert event.get("LOCATION", "") == location
    assert event.get("DESCRIPTION", "") == description
    assert event.decoded("DTSTART").astimezone(UTC) == starts_at.astimezone(UTC)
    ((vobject_start, _),) = vobject_instants(data)
    assert vobject_start == starts_at.astimezone(UTC)
