"""The organiser's own questions (issue 9, part 2): kinds, validation of posted answers and
how an answer is shown in exports. Pure: no Flask, no database."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from eventsapp.eligibility import N_

YES_NO = "yes_no"
TEXT = "text"
ONE = "one"  # one of several choices
MANY = "many"  # several of several choices
KINDS = (YES_NO, TEXT, ONE, MANY)
CHOICE_KINDS = (ONE, MANY)

ORGANISER_ONLY = "organiser"  # shown in the review and the exports, never in a report
REACH = "reach"  # choice questions only: the reach report counts the answers per choice
AUDIENCES = (ORGANISER_ONLY, REACH)

YES = "yes"
NO = "no"
TEXT_MAX = 500
JOIN = "; "


def field_name(question_id: int) -> str:
    """Form field name of a question: `q_<id>`; several-of-several posts it once per choice."""
    return f"q_{question_id}"


@dataclass(frozen=True)
class Question:
    id: int
    kind: str
    text: str
    required: bool = False
    purpose: str = ""
    audience: str = ORGANISER_ONLY
    choices: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self):
        check(self.kind, self.text, self.audience, self.choices)


def check(kind: str, text: str, audience: str, choices: Sequence[str]) -> list[str]:
    """The organiser's problems with a question as written, as msgids (empty: fine)."""
    problems = []
    if kind not in KINDS:
        raise ValueError(f"unknown question kind {kind!r}")
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    if not text.strip():
        problems.append(N_("Write the question."))
    if kind in CHOICE_KINDS:
        cleaned = [c.strip() for c in choices if c.strip()]
        if len(cleaned) < 2:
            problems.append(N_("Give at least two choices, one a line."))
        elif len(set(cleaned)) != len(cleaned):
            problems.append(N_("Each choice may be given only once."))
    elif choices:
        problems.append(N_("Only a choice question has choices."))
    if audience == REACH and kind not in CHOICE_KINDS:
        problems.append(N_("Only a choice question can count in the reach report."))
    return problems


def parse_choices(raw: str) -> tuple[str, ...]:
    """The choices as the organiser wrote them, one a line, blanks dropped."""
    return tuple(line.strip() for line in raw.splitlines() if line.strip())


@dataclass(frozen=True)
class Parsed:
    """A posted answer read: `value` to store (None: no answer) or `error` (a msgid)."""

    value: str | list[str] | None = None
    error: str | None = None


def parse(question: Question, posted: Sequence[str]) -> Parsed:
    """Read the values posted under the question's field name (a list: MANY posts several)."""
    values = [v.strip() for v in posted if v is not None and v.strip()]
    if not values:
        if question.required:
            return Parsed(error=N_("Answer this question."))
        return Parsed()
    if question.kind == TEXT:
        if len(values) > 1:
            return Parsed(error=N_("Give one answer."))
        if len(values[0]) > TEXT_MAX:
            return Parsed(error=N_("The answer is too long."))
        return Parsed(values[0])
    if question.kind == YES_NO:
        if len(values) > 1 or values[0] not in (YES, NO):
            return Parsed(error=N_("Choose yes or no."))
        return Parsed(values[0])
    if any(v not in question.choices for v in values):
        return Parsed(error=N_("Choose among the choices given."))
    if question.kind == ONE:
        if len(values) > 1:
            return Parsed(error=N_("Choose one."))
        return Parsed(values[0])
    # MANY: in the organiser's order, each once
    return Parsed([c for c in question.choices if c in values])


def parse_all(
    questions: Sequence[Question], form: Mapping[str, Sequence[str]]
) -> tuple[dict[int, str | list[str]], dict[int, str]]:
    """All the answers of a form: (question id -> value, question id -> error msgid)."""
    answers, errors = {}, {}
    for question in questions:
        parsed = parse(question, form.get(field_name(question.id), ()))
        if parsed.error:
            errors[question.id] = parsed.error
        elif parsed.value is not None:
            answers[question.id] = parsed.value
    return answers, errors


def cell(value: str | list[str] | None) -> str:
    """An answer as one export cell: choices joined with "; "."""
    if value is None:
        return ""
    if isinstance(value, list):
        return JOIN.join(value)
    return value


def choice_counts(question: Question, values: Sequence[str | list[str] | None]) -> dict[str, int]:
    """Counts per choice of a choice question, every choice present (0 if none chose it)."""
    counts = dict.fromkeys(question.choices, 0)
    for value in values:
        for choice in value if isinstance(value, list) else [value]:
            if choice in counts:
                counts[choice] += 1
    return counts


def kept_when_anonymised(kind: str, audience: str) -> bool:
    """An answer kept (unlinked from the person) by `gdpr anonymise`: the reach counts'
    choice answers. Every other answer (free text, yes/no, organiser-only) is removed."""
    return kind in CHOICE_KINDS and audience == REACH
