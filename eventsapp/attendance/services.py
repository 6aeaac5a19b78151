"""Attendance (läsnäolo) at the door: who came to each session and who did not.

Only a confirmed enrolment can be marked, judged at the moment of marking; a mark stays when
the enrolment is cancelled later. A session can be marked from its day (in Helsinki) on.
Marking again changes the mark; `clear` removes it. Every change records who made it and when.

Services change the session and flush; the caller commits once. Each change starts with a lock
on the event (eventsapp.database.lock_for_update), the lock that enrolment changes take too, so
an enrolment cannot be cancelled between the check and the mark, and two people marking at the
same door wait for each other instead of failing.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from eventsapp.database import FLUSHED, is_sqlite, lock_for_update, utcnow
from eventsapp.extensions import db
from eventsapp.models import (
    Attendance,
    AttendanceStatus,
    Enrolment,
    EnrolmentStatus,
    Event,
    EventSession,
    User,
)

HELSINKI = ZoneInfo("Europe/Helsinki")
STATUSES = tuple(AttendanceStatus)


class AttendanceError(Exception):
    """A mark was not made; `code` says why. NOT_FOUND and OTHER_EVENT mean ids that the
    page never offers (a tampered form); the others can happen to anyone."""

    NOT_FOUND = "not_found"  # no such enrolment or session
    OTHER_EVENT = "other_event"  # the session is not one of the enrolment's event
    NOT_CONFIRMED = "not_confirmed"  # cancelled, waitlisted, pending or rejected
    NOT_YET = "not_yet"  # the session's day has not come
    BAD_STATUS = "bad_status"

    TAMPERED = frozenset({NOT_FOUND, OTHER_EVENT, BAD_STATUS})

    def __init__(self, code: str, enrolment_id: int | None = None):
        super().__init__(code if enrolment_id is None else f"{code}: {enrolment_id}")
        self.code = code
        self.enrolment_id = enrolment_id


@dataclass(frozen=True)
class Summary:
    """The confirmed people of one session by their mark."""

    attended: int = 0
    no_show: int = 0
    unmarked: int = 0

    @property
    def confirmed(self) -> int:
        return self.attended + self.no_show + self.unmarked


@dataclass(frozen=True)
class Row:
    """One person on the list of a session."""

    enrolment: Enrolment
    status: str | None
    marked_at: datetime | None
    marked_by: str  # the marker's name, "" when unmarked or the account is gone

    @property
    def confirmed(self) -> bool:
        return self.enrolment.status == EnrolmentStatus.CONFIRMED


@dataclass(frozen=True)
class Sheet:
    """The list at the door: the confirmed people, and those marked before they cancelled."""

    session: EventSession
    rows: list[Row]  # confirmed
    others: list[Row]  # marked, but no longer confirmed
    summary: Summary
    open: bool  # may be marked now

    @property
    def unmarked_ids(self) -> list[int]:
        return [row.enrolment.id for row in self.rows if row.status is None]


@dataclass(frozen=True)
class Marked:
    changed: int  # marks made or changed
    unchanged: int  # already had this mark, or were marked meanwhile (only_unmarked)
    skipped: int  # no longer confirmed


# --- reading ---------------------------------------------------------------------------------


def session_day(session: EventSession):
    return session.starts_at.astimezone(HELSINKI).date()


def is_open(session: EventSession, now: datetime | None = None) -> bool:
    """A session may be marked from the start of its day in Helsinki."""
    return (now or utcnow()).astimezone(HELSINKI).date() >= session_day(session)


def default_session(sessions: list[EventSession], now: datetime | None = None):
    """The session to show first: today's (the one still running, or today's last), else the
    next one, else the last one. `sessions` ordered by start; None when there are none."""
    if not sessions:
        return None
    now = now or utcnow()
    today = now.astimezone(HELSINKI).date()
    todays = [s for s in sessions if session_day(s) == today]
    if todays:
        return next((s for s in todays if s.ends_at > now), todays[-1])
    return next((s for s in sessions if s.starts_at > now), sessions[-1])


_FINNISH_ORDER = str.maketrans({"å": "{", "ä": "|", "ö": "}", "w": "v"})


def _name_key(enrolment: Enrolment) -> tuple[str, str, int]:
    """Surname first, in Finnish alphabetical order (å, ä, ö after z)."""
    return (
        enrolment.last_name.casefold().translate(_FINNISH_ORDER),
        enrolment.first_name.casefold().translate(_FINNISH_ORDER),
        enrolment.id,
    )


def sheet(session: EventSession, now: datetime | None = None) -> Sheet:
    """Everyone to mark in `session`, with their marks, in two queries."""
    marker = aliased(User)
    stmt = (
        select(Enrolment, Attendance, marker.name, marker.email)
        .outerjoin(
            Attendance,
            and_(Attendance.enrolment_id == Enrolment.id, Attendance.session_id == session.id),
        )
        .outerjoin(marker, marker.id == Attendance.marked_by_id)
        .where(
            Enrolment.event_id == session.event_id,
            or_(Enrolment.status == EnrolmentStatus.CONFIRMED, Attendance.id.is_not(None)),
        )
        .options(selectinload(Enrolment.enrolled_by))
    )
    rows = [
        Row(
            enrolment,
            mark.status if mark else None,
            mark.marked_at if mark else None,
            (name or email or "") if mark else "",
        )
        for enrolment, mark, name, email in db.session.execute(stmt)
    ]
    rows.sort(key=lambda row: _name_key(row.enrolment))
    confirmed = [row for row in rows if row.confirmed]
    return Sheet(
        session=session,
        rows=confirmed,
        others=[row for row in rows if not row.confirmed],
        summary=_summarise(row.status for row in confirmed),
        open=is_open(session, now),
    )


def _summarise(statuses: Iterable[str | None]) -> Summary:
    counts: dict[str | None, int] = defaultdict(int)
    for status in statuses:
        counts[status] += 1
    return Summary(
        attended=counts[AttendanceStatus.ATTENDED],
        no_show=counts[AttendanceStatus.NO_SHOW],
        unmarked=counts[None],
    )


def summaries(event_id: int) -> dict[int, Summary]:
    """Every session of an event: its confirmed people by mark, in one query."""
    stmt = (
        select(EventSession.id, Attendance.status, func.count(Enrolment.id))
        .select_from(EventSession)
        .outerjoin(
            Enrolment,
            and_(
                Enrolment.event_id == EventSession.event_id,
                Enrolment.status == EnrolmentStatus.CONFIRMED,
            ),
        )
        .outerjoin(
            Attendance,
            and_(
                Attendance.enrolment_id == Enrolment.id,
                Attendance.session_id == EventSession.id,
            ),
        )
        .where(EventSession.event_id == event_id)
        .group_by(EventSession.id, Attendance.status)
    )
    counts: dict[int, dict[str | None, int]] = defaultdict(dict)
    for session_id, status, number in db.session.execute(stmt):
        counts[session_id][status] = number
    return {
        session_id: Summary(
            attended=by.get(AttendanceStatus.ATTENDED, 0),
            no_show=by.get(AttendanceStatus.NO_SHOW, 0),
            unmarked=by.get(None, 0),
        )
        for session_id, by in counts.items()
    }


def summary(session_id: int) -> Summary:
    """The confirmed people of one session by mark: came, did not come, not marked."""
    session = db.session.get(EventSession, session_id)
    if session is None:
        raise AttendanceError(AttendanceError.NOT_FOUND)
    return summaries(session.event_id).get(session_id, Summary())


def for_enrolments(
    enrolment_ids: Iterable[int],
) -> dict[int, list[tuple[EventSession, str | None]]]:
    """Each enrolment's event sessions in order, with the mark of each (None: not marked).
    Three queries, however many enrolments."""
    ids = sorted(set(enrolment_ids))
    if not ids:
        return {}
    stmt = select(Enrolment.id, Enrolment.event_id).where(Enrolment.id.in_(ids))
    events: dict[int, int] = dict(db.session.execute(stmt).all())
    sessions: dict[int, list[EventSession]] = defaultdict(list)
    stmt = (
        select(EventSession)
        .where(EventSession.event_id.in_(set(events.values())))
        .order_by(EventSession.starts_at, EventSession.id)
    )
    for session in db.session.execute(stmt).scalars():
        sessions[session.event_id].append(session)
    marks = {
        (enrolment_id, session_id): status
        for enrolment_id, session_id, status in db.session.execute(
            select(Attendance.enrolment_id, Attendance.session_id, Attendance.status).where(
                Attendance.enrolment_id.in_(ids)
            )
        )
    }
    return {
        enrolment_id: [(s, marks.get((enrolment_id, s.id))) for s in sessions[event_id]]
        for enrolment_id, event_id in events.items()
    }


def for_client(client_id: int) -> dict[int, list[tuple[EventSession, str | None]]]:
    """for_enrolments of every enrolment a coach made for the client."""
    ids = db.session.execute(select(Enrolment.id).where(Enrolment.client_id == client_id))
    return for_enrolments(ids.scalars())


# --- changing --------------------------------------------------------------------------------


def _locked_session(session_id: int) -> EventSession:
    """The session, with its event locked for the rest of the unit of work."""
    found = db.session.get(EventSession, session_id)
    if found is None:
        raise AttendanceError(AttendanceError.NOT_FOUND)
    event_id = found.event_id
    _lock_event(event_id)
    # Read again under the lock: the session may have been removed meanwhile.
    found = db.session.execute(
        select(EventSession)
        .where(EventSession.id == session_id)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if found is None or found.event_id != event_id:
        raise AttendanceError(AttendanceError.NOT_FOUND)
    return found


def _lock_event(event_id: int) -> None:
    """Lock the event, also when this unit of work has changed something already (a second
    mark before the commit), which lock_for_update refuses."""
    session = db.session
    if not (session.new or session.dirty or session.deleted or session.info.get(FLUSHED)):
        lock_for_update(session, Event, event_id)
    elif is_sqlite(session):
        session.flush()  # a SQLite transaction that has written holds the write lock
    else:
        session.execute(select(Event.id).where(Event.id == event_id).with_for_update())


def _enrolments(ids: list[int], session: EventSession) -> dict[int, Enrolment]:
    """The enrolments, read fresh under the lock; every one must belong to the session's event."""
    stmt = select(Enrolment).where(Enrolment.id.in_(ids)).execution_options(populate_existing=True)
    found = {e.id: e for e in db.session.execute(stmt).scalars()}
    for enrolment_id in ids:
        enrolment = found.get(enrolment_id)
        if enrolment is None:
            raise AttendanceError(AttendanceError.NOT_FOUND, enrolment_id)
        if enrolment.event_id != session.event_id:
            raise AttendanceError(AttendanceError.OTHER_EVENT, enrolment_id)
    return found


