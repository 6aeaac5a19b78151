"""The organiser's own questions (issue 9, part 2): kinds and validation, the constraints,
the exports read back, the review, and `gdpr anonymise`: free text goes, reach-report choice
answers stay unlinked, the counts per choice the same before and after."""

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from eventsapp import questions
from eventsapp.extensions import db
from eventsapp.models import EventQuestion, QuestionAnswer
from eventsapp.questions import services as question_services
from tests.conftest import form_data
from tests.test_exports import csv_rows, workbook
from tests.test_exports import organiser as organiser
from tests.test_exports import person as stored_person
from tests.test_privacy import end_event, enrol, gdpr, person, rows

HEARD = ("Friend", "Newspaper", "TE office")
DATES = ("Monday", "Tuesday", "Wednesday")


def q(kind, required=False, choices=(), audience=questions.ORGANISER_ONLY, qid=1):
    return questions.Question(
        id=qid, kind=kind, text="?", required=required, audience=audience, choices=choices
    )


# --- pure: validation of posted answers ------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "posted", "value", "error"),
    [
        (q("yes_no"), ["yes"], "yes", None),
        (q("yes_no"), ["maybe"], None, "Choose yes or no."),
        (q("yes_no"), ["yes", "no"], None, "Choose yes or no."),
        (q("yes_no"), [], None, None),
        (q("yes_no", required=True), [], None, "Answer this question."),
        (q("text", required=True), ["   "], None, "Answer this question."),
        (q("text"), ["  Vegan  "], "Vegan", None),
        (q("text"), ["x" * 501], None, "The answer is too long."),
        (q("text"), ["a", "b"], None, "Give one answer."),
        (q("one", choices=HEARD), ["Friend"], "Friend", None),
        (q("one", choices=HEARD), ["Friend", "Newspaper"], None, "Choose one."),
        (q("one", choices=HEARD), ["Radio"], None, "Choose among the choices given."),
        (q("many", choices=DATES), ["Wednesday", "Monday"], ["Monday", "Wednesday"], None),
        (q("many", choices=DATES), ["Monday", "Monday"], ["Monday"], None),
        (q("many", choices=DATES), ["Monday", "Sunday"], None, "Choose among the choices given."),
        (q("many", choices=DATES, required=True), [], None, "Answer this question."),
    ],
)
def test_a_posted_answer_is_read_or_refused(question, posted, value, error):
    assert questions.parse(question, posted) == questions.Parsed(value, error)


def test_several_of_several_posts_the_field_once_per_choice():
    form = {"q_7": ["Monday", "Tuesday"], "q_8": ["Friend"]}
    answers, errors = questions.parse_all(
        [q("many", choices=DATES, qid=7), q("one", choices=HEARD, qid=8, required=True)], form
    )
    assert answers == {7: ["Monday", "Tuesday"], 8: "Friend"} and errors == {}
    assert questions.field_name(7) == "q_7"


@pytest.mark.parametrize(
    ("kind", "audience", "choices", "problems"),
    [
        ("one", "reach", HEARD, []),
        ("many", "organiser", DATES, []),
        ("text", "reach", (), ["Only a choice question can count in the reach report."]),
        ("yes_no", "reach", (), ["Only a choice question can count in the reach report."]),
        ("one", "organiser", ("Only",), ["Give at least two choices, one a line."]),
        ("one", "organiser", ("A", "A"), ["Each choice may be given only once."]),
        ("text", "organiser", ("A", "B"), ["Only a choice question has choices."]),
    ],
)
def test_the_organiser_s_question_is_checked(kind, audience, choices, problems):
    assert questions.check(kind, "How did you hear about this?", audience, choices) == problems


def test_export_cell_joins_choices_and_counts_every_choice():
    assert questions.cell(["Monday", "Tuesday"]) == "Monday; Tuesday"
    assert questions.cell(None) == ""
    counts = questions.choice_counts(
        q("many", choices=DATES), [["Monday", "Tuesday"], ["Monday"], None]
    )
    assert counts == {"Monday": 2, "Tuesday": 1, "Wednesday": 0}


