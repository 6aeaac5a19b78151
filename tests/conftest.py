"""Fixtures: an app on a fresh database, a client, factories for events.

The suite runs on SQLite by default. With TEST_DATABASE_URL set to a PostgreSQL server
(e.g. postgresql://127.0.0.1/test) it runs on PostgreSQL instead: a database of its own is
created for the run and dropped after it.
"""

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from eventsapp import create_app
from eventsapp.config import database_url
from eventsapp.events import load_event
from eventsapp.extensions import db
from eventsapp.models import (
    Category,
    EligibilityRule,
    Event,
    EventKind,
    EventSession,
    EventStatus,
    Organisation,
)

POSTGRES = os.environ.get("TEST_DATABASE_URL", "")
# The suite is development: production is what an unset EVENTSAPP_ENV means, and the
# `flask` commands the tests run as processes inherit this.
os.environ.setdefault("EVENTSAPP_ENV", "development")


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database for this run, or None when the suite runs on SQLite."""
    if not POSTGRES:
        yield None
        return
    admin_url = make_url(database_url(POSTGRES))
    name = f"eventsapp_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def database_uri(postgres_url, tmp_path):
    return postgres_url or f"sqlite:///{tmp_path / 'eventsapp.db'}"


@pytest.fixture
def make_app(database_uri):
    """Build apps on the test database; the schema is created once and dropped after."""
    apps = []

    def build(**config):
        app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_uri, **config})
        apps.append(app)
        with app.app_context():
            if len(apps) == 1:
                db.drop_all()
                db.create_all()
        return app

    yield build
    with apps[0].app_context():
        db.session.remove()
        db.drop_all()
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app
        db.session.remove()


class Client(FlaskClient):
    """Each request in an app context of its own, as in a server: the test's own context
    (and its database session and `g`) is not shared with the request."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = Client
    return app.test_client()


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def catalogue(app):
    category = Category(
        slug="koulutuspalvelut",
        name_fi="Koulutuspalvelut",
        name_sv="Utbildningstjänster",
        name_en="Education and training services",
    )
    other_category = Category(
        slug="tyopajatoiminta",
        name_fi="Työpajatoiminta",
        name_sv="Verkstadsverksamhet",
        name_en="Workshop activities",
        position=6,
    )
    lab = Organisation(slug="lab", name="LAB-ammattikorkeakoulu (Miestämö)", email="m@lab.fi")
    ohjaamo = Organisation(slug="ohjaamo-lahti", name="Ohjaamo Lahti")
    db.session.add_all([category, other_category, lab, ohjaamo])
    db.session.commit()
    return {"category": category, "other_category": other_category, "lab": lab, "ohjaamo": ohjaamo}


@pytest.fixture
def make_event(app, catalogue):
    """Create a published event with one session (or `sessions` of them) and rules."""

    def build(
        title="Miestämö: kampustutustuminen",
        starts_in=timedelta(days=14),
        sessions=1,
        rules=(),
        organisation="lab",
        category="category",
        **fields,
    ):
        db.session.commit()  # end any read transaction: a stale one cannot write on SQLite
        start = (now() + starts_in).replace(second=0, microsecond=0)
        fields.setdefault("status", EventStatus.PUBLISHED)
        fields.setdefault("kind", EventKind.CAMPUS_VISIT if sessions == 1 else EventKind.COURSE)
        fields.setdefault("capacity", 8)
        event = Event(
            title=title,
            organisation=catalogue[organisation],
            category=catalogue[category],
            contact_name="Kati Ojala",
            contact_email="kati@example.fi",
            sessions=[
                EventSession(
                    starts_at=start + timedelta(weeks=week),
                    ends_at=start + timedelta(weeks=week, hours=2),
                    place="Lahden pääkirjasto",
                    address="Kirkkokatu 31, Lahti",
                )
                for week in range(sessions)
            ],
            rules=[EligibilityRule(position=i, **rule) for i, rule in enumerate(rules)],
            **fields,
        )
        db.session.add(event)
        db.session.commit()
        return load_event(event.id, published_only=False)

    return build


def form_data(**overrides) -> dict:
    """A valid enrolment form for an event without rules."""
    data = {
        "first_name": "Matti",
        "last_name": "Meikäläinen",
        "email": "matti@example.fi",
        "phone": "",
        "notes": "",
        "consent": "y",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps what it receives.

    `refuse` maps a recipient address to an SMTP reply (e.g. "550 5.1.1 no such user") that
    the server gives at RCPT TO."""

    def __init__(self, port: int):
        self.port = port
        self.messages: list = []
        self.peers: list = []
        self.refuse: dict[str, str] = {}
        self.controller = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        self.peers.append(session.peer)
        return "250 Message accepted"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None

    def parsed(self) -> list:
        from email import message_from_bytes
        from email.policy import default

        return [message_from_bytes(envelope.content, policy=default) for envelope in self.messages]


@pytest.fixture
def smtp(app):
    """An SMTP server the app sends to; started. `smtp.stop()` takes it down."""
    sink = SmtpSink(free_port())
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port)
    app.extensions["mail"].server = "127.0.0.1"
    app.extensions["mail"].port = sink.port
    sink.start()
    yield sink
    sink.stop()


PASSWORD = "oikein-hevonen-akku-niitti"


@pytest.fixture
def make_user(app, catalogue):
    """A staff user: make_user("a@example.fi", organiser=["lab"], coach=["ohjaamo"])."""
    from eventsapp.auth.services import create_user

    def build(email, *, coordinator=False, organiser=(), coach=(), name="", password=PASSWORD):
        memberships = [("organiser", catalogue[key]) for key in organiser]
        memberships += [("coach", catalogue[key]) for key in coach]
        user = create_user(
            email, name=name, password=password, coordinator=coordinator, memberships=memberships
        )
        db.session.commit()
        return user

    return build


def login(client, email, password=PASSWORD):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response


# --- a real browser against the real app over HTTP -------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")  # Debian's; Playwright's own download does not work here
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def live_server(app):
    """The test's app (the same database as make_event's) served over HTTP, with CSRF
    protection on, as in production: the browser carries the token."""
    import threading

    from werkzeug.serving import make_server

    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --- a real HTTP server standing in for the SMS gateway ---------------------------------------


class GatewaySink:
    """A local HTTP server in the shape of GatewayAPI: keeps each text it is sent. `status`
    is its answer (200, 500, 422…), `delay` makes it hang, `refuse` numbers it answers 422."""

    def __init__(self):
        self.texts: list[dict] = []
        self.headers: list[dict] = []
        self.status = 200
        self.delay = 0.0
        self.refuse: set[int] = set()
        self.server = None

    def start(self) -> str:
        import json
        import threading
        import time
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                time.sleep(sink.delay)
                msisdn = body["recipients"][0]["msisdn"]
                status = 422 if msisdn in sink.refuse else sink.status
                if status == 200:
                    sink.texts.append(body)
                    sink.headers.append(dict(self.headers))
                payload = json.dumps(
                    {"ids": [len(sink.texts)]} if status == 200 else {"code": status}
                )
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(payload.encode())
                except OSError:  # the sender gave up waiting (a timeout test)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_port}/rest/mtsms"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(app):
    """An SMS gateway the app sends texts to; started."""
    sink = GatewaySink()
    url = sink.start()
    app.config.update(
        SMS_BACKEND="gatewayapi",
        SMS_API_URL=url,
        SMS_API_TOKEN="secret-token-123",
        SMS_SENDER="Tapahtumat",
    )
    yield sink
    sink.stop()
