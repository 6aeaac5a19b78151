"""The organiser's own questions of an event and the answers to them (issue 9, part 2)."""

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eventsapp import questions
from eventsapp.extensions import db


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class EventQuestion(db.Model):
    __tablename__ = "event_question"
    __table_args__ = (
        CheckConstraint(_in("kind", questions.KINDS), name="kind"),
        CheckConstraint(_in("audience", questions.AUDIENCES), name="audience"),
        CheckConstraint(
            f"audience != '{questions.REACH}' OR {_in('kind', questions.CHOICE_KINDS)}",
            name="reach_only_for_choices",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(500))
    purpose: Mapped[str] = mapped_column(String(500), default="")
    required: Mapped[bool] = mapped_column(default=False)
    audience: Mapped[str] = mapped_column(String(20), default=questions.ORGANISER_ONLY)
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)

    def to_question(self) -> questions.Question:
        return questions.Question(
            id=self.id,
            kind=self.kind,
            text=self.text,
            required=self.required,
            purpose=self.purpose,
            audience=self.audience,
            choices=tuple(self.choices or ()),
        )


class QuestionAnswer(db.Model):
    """One enrolment's answer to one question. `enrolment_id` is NULL once the enrolment is
    anonymised: only reach-report choice answers are kept then, unlinked from the person."""

    __tablename__ = "question_answer"
    __table_args__ = (UniqueConstraint("question_id", "enrolment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("event_question.id", ondelete="CASCADE"), index=True
    )
    enrolment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrolment.id", ondelete="SET NULL"), index=True, default=None
    )
    value: Mapped[str | list[str]] = mapped_column(JSON)
