"""Bad input gets a clear message beside the field, keeps what was typed, and never a 500."""

import re

import pytest
from sqlalchemy import func, select

from eventsapp.eligibility import LAHTI_REGION
from eventsapp.extensions import db
from eventsapp.models import Enrolment
from tests.conftest import form_data

RULES = [
    {"kind": "age", "min_age": 18, "max_age": 29},
    {"kind": "municipality", "strict": False, "allowed": sorted(LAHTI_REGION)},
    {"kind": "gender", "strict": False, "allowed": ["male"]},
    {"kind": "employment_status", "strict": False, "allowed": ["unemployed"]},
    {"kind": "question", "text": "Onko sinulla puhelin?", "required_answer": True},
]


def count() -> int:
    db.session.rollback()
    return db.session.execute(select(func.count(Enrolment.id))).scalar_one()


@pytest.fixture
def course(make_event):
    return make_event(title="Työelämän digitaidot haltuun", sessions=3, rules=RULES)


def full_form(course, **overrides):
    question = course.rules[4].id
    data = {
        "birth_date": "2001-03-15",
        "municipality": "398",
        "gender": "male",
        "employment_status": "unemployed",
        f"q_{question}": "yes",
        "first_name": "Ville",
        "last_name": "Hämäläinen",
        "email": "ville@example.fi",
    }
    data.update(overrides)
    return form_data(**data)


def post(client, course, **overrides):
    response = client.post(
        f"/events/{course.id}/enrol?lang=en", data=full_form(course, **overrides)
    )
    return response, response.get_data(as_text=True)


def test_the_full_form_is_accepted(client, course):
    response, _ = post(client, course)
    assert response.status_code == 303
    assert count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("birth_date", "15/03/2001x", "Enter your date of birth as year-month-day"),
        ("birth_date", "2001-02-30", "Enter your date of birth as year-month-day"),
        ("birth_date", "2999-01-01", "The date of birth cannot be in the future."),
        ("birth_date", "", "Enter your date of birth."),
        ("email", "ville.example.fi", "Enter an email address like name@example.fi."),
        ("email", "", "Enter your email address."),
        ("consent", None, "You must agree to the privacy notice to enrol."),
        ("first_name", "x" * 101, "Field cannot be longer than 100 characters."),
        ("last_name", "   ", "Enter your last name."),
        ("notes", "x" * 2001, "Field cannot be longer than 2000 characters."),
        ("municipality", "999", "Choose your municipality from the list."),
        ("municipality", "Atlantis", "Choose your municipality from the list."),
        ("gender", "robot", "Choose one."),
        ("employment_status", "", "Choose one."),
        ("phone", "call me maybe", "Enter a phone number like 040 123 4567."),
    ],
)
def test_bad_value_gets_message_beside_field_and_keeps_input(client, course, field, value, message):
    response, html = post(client, course, **{field: value})
    assert response.status_code == 200
    assert count() == 0
    error_block = html.split(f'id="{field}-error"', 1)
    assert len(error_block) == 2, f"no error beside {field}"
    assert message in error_block[1].split("</p>", 1)[0]
    assert 'class="error-summary"' in html
    assert f'href="#{field}' in html  # the summary links to the field
    if field != "first_name":
        assert 'value="Ville"' in html  # what was typed is kept
    assert 'value="ville@example.fi"' in html or field == "email"


def test_finnish_date_format_and_municipality_name_are_understood(client, course):
    response, _ = post(client, course, birth_date="15.3.2001", municipality="hollola")
    assert response.status_code == 303
    db.session.rollback()
    enrolment = db.session.execute(select(Enrolment)).scalar_one()
    assert enrolment.birth_date.isoformat() == "2001-03-15"
    assert enrolment.municipality == "098"


def test_question_answer_is_required(client, course):
    question = course.rules[4].id
    _response, html = post(client, course, **{f"q_{question}": ""})
    assert f'id="q_{question}-error"' in html
    assert count() == 0


def test_oversized_request_is_refused_politely(client, course):
    response = client.post(
        f"/events/{course.id}/enrol", data=full_form(course, notes="x" * 400_000)
    )
    assert response.status_code == 413
    assert count() == 0


@pytest.mark.parametrize(
    "path",
    ["/events/abc", "/events/99999", "/events/99999/enrol", "/enrolments/", "/events/1-x/enrol"],
)
def test_odd_urls_are_not_found(client, course, path):
    assert client.get(path).status_code == 404


def test_unknown_query_values_do_not_break_the_list(client, course):
    for query in ("?page=abc", "?page=-5", "?page=999999999999", "?kind=<script>", "?q=%25_"):
        response = client.get("/" + query)
        assert response.status_code == 200
        assert "<script>" not in response.get_data(as_text=True).split("<main", 1)[1]


def test_post_without_csrf_token_is_refused(app, client, make_event):
    app.config["WTF_CSRF_ENABLED"] = True
    event = make_event()
    response = client.post(f"/events/{event.id}/enrol", data=form_data())
    assert response.status_code == 400
    assert client.post(f"/enrolments/{'A' * 32}/cancel").status_code == 400
    assert count() == 0


def test_csrf_token_in_the_form_lets_the_post_through(app, client, make_event):
    app.config["WTF_CSRF_ENABLED"] = True
    event = make_event()
    html = client.get(f"/events/{event.id}/enrol").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post(f"/events/{event.id}/enrol", data=form_data(csrf_token=token))
    assert response.status_code == 303
    assert count() == 1
    manage = client.get(response.headers["Location"]).get_data(as_text=True)
    cancel_token = re.search(r'name="csrf_token" value="([^"]+)"', manage).group(1)
    cancel_url = response.headers["Location"] + "/cancel"
    assert client.post(cancel_url, data={"csrf_token": cancel_token}).status_code == 303


def test_markdown_is_sanitised(client, make_event):
    event = make_event(
        description=(
            "**Tervetuloa!**\n\n<script>alert(1)</script>\n\n"
            "[klikkaa](javascript:alert(2)) <img src=x onerror=alert(3)> "
            '<a href="https://lab.fi" onclick="x()">LAB</a>\n\n[LAB](https://lab.fi)'
        )
    )
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "<strong>Tervetuloa!</strong>" in html
    assert "<script>alert" not in html
    assert 'href="javascript' not in html
    assert "<img" not in html
    assert not re.search(r"<[^>]*\son\w+\s*=", html)  # no event-handler attribute in any tag
    assert '<a href="https://lab.fi" rel="noopener noreferrer nofollow">LAB</a>' in html


def test_nul_characters_get_a_400_not_a_500(client, course):
    assert client.get("/?q=%00abc").status_code == 400
    response = client.post(f"/events/{course.id}/enrol", data=full_form(course, first_name="A\x00"))
    assert response.status_code == 400
    assert count() == 0
