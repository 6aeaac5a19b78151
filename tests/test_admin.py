"""The coordinator's screens: organisations, invitations, roles, deactivation, and who may use
them. Pages are read in English (?lang=en is kept in a cookie), so that the assertions do not
depend on the Finnish catalogue."""

import json
import re

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from eventsapp.admin import services
from eventsapp.extensions import db
from eventsapp.mail.sender import send_due
from eventsapp.models import EventStatus, Membership, Organisation, OutboxMessage, User
from tests.conftest import PASSWORD, login

COORDINATOR = "koordinaattori@dila.fi"


@pytest.fixture
def coordinator(make_user):
    return make_user(COORDINATOR, coordinator=True, name="Kaisa Koordinaattori")


@pytest.fixture
def admin(client, coordinator):
    """The client, signed in as the coordinator, reading English."""
    client.get("/?lang=en")
    login(client, COORDINATOR)
    return client


def fresh(model, ident):
    """The row as the database has it now (the test's session ends its transaction first)."""
    db.session.rollback()
    return db.session.get(model, ident)


def count(model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def queued_text(row: OutboxMessage) -> str:
    """What a queued message says: the rendered message, or what it is rendered from."""
    return row.mime or json.dumps(getattr(row, "payload", None) or {}, ensure_ascii=False)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def field_error(response, field: str) -> str:
    """The message shown beside a field ("" if none)."""
    found = re.search(rf'id="{field}-error">(.*?)</p>', text_of(response), re.S)
    if not found:
        return ""
    shown = re.sub(r'<span class="visually-hidden">.*?</span>', "", found.group(1))
    return re.sub(r"\s+", " ", shown).strip()


def notices(response) -> list[str]:
    """The flashed messages on the page, as "category: text"."""
    return [
        category + ": " + " ".join(message.split())
        for category, message in re.findall(
            r'<div class="notice notice-(\w+)" role="status">(.*?)</div>', text_of(response), re.S
        )
    ]


def summary_links(response) -> list[str]:
    return re.findall(r'<li><a href="#([^"]+)">', text_of(response))


def org_form(**overrides) -> dict:
    data = {
        "name": "Lahden Diakonialaitos",
        "short_name": "DILA",
        "slug": "",
        "website": "https://www.dila.fi",
        "email": "verkosto@dila.fi",
        "phone": "03 123 4567",
    }
    data.update(overrides)
    return data


# --- organisations ----------------------------------------------------------------------------


def test_create_an_organisation_slug_from_the_name(admin, catalogue):
    response = admin.post("/admin/organisations/new", data=org_form())
    assert response.status_code == 303
    assert response.location.endswith("/admin/organisations")
    db.session.rollback()
    dila = db.session.execute(
        select(Organisation).where(Organisation.name == "Lahden Diakonialaitos")
    ).scalar_one()
    assert dila.slug == "lahden-diakonialaitos"
    assert (dila.short_name, dila.website, dila.email, dila.phone) == (
        "DILA",
        "https://www.dila.fi",
        "verkosto@dila.fi",
        "03 123 4567",
    )
    listing = text_of(admin.get("/admin/organisations"))
    assert "Organisation Lahden Diakonialaitos added." in listing
    assert "Lahden Diakonialaitos" in listing and "lahden-diakonialaitos" in listing

    # "LAB" makes the slug "lab", which LAB-ammattikorkeakoulu has: the next free one is taken
    response = admin.post("/admin/organisations/new", data=org_form(name="LAB", short_name=""))
    assert response.status_code == 303
    db.session.rollback()
    slug = db.session.execute(
        select(Organisation.slug).where(Organisation.name == "LAB")
    ).scalar_one()
    assert slug == "lab-2"


def test_edit_an_organisation(admin, catalogue):
    lab = catalogue["lab"]
    page = admin.get(f"/admin/organisations/{lab.id}/edit")
    assert page.status_code == 200
    assert 'value="LAB-ammattikorkeakoulu (Miestämö)"' in text_of(page)

    response = admin.post(
        f"/admin/organisations/{lab.id}/edit",
        data=org_form(
            name="LAB-ammattikorkeakoulu",
            short_name="LAB",
            slug="Lab-Amk",
            website="https://lab.fi/miestamo",
            email="miestamo@lab.fi",
            phone="",
        ),
    )
    assert response.status_code == 303
    lab = fresh(Organisation, lab.id)
    assert lab.name == "LAB-ammattikorkeakoulu"
    assert lab.slug == "lab-amk"  # lowercased
    assert lab.website == "https://lab.fi/miestamo"
    assert lab.phone == ""

    # Another organisation's slug or name is refused beside the field
    ohjaamo = catalogue["ohjaamo"]
    response = admin.post(
        f"/admin/organisations/{ohjaamo.id}/edit", data=org_form(name="Ohjaamo", slug="lab-amk")
    )
    assert response.status_code == 200
    assert "already uses this address name" in field_error(response, "slug")
    response = admin.post(
        f"/admin/organisations/{ohjaamo.id}/edit",
        data=org_form(name="lab-ammattikorkeakoulu", slug="ohjaamo-lahti"),
    )
    assert field_error(response, "name") == "There is already an organisation with this name."
    ohjaamo = fresh(Organisation, ohjaamo.id)
    assert (ohjaamo.name, ohjaamo.slug) == ("Ohjaamo Lahti", "ohjaamo-lahti")

    assert admin.get("/admin/organisations/9999/edit").status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("website", "www.dila.fi", "Enter the whole address of the website"),
        ("website", "ftp://files.dila.fi", "Enter the whole address of the website"),
        ("website", "javascript:alert(1)", "Enter the whole address of the website"),
        ("website", "https://dila", "Enter the whole address of the website"),
        ("website", "https://www.dila .fi", "Enter the whole address of the website"),
        ("email", "verkosto@", "Enter an email address like name@example.fi."),
        ("email", "verkosto dila.fi", "Enter an email address like name@example.fi."),
        ("phone", "soita meille", "Enter a phone number like 040 123 4567."),
        ("slug", "dila/admin", "Use only the letters a–z, digits and single hyphens"),
        ("name", "   ", "Enter the organisation's name."),
    ],
)
def test_organisation_form_says_what_is_wrong(admin, catalogue, field, value, message):
    before = count(Organisation)
    response = admin.post("/admin/organisations/new", data=org_form(**{field: value}))
    assert response.status_code == 200
    assert message in field_error(response, field)
    assert summary_links(response) == [field]
    assert 'aria-invalid="true"' in text_of(response)
    assert count(Organisation) == before


