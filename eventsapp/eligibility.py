"""Target-group rules: who an event is for, and whether an applicant fits.

Pure standard-library code with no I/O. The enrolment form asks only for the fields in
:func:`fields_needed`, and the enrolment service decides the outcome with :func:`evaluate`.

User-facing text is English msgids marked with :func:`N_` (extracted by Babel). Callers render
it by passing a ``translate`` function such as ``gettext``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


def N_(message: str) -> str:
    """Mark ``message`` as a msgid for Babel extraction; return it unchanged."""
    return message


def _identity(message: str) -> str:
    return message


RULE_KINDS = ("age", "municipality", "gender", "employment_status", "question")
GENDERS = ("male", "female", "other", "undisclosed")
EMPLOYMENT_STATUSES = ("unemployed", "laid_off", "student", "employed", "outside_labour_force")

#: Statistics Finland codes of the ten municipalities of the Lahti region.
LAHTI_REGION = frozenset(
    {
        "398",  # Lahti
        "098",  # Hollola
        "016",  # Asikkala
        "081",  # Hartola
        "111",  # Heinola
        "142",  # Iitti
        "316",  # Kärkölä
        "560",  # Orimattila
        "576",  # Padasjoki
        "781",  # Sysmä
    }
)

# Applicant attribute (= form field name) checked by each non-question kind, in form order.
_PERSON_FIELDS = {
    "age": "birth_date",
    "municipality": "municipality",
    "gender": "gender",
    "employment_status": "employment_status",
}
_SET_KINDS = ("municipality", "gender", "employment_status")

# Plural noun phrases naming a group of people; used in describe() and in reasons.
_LABELS: dict[str, dict[str, str]] = {
    "gender": {
        "male": N_("men"),
        "female": N_("women"),
        "other": N_("people of other genders"),
        "undisclosed": N_("people who prefer not to say their gender"),
    },
    "employment_status": {
        "unemployed": N_("unemployed job seekers"),
        "laid_off": N_("people who are laid off"),
        "student": N_("students"),
        "employed": N_("people in work"),
        "outside_labour_force": N_("people outside the labour force"),
    },
}

# Reason msgids by (kind, strict); age by (has_min, has_max, strict).
_AGE_MSGIDS = {
    (True, True, True): N_(
        "This event is for people aged %(min)d–%(max)d on %(date)s. You would be %(age)d."
    ),
    (True, False, True): N_(
        "This event is for people aged %(min)d or over on %(date)s. You would be %(age)d."
    ),
    (False, True, True): N_(
        "This event is for people aged %(max)d or under on %(date)s. You would be %(age)d."
    ),
    (True, True, False): N_(
        "This event is mainly meant for people aged %(min)d–%(max)d on %(date)s. "
        "You would be %(age)d. The organiser will look at your enrolment and let you know."
    ),
    (True, False, False): N_(
        "This event is mainly meant for people aged %(min)d or over on %(date)s. "
        "You would be %(age)d. The organiser will look at your enrolment and let you know."
    ),
    (False, True, False): N_(
        "This event is mainly meant for people aged %(max)d or under on %(date)s. "
        "You would be %(age)d. The organiser will look at your enrolment and let you know."
    ),
}
_MSGIDS = {
    ("municipality", True): N_(
        "This event is only for people living in a certain area. "
        "Your home municipality is not part of it."
    ),
    ("municipality", False): N_(
        "This event is mainly meant for people living in a certain area. "
        "Your home municipality is not part of it. "
        "The organiser will look at your enrolment and let you know."
    ),
    ("gender", True): N_("This event is only for %(who)s."),
    ("gender", False): N_(
        "This event is mainly meant for %(who)s. "
        "The organiser will look at your enrolment and let you know."
    ),
    ("employment_status", True): N_(
        "This event is only for %(who)s, so it does not fit your current situation."
    ),
    ("employment_status", False): N_(
        "This event is mainly meant for %(who)s, so it may not fit your current situation. "
        "The organiser will look at your enrolment and let you know."
    ),
    ("question", True): N_(
        'Your answer to the question "%(question)s" means that you cannot take part in this event.'
    ),
    ("question", False): N_(
        'Because of your answer to the question "%(question)s", '
        "the organiser will look at your enrolment and let you know."
    ),
    ("missing", True): N_(
        "We could not check if you can take part in this event, "
        "because some of your details are missing."
    ),
    ("missing", False): N_(
        "Some of your details are missing, "
        "so the organiser will look at your enrolment and let you know."
    ),
}


def question_field(rule_id: int) -> str:
    """Form field name for the answer to question rule ``rule_id``."""
    return f"q_{rule_id}"


@dataclass(frozen=True)
class Rule:
    """One target-group rule of an event.

    ``strict``: a miss makes the applicant ineligible; otherwise a miss sends the enrolment
    to the organiser for review. Only the params of the rule's kind may be set: ``min_age`` /
    ``max_age`` (inclusive, completed years) for age, ``allowed`` for municipality, gender and
    employment_status, ``required_answer`` and ``text`` (the question) for question.
    ``allowed`` may be given as any collection of strings; it is stored as a frozenset.
    """

    id: int
    kind: str
    strict: bool = True
    min_age: int | None = None
    max_age: int | None = None
    allowed: frozenset[str] = frozenset()
    required_answer: bool | None = None
    text: str = ""

    def __post_init__(self) -> None:
        if self.kind not in RULE_KINDS:
            raise ValueError(f"unknown rule kind {self.kind!r}")
        if isinstance(self.allowed, str):
            raise ValueError("allowed must be a collection of strings, not a string")
        object.__setattr__(self, "allowed", frozenset(self.allowed))
        if self.kind != "age" and (self.min_age is not None or self.max_age is not None):
            raise ValueError(f"{self.kind} rule cannot have an age bound")
        if self.kind not in _SET_KINDS and self.allowed:
            raise ValueError(f"{self.kind} rule cannot have allowed values")
        if self.kind != "question" and self.required_answer is not None:
            raise ValueError(f"{self.kind} rule cannot have a required answer")
        if self.kind == "age":
            self._check_age_bounds()
        elif self.kind == "question":
            if not isinstance(self.required_answer, bool):
                raise ValueError("question rule needs required_answer True or False")
            if not self.text.strip():
                raise ValueError("question rule needs the question as text")
        else:
            self._check_allowed()

    def _check_age_bounds(self) -> None:
        if self.min_age is None and self.max_age is None:
            raise ValueError("age rule needs min_age or max_age")
        if any(bound is not None and bound < 0 for bound in (self.min_age, self.max_age)):
            raise ValueError("age bounds cannot be negative")
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValueError("min_age is greater than max_age")

    def _check_allowed(self) -> None:
        if not self.allowed:
            raise ValueError(f"{self.kind} rule needs at least one allowed value")
        if self.kind == "municipality":
            bad = {c for c in self.allowed if not (len(c) == 3 and c.isascii() and c.isdigit())}
        else:
            bad = self.allowed - _LABELS[self.kind].keys()
        if bad:
            raise ValueError(f"invalid {self.kind} values: {sorted(bad)}")


@dataclass(frozen=True)
class Applicant:
    """What the applicant told us; None (or no answer) means not given."""

    birth_date: date | None = None
    municipality: str | None = None
    gender: str | None = None
    employment_status: str | None = None
    answers: Mapping[int, bool] = field(default_factory=dict)  # question rule id -> yes/no


class Outcome(StrEnum):
    """Result of an enrolment check."""

    ELIGIBLE = "eligible"
    REVIEW = "review"
    INELIGIBLE = "ineligible"


@dataclass(frozen=True)
class Reason:
    """Why one rule was missed, as a translatable message.

    ``params`` fill the msgid's ``%(name)s`` placeholders. Extra keys are allowed: a missing
    value gives ``{"field": <form field name>}``.
    """

    rule_id: int
    kind: str
    strict: bool
    msgid: str
    params: Mapping[str, object]

    def message(
        self,
        translate: Callable[[str], str] = _identity,
        format_date: Callable[[date], str] = date.isoformat,
    ) -> str:
        """Render as ``translate(msgid) % params``.

        Date params go through ``format_date``. Tuple params are lists of msgids (group
        names): each is translated and the list is joined with a translated " or ".
        """
        values = {key: _render(value, translate, format_date) for key, value in self.params.items()}
        return translate(self.msgid) % values


@dataclass(frozen=True)
class Verdict:
    """Outcome of :func:`evaluate`, with one reason per missed rule."""

    outcome: Outcome
    reasons: tuple[Reason, ...]  # strict misses first, each group in rule order

    @property
    def eligible(self) -> bool:
        return self.outcome is Outcome.ELIGIBLE

    @property
    def needs_review(self) -> bool:
        return self.outcome is Outcome.REVIEW

    @property
    def ineligible(self) -> bool:
        return self.outcome is Outcome.INELIGIBLE


def _anniversary(birth_date: date, year: int) -> date:
    """The birthday in ``year``; 29 Feb falls on 28 Feb in a non-leap year."""
    try:
        return birth_date.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def age_on(birth_date: date, on: date) -> int:
    """Age in completed years on the date ``on``.

    A year is completed on the birthday itself. Someone born on 29 February completes a year
    on 28 February in a non-leap year: under the Finnish act on computing time periods
    (150/1930), a period whose end month has no corresponding day ends on that month's last
    day. Raises ValueError if ``on`` is before ``birth_date``.
    """
    if on < birth_date:
        raise ValueError("on is before birth_date")
    years = on.year - birth_date.year
    return years if on >= _anniversary(birth_date, on.year) else years - 1


def _join(items: list[str], translate: Callable[[str], str]) -> str:
    """Join already translated items: "a", "a or b", "a, b or c"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + translate(N_(" or ")) + items[-1]