def _marks(ids: list[int], session_id: int) -> dict[int, Attendance]:
    stmt = select(Attendance).where(
        Attendance.session_id == session_id, Attendance.enrolment_id.in_(ids)
    )
    return {mark.enrolment_id: mark for mark in db.session.execute(stmt).scalars()}


def _ids(enrolment_ids: Iterable[int]) -> list[int]:
    return sorted({int(i) for i in enrolment_ids})


def mark_many(
    enrolment_ids: Iterable[int],
    session_id: int,
    status: str,
    user_id: int | None,
    *,
    only_unmarked: bool = False,
    now: datetime | None = None,
) -> Marked:
    """Mark the enrolments in the session. Those no longer confirmed are skipped (counted);
    with `only_unmarked`, so are those that have a mark already. Raises AttendanceError for a
    wrong status, an unknown id, an enrolment of another event or a session not yet open."""
    if status not in STATUSES:
        raise AttendanceError(AttendanceError.BAD_STATUS)
    ids = _ids(enrolment_ids)
    session = _locked_session(session_id)
    found = _enrolments(ids, session)
    now = now or utcnow()
    if not is_open(session, now):
        raise AttendanceError(AttendanceError.NOT_YET)
    marks = _marks(ids, session.id)
    changed = unchanged = skipped = 0
    for enrolment_id in ids:
        mark = marks.get(enrolment_id)
        if found[enrolment_id].status != EnrolmentStatus.CONFIRMED:
            skipped += 1
        elif mark is not None and (only_unmarked or mark.status == status):
            unchanged += 1
        elif _put(mark, enrolment_id, session.id, status, user_id, now, only_unmarked):
            changed += 1
        else:
            unchanged += 1
    db.session.flush()
    return Marked(changed, unchanged, skipped)