def test_organisation_list_counts_active_members(admin, catalogue, make_user, make_event):
    make_user("o1@lab.fi", organiser=["lab"])
    make_user("o2@lab.fi", organiser=["lab"], coach=["lab"])
    gone = make_user("o3@lab.fi", organiser=["lab"])
    gone.active = False
    db.session.commit()
    make_event(organisation="lab")
    page = text_of(admin.get("/admin/organisations"))
    row = re.search(r"LAB-ammattikorkeakoulu \(Miestämö\).*?</tr>", page, re.S).group(0)
    cells = re.findall(r'<td class="numeric">(?:<a [^>]*>)?(\d+)', row)
    assert cells == ["2", "1", "1"]  # organisers (active only), coaches, events
    assert "<caption" in page and 'scope="col"' in page and 'scope="row"' in page


# --- invitations ------------------------------------------------------------------------------


def invite_form(**overrides) -> dict:
    data = {"email": "Uusi.Ohjaaja@Ohjaamo.fi ", "name": "Uusi Ohjaaja"}
    data.update(overrides)
    return data


def test_invite_creates_a_user_without_a_password_and_queues_the_invitation(admin, catalogue):
    lab, ohjaamo = catalogue["lab"], catalogue["ohjaamo"]
    response = admin.post(
        "/admin/users/invite",
        data=invite_form(organiser_of=[str(lab.id), str(ohjaamo.id)], coach_of=[str(ohjaamo.id)]),
    )
    assert response.status_code == 303
    db.session.rollback()
    user = db.session.execute(
        select(User).where(User.email == "uusi.ohjaaja@ohjaamo.fi")
    ).scalar_one()
    assert response.location.endswith(f"/admin/users/{user.id}/edit")
    assert user.password_hash == ""
    assert user.name == "Uusi Ohjaaja"
    assert user.active and not user.is_coordinator
    assert sorted((m.role, m.organisation_id) for m in user.memberships) == sorted(
        [("organiser", lab.id), ("organiser", ohjaamo.id), ("coach", ohjaamo.id)]
    )
    [message] = db.session.execute(select(OutboxMessage)).scalars().all()
    assert message.kind == "staff_invitation"
    assert message.to_address == "uusi.ohjaaja@ohjaamo.fi"
    assert "/reset-password/" in queued_text(message)

    page = text_of(admin.get(f"/admin/users/{user.id}/edit"))
    assert "uusi.ohjaaja@ohjaamo.fi has been invited." in page
    assert "Invited, no password yet" in page
    assert "Send the invitation again" in page


