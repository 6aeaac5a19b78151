"""Feedback after the event (issue 9, part 3): who is asked and when (through `outbox send
--as-of` and a real SMTP server), answering once, anonymous answers that cannot be joined
back to a person, and the organiser's summary."""

import re
from datetime import UTC, timedelta

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from eventsapp.extensions import db
from eventsapp.feedback import services as feedback
from eventsapp.models import (
    Attendance,
    AttendanceStatus,
    FeedbackAnswer,
    FeedbackRequest,
    FeedbackSetting,
)
from tests.conftest import login, now
from tests.test_privacy import end_event, enrol, person, rows


def mark(enrolment, event, status=AttendanceStatus.ATTENDED):
    db.session.add(
        Attendance(enrolment_id=enrolment.id, session_id=event.sessions[0].id, status=status)
    )
    db.session.commit()


@pytest.fixture
def visit(app, make_event):
    """A campus visit that ended an hour ago: present, absent, cancelled, unmarked."""
    event = make_event(title="Kampusvierailu", capacity=10)
    present = enrol(event.id, person(1))
    absent = enrol(event.id, person(2))
    enrol(event.id, person(3))  # not marked
    cancelled = enrol(event.id, person(4))
    mark(present, event)
    mark(absent, event, AttendanceStatus.NO_SHOW)
    mark(cancelled, event)
    from eventsapp.enrolment import services

    services.cancel_enrolment(cancelled.id)
    db.session.commit()
    end_event(event.id, 1 / 24)  # the last session ended an hour ago
    return event, present


def send(app, as_of):
    return app.test_cli_runner().invoke(
        args=["outbox", "send", "--as-of", as_of.astimezone(UTC).isoformat()]
    )


def feedback_mail(smtp) -> list:
    return [m for m in smtp.parsed() if "/feedback/" in m.get_body(("plain",)).get_content()]


def test_only_the_present_are_asked_once_when_their_moment_comes(app, visit, smtp):
    _, present = visit
    ended = now() - timedelta(hours=1)
    result = send(app, ended + timedelta(hours=1, minutes=59))
    assert result.exit_code == 0, result.output
    assert rows(FeedbackRequest) == [] and feedback_mail(smtp) == []  # two hours by default

    result = send(app, ended + timedelta(hours=2, minutes=1))
    assert result.exit_code == 0, result.output
    asked = rows(FeedbackRequest)
    assert [r.enrolment_id for r in asked] == [present.id]
    [mail] = feedback_mail(smtp)
    assert mail["To"].addresses[0].addr_spec == present.email
    assert f"/feedback/{asked[0].token}" in mail.get_body(("plain",)).get_content()

    assert send(app, ended + timedelta(days=1)).exit_code == 0  # the evening after: nothing new
    assert len(rows(FeedbackRequest)) == 1 and len(feedback_mail(smtp)) == 1


def test_the_event_sets_the_hours_after(app, visit):
    event, present = visit
    db.session.add(FeedbackSetting(event_id=event.id, hours_after=0))
    db.session.commit()
    assert [e.id for e in feedback.due_enrolments(now())] == [present.id]