def _render(
    value: object, translate: Callable[[str], str], format_date: Callable[[date], str]
) -> object:
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, tuple):
        return _join([translate(item) for item in value], translate)
    return value


def _group_msgids(rule: Rule) -> tuple[str, ...]:
    """Msgids naming the allowed gender or status groups, in canonical order."""
    labels = _LABELS[rule.kind]
    return tuple(label for value, label in labels.items() if value in rule.allowed)


def _reason(rule: Rule, msgid: str, params: Mapping[str, object]) -> Reason:
    return Reason(rule.id, rule.kind, rule.strict, msgid, params)


def _check_age(rule: Rule, birth_date: date | None, on: date) -> Reason | None:
    # A birth date after the event date is bad data: treat it like a missing one.
    if birth_date is None or birth_date > on:
        return _reason(rule, _MSGIDS["missing", rule.strict], {"field": "birth_date"})
    age = age_on(birth_date, on)
    too_young = rule.min_age is not None and age < rule.min_age
    too_old = rule.max_age is not None and age > rule.max_age
    if not (too_young or too_old):
        return None
    params: dict[str, object] = {"age": age, "date": on}
    if rule.min_age is not None:
        params["min"] = rule.min_age
    if rule.max_age is not None:
        params["max"] = rule.max_age
    msgid = _AGE_MSGIDS[rule.min_age is not None, rule.max_age is not None, rule.strict]
    return _reason(rule, msgid, params)