def test_the_invited_user_follows_the_mailed_link_sets_a_password_and_logs_in(
    app, admin, catalogue, smtp
):
    lab = catalogue["lab"]
    response = admin.post("/admin/users/invite", data=invite_form(organiser_of=[str(lab.id)]))
    assert response.status_code == 303
    db.session.rollback()
    report = send_due()
    assert report.failed == 0 and report.retried == 0, report.errors

    [mail] = smtp.parsed()
    assert mail["To"] == "Uusi Ohjaaja <uusi.ohjaaja@ohjaamo.fi>"
    body = mail.get_body(("plain",)).get_content()
    [path] = re.findall(r"http://127\.0\.0\.1:5000(/reset-password/\S+)", body)

    invited = app.test_client()
    assert invited.get(path).status_code == 200
    new_password = "kolme-vihreää-omenaa-pöydällä"
    response = invited.post(path, data={"password": new_password, "confirm": new_password})
    assert response.status_code == 303
    assert invited.get("/manage/").status_code == 200  # signed in as the organiser

    user = db.session.execute(
        select(User).where(User.email == "uusi.ohjaaja@ohjaamo.fi")
    ).scalar_one()
    assert user.password_hash and user.check_password(new_password)
    assert invited.get(path).status_code == 404  # the link works once

    elsewhere = app.test_client()
    login(elsewhere, "uusi.ohjaaja@ohjaamo.fi", new_password)
    assert elsewhere.get("/manage/").status_code == 200


def test_an_address_with_an_account_is_refused_beside_the_field(admin, coordinator, make_user):
    organiser = make_user("kati@lab.fi", organiser=["lab"], name="Kati Ojala")
    before = count(User)
    response = admin.post(
        "/admin/users/invite", data=invite_form(email="  KATI@Lab.fi", coordinator="y")
    )
    assert response.status_code == 200
    assert field_error(response, "email") == "This address already has an account."
    assert summary_links(response) == ["email"]
    assert f'href="/admin/users/{organiser.id}/edit"' in text_of(response)
    assert count(User) == before
    assert count(OutboxMessage) == 0
    assert fresh(User, organiser.id).is_coordinator is False

    db.session.get(User, organiser.id).active = False
    db.session.commit()
    response = admin.post(
        "/admin/users/invite", data=invite_form(email="kati@lab.fi", coordinator="y")
    )
    assert "has been deactivated" in field_error(response, "email")
    assert count(User) == before


def test_a_taken_address_is_said_with_the_other_mistakes(admin, coordinator):
    response = admin.post("/admin/users/invite", data=invite_form(email=COORDINATOR.upper()))
    assert field_error(response, "email") == "This address already has an account."
    assert "at least one role" in field_error(response, "coordinator")
    assert summary_links(response) == ["email", "coordinator"]
    assert count(User) == 1


