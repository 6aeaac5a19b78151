"""Throwaway benchmark databases: the migrated schema, the demo network and extra events.

The extra events are shaped like the demo's (campus visits, five-session courses, workshops,
online coaching, hybrid library help) with their sessions, target-group rules and a few
enrolments each, spread over the coming six months, so the list page has realistic rows.
"""

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent

COURSE_TITLE = "Työelämän digitaidot haltuun"
POST_TARGET_TITLE = "Benchmark: digitaidot, iso ryhmä"


@dataclass(frozen=True)
class Dataset:
    path: Path
    url: str
    events: int  # every event in the database, drafts included
    upcoming: int  # published events with a session still ahead
    course_id: int
    post_targets: dict[str, int] | None = None  # name -> event id, for the enrolment POSTs


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def migrate(path: Path, instance: Path) -> None:
    """Create the schema the way production does: `flask --app app db upgrade`."""
    env = {
        **os.environ,
        "DATABASE_URL": sqlite_url(path),
        "EVENTSAPP_INSTANCE": str(instance),
        "EVENTSAPP_ENV": "development",
    }
    flask = [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"]
    done = subprocess.run(flask, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"db upgrade failed:\n{done.stdout}\n{done.stderr}")


def build_app(url: str, **config):
    """The real app on `url`, built in this process (for seeding and in-process measures)."""
    from eventsapp import create_app

    return create_app(
        {
            "ENV_NAME": "development",
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-in-process-secret",
            "DEBUG": False,
            "PROPAGATE_EXCEPTIONS": True,  # a failing request raises, with its traceback
            "MAIL_SERVER": None,  # mail stays in the outbox
            **config,
        }
    )


def prepare(path: Path, instance: Path, extra_events: int, post_target: bool = False) -> Dataset:
    """Migrate a new SQLite database at `path`, seed the demo network and add events."""
    from eventsapp import demo
    from eventsapp.extensions import db
    from eventsapp.models import Event, EventSession, EventStatus

    migrate(path, instance)
    app = build_app(sqlite_url(path))
    with app.app_context():
        demo.seed()
        db.session.commit()
        add_events(extra_events)
        targets = add_post_targets() if post_target else None
        db.session.commit()
        course_id = db.session.execute(
            select(Event.id).where(Event.title == COURSE_TITLE)
        ).scalar_one()
        events = db.session.execute(select(func.count(Event.id))).scalar_one()
        upcoming = db.session.execute(
            select(func.count(func.distinct(Event.id)))
            .join(EventSession)
            .where(Event.status == EventStatus.PUBLISHED, EventSession.ends_at >= datetime.now(UTC))
        ).scalar_one()
        db.session.remove()
        db.engine.dispose()
    return Dataset(path, sqlite_url(path), events, upcoming, course_id, targets)


def add_events(count: int, today: date | None = None, first: int = 1) -> list:
    """`count` published upcoming events, cycling through five shapes of the demo's events,
    numbered from `first` in their titles."""
    from eventsapp import demo
    from eventsapp.eligibility import LAHTI_REGION
    from eventsapp.extensions import db
    from eventsapp.models import (
        AttendanceMode,
        Category,
        EligibilityRule,
        Enrolment,
        EnrolmentStatus,
        Event,
        EventKind,
        EventStatus,
        Organisation,
        email_key,
    )

    today = today or datetime.now(demo.HELSINKI).date()
    orgs = {o.slug: o for o in db.session.execute(select(Organisation)).scalars()}
    cats = {c.slug: c for c in db.session.execute(select(Category)).scalars()}
    now = datetime.now(UTC)

    def campus_visit(i: int, day: date) -> dict:
        return {
            "organisation": orgs["lab"],
            "category": cats["koulutuspalvelut"],
            "kind": EventKind.CAMPUS_VISIT,
            "title": f"Miestämö: kampustutustuminen {day.day}.{day.month}. (ryhmä {i})",
            "summary": "Matalan kynnyksen tutustuminen ammattikorkeakouluopiskeluun.",
            "description": demo.CAMPUS_VISIT_TEXT,
            "capacity": 8,
            "waitlist_enabled": True,
            "waitlist_cap": 5,
            "contact_name": "Kati Ojala",
            "contact_email": "miestamo@lab.fi",
            "accessibility": "Kampus on esteetön.",
            "sessions": [demo.session(day, (10, 0), (13, 0), demo.LAB_CAMPUS, room="Aula")],
            "rules": [EligibilityRule(kind="gender", strict=False, allowed=["male"])],
        }

    def course(i: int, day: date) -> dict:
        return {
            "organisation": orgs["lab"],
            "category": cats["koulutuspalvelut"],
            "kind": EventKind.COURSE,
            "title": f"Työelämän taidot, kurssi {i}",
            "summary": "Lyhytkurssi työelämän digitaidoista ja omista vahvuuksista.",
            "description": demo.COURSE_TEXT,
            "capacity": 12,
            "waitlist_enabled": True,
            "contact_name": "Ohjaamo Lahti / Miestämö",
            "contact_email": "ohjaamo@lahti.fi",
            "sessions": [
                demo.session(day + timedelta(weeks=w), (13, 0), (15, 0), demo.MAIN_LIBRARY)
                for w in range(5)
            ],
            "rules": [
                EligibilityRule(position=1, kind="age", strict=True, min_age=18, max_age=29),
                EligibilityRule(
                    position=2, kind="municipality", strict=False, allowed=sorted(LAHTI_REGION)
                ),
                EligibilityRule(position=3, kind="gender", strict=False, allowed=["male"]),
            ],
        }

    def workshop(i: int, day: date) -> dict:
        return {
            "organisation": orgs["dila"],
            "category": cats["tyopajatoiminta"],
            "kind": EventKind.OTHER,
            "title": f"Työnhakupaja {i}: CV kuntoon yhdessä",
            "summary": "Tule tekemään CV ja työhakemus valmiiksi ohjaajan kanssa.",
            "description": "Tuo mukanasi luonnos tai aloita tyhjästä.",
            "capacity": 10,
            "contact_name": "DILA työllisyyspalvelut",
            "contact_email": "tyollisyys@dila.fi",
            "sessions": [demo.session(day, (9, 0), (12, 0), demo.DILA_HOUSE)],
            "rules": [
                EligibilityRule(
                    kind="employment_status", strict=False, allowed=["unemployed", "laid_off"]
                )
            ],
        }

    def coaching(i: int, day: date) -> dict:
        return {
            "organisation": orgs["ohjaamo-lahti"],
            "category": cats["valmennuspalvelut"],
            "kind": EventKind.OTHER,
            "title": f"Verkkovalmennus {i}: työhaastatteluun valmistautuminen",
            "summary": "Tunnin etävalmennus Teamsissa alle 30-vuotiaille.",
            "description": "Harjoittelemme yleisimpiä haastattelukysymyksiä.",
            "attendance_mode": AttendanceMode.ONLINE,
            "language": "fi,en",
            "capacity": 25,
            "waitlist_enabled": False,
            "contact_name": "Ohjaamo Lahti",
            "contact_email": "ohjaamo@lahti.fi",
            "sessions": [
                demo.session(
                    day, (14, 0), (15, 0), ("Teams", ""), online_url="https://teams.example.fi/x"
                )
            ],
            "rules": [EligibilityRule(kind="age", strict=True, max_age=29)],
        }

    def library(i: int, day: date) -> dict:
        return {
            "organisation": orgs["kirjasto"],
            "category": cats["muut-palvelut"],
            "kind": EventKind.OTHER,
            "title": f"Digitukea työnhakuun kirjastossa ({i})",
            "summary": "Apua työnhakusivustoihin ja sähköiseen tunnistautumiseen.",
            "description": "Digituki auttaa kädestä pitäen.",
            "attendance_mode": AttendanceMode.HYBRID,
            "capacity": 15,
            "contact_name": "Lahden kaupunginkirjasto, digituki",
            "contact_email": "kirjasto@lahti.fi",
            "sessions": [
                demo.session(
                    day,
                    (12, 0),
                    (14, 0),
                    demo.MAIN_LIBRARY,
                    room="Digitupa",
                    online_url="https://meet.example.fi/digituki",
                )
            ],
        }

    shapes = (campus_visit, course, workshop, coaching, library)
    events = []
    for i in range(count):
        day = today + timedelta(days=2 + (i * 13) % 180)
        event = Event(status=EventStatus.PUBLISHED, **shapes[i % len(shapes)](first + i, day))
        db.session.add(event)
        events.append(event)
    db.session.flush()
    for i, event in enumerate(events):
        for n in range(min(i % 7, event.capacity)):  # 0..6 confirmed enrolments
            address = f"henkilo{i}.{n}@example.fi"
            db.session.add(
                Enrolment(
                    event_id=event.id,
                    status=EnrolmentStatus.CONFIRMED,
                    first_name="Henkilö",
                    last_name=f"Numero {n}",
                    email=address,
                    email_key=email_key(address),
                    consent_at=now,
                    created_at=now,
                    status_changed_at=now,
                )
            )
    return events


def add_post_targets() -> dict[str, int]:
    """Two events with room for everyone: a course shaped like "Työelämän digitaidot haltuun"
    (five sessions; the age, municipality and gender rules) and a one-session event without
    rules (the cheapest enrolment)."""
    from eventsapp.extensions import db
    from eventsapp.models import Event

    course = db.session.execute(select(Event).where(Event.title == COURSE_TITLE)).scalar_one()
    # the shapes cycle: campus visit, course, workshop, coaching, library (no rules)
    _, target, _, _, simple = add_events(5, first=9000)
    target.title = POST_TARGET_TITLE
    target.description = course.description
    simple.title = "Benchmark: digituki, iso ryhmä"
    for event in (target, simple):
        event.capacity = 1_000_000
    db.session.flush()
    return {"course": target.id, "simple": simple.id}


def applicant_form(index: int, today: date | None = None) -> dict[str, str]:
    """A valid enrolment of person `index`. For the course it answers the age (18-29),
    Lahti-region and gender questions so that the enrolment is confirmed; the form of an
    event without rules ignores those fields."""
    today = today or date.today()
    birth = date(today.year - 24, 3, 15)
    return {
        "first_name": "Matti",
        "last_name": f"Mittaaja {index}",
        "email": f"mittaaja.{index}@example.fi",
        "phone": "040 123 4567",
        "birth_date": birth.isoformat(),
        "municipality": "398",
        "gender": "male",
        "notes": "",
        "consent": "y",
    }
