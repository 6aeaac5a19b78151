"""The organiser's own questions, stored: the answers of an enrolment, the review, the reach
report's counts per choice. Functions flush, never commit."""

from collections.abc import Mapping, Sequence

from sqlalchemy import Select, select

from eventsapp import questions
from eventsapp.extensions import db
from eventsapp.models import Enrolment, Event, EventQuestion, QuestionAnswer


def of_event(event_id: int) -> list[EventQuestion]:
    return list(
        db.session.execute(
            select(EventQuestion)
            .where(EventQuestion.event_id == event_id)
            .order_by(EventQuestion.position, EventQuestion.id)
        ).scalars()
    )


def save_answers(enrolment: Enrolment, answers: Mapping[int, str | list[str]]) -> None:
    """Store the answers read by `questions.parse_all` (question id -> value). Flushes."""
    for question_id, value in answers.items():
        db.session.add(
            QuestionAnswer(question_id=question_id, enrolment_id=enrolment.id, value=value)
        )
    db.session.flush()


def answers_of(enrolment_id: int) -> list[tuple[EventQuestion, str]]:
    """The review of one enrolment: each question of its event and the answer as text."""
    rows = db.session.execute(
        select(EventQuestion, QuestionAnswer.value)
        .join(Enrolment, Enrolment.event_id == EventQuestion.event_id)
        .outerjoin(
            QuestionAnswer,
            (QuestionAnswer.question_id == EventQuestion.id)
            & (QuestionAnswer.enrolment_id == Enrolment.id),
        )
        .where(Enrolment.id == enrolment_id)
        .order_by(EventQuestion.position, EventQuestion.id)
    ).all()
    return [(question, questions.cell(value)) for question, value in rows]


def reach_counts(
    event_ids: Sequence[int] | Select | None = None,
) -> list[tuple[str, str, dict[str, int]]]:
    """The reach report's counts per choice of every "counts in the reach report" question:
    (event title, question, {choice: count}). Answers unlinked by anonymising still count.
    One query whatever the number of events."""
    stmt = (
        select(EventQuestion, Event.title, QuestionAnswer.value)
        .join(Event, Event.id == EventQuestion.event_id)
        .outerjoin(QuestionAnswer, QuestionAnswer.question_id == EventQuestion.id)
        .where(EventQuestion.audience == questions.REACH)
        .order_by(Event.id, EventQuestion.position, EventQuestion.id, QuestionAnswer.id)
    )
    if event_ids is not None:
        stmt = stmt.where(EventQuestion.event_id.in_(event_ids))
    found: dict[int, tuple[EventQuestion, str, list]] = {}
    for question, title, value in db.session.execute(stmt):
        found.setdefault(question.id, (question, title, []))[2].append(value)
    return [
        (title, question.text, questions.choice_counts(question.to_question(), values))
        for question, title, values in found.values()
    ]


def answers_by_enrolment(event_id: int) -> dict[int, list[tuple[str, str]]]:
    """The review of an event's enrolments: enrolment id -> [(question, answer as text)] of
    the questions answered, in the questions' order. One query."""
    rows = db.session.execute(
        select(QuestionAnswer.enrolment_id, EventQuestion.text, QuestionAnswer.value)
        .join(EventQuestion, EventQuestion.id == QuestionAnswer.question_id)
        .where(EventQuestion.event_id == event_id, QuestionAnswer.enrolment_id.is_not(None))
        .order_by(EventQuestion.position, EventQuestion.id)
    ).all()
    found: dict[int, list[tuple[str, str]]] = {}
    for enrolment_id, text, value in rows:
        found.setdefault(enrolment_id, []).append((text, questions.cell(value)))
    return found