def _put(
    mark: Attendance | None,
    enrolment_id: int,
    session_id: int,
    status: str,
    user_id: int | None,
    now: datetime,
    only_unmarked: bool,
) -> bool:
    """Insert or update one mark; False when only_unmarked and it was marked meanwhile."""
    if mark is None:
        mark = Attendance(enrolment_id=enrolment_id, session_id=session_id)
        try:
            # A savepoint: should a mark of the same person appear meanwhile (the unique
            # constraint), only this insert is undone, and the mark is updated instead.
            with db.session.begin_nested():
                _set(mark, status, user_id, now)
                db.session.add(mark)
        except IntegrityError:
            mark = _marks([enrolment_id], session_id).get(enrolment_id)
            if mark is None:  # not the unique constraint: nothing to update
                raise
            if only_unmarked:
                return False
        else:
            return True
    _set(mark, status, user_id, now)
    return True


def _set(mark: Attendance, status: str, user_id: int | None, now: datetime) -> None:
    mark.status = status
    mark.marked_at = now
    mark.marked_by_id = user_id


def mark(
    enrolment_id: int,
    session_id: int,
    status: str,
    user_id: int | None,
    now: datetime | None = None,
) -> Attendance:
    """Mark one confirmed enrolment attended or no-show in the session; marking again
    changes the mark (the same mark again changes nothing). Raises AttendanceError."""
    result = mark_many([enrolment_id], session_id, status, user_id, now=now)
    if result.skipped:
        raise AttendanceError(AttendanceError.NOT_CONFIRMED, enrolment_id)
    return _marks([enrolment_id], session_id)[enrolment_id]


def clear(enrolment_id: int, session_id: int) -> bool:
    """Remove a mistaken mark, whatever the enrolment's status now; False if there was none.
    Raises AttendanceError for an unknown id or an enrolment of another event."""
    session = _locked_session(session_id)
    _enrolments([int(enrolment_id)], session)
    existing = _marks([int(enrolment_id)], session.id).get(int(enrolment_id))
    if existing is None:
        return False
    db.session.delete(existing)
    db.session.flush()
    return True