def test_an_invitation_needs_a_role_and_a_valid_address(admin, catalogue):
    response = admin.post("/admin/users/invite", data=invite_form())
    assert response.status_code == 200
    assert "at least one role" in field_error(response, "coordinator")

    response = admin.post(
        "/admin/users/invite", data=invite_form(email="ei-osoite", coordinator="y")
    )
    assert field_error(response, "email") == "Enter an email address like name@example.fi."

    response = admin.post("/admin/users/invite", data=invite_form(name="", coordinator="y"))
    assert field_error(response, "name") == "Enter the person's name."
    assert count(User) == 1  # the coordinator only
    assert count(OutboxMessage) == 0


def test_resend_the_invitation(admin, catalogue, make_user):
    lab = catalogue["lab"]
    admin.post("/admin/users/invite", data=invite_form(coach_of=[str(lab.id)]))
    db.session.rollback()
    user_id = db.session.execute(
        select(User.id).where(User.email == "uusi.ohjaaja@ohjaamo.fi")
    ).scalar_one()
    response = admin.post(f"/admin/users/{user_id}/resend-invitation")
    assert response.status_code == 303
    assert count(OutboxMessage, OutboxMessage.kind == "staff_invitation") == 2
    assert "The invitation has been sent again" in text_of(admin.get(response.location))

    # Not for someone who has a password already
    veteran = make_user("veteran@lab.fi", coach=["lab"])
    response = admin.post(f"/admin/users/{veteran.id}/resend-invitation", follow_redirects=True)
    assert "has already set a password" in text_of(response)
    assert count(OutboxMessage) == 2


# --- editing accounts -------------------------------------------------------------------------


def test_edit_name_roles_and_organisations(admin, catalogue, make_user):
    lab, ohjaamo = catalogue["lab"], catalogue["ohjaamo"]
    user = make_user("kati@lab.fi", organiser=["lab"], coach=["lab"], name="Kati")
    page = text_of(admin.get(f"/admin/users/{user.id}/edit"))
    assert re.search(rf'name="organiser_of" id="organiser_of-\d" value="{lab.id}" checked', page)

    response = admin.post(
        f"/admin/users/{user.id}/edit",
        data={
            "name": "Kati Ojala",
            "coordinator": "y",
            "organiser_of": [str(ohjaamo.id)],
            "coach_of": [str(lab.id), str(ohjaamo.id)],
        },
    )
    assert response.status_code == 303
    user = fresh(User, user.id)
    assert user.name == "Kati Ojala"
    assert user.is_coordinator
    assert sorted((m.role, m.organisation_id) for m in user.memberships) == sorted(
        [("organiser", ohjaamo.id), ("coach", lab.id), ("coach", ohjaamo.id)]
    )
    assert count(Membership) == 3

    # Every role taken away: refused, with the reason beside the roles
    response = admin.post(f"/admin/users/{user.id}/edit", data={"name": "Kati Ojala"})
    assert response.status_code == 200
    assert "at least one role" in field_error(response, "coordinator")
    assert count(Membership) == 3

    # An organisation that does not exist is not saved
    response = admin.post(
        f"/admin/users/{user.id}/edit", data={"name": "Kati", "organiser_of": ["9999"]}
    )
    assert response.status_code == 200
    assert field_error(response, "organiser_of")
    assert fresh(User, user.id).name == "Kati Ojala"

    assert admin.get("/admin/users/9999/edit").status_code == 404


