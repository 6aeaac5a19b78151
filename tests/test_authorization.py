"""Authorization is part of the product: every staff endpoint × every kind of user.

The endpoints come from the app's URL map, so a new endpoint without a rule here fails the
test. Expected answers: anonymous users are sent to the login page; a signed-in user without
the role gets 403; an object of another organisation (or another coach's client) is 404,
never data.
"""

import hashlib

import pytest
from flask import url_for
from sqlalchemy import select, text

from eventsapp.enrolment import services
from eventsapp.enrolment.services import Applicant, OnBehalf
from eventsapp.extensions import db
from eventsapp.models import Client, Enrolment, Organisation, OutboxMessage
from tests.conftest import PASSWORD, login
from tests.conftest import Client as ServerLikeClient

PUBLIC = {
    "static",
    "catalogue.index",
    "catalogue.event",
    "catalogue.event_ics",
    "catalogue.calendar_ics",
    "catalogue.privacy",
    "enrolment.enrol",
    "enrolment.manage",
    "enrolment.cancel",
    "enrolment.erase",
    "enrolment.texts_off",
    "enrolment.short",
    "enrolment.resend",
    "api.events",
    "api.event",
    "api.organisations",
    "api.categories",
    "api.openapi",
    "embed.index",
    "embed.event",
    "seo.sitemap",
    "seo.robots",
    "feedback.answer",  # the token is the key, as for enrolment.manage
    "auth.login",
    "auth.logout",
    "auth.reset_request",
    "auth.reset",
}

LOGIN, FORBIDDEN, NOT_FOUND, OK = "login", 403, 404, "ok"
DESTRUCTIVE = ("delete", "cancel", "deactivate", "reject")
PERSONAS = ("anonymous", "coach", "other_organiser", "organiser", "coordinator")

POLICIES = {
    # any signed-in staff member
    "staff": (LOGIN, OK, OK, OK, OK),
    # the network's coordinator only
    "coordinator": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    # organisers (of any organisation) and the coordinator, nothing owned in the URL
    "organisers": (LOGIN, FORBIDDEN, OK, OK, OK),
    # an object of LAB's: LAB's organiser and the coordinator; Ohjaamo's organiser gets 404
    "lab_object": (LOGIN, FORBIDDEN, NOT_FOUND, OK, OK),
    # the coach's own clients, seen by the coach and the coordinator
    "coach_sees": (LOGIN, OK, FORBIDDEN, FORBIDDEN, OK),
    # what only the client's own coach may do
    "coach_does": (LOGIN, OK, FORBIDDEN, FORBIDDEN, FORBIDDEN),
}

RULES = {
    "auth.account": "staff",
    "auth.change_password": "staff",
    "admin.index": "coordinator",
    "admin.organisations": "coordinator",
    "admin.new_organisation": "coordinator",
    "admin.edit_organisation": "coordinator",
    "admin.users": "coordinator",
    "admin.invite": "coordinator",
    "admin.edit_user": "coordinator",
    "admin.deactivate_user": "coordinator",
    "admin.reactivate_user": "coordinator",
    "admin.resend_invitation": "coordinator",
    "outbox.index": "coordinator",
    "outbox.show": "coordinator",
    "outbox.html": "coordinator",
    "outbox.eml": "coordinator",
    "manage.index": "organisers",
    "embed.builder": "organisers",
    "manage.new": "organisers",
    "manage.event": "lab_object",
    "feedback.summary": "lab_object",
    "manage.edit": "lab_object",
    "manage.preview": "lab_object",
    "manage.publish": "lab_object",
    "manage.unpublish": "lab_object",
    "manage.duplicate": "lab_object",
    "manage.cancel": "lab_object",
    "manage.message": "lab_object",
    "manage.approve": "lab_object",
    "manage.reject": "lab_object",
    "manage.cancel_enrolment": "lab_object",
    "manage.promote": "lab_object",
    "coach.index": "coach_sees",
    "coach.client": "coach_sees",
    "coach.enrolments": "coach_sees",
    "coach.enrolment": "coach_sees",
    "coach.new_client": "coach_does",
    "coach.edit_client": "coach_does",
    "coach.delete_client": "coach_does",
    "coach.choose_event": "coach_does",
    "coach.choose_client": "coach_does",
    "coach.confirm": "coach_does",
    "coach.cancel": "coach_does",
    "attendance.event": "lab_object",
    "attendance.mark": "lab_object",
    "attendance.bulk": "lab_object",
    "exports.export": "lab_object",
    "exports.csv": "lab_object",
    "exports.xlsx": "lab_object",
    "exports.pdf": "lab_object",
    "audit.index": "coordinator",
    "reports.manage": "organisers",
    "reports.admin": "coordinator",
}


