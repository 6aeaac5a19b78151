"""Staff accounts: logging in and out, passwords, rate limits, no user enumeration."""

import hashlib
import re

import pytest
from sqlalchemy import select

from eventsapp.extensions import db
from eventsapp.models import OutboxMessage, User
from tests.conftest import PASSWORD, login

NEW = "uusi-salasana-2026"


@pytest.fixture
def organiser(make_user):
    return make_user("Kati.Ojala@Example.fi", name="Kati Ojala", organiser=["lab"])


def test_login_lands_in_the_users_area_and_logout_ends_it(client, organiser):
    response = login(client, " kati.ojala@example.FI ")
    assert response.headers["Location"].endswith("/manage/")
    assert client.get("/manage/").status_code == 200
    page = client.get("/?lang=en").get_data(as_text=True)
    assert "Kati Ojala" in page and "Log out" in page
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"
    response = client.post("/logout")
    assert response.status_code == 303
    assert client.get("/manage/").status_code == 302


def test_wrong_password_and_unknown_address_get_the_same_answer(client, organiser):
    wrong = client.post("/login?lang=en", data={"email": organiser.email, "password": "x" * 12})
    unknown = client.post(
        "/login?lang=en", data={"email": "nobody@example.fi", "password": "x" * 12}
    )
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "The email address or the password is not right." in response.get_data(True)
    strip = lambda r: re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))  # noqa: E731
    assert strip(wrong) == strip(unknown)


def test_next_only_goes_to_local_pages(client, organiser):
    response = client.post(
        "/login?next=/manage/", data={"email": organiser.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/manage/"
    client.post("/logout")
    response = client.post(
        "/login?next=//evil.example/x", data={"email": organiser.email, "password": PASSWORD}
    )
    assert "evil" not in response.headers["Location"]


def test_deactivated_user_cannot_log_in(client, organiser):
    organiser.active = False
    db.session.commit()
    response = client.post("/login", data={"email": organiser.email, "password": PASSWORD})
    assert response.status_code == 200


def test_login_attempts_are_rate_limited(app, client, organiser):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    for _ in range(3):
        client.post("/login", data={"email": organiser.email, "password": "wrong-password"})
    response = client.post("/login", data={"email": organiser.email, "password": PASSWORD})
    assert response.status_code == 429


def test_changing_the_password_ends_other_sessions(app, client, organiser):
    other = app.test_client()
    login(client, organiser.email)
    login(other, organiser.email)
    response = client.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "password": "uusi-salasana-2026",
            "confirm": "uusi-salasana-2026",
        },
    )
    assert response.status_code == 303
    assert client.get("/account").status_code == 200  # this session goes on
    assert other.get("/account").status_code == 302  # the other one has ended
    client.post("/logout")
    login(client, organiser.email, "uusi-salasana-2026")


def test_password_change_checks_the_current_one(client, organiser):
    login(client, organiser.email)
    response = client.post(
        "/account/password?lang=en",
        data={
            "current": "not-it",
            "password": "uusi-salasana-2026",
            "confirm": "uusi-salasana-2026",
        },
    )
    assert "The current password is not right." in response.get_data(as_text=True)
    short = client.post(
        "/account/password?lang=en",
        data={"current": PASSWORD, "password": "lyhyt", "confirm": "lyhyt"},
    )
    assert "Use at least 10 characters." in short.get_data(as_text=True)


def test_password_reset_by_emailed_link_works_once(client, organiser, smtp):
    from eventsapp.mail.sender import send_due

    for address in (organiser.email, "nobody@example.fi"):
        response = client.post("/reset-password", data={"email": address})
        assert response.status_code == 303  # the same answer either way
    db.session.rollback()
    assert len(db.session.execute(select(OutboxMessage)).all()) == 1
    send_due()
    [message] = smtp.parsed()
    assert message["To"].addresses[0].addr_spec == "kati.ojala@example.fi"
    link = re.search(r"http://\S+/reset-password/(\S+)", message.get_body(("plain",)).get_content())
    path = f"/reset-password/{link.group(1)}"
    assert client.get(path).status_code == 200
    new = {"password": "kesä-on-parasta-2027", "confirm": "kesä-on-parasta-2027"}
    assert client.post(path, data=new).status_code == 303
    client.post("/logout")
    assert client.post(path, data=new).status_code == 404  # used already
    login(client, organiser.email, "kesä-on-parasta-2027")


def test_tampered_reset_link_is_refused(client, organiser):
    assert client.get("/reset-password/not-a-token").status_code == 404


def test_users_create_command_makes_the_first_coordinator(app, catalogue):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "--email", "Koordinaattori@DILA.fi", "--role", "coordinator"]
    )
    assert result.exit_code == 0, result.output
    password = result.output.strip().rsplit(" ", 1)[1]
    user = db.session.execute(select(User)).scalar_one()
    assert user.email == "koordinaattori@dila.fi" and user.is_coordinator
    assert user.check_password(password)
    again = runner.invoke(
        args=["users", "create", "--email", "koordinaattori@dila.fi", "--role", "coach"]
    )
    assert again.exit_code != 0 and "already" in again.output
    coach = runner.invoke(
        args=["users", "create", "--email", "c@x.fi", "--role", "coach", "--organisation", "lab"]
    )
    assert coach.exit_code == 0, coach.output


def test_seed_demo_prints_an_account_per_role(app):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    for role in ("coordinator", "organiser", "coach"):
        line = next(line for line in result.output.splitlines() if line.strip().startswith(role))
        email, password = line.split()[1:3]
        user = db.session.execute(select(User).where(User.email == email)).scalar_one()
        assert user.check_password(password)
        assert role in user.roles


def test_an_invitation_link_lasts_a_week_and_a_reset_link_two_hours(app, organiser):
    import time

    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    from eventsapp.auth.services import user_for_reset

    def signed(kind: str, age: int) -> str:
        """A link token as it was made `age` seconds ago."""

        class Earlier(TimestampSigner):
            def get_timestamp(self) -> int:
                return int(time.time()) - age

        serializer = URLSafeTimedSerializer(
            app.config["SECRET_KEY"], salt="password-reset", signer=Earlier
        )
        return serializer.dumps(
            {
                "user": organiser.id,
                "session": hashlib.sha256(organiser.session_token.encode()).hexdigest(),
                "kind": kind,
            }
        )

    hour, day = 3600, 24 * 3600
    assert user_for_reset(signed("password_reset", 60)) == organiser
    assert user_for_reset(signed("password_reset", 3 * hour)) is None
    assert user_for_reset(signed("staff_invitation", 3 * day)) == organiser
    assert user_for_reset(signed("staff_invitation", 8 * day)) is None