def test_users_list_and_filters(admin, catalogue, make_user):
    make_user("kati@lab.fi", organiser=["lab"], name="Kati Ojala")
    make_user("olli@ohjaamo.fi", coach=["ohjaamo"], name="Ölli Valmentaja")
    gone = make_user("ville@ohjaamo.fi", organiser=["ohjaamo"], name="Ville Vanha")
    gone.active = False
    db.session.commit()
    admin.post("/admin/users/invite", data=invite_form(coach_of=[str(catalogue["lab"].id)]))

    def names(**query) -> list[str]:
        page = text_of(admin.get("/admin/users", query_string=query))
        return re.findall(r'<th scope="row"><a href="/admin/users/\d+/edit">([^<]+)</a>', page)

    everyone = names()
    assert everyone == [
        "Kaisa Koordinaattori",
        "Kati Ojala",
        "Uusi Ohjaaja",
        "Ville Vanha",
        "Ölli Valmentaja",
    ]
    assert names(role="coordinator") == ["Kaisa Koordinaattori"]
    assert names(role="coach") == ["Uusi Ohjaaja", "Ölli Valmentaja"]
    assert names(organisation=catalogue["ohjaamo"].id) == ["Ville Vanha", "Ölli Valmentaja"]
    assert names(organisation=catalogue["ohjaamo"].id, role="organiser") == ["Ville Vanha"]
    assert names(status="deactivated") == ["Ville Vanha"]
    assert names(status="invited") == ["Uusi Ohjaaja"]
    assert names(status="active") == ["Kaisa Koordinaattori", "Kati Ojala", "Ölli Valmentaja"]
    assert names(q="ÖLLI") == ["Ölli Valmentaja"]
    assert names(q="@lab.fi") == ["Kati Ojala"]
    assert names(role="nonsense", organisation="x", status="?") == everyone  # ignored

    page = text_of(admin.get("/admin/users"))
    assert "Never" in page  # last login of those who have not logged in
    assert "Organiser: LAB-ammattikorkeakoulu (Miestämö)" in page


def test_overview_counts(admin, catalogue, make_user, make_event):
    make_user("kati@lab.fi", organiser=["lab"])
    make_event(title="Luonnos", status=EventStatus.DRAFT)
    make_event(title="Julkaistu")
    db.session.add(
        OutboxMessage(
            kind="confirmed",
            to_address="x@example.fi",
            subject="s",
            message_id="<1@test>",
            mime="",
            status="failed",
        )
    )
    db.session.commit()
    page = re.sub(r"\s+", " ", text_of(admin.get("/admin/")))
    assert "2 member organisations" in page
    assert "2 active users" in page
    assert "1 active coordinator" in page
    assert re.search(r'<th scope="row">Drafts</th><td class="numeric">1</td>', page)
    assert re.search(r'<th scope="row">Published</th><td class="numeric">1</td>', page)
    assert re.search(r'<th scope="row">Cancelled</th><td class="numeric">0</td>', page)
    assert "1 message failed" in page


# --- deactivation -----------------------------------------------------------------------------


def test_deactivation_ends_the_sessions_and_stops_logging_in(app, admin, make_user):
    organiser = make_user("kati@lab.fi", organiser=["lab"], name="Kati Ojala")
    token = organiser.session_token
    theirs = app.test_client()
    login(theirs, "kati@lab.fi")
    assert theirs.get("/manage/").status_code == 200

    response = admin.post(f"/admin/users/{organiser.id}/deactivate")
    assert response.status_code == 303
    assert "Kati Ojala has been deactivated" in text_of(admin.get(response.location))
    user = fresh(User, organiser.id)
    assert user.active is False
    assert user.session_token != token

    response = theirs.get("/manage/")
    assert response.status_code == 302
    assert response.location.startswith("/login")
    response = theirs.post("/login", data={"email": "kati@lab.fi", "password": PASSWORD})
    assert response.status_code == 200  # the form again, not a redirect into the service
    assert theirs.get("/manage/").status_code == 302

    # Reactivated, they can log in again (the old session stays ended)
    response = admin.post(f"/admin/users/{organiser.id}/reactivate")
    assert response.status_code == 303
    assert fresh(User, organiser.id).active is True
    assert theirs.get("/manage/").status_code == 302
    login(theirs, "kati@lab.fi")
    assert theirs.get("/manage/").status_code == 200