# --- the database ------------------------------------------------------------------------------


def add_questions(event_id: int) -> dict[str, int]:
    made = {
        "heard": EventQuestion(
            event_id=event_id, position=0, kind="one", text="How did you hear about this?",
            purpose="To know where to announce", audience="reach", choices=list(HEARD),
        ),
        "dates": EventQuestion(
            event_id=event_id, position=1, kind="many", text="Which dates suit you?",
            audience="organiser", choices=list(DATES),
        ),
        "diet": EventQuestion(
            event_id=event_id, position=2, kind="text", text="Any dietary needs?",
            purpose="For the lunch order",
        ),
        "photo": EventQuestion(
            event_id=event_id, position=3, kind="yes_no", text="May we photograph you?",
        ),
    }  # fmt: skip
    db.session.add_all(made.values())
    db.session.commit()
    return {key: question.id for key, question in made.items()}


def answer(enrolment_id: int, ids: dict[str, int], **values) -> None:
    for key, value in values.items():
        db.session.add(QuestionAnswer(question_id=ids[key], enrolment_id=enrolment_id, value=value))
    db.session.commit()


def test_the_database_refuses_reach_for_a_text_question(app, make_event):
    event = make_event()
    db.session.add(EventQuestion(event_id=event.id, kind="text", text="?", audience="reach"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_one_answer_per_question_and_enrolment(app, make_event):
    event = make_event()
    ids = add_questions(event.id)
    enrolment = enrol(event.id, person(1))
    answer(enrolment.id, ids, diet="Vegan")
    with pytest.raises(IntegrityError):
        answer(enrolment.id, ids, diet="Gluten-free")
    db.session.rollback()


@pytest.fixture
def answered(make_event):
    event = make_event(title="Kampusvierailu", capacity=50)
    ids = add_questions(event.id)
    aino = stored_person(event, "Aino", "Aalto")
    bert = stored_person(event, "Bert", "Berg")
    answer(aino.id, ids, heard="Friend", dates=["Monday", "Wednesday"], diet="=Vegan", photo="no")
    answer(bert.id, ids, heard="TE office")
    return event, ids, aino, bert


HEADERS = ["How did you hear about this?", "Which dates suit you?", "Any dietary needs?",
           "May we photograph you?"]  # fmt: skip


def test_csv_has_one_column_per_question(organiser, answered):
    event, *_ = answered
    response = organiser.get(f"/manage/events/{event.id}/attendees.csv?columns=name")
    assert response.status_code == 200
    assert csv_rows(response) == [
        ["Name", *HEADERS],
        ["Aino Aalto", "Friend", "Monday; Wednesday", "'=Vegan", "no"],
        ["Bert Berg", "TE office", "", "", ""],
    ]


def test_xlsx_has_one_column_per_question(organiser, answered):
    event, *_ = answered
    sheet = workbook(organiser.get(f"/manage/events/{event.id}/attendees.xlsx?columns=name"))
    values = [[cell or "" for cell in row] for row in sheet.iter_rows(values_only=True)]
    assert values == [
        ["Name", *HEADERS],
        ["Aino Aalto", "Friend", "Monday; Wednesday", "'=Vegan", "no"],
        ["Bert Berg", "TE office", "", "", ""],
    ]


def test_the_review_of_an_enrolment_shows_every_question(app, answered):
    _, _, aino, bert = answered
    review = [(question.text, value) for question, value in question_services.answers_of(aino.id)]
    assert review == list(
        zip(HEADERS, ["Friend", "Monday; Wednesday", "=Vegan", "no"], strict=True)
    )
    assert [value for _, value in question_services.answers_of(bert.id)] == [
        "TE office",
        "",
        "",
        "",
    ]


def test_anonymising_keeps_only_reach_choice_answers_unlinked(app, answered):
    event, ids, _, _ = answered
    before = question_services.reach_counts()
    assert before == [
        ("Kampusvierailu", "How did you hear about this?",
         {"Friend": 1, "Newspaper": 0, "TE office": 1}),
    ]  # fmt: skip
    end_event(event.id, 100)
    assert gdpr(app).exit_code == 0
    left = rows(QuestionAnswer)
    # Only the reach question's choices remain, and no row can be joined back to a person.
    assert sorted(a.value for a in left) == ["Friend", "TE office"]
    assert {a.question_id for a in left} == {ids["heard"]}
    assert {a.enrolment_id for a in left} == {None}
    db.session.expire_all()
    assert question_services.reach_counts() == before


def test_erasure_by_the_participant_unlinks_too(app, answered):
    from eventsapp.enrolment import services
    from eventsapp.privacy import services as privacy

    _, ids, aino, _ = answered
    services.cancel_enrolment(aino.id)
    db.session.commit()
    enrolment = db.session.get(type(aino), aino.id)
    assert privacy.erase(enrolment) == privacy.Erasure.ERASED
    db.session.commit()
    mine = db.session.execute(
        select(QuestionAnswer).where(QuestionAnswer.enrolment_id == aino.id)
    ).all()
    assert mine == []
    heard = rows(QuestionAnswer, QuestionAnswer.question_id == ids["heard"])
    assert sorted((a.value, a.enrolment_id is None) for a in heard) == [
        ("Friend", True),
        ("TE office", False),
    ]


# --- the enrolment form ------------------------------------------------------------------------


def test_the_form_shows_each_question_with_its_purpose(client, make_event):
    event = make_event()
    ids = add_questions(event.id)
    page = client.get(f"/events/{event.id}/enrol?lang=en").get_data(as_text=True)
    for text in HEADERS:
        assert text in page
    assert "For the lunch order" in page and "To know where to announce" in page
    assert page.count(f'name="q_{ids["dates"]}"') == len(DATES)  # a checkbox per choice
    assert f'name="q_{ids["diet"]}"' in page


def test_enrolling_stores_the_answers_several_choices_posted_once_each(client, make_event):
    event = make_event()
    ids = add_questions(event.id)
    data = form_data()
    data.update(
        {
            f"q_{ids['heard']}": "Newspaper",
            f"q_{ids['dates']}": ["Tuesday", "Monday"],
            f"q_{ids['diet']}": "Gluten-free",
        }
    )
    response = client.post(f"/events/{event.id}/enrol", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    stored = {a.question_id: a.value for a in rows(QuestionAnswer)}
    assert stored == {
        ids["heard"]: "Newspaper",
        ids["dates"]: ["Monday", "Tuesday"],
        ids["diet"]: "Gluten-free",
    }
    assert {a.enrolment_id for a in rows(QuestionAnswer)} != {None}


def test_a_bad_answer_is_a_clear_message_and_no_enrolment(client, make_event):
    from eventsapp.models import Enrolment

    event = make_event()
    ids = add_questions(event.id)
    required = EventQuestion(
        event_id=event.id, position=9, kind="one", text="Which campus?", required=True,
        choices=["Lahti", "Heinola"],
    )  # fmt: skip
    db.session.add(required)
    db.session.commit()
    data = form_data()
    data[f"q_{ids['heard']}"] = "Radio"
    response = client.post(f"/events/{event.id}/enrol?lang=en", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Choose among the choices given." in page
    assert "Answer this question." in page
    assert rows(Enrolment) == [] and rows(QuestionAnswer) == []


# --- the organiser's editor --------------------------------------------------------------------


QUESTION_FIELDS = {
    "questions-0-id": "",
    "questions-0-kind": "one",
    "questions-0-text": "How did you hear about this?",
    "questions-0-purpose": "To know where to announce",
    "questions-0-choice_list": "Friend\r\nNewspaper\r\n\r\nTE office",
    "questions-0-audience": "reach",
    "questions-1-id": "",
    "questions-1-kind": "text",
    "questions-1-text": "Any dietary needs?",
    "questions-1-purpose": "For the lunch order",
    "questions-1-choice_list": "",
    "questions-1-required": "y",
    "questions-1-audience": "organiser",
}


def stored_questions(event_id: int) -> list[tuple]:
    return [
        (q.kind, q.text, q.purpose, q.required, q.audience, q.choices)
        for q in rows(
            EventQuestion, EventQuestion.event_id == event_id, order=EventQuestion.position
        )
    ]


def test_the_organiser_adds_questions_and_an_edit_keeps_their_ids(client, make_user, catalogue):
    from tests.test_manage import created_id, form_of, new_event_form, text

    make_user("kati@lab.fi", name="Kati Ojala", organiser=["lab"])
    from tests.conftest import login

    login(client, "kati@lab.fi")
    page = text(client.get("/manage/events/new?lang=en"))
    assert 'name="add_question"' in page
    event_id = created_id(
        client.post("/manage/events/new", data=new_event_form(catalogue, **QUESTION_FIELDS))
    )
    assert stored_questions(event_id) == [
        ("one", "How did you hear about this?", "To know where to announce", False, "reach",
         ["Friend", "Newspaper", "TE office"]),
        ("text", "Any dietary needs?", "For the lunch order", True, "organiser", []),
    ]  # fmt: skip
    ids = [q.id for q in rows(EventQuestion)]
    form = form_of(text(client.get(f"/manage/events/{event_id}/edit")))
    assert form["questions-0-choice_list"].splitlines() == ["Friend", "Newspaper", "TE office"]
    response = client.post(f"/manage/events/{event_id}/edit", data={**form, "save": "1"})
    assert response.status_code == 303, text(response)[:2000]
    assert [q.id for q in rows(EventQuestion)] == ids  # kept: the answers refer to them


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"questions-1-audience": "reach"},
            "Only a choice question can count in the reach report.",
        ),
        ({"questions-0-choice_list": "Friend"}, "Give at least two choices, one a line."),
        ({"questions-1-text": ""}, "Write the question."),
    ],
)
def test_a_bad_question_is_refused_with_a_message(client, make_user, catalogue, overrides, message):
    from tests.conftest import login
    from tests.test_manage import new_event_form, text

    make_user("kati@lab.fi", name="Kati Ojala", organiser=["lab"])
    login(client, "kati@lab.fi")
    client.get("/?lang=en")
    data = new_event_form(catalogue, **{**QUESTION_FIELDS, **overrides})
    response = client.post("/manage/events/new", data=data)
    assert response.status_code == 200
    assert message in text(response)
    assert rows(EventQuestion) == []