def test_at_most_one_request_per_enrolment_in_the_database(app, visit):
    event, present = visit
    for _ in range(2):
        db.session.add(FeedbackRequest(event_id=event.id, enrolment_id=present.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_anonymised_enrolments_are_not_asked(app, visit):
    _, present = visit
    from eventsapp.models import Enrolment

    db.session.get(Enrolment, present.id).anonymised_at = now()
    db.session.commit()
    assert feedback.due_enrolments(now() + timedelta(days=1)) == []


@pytest.fixture
def asked(app, visit):
    event, present = visit
    assert feedback.queue_due_feedback(now() + timedelta(hours=3)) == 1
    db.session.commit()
    return event, present, rows(FeedbackRequest)[0].token


def test_the_page_takes_one_answer_then_thanks(client, asked):
    _, _, token = asked
    page = client.get(f"/feedback/{token}?lang=en").get_data(as_text=True)
    assert "Was this worth your time?" in page
    assert len(re.findall(r'name="score" value="\d"', page)) == 5
    assert "anonymous" in page
    response = client.post(f"/feedback/{token}", data={"score": "4", "text": "Hyvä päivä"})
    assert "Thank you, we have your answer." in response.get_data(as_text=True)
    again = client.post(f"/feedback/{token}", data={"score": "1", "text": "toinen"})
    assert "Thank you, we have your answer." in again.get_data(as_text=True)
    assert [(a.score, a.text) for a in rows(FeedbackAnswer)] == [(4, "Hyvä päivä")]
    assert "Thank you" in client.get(f"/feedback/{token}?lang=en").get_data(as_text=True)


@pytest.mark.parametrize("score", ["0", "6", "x", ""])
def test_a_bad_score_is_a_message_not_an_answer(client, asked, score):
    _, _, token = asked
    response = client.post(f"/feedback/{token}?lang=en", data={"score": score})
    assert response.status_code == 200
    assert "Choose one of the five answers." in response.get_data(as_text=True)
    assert rows(FeedbackAnswer) == [] and rows(FeedbackRequest)[0].used is False


def test_an_unknown_token_is_not_found(client, app):
    assert client.get("/feedback/nothing-here").status_code == 404


def test_an_anonymous_answer_cannot_be_joined_back_to_the_person(client, asked):
    _, _, token = asked
    client.post(f"/feedback/{token}", data={"score": "5"})
    # The answer has no column that points to an enrolment, a request or a moment.
    columns = {c.key for c in inspect(FeedbackAnswer).columns}
    assert columns == {"id", "event_id", "score", "text", "enrolment_id"}
    assert [a.enrolment_id for a in rows(FeedbackAnswer)] == [None]
    request_columns = {c.key for c in inspect(FeedbackRequest).columns}
    assert "answer_id" not in request_columns and "answered_at" not in request_columns


def test_named_feedback_carries_the_name_and_says_so(client, asked):
    event, present, token = asked
    db.session.add(FeedbackSetting(event_id=event.id, named=True))
    db.session.commit()
    page = client.get(f"/feedback/{token}?lang=en").get_data(as_text=True)
    assert "The organiser sees your name with your answer." in page
    client.post(f"/feedback/{token}", data={"score": "3"})
    assert [a.enrolment_id for a in rows(FeedbackAnswer)] == [present.id]


def test_the_organiser_sees_asked_rate_distribution_and_texts(client, make_user, asked):
    event, _, token = asked
    client.post(f"/feedback/{token}", data={"score": "5", "text": "Kiitos!"})
    make_user("kati@lab.fi", name="Kati Ojala", organiser=["lab"])
    login(client, "kati@lab.fi")
    page = client.get(f"/manage/events/{event.id}/feedback?lang=en").get_data(as_text=True)
    assert '<dd id="asked">1</dd>' in page
    assert '<dd id="rate">100 %</dd>' in page
    assert '<td data-score="5">1</td>' in page and '<td data-score="1">0</td>' in page
    assert "<li>Kiitos!</li>" in page
    summary = feedback.summary(event.id)
    assert (summary.asked, summary.answered, summary.mean) == (1, 1, 5.0)


def test_the_editor_sets_the_hours_and_named_feedback(client, make_user, make_event):
    from tests.test_manage import form_of, text

    event = make_event()
    make_user("kati@lab.fi", name="Kati Ojala", organiser=["lab"])
    login(client, "kati@lab.fi")
    form = form_of(text(client.get(f"/manage/events/{event.id}/edit")))
    assert form["feedback_hours"] == "2"
    data = {**form, "feedback_hours": "26", "feedback_named": "y", "save": "1"}
    response = client.post(f"/manage/events/{event.id}/edit", data=data)
    assert response.status_code == 303, text(response)[:2000]
    setting = rows(FeedbackSetting, order=FeedbackSetting.event_id)[0]
    assert (setting.hours_after, setting.named) == (26, True)
    bad = client.post(
        f"/manage/events/{event.id}/edit?lang=en", data={**data, "feedback_hours": "-1"}
    )
    assert bad.status_code == 200 and "Enter between 0 and 336 hours." in text(bad)


def test_anonymising_makes_named_feedback_anonymous(client, app, asked):
    from tests.test_privacy import gdpr

    event, present, token = asked
    event_id = event.id
    db.session.add(FeedbackSetting(event_id=event_id, named=True))
    db.session.commit()
    client.post(f"/feedback/{token}", data={"score": "2", "text": "Liian pitkä"})
    assert [a.enrolment_id for a in rows(FeedbackAnswer)] == [present.id]
    end_event(event_id, 100)
    assert gdpr(app).exit_code == 0
    assert [(a.enrolment_id, a.score) for a in rows(FeedbackAnswer)] == [(None, 2)]
    assert feedback.summary(event_id).answered == 1


def test_the_event_page_links_to_its_feedback(client, make_user, make_event):
    event = make_event()
    make_user("kati@lab.fi", name="Kati Ojala", organiser=["lab"])
    login(client, "kati@lab.fi")
    page = client.get(f"/manage/events/{event.id}").get_data(as_text=True)
    assert f'href="/manage/events/{event.id}/feedback"' in page