def test_the_coordinator_cannot_deactivate_themself_or_drop_their_role(
    admin, coordinator, catalogue, make_user
):
    make_user("toinen@dila.fi", coordinator=True)  # not the last one: still refused
    page = text_of(admin.get(f"/admin/users/{coordinator.id}/edit"))
    assert "/deactivate" not in page  # no button for it
    response = admin.post(f"/admin/users/{coordinator.id}/deactivate", follow_redirects=True)
    assert notices(response) == ["error: You cannot deactivate your own account."]
    assert fresh(User, coordinator.id).active is True

    response = admin.post(
        f"/admin/users/{coordinator.id}/edit",
        data={"name": "Kaisa", "coach_of": [str(catalogue["lab"].id)]},
    )
    assert response.status_code == 200
    assert "You cannot remove your own coordinator role" in field_error(response, "coordinator")
    user = fresh(User, coordinator.id)
    assert user.is_coordinator and user.name == "Kaisa Koordinaattori"
    assert user.memberships == []
    assert admin.get("/admin/").status_code == 200  # still signed in


def test_the_network_keeps_an_active_coordinator(admin, coordinator, catalogue, make_user):
    lab = catalogue["lab"]
    other = make_user("toinen@dila.fi", coordinator=True, name="Toinen")

    # With two coordinators, one may take the role from the other, and give it back
    response = admin.post(
        f"/admin/users/{other.id}/edit", data={"name": "Toinen", "coach_of": [str(lab.id)]}
    )
    assert response.status_code == 303
    assert fresh(User, other.id).is_coordinator is False
    response = admin.post(
        f"/admin/users/{other.id}/edit", data={"name": "Toinen", "coordinator": "y"}
    )
    assert response.status_code == 303
    assert fresh(User, other.id).is_coordinator is True

    # ...or deactivate them. The other one, deactivated while their own request was already
    # past the login check, cannot then take away the last active coordinator.
    stale = fresh(User, other.id)
    assert admin.post(f"/admin/users/{other.id}/deactivate").status_code == 303
    assert fresh(User, other.id).active is False
    with (
        force_locale("en"),
        pytest.raises(services.Refused, match="at least one active coordinator"),
    ):
        services.deactivate_user(coordinator.id, stale)
    db.session.rollback()
    with force_locale("en"), pytest.raises(services.Refused, match="one active coordinator"):
        services.update_user(coordinator.id, stale, name="x", coordinator=False, coach_of=[lab.id])
    db.session.rollback()
    user = fresh(User, coordinator.id)
    assert user.active and user.is_coordinator and user.name == "Kaisa Koordinaattori"

    # Reactivated, the other is a coordinator again, and so may be deactivated by the first
    assert admin.post(f"/admin/users/{other.id}/reactivate").status_code == 303
    assert fresh(User, other.id).active is True
    assert services.overview().coordinators == 2


# --- who may do what --------------------------------------------------------------------------

ADMIN_REQUESTS = [
    ("GET", "/admin/"),
    ("GET", "/admin/organisations"),
    ("GET", "/admin/organisations/new"),
    ("POST", "/admin/organisations/new"),
    ("GET", "/admin/organisations/{org}/edit"),
    ("POST", "/admin/organisations/{org}/edit"),
    ("GET", "/admin/users"),
    ("GET", "/admin/users/invite"),
    ("POST", "/admin/users/invite"),
    ("GET", "/admin/users/{user}/edit"),
    ("POST", "/admin/users/{user}/edit"),
    ("POST", "/admin/users/{user}/deactivate"),
    ("POST", "/admin/users/{user}/reactivate"),
    ("POST", "/admin/users/{user}/resend-invitation"),
]


