"""The demo network: the network's categories, four member organisations and their events.

Dates are computed from today, so the demo never looks stale: the Miestämö campus visits fall
in the coming June and the autumn after it, the course starts at the beginning of the coming
September, and a few other events fall in the weeks ahead.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete

from eventsapp.auth.services import create_user, generate_password
from eventsapp.eligibility import LAHTI_REGION
from eventsapp.extensions import db
from eventsapp.models import (
    Attendance,
    AttendanceMode,
    AttendanceStatus,
    AuditEntry,
    Category,
    Client,
    EligibilityRule,
    Enrolment,
    EnrolmentStatus,
    Event,
    EventKind,
    EventSession,
    EventStatus,
    Membership,
    Organisation,
    OutboxMessage,
    User,
    email_key,
)

HELSINKI = ZoneInfo("Europe/Helsinki")

CATEGORIES = [
    ("ammatinvalinta-ja-urasuunnittelu", "Ammatinvalinta ja urasuunnittelu",
     "Yrkesval och karriärplanering", "Career choice and career planning"),
    ("koulutuspalvelut", "Koulutuspalvelut", "Utbildningstjänster",
     "Education and training services"),
    ("kuntoutuksen-palvelut", "Kuntoutuksen palvelut", "Rehabiliteringstjänster",
     "Rehabilitation services"),
    ("tyokyvyn-arviointi-ja-kartoitus", "Työkyvyn arvioinnin palvelut ja kartoituspalvelut",
     "Bedömning av arbetsförmåga och kartläggning", "Work-ability assessment and mapping"),
    ("tyollistamisen-palvelut", "Työllistämisen palvelut", "Sysselsättningstjänster",
     "Employment services"),
    ("tyopajatoiminta", "Työpajatoiminta", "Verkstadsverksamhet", "Workshop activities"),
    ("valmennuspalvelut", "Valmennuspalvelut", "Coachningstjänster", "Coaching services"),
    ("muut-palvelut", "Muut palvelut", "Övriga tjänster", "Other services"),
]  # fmt: skip

ORGANISATIONS = [
    ("lab", "LAB-ammattikorkeakoulu (Miestämö)", "LAB", "https://lab.fi", "miestamo@lab.fi"),
    ("ohjaamo-lahti", "Ohjaamo Lahti", "Ohjaamo", "https://ohjaamolahti.fi", "ohjaamo@lahti.fi"),
    ("dila", "Lahden Diakonialaitos", "DILA", "https://dila.fi", "tyollisyys@dila.fi"),
    ("kirjasto", "Lahden kaupunginkirjasto", "Kirjasto", "https://lahdenkaupunginkirjasto.fi",
     "kirjasto@lahti.fi"),
    ("tyollisyyspalvelut", "Lahden kaupungin työllisyyspalvelut", "Työllisyyspalvelut",
     "https://www.lahti.fi", "tyollisyyspalvelut@lahti.fi"),
]  # fmt: skip

# (email, name, coordinator?, [(role, organisation slug)]): one demo user per role, and a
# second organiser in another organisation to show that each sees only their own.
DEMO_USERS = [
    ("koordinaattori@example.fi", "Kaisa Koordinaattori", True, []),
    ("jarjestaja.lab@example.fi", "Kati Ojala", False, [("organiser", "lab")]),
    ("jarjestaja.ohjaamo@example.fi", "Olli Ohjaaja", False, [("organiser", "ohjaamo-lahti")]),
    ("valmentaja@example.fi", "Veera Valmentaja", False, [("coach", "tyollisyyspalvelut")]),
]

LAB_CAMPUS = ("LAB-kampus", "Mukkulankatu 19, 15210 Lahti")
MAIN_LIBRARY = ("Lahden pääkirjasto", "Kirkkokatu 31, 15140 Lahti")
DILA_HOUSE = ("Lahden Diakonialaitos", "Harjukatu 46, 15100 Lahti")

CAMPUS_VISIT_TEXT = """\
Tule tutustumaan nykypäivän korkeakouluopiskeluun matalalla kynnyksellä! Kampustutustumisessa