def _check_value(rule: Rule, value: str | None) -> Reason | None:
    if value is None:
        field_name = _PERSON_FIELDS[rule.kind]
        return _reason(rule, _MSGIDS["missing", rule.strict], {"field": field_name})
    if value in rule.allowed:
        return None
    # The applicant's own value is deliberately not echoed back.
    params = {} if rule.kind == "municipality" else {"who": _group_msgids(rule)}
    return _reason(rule, _MSGIDS[rule.kind, rule.strict], params)


def _check_answer(rule: Rule, answer: bool | None) -> Reason | None:
    if answer is None:
        field_name = question_field(rule.id)
        return _reason(rule, _MSGIDS["missing", rule.strict], {"field": field_name})
    if answer == rule.required_answer:
        return None
    return _reason(rule, _MSGIDS[rule.kind, rule.strict], {"question": rule.text})


def _check(rule: Rule, applicant: Applicant, on: date) -> Reason | None:
    """The reason ``applicant`` misses ``rule``, or None if the rule is met."""
    if rule.kind == "age":
        return _check_age(rule, applicant.birth_date, on)
    if rule.kind == "question":
        return _check_answer(rule, applicant.answers.get(rule.id))
    return _check_value(rule, getattr(applicant, _PERSON_FIELDS[rule.kind]))


def evaluate(rules: Iterable[Rule], applicant: Applicant, on: date) -> Verdict:
    """Check ``applicant`` against ``rules``; ``on`` is the date of the event's first session.

    INELIGIBLE if any strict rule is missed, else REVIEW if any soft rule is missed, else
    ELIGIBLE. A missing value counts as a miss.
    """
    reasons = [reason for rule in rules if (reason := _check(rule, applicant, on)) is not None]
    strict = tuple(reason for reason in reasons if reason.strict)
    soft = tuple(reason for reason in reasons if not reason.strict)
    if strict:
        outcome = Outcome.INELIGIBLE
    elif soft:
        outcome = Outcome.REVIEW
    else:
        outcome = Outcome.ELIGIBLE
    return Verdict(outcome, strict + soft)


def fields_needed(rules: Iterable[Rule]) -> tuple[str, ...]:
    """Form fields the rules need, and no others.

    Order: birth_date, municipality, gender, employment_status, then ``q_<rule id>`` for
    each question in rule order.
    """
    rules = tuple(rules)
    kinds = {rule.kind for rule in rules}
    person = [name for kind, name in _PERSON_FIELDS.items() if kind in kinds]
    questions = dict.fromkeys(question_field(rule.id) for rule in rules if rule.kind == "question")
    return (*person, *questions)


def describe(
    rule: Rule,
    translate: Callable[[str], str] = _identity,
    municipality_name: Callable[[str], str] = str,
) -> str:
    """The rule in plain words for the event's target-group line, e.g. "aged 18–29".

    The organiser's own ``text`` wins when given; for a question it is the question itself.
    Municipality names come from ``municipality_name(code)`` and are listed alphabetically.
    """
    if rule.kind == "question" or rule.text.strip():
        return rule.text
    if rule.kind == "age":
        if rule.max_age is None:
            return translate(N_("aged %(min)d or over")) % {"min": rule.min_age}
        if rule.min_age is None:
            return translate(N_("aged %(max)d or under")) % {"max": rule.max_age}
        return translate(N_("aged %(min)d–%(max)d")) % {"min": rule.min_age, "max": rule.max_age}
    if rule.kind == "municipality":
        if rule.allowed == LAHTI_REGION:
            return translate(N_("living in the Lahti region"))
        names = sorted((municipality_name(code) for code in rule.allowed), key=str.casefold)
        return translate(N_("living in %(places)s")) % {"places": _join(names, translate)}
    return _join([translate(msgid) for msgid in _group_msgids(rule)], translate)