def test_the_reach_report_shows_counts_per_choice_the_same_after_anonymising(
    client, app, answered, make_user
):
    from eventsapp.database import utcnow
    from eventsapp.reports import services as reports
    from tests.conftest import login

    event, *_ = answered
    end_event(event.id, 100)
    period = reports.last_twelve_months(utcnow())
    before = reports.reach(period, None).choices
    assert before == [
        ("Kampusvierailu", "How did you hear about this?",
         {"Friend": 1, "Newspaper": 0, "TE office": 1}),
    ]  # fmt: skip
    assert gdpr(app).exit_code == 0
    db.session.expire_all()
    assert reports.reach(period, None).choices == before
    make_user("dila@example.fi", coordinator=True)
    login(client, "dila@example.fi")
    page = client.get("/admin/reports?lang=en").get_data(as_text=True)
    assert "Kampusvierailu: How did you hear about this?" in page
    assert "Which dates suit you?" not in page  # organiser-only: never in a report


def test_the_organiser_sees_the_answers_in_the_review(client, make_user, answered):
    from tests.conftest import login

    event, *_ = answered
    make_user("kati@lab.fi", name="Kati Ojala", organiser=["lab"])
    login(client, "kati@lab.fi")
    page = client.get(f"/manage/events/{event.id}?lang=en").get_data(as_text=True)
    assert "<dt>Which dates suit you?</dt><dd>Monday; Wednesday</dd>" in page
    assert "<dt>Any dietary needs?</dt><dd>=Vegan</dd>" in page
    assert "<dt>How did you hear about this?</dt><dd>TE office</dd>" in page