@pytest.fixture
def world(app, make_user, make_event, catalogue):
    """LAB's event with enrolments, a coach with a client, a message, a spare user."""
    app.test_client_class = ServerLikeClient  # each request in its own app context, as in a server
    users = {
        "coach": make_user("coach@example.fi", coach=["ohjaamo"]),
        "other_organiser": make_user("ohjaamo@example.fi", organiser=["ohjaamo"]),
        "organiser": make_user("lab@example.fi", organiser=["lab"]),
        "coordinator": make_user("dila@example.fi", coordinator=True),
    }
    spare = make_user("spare@example.fi", coach=["lab"])
    event = make_event(title="LAB event", capacity=1, waitlist_enabled=True)
    client = Client(coach_id=users["coach"].id, first_name="Jani", last_name="L", email="")
    db.session.add(client)
    db.session.commit()
    coach_made = services.enrol(
        event.id,
        Applicant(first_name="Jani", last_name="L", email=""),
        on_behalf=OnBehalf(client_id=client.id, coach_id=users["coach"].id),
    )
    db.session.commit()
    waiting = services.enrol(event.id, Applicant(first_name="W", last_name="L", email="w@x.fi"))
    db.session.commit()
    params = {
        "event_id": event.id,
        "enrolment_id": waiting.id,
        "client_id": client.id,
        "message_id": db.session.execute(select(OutboxMessage.id)).scalars().first(),
        "user_id": spare.id,
        "organisation_id": db.session.execute(
            select(Organisation.id).where(Organisation.slug == "ohjaamo-lahti")
        ).scalar_one(),
    }
    coach_params = {**params, "enrolment_id": coach_made.id}
    return users, params, coach_params


def staff_endpoints(app) -> list:
    rules = sorted(app.url_map.iter_rules(), key=lambda rule: (rule.endpoint, rule.rule))
    return [rule for rule in rules if rule.endpoint not in PUBLIC]


def test_every_endpoint_has_a_rule(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - PUBLIC - set(RULES))
    assert missing == [], f"endpoints without an authorization rule: {missing}"
    assert sorted(set(RULES) - endpoints) == [], "rules for endpoints that no longer exist"


def _url(app, rule, params) -> str:
    unknown = set(rule.arguments) - set(params)
    assert not unknown, f"{rule.endpoint}: give the matrix a value for {unknown}"
    with app.test_request_context():
        return url_for(rule.endpoint, **{name: params[name] for name in rule.arguments})


def _answer(response) -> object:
    if response.status_code in (301, 302, 303) and "/login" in response.headers["Location"]:
        return LOGIN
    if response.status_code in (403, 404):
        return response.status_code
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    assert response.status_code != 401
    return OK