- kierrämme LAB-ammattikorkeakoulun kampuksella ja näemme, miltä opiskelu näyttää tänään,
- selvitämme toiminnallisesti ammatinvalinta- ja uravaihtoehtojasi,
- keskustelemme oman osaamisen tunnistamisesta sekä tulevaisuuden toiveista ja tavoitteista.

Jokainen päivä on oma pieni ryhmänsä. Ennakkotietoja ei tarvita – tule sellaisena kuin olet.
Tutustuminen on osa *Miestämö – hybridillä työelämään* -hanketta, joka vahvistaa erityisesti
miesten työllistymistä ja uusien koulutusurien löytämistä.
"""

COURSE_TEXT = """\
Lyhytkurssi nuorille miehille, jotka haluavat vahvistaa työelämässä tarvittavia digitaitoja ja
oppia tunnistamaan ja sanoittamaan omia vahvuuksiaan. Kurssi on suunniteltu yhdessä
**Ohjaamo Lahden** kanssa.

Kurssilla mm.

1. sähköposti, kalenteri ja verkkotapaamiset työnhaussa,
2. työnhakuprofiili ja CV verkossa,
3. omien vahvuuksien sanoittaminen.

Yksi ilmoittautuminen kattaa kaikki kurssin tapaamiset.
"""


def next_month_start(today: date, month: int) -> date:
    """The first day of the next `month` that is still ahead of today."""
    year = today.year if today < date(today.year, month, 1) else today.year + 1
    return date(year, month, 1)


def weekday_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), HELSINKI).astimezone(UTC)


def session(day: date, start: tuple[int, int], end: tuple[int, int], place=("", ""), **kw):
    return EventSession(
        starts_at=at(day, *start),
        ends_at=at(day, *end),
        place=place[0],
        address=place[1],
        **kw,
    )


def clear() -> None:
    for model in (
        Attendance,
        AuditEntry,
        OutboxMessage,
        Enrolment,
        Client,
        Membership,
        User,
        EligibilityRule,
        EventSession,
        Event,
        Organisation,
        Category,
    ):
        db.session.execute(delete(model))


def seed(today: date | None = None) -> str:
    today = today or datetime.now(HELSINKI).date()
    categories = {
        slug: Category(slug=slug, position=i, name_fi=fi, name_sv=sv, name_en=en)
        for i, (slug, fi, sv, en) in enumerate(CATEGORIES, start=1)
    }
    orgs = {
        slug: Organisation(slug=slug, name=name, short_name=short, website=web, email=mail)
        for slug, name, short, web, mail in ORGANISATIONS
    }
    db.session.add_all([*categories.values(), *orgs.values()])

    events: list[Event] = []

    def add(**kw) -> Event:
        event = Event(status=EventStatus.PUBLISHED, **kw)
        events.append(event)
        db.session.add(event)
        return event

    june = next_month_start(today, 6)
    autumn = date(june.year, 9, 1)
    visit_days = [
        weekday_on_or_after(june + timedelta(days=7), 1),
        weekday_on_or_after(june + timedelta(days=9), 3),
        weekday_on_or_after(june + timedelta(days=14), 1),
        weekday_on_or_after(autumn + timedelta(days=14), 2),
        weekday_on_or_after(date(june.year, 10, 1), 2),
        weekday_on_or_after(date(june.year, 10, 15), 2),
    ]

    def campus_visit(day: date) -> Event:
        return add(
            organisation=orgs["lab"],
            category=categories["koulutuspalvelut"],
            kind=EventKind.CAMPUS_VISIT,
            title=f"Miestämö: kampustutustuminen {day.day}.{day.month}.",
            summary="Matalan kynnyksen tutustuminen korkeakouluopiskeluun ja uravaihtoehtoihin.",
            description=CAMPUS_VISIT_TEXT,
            capacity=8,
            waitlist_enabled=True,
            waitlist_cap=5,
            contact_name="Kati Ojala",
            contact_email="miestamo@lab.fi",
            contact_phone="044 708 1234",
            accessibility="Kampus on esteetön: hissi kaikkiin kerroksiin, esteetön WC 1. krs.",
            what_to_bring="Ei mitään erityistä. Kahvit tarjotaan.",
            sessions=[session(day, (10, 0), (13, 0), LAB_CAMPUS, room="Aula, B-rakennus")],
            rules=[EligibilityRule(kind="gender", strict=False, allowed=["male"])],
        )

    june_visits = [campus_visit(day) for day in visit_days]
    # Visits already held last spring (with attendance, for the reach report) and one today
    # (to try marking attendance at the door).
    spring = today.year if today.month >= 7 else today.year - 1
    held = [campus_visit(weekday_on_or_after(date(spring, month, 10), 1)) for month in (4, 5)]
    at_the_door = campus_visit(today)

    september = next_month_start(today, 9)
    first = weekday_on_or_after(september, 1)  # the first Tuesday of September
    add(
        organisation=orgs["lab"],
        category=categories["koulutuspalvelut"],
        kind=EventKind.COURSE,
        title="Työelämän digitaidot haltuun",
        summary="Lyhytkurssi nuorille miehille työelämän digitaidoista ja omista vahvuuksista.",
        description=COURSE_TEXT,
        capacity=12,
        waitlist_enabled=True,
        contact_name="Ohjaamo Lahti / Miestämö",
        contact_email="ohjaamo@lahti.fi",
        contact_phone="044 416 2000",
        accessibility="Pääkirjasto on esteetön; sisäänkäynti Kirkkokadulta, hissi 2. kerrokseen.",
        what_to_bring="Oma puhelin tai läppäri, jos sellainen on. Lainakoneita on paikalla.",
        sessions=[
            session(
                first + timedelta(weeks=week),
                (13, 0),
                (15, 0),
                MAIN_LIBRARY,
                room="Ryhmätila Aatos",
            )
            for week in range(5)
        ],
        rules=[
            EligibilityRule(position=1, kind="age", strict=True, min_age=18, max_age=29),
            EligibilityRule(
                position=2, kind="municipality", strict=False, allowed=sorted(LAHTI_REGION)
            ),
            EligibilityRule(position=3, kind="gender", strict=False, allowed=["male"]),
        ],
    )

    soon = today + timedelta(days=7)
    add(
        organisation=orgs["dila"],
        category=categories["tyopajatoiminta"],
        kind=EventKind.OTHER,
        title="Työnhakupaja: CV kuntoon yhdessä",
        summary="Tule tekemään CV ja työhakemus valmiiksi ohjaajan kanssa.",
        description="Tuo mukanasi luonnos tai aloita tyhjästä. Ohjaaja auttaa, kahvia on tarjolla.",
        capacity=10,
        contact_name="DILA työllisyyspalvelut",
        contact_email="tyollisyys@dila.fi",
        accessibility="Esteetön sisäänkäynti pihan puolelta.",
        sessions=[session(weekday_on_or_after(soon, 2), (9, 0), (12, 0), DILA_HOUSE)],
        rules=[
            EligibilityRule(
                kind="employment_status", strict=False, allowed=["unemployed", "laid_off"]
            )
        ],
    )
    add(
        organisation=orgs["ohjaamo-lahti"],
        category=categories["valmennuspalvelut"],
        kind=EventKind.OTHER,
        title="Verkkovalmennus: työhaastatteluun valmistautuminen",
        summary="Tunnin etävalmennus Teamsissa alle 30-vuotiaille.",
        description="Harjoittelemme tavallisia haastattelukysymyksiä ja osaamisesta kertomista.",
        attendance_mode=AttendanceMode.ONLINE,
        language="fi,en",
        capacity=25,
        waitlist_enabled=False,
        contact_name="Ohjaamo Lahti",
        contact_email="ohjaamo@lahti.fi",
        sessions=[
            session(
                weekday_on_or_after(soon + timedelta(days=3), 3),
                (14, 0),
                (15, 0),
                ("Teams", ""),
                online_url="https://teams.example.fi/ohjaamo-haastattelu",
            )
        ],
        rules=[EligibilityRule(kind="age", strict=True, max_age=29)],
    )
    add(
        organisation=orgs["kirjasto"],
        category=categories["muut-palvelut"],
        kind=EventKind.OTHER,
        title="Digitukea työnhakuun kirjastossa",
        summary="Apua työnhakusivustoihin, sähköiseen tunnistautumiseen ja sähköpostiin.",
        description="Digituki auttaa kädestä pitäen. Voit osallistua paikan päällä tai etänä.",
        attendance_mode=AttendanceMode.HYBRID,
        capacity=15,
        contact_name="Lahden kaupunginkirjasto, digituki",
        contact_email="kirjasto@lahti.fi",
        accessibility="Induktiosilmukka ja esteetön sisäänkäynti.",
        sessions=[
            session(
                weekday_on_or_after(today + timedelta(days=10), 0),
                (12, 0),
                (14, 0),
                MAIN_LIBRARY,
                room="Digitupa",
                online_url="https://meet.example.fi/digituki",
            )
        ],
    )
    full = add(
        organisation=orgs["dila"],
        category=categories["tyollistamisen-palvelut"],
        kind=EventKind.OTHER,
        title="Rekrytointiaamupäivä: kaupan ja logistiikan työpaikat",
        summary="Tapaa työnantajia kasvokkain ja hae töitä suoraan paikan päällä.",
        description="Mukana viisi lahtelaista työnantajaa. Ota mukaan CV, jos sinulla on.",
        capacity=3,
        waitlist_enabled=True,
        waitlist_cap=10,
        contact_name="DILA työllisyyspalvelut",
        contact_email="tyollisyys@dila.fi",
        sessions=[
            session(weekday_on_or_after(soon + timedelta(days=7), 3), (9, 0), (11, 30), DILA_HOUSE)
        ],
    )
    draft = Event(
        organisation=orgs["ohjaamo-lahti"],
        category=categories["ammatinvalinta-ja-urasuunnittelu"],
        kind=EventKind.OTHER,
        status=EventStatus.DRAFT,
        title="Uraohjausta ilman ajanvarausta (luonnos)",
        description="Ei vielä julkaistu.",
        sessions=[session(soon, (10, 0), (12, 0), ("Ohjaamo Lahti", "Vapaudenkatu 10, Lahti"))],
    )
    db.session.add(draft)
    db.session.flush()

    people = [("Matti", "Virtanen"), ("Juha", "Korhonen"), ("Mikko", "Nieminen"),
              ("Antti", "Mäkinen"), ("Ville", "Hämäläinen")]  # fmt: skip
    now = datetime.now(UTC)
    for i, (first_name, last_name) in enumerate(people):
        status = EnrolmentStatus.CONFIRMED if i < full.capacity else EnrolmentStatus.WAITLISTED
        address = f"{first_name}.{last_name}@example.fi".lower().replace("ä", "a")
        db.session.add(
            Enrolment(
                event_id=full.id,
                status=status,
                first_name=first_name,
                last_name=last_name,
                email=address,
                email_key=email_key(address),
                consent_at=now,
                created_at=now + timedelta(seconds=i),
                status_changed_at=now + timedelta(seconds=i),
                queued_at=now + timedelta(seconds=i)
                if status == EnrolmentStatus.WAITLISTED
                else None,
            )
        )
    _demo_attendees(june_visits[0], 0, 4)
    _demo_attendees(june_visits[1], 4, 3)
    _demo_attendees(at_the_door, 7, 5)
    for i, event in enumerate(held):
        _demo_attendees(event, 12 + 5 * i, 5, attended=4)
    accounts = _demo_users(orgs)
    coach = next(user for user in accounts if user[1] == "coach")
    _demo_clients(coach[3])
    summary = f"{len(categories)} categories, {len(orgs)} organisations, {len(events) + 1} events"
    return Seeded(summary, [(email, role, password) for email, role, password, _ in accounts])


ATTENDEES = [
    ("Aleksi", "Laine"), ("Eetu", "Heikkinen"), ("Joonas", "Koskinen"), ("Lauri", "Järvinen"),
    ("Niko", "Lehtonen"), ("Oskari", "Saarinen"), ("Patrik", "Salonen"), ("Roope", "Turunen"),
    ("Sami", "Lindholm"), ("Teemu", "Karjalainen"), ("Valtteri", "Hiltunen"), ("Jere", "Mattila"),
    ("Henri", "Rantanen"), ("Jesse", "Pitkänen"), ("Kalle", "Ahonen"), ("Miro", "Laitinen"),
    ("Otto", "Kinnunen"), ("Rasmus", "Lahtinen"), ("Tuomas", "Peltonen"), ("Aatu", "Hakala"),
    ("Elias", "Seppälä"), ("Leevi", "Vainio"),
]  # fmt: skip


def _demo_attendees(event: Event, first: int, count: int, attended: int | None = None) -> None:
    """Confirmed enrolments for a demo event; for a held one, `attended` of them came."""
    start = event.sessions[0].starts_at
    for offset, (first_name, last_name) in enumerate(ATTENDEES[first : first + count]):
        address = f"{first_name}.{last_name}@example.fi".lower().replace("ä", "a")
        at = min(start, datetime.now(UTC)) - timedelta(days=20 - offset)
        enrolment = Enrolment(
            event_id=event.id,
            status=EnrolmentStatus.CONFIRMED,
            first_name=first_name,
            last_name=last_name,
            email=address,
            email_key=email_key(address),
            municipality="398",
            gender="male",
            consent_at=at,
            created_at=at,
            status_changed_at=at,
        )
        db.session.add(enrolment)
        if attended is not None:
            db.session.flush()
            came = offset < attended
            db.session.add(
                Attendance(
                    enrolment_id=enrolment.id,
                    session_id=event.sessions[0].id,
                    status=AttendanceStatus.ATTENDED if came else AttendanceStatus.NO_SHOW,
                    marked_at=start,
                )
            )


@dataclass(frozen=True)
class Seeded:
    summary: str
    accounts: list[tuple[str, str, str]]  # email, role, password


def _demo_users(orgs: dict[str, Organisation]) -> list[tuple[str, str, str, User]]:
    created = []
    for email, name, coordinator, memberships in DEMO_USERS:
        password = generate_password()
        user = create_user(
            email,
            name=name,
            password=password,
            coordinator=coordinator,
            memberships=[(role, orgs[slug]) for role, slug in memberships],
        )
        role = "coordinator" if coordinator else memberships[0][0]
        created.append((email, role, password, user))
    return created


def _demo_clients(coach: User) -> None:
    db.session.add_all(
        [
            Client(
                coach_id=coach.id,
                first_name="Jani",
                last_name="Laaksonen",
                email="jani.laaksonen@example.fi",
                birth_date=date(2002, 4, 12),
                municipality="398",
                gender="male",
                employment_status="unemployed",
                note="Kiinnostunut IT-alasta.",
            ),
            Client(
                coach_id=coach.id,
                first_name="Pekka",
                last_name="Salminen",
                birth_date=date(1996, 9, 30),
                municipality="098",
                gender="male",
                employment_status="unemployed",
                note="Ei sähköpostia: viestit valmentajalle.",
            ),
        ]
    )