def test_every_admin_route_is_in_the_matrix_and_the_coordinators(app):
    routes = {
        (
            method,
            rule.rule.replace("<int:organisation_id>", "{org}").replace("<int:user_id>", "{user}"),
        )
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("admin.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == set(ADMIN_REQUESTS)
    for endpoint, view in app.view_functions.items():
        if endpoint.startswith("admin."):
            assert view.required_roles == ("coordinator",), endpoint


@pytest.mark.parametrize("who", ["organiser", "coach", "anonymous"])
def test_only_the_coordinator_gets_in(app, client, catalogue, make_user, coordinator, who):
    target = make_user("kohde@lab.fi", organiser=["lab"], name="Kohde")
    if who != "anonymous":
        make_user(f"{who}@lab.fi", **{who: ["lab"]})
        login(client, f"{who}@lab.fi")
    org, user = catalogue["lab"].id, target.id
    for method, url in ADMIN_REQUESTS:
        url = url.format(org=org, user=user)
        data = {"name": "Hacked", "email": "x@example.fi", "coordinator": "y"}
        response = client.open(url, method=method, data=data if method == "POST" else None)
        if who == "anonymous":
            assert response.status_code == 302, (method, url)
            assert response.location.startswith("/login?next="), (method, url)
        else:
            assert response.status_code == 403, (method, url)
    target = fresh(User, target.id)
    assert target.active and target.name == "Kohde" and not target.is_coordinator
    assert fresh(Organisation, org).name == "LAB-ammattikorkeakoulu (Miestämö)"
    assert count(User) == (2 if who == "anonymous" else 3)
    assert count(OutboxMessage) == 0


def test_no_change_on_get_and_csrf_on_post(app, admin, make_user):
    organiser = make_user("kati@lab.fi", organiser=["lab"])
    for action in ("deactivate", "reactivate", "resend-invitation"):
        assert admin.get(f"/admin/users/{organiser.id}/{action}").status_code == 405
    assert fresh(User, organiser.id).active

    app.config["WTF_CSRF_ENABLED"] = True
    assert admin.post(f"/admin/users/{organiser.id}/deactivate").status_code == 400
    response = admin.post("/admin/organisations/new", data=org_form())
    assert response.status_code == 400
    assert fresh(User, organiser.id).active
    assert count(Organisation) == 2

    # With the token from the page, it works
    page = text_of(admin.get(f"/admin/users/{organiser.id}/edit"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = admin.post(f"/admin/users/{organiser.id}/deactivate", data={"csrf_token": token})
    assert response.status_code == 303
    assert fresh(User, organiser.id).active is False


def test_two_coordinators_deactivating_each_other_at_once_leave_one(app, coordinator, make_user):
    """Each request passed the login check while both were active; the locks let only one
    deactivation through."""
    import threading

    other = make_user("toinen@dila.fi", coordinator=True, name="Toinen")
    pairs = [(coordinator.id, other.id), (other.id, coordinator.id)]
    barrier = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def act(actor_id: int, target_id: int) -> None:
        with app.app_context():
            actor = db.session.get(User, actor_id)
            barrier.wait()
            try:
                services.deactivate_user(target_id, actor)
                db.session.commit()
                outcomes[actor_id] = "done"
            except services.Refused:
                db.session.rollback()
                outcomes[actor_id] = "refused"
            except Exception as error:  # reported by the assertion below
                db.session.rollback()
                outcomes[actor_id] = repr(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=act, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes.values()) == ["done", "refused"], outcomes
    db.session.rollback()
    active = db.session.scalars(
        select(User.id).where(User.is_coordinator.is_(True), User.active.is_(True))
    ).all()
    assert len(active) == 1


def test_an_address_taken_at_the_same_moment_is_refused_not_a_500(admin, coordinator, monkeypatch):
    """Two coordinators invite the same address at once: both checks pass, the database's
    unique address decides, and the second is told beside the field."""
    monkeypatch.setattr(services, "check_new_email", lambda email: None)
    response = admin.post(
        "/admin/users/invite", data=invite_form(email=COORDINATOR, coordinator="y")
    )
    assert response.status_code == 200
    assert field_error(response, "email") == "This address already has an account."
    assert count(User) == 1
    assert count(OutboxMessage) == 0