def matrix_failures(app, world) -> list[str]:
    users, params, coach_params = world
    clients = {"anonymous": app.test_client()}
    for persona, user in users.items():
        clients[persona] = app.test_client()
        login(clients[persona], user.email)
    # Forbidden attempts first, then the allowed ones (which may change the data).
    order = ("anonymous", "other_organiser", "organiser", "coordinator", "coach")
    calls = sorted(
        (
            (method == "POST", any(word in rule.endpoint for word in DESTRUCTIVE), rule, method)
            for rule in staff_endpoints(app)
            for method in rule.methods - {"HEAD", "OPTIONS"}
        ),
        key=lambda call: (*call[:2], call[2].endpoint, call[3]),
    )  # reading first, then changing, then removing
    failures = []
    for persona in order:
        for _, _, rule, method in calls:
            policy = POLICIES[RULES[rule.endpoint]]
            expected = policy[PERSONAS.index(persona)]
            url = _url(app, rule, coach_params if rule.endpoint.startswith("coach.") else params)
            got = _answer(clients[persona].open(url, method=method))
            if got != expected:
                failures.append(f"{persona:16} {method:4} {url:50} expected {expected}, got {got}")
    return failures


def test_authorization_matrix(app, world):
    failures = matrix_failures(app, world)
    assert failures == [], "\n".join(failures)


def test_control_the_matrix_catches_a_missing_ownership_check(app, world, monkeypatch):
    """Take the organisation check away: Ohjaamo's organiser then reaches LAB's data."""
    from eventsapp.auth import access

    monkeypatch.setattr(access, "may", lambda role, organisation_id: True)
    failures = matrix_failures(app, world)
    assert any(line.startswith("other_organiser") for line in failures)


def test_another_coach_cannot_see_a_client(app, world, make_user):
    _, _, coach_params = world
    make_user("coach2@example.fi", coach=["ohjaamo"])
    other = app.test_client()
    login(other, "coach2@example.fi")
    for rule in staff_endpoints(app):
        if rule.endpoint.startswith("coach.") and {"client_id", "enrolment_id"} & set(
            rule.arguments
        ):
            url = _url(app, rule, coach_params)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                assert other.open(url, method=method).status_code == 404, (method, url)


def _fingerprint() -> str:
    """Every row of every table, hashed: to see that a request changed nothing."""
    digest = hashlib.sha256()
    db.session.rollback()
    for table in db.metadata.sorted_tables:
        if table.name == "audit_entry":
            continue  # an export's audit entry is the one change a GET makes, by design
        rows = db.session.execute(text(f'SELECT * FROM "{table.name}" ORDER BY 1')).all()
        digest.update(repr((table.name, rows)).encode())
    return digest.hexdigest()


def test_no_state_change_on_get(app, world):
    users, params, coach_params = world
    for persona in ("coach", "organiser", "coordinator"):
        client = app.test_client()
        login(client, users[persona].email)
        before = _fingerprint()
        for rule in staff_endpoints(app):
            if "GET" in rule.methods:
                url = _url(
                    app, rule, coach_params if rule.endpoint.startswith("coach.") else params
                )
                client.get(url)
        assert _fingerprint() == before, persona


def test_every_staff_post_needs_the_csrf_token(app, world):
    users, params, coach_params = world
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post(
        "/login",
        data={"email": users["coordinator"].email, "password": PASSWORD, "csrf_token": token},
    )
    before = _fingerprint()
    for rule in staff_endpoints(app):
        if "POST" in rule.methods:
            url = _url(app, rule, coach_params if rule.endpoint.startswith("coach.") else params)
            assert client.post(url).status_code == 400, url
    assert _fingerprint() == before


def test_no_public_get_changes_state(app, world):
    """The participant's pages answer GET with a page (the cancel link is a form), never with
    a change: every public endpoint that takes GET, walked from the URL map."""
    _users, params, _ = world
    db.session.commit()
    enrolment = db.session.get(Enrolment, params["enrolment_id"])
    public = {**params, "token": enrolment.token, "slug": "lab-event"}
    anonymous = app.test_client()
    before = _fingerprint()
    walked = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        if rule.endpoint in PUBLIC and "GET" in rule.methods and rule.endpoint != "static":
            response = anonymous.get(_url(app, rule, public))
            assert response.status_code < 500, rule.rule
            walked.append(rule.endpoint)
    assert _fingerprint() == before
    assert {"enrolment.manage", "enrolment.short", "catalogue.event"} <= set(walked)
    assert anonymous.get(f"/enrolments/{enrolment.token}/cancel").status_code == 405
