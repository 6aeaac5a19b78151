"""Tests of the target-group rule engine (eventsapp.eligibility)."""

import ast
import calendar
import dataclasses
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventsapp import eligibility
from eventsapp.eligibility import (
    EMPLOYMENT_STATUSES,
    GENDERS,
    LAHTI_REGION,
    RULE_KINDS,
    Applicant,
    Outcome,
    Reason,
    Rule,
    Verdict,
    age_on,
    describe,
    evaluate,
    fields_needed,
    question_field,
)

ON = date(2025, 9, 15)
ORGANISER = "The organiser will look at your enrolment and let you know."
REVIEW_WORDS = "organiser will look at your enrolment and let you know."
MISSING_STRICT = (
    "We could not check if you can take part in this event, "
    "because some of your details are missing."
)
MISSING_SOFT = (
    "Some of your details are missing, "
    "so the organiser will look at your enrolment and let you know."
)
NOT_LAHTI = ("091", "049", "837")  # Helsinki, Espoo, Tampere


def _marked_msgids() -> set[str]:
    """Every string literal wrapped in N_() in the module, i.e. what Babel extracts."""
    tree = ast.parse(Path(eligibility.__file__).read_text(encoding="utf-8"))
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "N_"
    }


MARKED = _marked_msgids()


def checked_translate(message: str) -> str:
    """An identity translate that fails on any string Babel would not extract."""
    assert message in MARKED, f"not marked with N_: {message!r}"
    return message


# --- age_on ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(2007, 9, 15), date(2025, 9, 14), 17),
        (date(2007, 9, 15), date(2025, 9, 15), 18),
        (date(2007, 9, 15), date(2007, 9, 15), 0),
        (date(1995, 9, 15), date(2025, 9, 14), 29),
        (date(1995, 9, 15), date(2025, 9, 15), 30),
        (date(1995, 12, 31), date(2026, 1, 1), 30),
        # Born on a leap day: a year completes on 28 Feb in a non-leap year (150/1930).
        (date(2004, 2, 29), date(2022, 2, 27), 17),
        (date(2004, 2, 29), date(2022, 2, 28), 18),
        (date(2004, 2, 29), date(2022, 3, 1), 18),
        (date(2004, 2, 29), date(2023, 2, 28), 19),
        (date(2004, 2, 29), date(2024, 2, 28), 19),
        (date(2004, 2, 29), date(2024, 2, 29), 20),
        (date(2004, 2, 29), date(2024, 3, 1), 20),
        (date(2004, 2, 29), date(2005, 2, 28), 1),
        (date(2004, 2, 29), date(2005, 2, 27), 0),
        # Neighbours of the leap day are unaffected.
        (date(2003, 2, 28), date(2024, 2, 27), 20),
        (date(2003, 2, 28), date(2024, 2, 28), 21),
        (date(2000, 3, 1), date(2024, 2, 29), 23),
        (date(2000, 3, 1), date(2024, 3, 1), 24),
        (date(2000, 3, 1), date(2023, 2, 28), 22),
    ],
)
def test_age_on(birth: date, on: date, age: int) -> None:
    assert age_on(birth, on) == age


def test_age_on_before_birth_is_an_error() -> None:
    with pytest.raises(ValueError, match="before birth_date"):
        age_on(date(2000, 5, 5), date(2000, 5, 4))


# --- Rule validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "height"},
        {"kind": ""},
        {"kind": "age"},
        {"kind": "age", "min_age": 30, "max_age": 18},
        {"kind": "age", "min_age": -1},
        {"kind": "age", "max_age": -5},
        {"kind": "age", "min_age": 18, "allowed": {"398"}},
        {"kind": "municipality"},
        {"kind": "municipality", "allowed": "398"},
        {"kind": "municipality", "allowed": {"98"}},
        {"kind": "municipality", "allowed": {"Lahti"}},
        {"kind": "municipality", "allowed": {"0398"}},
        {"kind": "municipality", "allowed": {"398"}, "min_age": 18},
        {"kind": "gender"},
        {"kind": "gender", "allowed": {"man"}},
        {"kind": "gender", "allowed": {"male"}, "required_answer": True},
        {"kind": "employment_status"},
        {"kind": "employment_status", "allowed": {"unemployed", "retired"}},
        {"kind": "question", "text": "Do you have a driving licence?"},
        {"kind": "question", "required_answer": True},
        {"kind": "question", "required_answer": True, "text": "   "},
        {"kind": "question", "required_answer": "yes", "text": "Are you a student?"},
        {"kind": "question", "required_answer": True, "text": "Q?", "allowed": {"male"}},
    ],
)
def test_invalid_rules_raise_value_error(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        Rule(id=1, **kwargs)


def test_valid_rules() -> None:
    assert Rule(1, "age", min_age=0).min_age == 0
    assert Rule(1, "age", min_age=20, max_age=20).max_age == 20
    rule = Rule(2, "municipality", allowed=["398", "098"])
    assert rule.allowed == frozenset({"398", "098"})
    assert isinstance(rule.allowed, frozenset)
    assert hash(rule) == hash(Rule(2, "municipality", allowed={"098", "398"}))
    assert Rule(3, "question", required_answer=False, text="Q?").required_answer is False
    assert Rule(4, "gender", allowed=set(GENDERS)).allowed == frozenset(GENDERS)


def test_constants() -> None:
    assert RULE_KINDS == ("age", "municipality", "gender", "employment_status", "question")
    assert GENDERS == ("male", "female", "other", "undisclosed")
    assert EMPLOYMENT_STATUSES == (
        "unemployed",
        "laid_off",
        "student",
        "employed",
        "outside_labour_force",
    )
    lahti_region = {"398", "098", "016", "081", "111", "142", "316", "560", "576", "781"}
    assert lahti_region == LAHTI_REGION
    assert isinstance(LAHTI_REGION, frozenset)


# --- evaluate: every kind ----------------------------------------------------------------

# kind -> (rule, applicant who meets it, applicant who misses it, missing field name)
KIND_CASES = {
    "age": (
        Rule(1, "age", min_age=18, max_age=29),
        Applicant(birth_date=date(2000, 1, 1)),
        Applicant(birth_date=date(1990, 1, 1)),
        "birth_date",
    ),
    "municipality": (
        Rule(1, "municipality", allowed={"398", "098"}),
        Applicant(municipality="098"),
        Applicant(municipality="091"),
        "municipality",
    ),
    "gender": (
        Rule(1, "gender", allowed={"female"}),
        Applicant(gender="female"),
        Applicant(gender="male"),
        "gender",
    ),
    "employment_status": (
        Rule(1, "employment_status", allowed={"unemployed", "laid_off"}),
        Applicant(employment_status="laid_off"),
        Applicant(employment_status="employed"),
        "employment_status",
    ),
    "question": (
        Rule(1, "question", required_answer=True, text="Do you live in Finland?"),
        Applicant(answers={1: True}),
        Applicant(answers={1: False}),
        "q_1",
    ),
}
MISS_OUTCOME = {True: Outcome.INELIGIBLE, False: Outcome.REVIEW}


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("kind", RULE_KINDS)
def test_kind_hit(kind: str, strict: bool) -> None:
    rule, hit, _, _ = KIND_CASES[kind]
    verdict = evaluate([dataclasses.replace(rule, strict=strict)], hit, ON)
    assert verdict == Verdict(Outcome.ELIGIBLE, ())
    assert verdict.eligible and not verdict.needs_review and not verdict.ineligible


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("kind", RULE_KINDS)
def test_kind_miss(kind: str, strict: bool) -> None:
    rule, _, miss, _ = KIND_CASES[kind]
    verdict = evaluate([dataclasses.replace(rule, strict=strict)], miss, ON)
    assert verdict.outcome is MISS_OUTCOME[strict]
    (reason,) = verdict.reasons
    assert (reason.rule_id, reason.kind, reason.strict) == (rule.id, kind, strict)
    assert reason.msgid not in (MISSING_STRICT, MISSING_SOFT)
    assert "field" not in reason.params
    assert (REVIEW_WORDS in reason.message()) is not strict


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("kind", RULE_KINDS)
def test_kind_missing_value_is_a_miss(kind: str, strict: bool) -> None:
    rule, _, _, field_name = KIND_CASES[kind]
    verdict = evaluate([dataclasses.replace(rule, strict=strict)], Applicant(), ON)
    assert verdict.outcome is MISS_OUTCOME[strict]
    (reason,) = verdict.reasons
    assert reason.params == {"field": field_name}
    assert reason.message() == (MISSING_STRICT if strict else MISSING_SOFT)


def test_answer_to_another_question_does_not_count() -> None:
    rule = Rule(1, "question", required_answer=True, text="Q?")
    verdict = evaluate([rule], Applicant(answers={2: True}), ON)
    assert verdict.ineligible
    assert verdict.reasons[0].params == {"field": "q_1"}


def test_question_requiring_no() -> None:
    rule = Rule(4, "question", required_answer=False, text="Are you in full-time studies?")
    assert evaluate([rule], Applicant(answers={4: False}), ON).eligible
    verdict = evaluate([rule], Applicant(answers={4: True}), ON)
    assert verdict.reasons[0].message() == (
        'Your answer to the question "Are you in full-time studies?" '
        "means that you cannot take part in this event."
    )


def test_unknown_value_misses_set_rule() -> None:
    verdict = evaluate([Rule(1, "gender", allowed=set(GENDERS))], Applicant(gender="robot"), ON)
    assert verdict.ineligible


def test_birth_date_after_event_date_counts_as_missing() -> None:
    verdict = evaluate([Rule(1, "age", max_age=29)], Applicant(birth_date=ON + timedelta(1)), ON)
    assert verdict.ineligible
    assert verdict.reasons[0].params == {"field": "birth_date"}


# --- evaluate: age boundaries -------------------------------------------------------------


def _age_verdict(rule: Rule, birth: date, on: date) -> Verdict:
    return evaluate([rule], Applicant(birth_date=birth), on)


def test_eighteenth_birthday_boundary() -> None:
    rule = Rule(1, "age", min_age=18)
    birth = date(2007, 5, 10)
    before = _age_verdict(rule, birth, date(2025, 5, 9))
    assert before.ineligible
    assert before.reasons[0].params == {"min": 18, "age": 17, "date": date(2025, 5, 9)}
    assert before.reasons[0].message() == (
        "This event is for people aged 18 or over on 2025-05-09. You would be 17."
    )
    assert _age_verdict(rule, birth, date(2025, 5, 10)).eligible


def test_thirtieth_birthday_is_out_of_18_to_29() -> None:
    rule = Rule(1, "age", min_age=18, max_age=29)
    birth = date(1995, 5, 10)
    assert _age_verdict(rule, birth, date(2025, 5, 9)).eligible
    on = _age_verdict(rule, birth, date(2025, 5, 10))
    assert on.ineligible
    assert on.reasons[0].params == {"min": 18, "max": 29, "age": 30, "date": date(2025, 5, 10)}
    assert on.reasons[0].message() == (
        "This event is for people aged 18–29 on 2025-05-10. You would be 30."
    )


@pytest.mark.parametrize(
    ("on", "eligible"),
    [
        (date(2026, 2, 27), False),
        (date(2026, 2, 28), True),  # non-leap year: 18 on 28 Feb
        (date(2026, 3, 1), True),
    ],
)
def test_leap_day_birth_turns_18_in_non_leap_year(on: date, eligible: bool) -> None:
    assert _age_verdict(Rule(1, "age", min_age=18), date(2008, 2, 29), on).eligible is eligible


@pytest.mark.parametrize(
    ("on", "eligible"),
    [
        (date(2032, 2, 28), True),  # leap year: still 23 on 28 Feb
        (date(2032, 2, 29), False),
        (date(2032, 3, 1), False),
    ],
)
def test_leap_day_birth_leaves_range_on_29_feb_in_leap_year(on: date, eligible: bool) -> None:
    rule = Rule(1, "age", max_age=23)
    assert _age_verdict(rule, date(2008, 2, 29), on).eligible is eligible


def test_max_only_age_message() -> None:
    verdict = _age_verdict(Rule(1, "age", max_age=24), date(2000, 1, 1), ON)
    assert verdict.reasons[0].params == {"max": 24, "age": 25, "date": ON}
    assert verdict.reasons[0].message() == (
        "This event is for people aged 24 or under on 2025-09-15. You would be 25."
    )


@pytest.mark.parametrize(
    ("bounds", "start"),
    [
        ({"min_age": 18, "max_age": 29}, "This event is mainly meant for people aged 18–29 on"),
        ({"min_age": 18}, "This event is mainly meant for people aged 18 or over on"),
        ({"max_age": 10}, "This event is mainly meant for people aged 10 or under on"),
    ],
)
def test_soft_age_messages(bounds: dict, start: str) -> None:
    birth = (
        date(2010, 1, 1) if "min_age" in bounds and "max_age" not in bounds else date(1980, 1, 1)
    )
    verdict = _age_verdict(Rule(1, "age", strict=False, **bounds), birth, ON)
    assert verdict.needs_review
    message = verdict.reasons[0].message()
    assert message.startswith(start)
    assert message.endswith(ORGANISER)


# --- evaluate: outcome precedence and reasons ----------------------------------------------


def test_no_rules_is_eligible() -> None:
    assert evaluate([], Applicant(), ON) == Verdict(Outcome.ELIGIBLE, ())


def test_strict_miss_beats_soft_miss_and_reasons_are_ordered() -> None:
    rules = [
        Rule(1, "gender", strict=False, allowed={"male"}),  # soft miss
        Rule(2, "municipality", allowed=LAHTI_REGION),  # strict miss
        Rule(3, "employment_status", strict=False, allowed={"student"}),  # soft hit
        Rule(4, "age", min_age=30),  # strict miss
        Rule(5, "question", strict=False, required_answer=True, text="Q?"),  # soft miss
        Rule(6, "age", max_age=40),  # strict hit
    ]
    applicant = Applicant(
        birth_date=date(2000, 1, 1),
        municipality="091",
        gender="female",
        employment_status="student",
        answers={5: False},
    )
    verdict = evaluate(iter(rules), applicant, ON)
    assert verdict.outcome is Outcome.INELIGIBLE
    assert verdict.ineligible and not verdict.needs_review and not verdict.eligible
    assert [r.rule_id for r in verdict.reasons] == [2, 4, 1, 5]
    assert [r.strict for r in verdict.reasons] == [True, True, False, False]


def test_soft_misses_only_need_review() -> None:
    rules = [
        Rule(1, "age", min_age=18),
        Rule(2, "gender", strict=False, allowed={"male"}),
        Rule(3, "municipality", strict=False, allowed={"398"}),
    ]
    applicant = Applicant(birth_date=date(2000, 1, 1), gender="female", municipality="111")
    verdict = evaluate(rules, applicant, ON)
    assert verdict.outcome is Outcome.REVIEW
    assert verdict.needs_review and not verdict.ineligible and not verdict.eligible
    assert [r.rule_id for r in verdict.reasons] == [2, 3]


def test_outcome_is_a_string_enum() -> None:
    assert Outcome("review") is Outcome.REVIEW
    assert Outcome.ELIGIBLE == "eligible"
    assert [o.value for o in Outcome] == ["eligible", "review", "ineligible"]


# --- reason messages -------------------------------------------------------------------------


def _reason_for(rule: Rule, applicant: Applicant) -> Reason:
    (reason,) = evaluate([rule], applicant, ON).reasons
    return reason


def test_gender_messages_name_the_group_not_the_applicant() -> None:
    strict = _reason_for(Rule(1, "gender", allowed={"male", "other"}), Applicant(gender="female"))
    assert strict.message() == "This event is only for men or people of other genders."
    soft = _reason_for(
        Rule(1, "gender", strict=False, allowed={"male"}), Applicant(gender="female")
    )
    assert soft.message() == f"This event is mainly meant for men. {ORGANISER}"
    assert "women" not in strict.message() + soft.message()


def test_status_messages() -> None:
    rule = Rule(1, "employment_status", allowed={"laid_off", "unemployed"})
    reason = _reason_for(rule, Applicant(employment_status="student"))
    assert reason.message() == (
        "This event is only for unemployed job seekers or people who are laid off, "
        "so it does not fit your current situation."
    )
    assert "student" not in reason.message()
    soft = _reason_for(
        dataclasses.replace(rule, strict=False), Applicant(employment_status="employed")
    )
    assert soft.message().startswith(
        "This event is mainly meant for unemployed job seekers or people who are laid off"
    )
    assert soft.message().endswith(ORGANISER)


def test_municipality_messages_do_not_echo_the_code() -> None:
    reason = _reason_for(Rule(1, "municipality", allowed={"398"}), Applicant(municipality="091"))
    assert reason.params == {}
    assert reason.message() == (
        "This event is only for people living in a certain area. "
        "Your home municipality is not part of it."
    )
    soft = _reason_for(
        Rule(1, "municipality", strict=False, allowed={"398"}), Applicant(municipality="091")
    )
    assert soft.message().endswith(ORGANISER)
    assert "091" not in soft.message()


def test_soft_question_message() -> None:
    rule = Rule(1, "question", strict=False, required_answer=True, text="Are you under 30?")
    reason = _reason_for(rule, Applicant(answers={1: False}))
    assert reason.message() == (
        'Because of your answer to the question "Are you under 30?", '
        "the organiser will look at your enrolment and let you know."
    )


FINNISH = {
    "This event is for people aged %(min)d–%(max)d on %(date)s. You would be %(age)d.": (
        "Tapahtuma on %(min)d–%(max)d-vuotiaille (%(date)s). Olisit silloin %(age)d-vuotias."
    ),
    "This event is only for %(who)s.": "Tapahtuma on vain ryhmälle: %(who)s.",
    "men": "miehet",
    "women": "naiset",
    "people of other genders": "muunsukupuoliset",
    " or ": " tai ",
    "aged %(min)d–%(max)d": "%(min)d–%(max)d-vuotiaat",
    "living in %(places)s": "asuinkunta %(places)s",
    "living in the Lahti region": "asuu Lahden seudulla",
}


def finnish(message: str) -> str:
    return FINNISH[checked_translate(message)]


def finnish_date(value: date) -> str:
    return f"{value.day}.{value.month}.{value.year}"


def test_reason_message_with_translate_and_date_format() -> None:
    reason = _reason_for(
        Rule(1, "age", min_age=18, max_age=29), Applicant(birth_date=date(1990, 1, 1))
    )
    assert reason.message(finnish, finnish_date) == (
        "Tapahtuma on 18–29-vuotiaille (15.9.2025). Olisit silloin 35-vuotias."
    )
    assert "2025-09-15" in reason.message()  # the default date format is ISO


def test_reason_message_translates_group_lists() -> None:
    rule = Rule(1, "gender", allowed={"other", "female", "male"})
    reason = _reason_for(rule, Applicant(gender="undisclosed"))
    assert reason.message(finnish) == (
        "Tapahtuma on vain ryhmälle: miehet, naiset tai muunsukupuoliset."
    )


def test_reason_message_renders_handmade_reason() -> None:
    params = {"date": date(2024, 2, 29), "n": 3, "who": ("men", "women"), "unused": 1}
    reason = Reason(9, "age", True, "On %(date)s: %(n)d %(who)s", params)
    assert reason.message(lambda s: s.replace("On", "Päivä"), finnish_date) == (
        "Päivä 29.2.2024: 3 men or women"
    )


def _all_reasons() -> list[Reason]:
    """One reason for every (kind, strictness, shape) a reason can take."""
    applicant = Applicant(
        birth_date=date(1960, 1, 1),
        municipality="091",
        gender="undisclosed",
        employment_status="outside_labour_force",
        answers={1: False},
    )
    young = Applicant(birth_date=date(2020, 1, 1))
    reasons = []
    for strict in (True, False):
        rules = [
            Rule(1, "question", strict, required_answer=True, text="Q?"),
            Rule(1, "municipality", strict, allowed={"398"}),
            Rule(1, "gender", strict, allowed={"male"}),
            Rule(1, "employment_status", strict, allowed={"student"}),
            Rule(1, "age", strict, min_age=18, max_age=29),
            Rule(1, "age", strict, max_age=29),
        ]
        reasons += [_reason_for(rule, applicant) for rule in rules]
        reasons.append(_reason_for(Rule(1, "age", strict, min_age=18), young))
        reasons.append(_reason_for(Rule(1, "gender", strict, allowed={"male"}), Applicant()))
    return reasons


def test_reason_msgids_are_distinct_marked_and_few() -> None:
    reasons = _all_reasons()
    msgids = [reason.msgid for reason in reasons]
    assert len(set(msgids)) == len(msgids) == 16
    assert set(msgids) <= MARKED
    assert len(MARKED) <= 32
    for reason in reasons:
        message = reason.message(checked_translate)
        assert "%(" not in message
        assert (REVIEW_WORDS in message) is not reason.strict


# --- fields_needed -------------------------------------------------------------------------


def test_fields_needed_for_no_rules_is_empty() -> None:
    assert fields_needed([]) == ()


def test_fields_needed_order_and_minimisation() -> None:
    rules = [
        Rule(7, "question", required_answer=True, text="Q7?"),
        Rule(1, "gender", allowed={"female"}),
        Rule(2, "age", min_age=18),
        Rule(3, "question", required_answer=False, text="Q3?"),
        Rule(4, "municipality", allowed=LAHTI_REGION),
    ]
    assert fields_needed(rules) == ("birth_date", "municipality", "gender", "q_7", "q_3")
    assert fields_needed(iter(rules)) == fields_needed(rules)


@pytest.mark.parametrize(
    ("rules", "fields"),
    [
        ([Rule(1, "age", min_age=18), Rule(2, "age", max_age=29)], ("birth_date",)),
        ([Rule(1, "employment_status", allowed={"student"})], ("employment_status",)),
        ([Rule(5, "question", required_answer=True, text="Q?")] * 2, ("q_5",)),
        ([Rule(1, "gender", allowed={"male"})], ("gender",)),
    ],
)
def test_fields_needed_only_what_rules_need(rules: list[Rule], fields: tuple[str, ...]) -> None:
    assert fields_needed(rules) == fields


def test_question_field() -> None:
    assert question_field(12) == "q_12"


# --- describe ------------------------------------------------------------------------------


NAMES = {"398": "Lahti", "098": "Hollola", "111": "Heinola", "316": "Kärkölä", "091": "Helsinki"}


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        (Rule(1, "age", min_age=18, max_age=29), "aged 18–29"),
        (Rule(1, "age", min_age=18), "aged 18 or over"),
        (Rule(1, "age", max_age=29), "aged 29 or under"),
        (Rule(1, "age", min_age=25, max_age=25), "aged 25–25"),
        (Rule(1, "gender", allowed={"male"}), "men"),
        (Rule(1, "gender", allowed={"female", "male"}), "men or women"),
        (Rule(1, "gender", allowed={"undisclosed"}), "people who prefer not to say their gender"),
        (
            Rule(1, "employment_status", allowed={"laid_off", "unemployed"}),
            "unemployed job seekers or people who are laid off",
        ),
        (
            Rule(1, "employment_status", allowed=set(EMPLOYMENT_STATUSES)),
            "unemployed job seekers, people who are laid off, students, people in work "
            "or people outside the labour force",
        ),
        (Rule(1, "municipality", allowed=LAHTI_REGION), "living in the Lahti region"),
        (Rule(1, "municipality", allowed={"398"}), "living in Lahti"),
        (
            Rule(1, "municipality", allowed={"398", "098", "111"}),
            "living in Heinola, Hollola or Lahti",
        ),
        (Rule(1, "question", required_answer=True, text="Are you under 30?"), "Are you under 30?"),
        (
            Rule(1, "question", required_answer=False, text="Do you have a job?"),
            "Do you have a job?",
        ),
    ],
)
def test_describe(rule: Rule, text: str) -> None:
    assert describe(rule, checked_translate, NAMES.__getitem__) == text


def test_describe_lists_a_superset_of_the_region_in_full() -> None:
    names = {
        "398": "Lahti", "098": "Hollola", "016": "Asikkala", "081": "Hartola", "111": "Heinola",
        "142": "Iitti", "316": "Kärkölä", "560": "Orimattila", "576": "Padasjoki", "781": "Sysmä",
        "091": "Helsinki",
    }  # fmt: skip
    rule = Rule(1, "municipality", allowed=LAHTI_REGION | {"091"})
    assert describe(rule, municipality_name=names.__getitem__) == (
        "living in Asikkala, Hartola, Heinola, Helsinki, Hollola, Iitti, Kärkölä, "
        "Lahti, Orimattila, Padasjoki or Sysmä"
    )


def test_describe_without_names_lists_codes() -> None:
    assert describe(Rule(1, "municipality", allowed={"398", "098"})) == "living in 098 or 398"


def test_describe_prefers_organiser_text() -> None:
    text = "young people in the Lahti area"
    rule = Rule(1, "age", min_age=18, max_age=29, text=text)
    assert describe(rule, finnish) == text
    assert (
        describe(Rule(2, "gender", allowed={"female"}, text="naiset ja tytöt")) == "naiset ja tytöt"
    )
    assert describe(Rule(3, "gender", allowed={"female"}, text="  ")) == "women"


def test_describe_translates() -> None:
    assert describe(Rule(1, "age", min_age=18, max_age=29), finnish) == "18–29-vuotiaat"
    assert describe(Rule(1, "gender", allowed={"female", "male"}), finnish) == "miehet tai naiset"
    assert (
        describe(Rule(1, "municipality", allowed=LAHTI_REGION), finnish) == "asuu Lahden seudulla"
    )
    rule = Rule(1, "municipality", allowed={"398", "098"})
    assert describe(rule, finnish, NAMES.__getitem__) == "asuinkunta Hollola tai Lahti"


# --- purity ----------------------------------------------------------------------------------


def test_module_uses_only_the_standard_library() -> None:
    tree = ast.parse(Path(eligibility.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    allowed = {"__future__", "collections.abc", "dataclasses", "datetime", "enum", "typing"}
    assert imported <= allowed


# --- properties ------------------------------------------------------------------------------

FAST = settings(database=None, deadline=None, max_examples=100)
EVAL = settings(FAST, max_examples=60)  # lists of rules: slower to generate
DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))
CODES = (*sorted(LAHTI_REGION), *NOT_LAHTI)
VALUES = {"municipality": CODES, "gender": GENDERS, "employment_status": EMPLOYMENT_STATUSES}
NEW_ID = 1000  # generated rules and answers use ids 1..50


def ordered_dates(count: int) -> st.SearchStrategy[list[date]]:
    return st.lists(DATES, min_size=count, max_size=count).map(sorted)


def birthday(birth: date, year: int) -> date:
    if (birth.month, birth.day) == (2, 29) and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, birth.month, birth.day)


@FAST
@given(ordered_dates(3))
def test_age_on_is_monotonic_in_on(dates: list[date]) -> None:
    birth, earlier, later = dates
    assert 0 <= age_on(birth, earlier) <= age_on(birth, later)


@FAST
@given(DATES, st.integers(1, 120))
def test_age_on_goes_up_by_one_on_each_birthday(birth: date, years: int) -> None:
    day = birthday(birth, birth.year + years)
    assert age_on(birth, day) == years
    assert age_on(birth, day - timedelta(days=1)) == years - 1


@FAST
@given(ordered_dates(2))
def test_age_on_matches_naive_computation(dates: list[date]) -> None:
    birth, on = dates
    if (birth.month, birth.day) == (2, 29):
        birth = birth.replace(day=28)
    not_yet = (on.month, on.day) < (birth.month, birth.day)
    assert age_on(birth, on) == on.year - birth.year - not_yet


@st.composite
def rules(draw: st.DrawFn) -> Rule:
    kind = draw(st.sampled_from(RULE_KINDS))
    rid, strict = draw(st.integers(1, 50)), draw(st.booleans())
    if kind == "age":
        low, high = draw(st.none() | st.integers(0, 90)), draw(st.none() | st.integers(0, 90))
        if low is None and high is None:
            low = draw(st.integers(0, 90))
        if low is not None and high is not None and low > high:
            low, high = high, low
        return Rule(rid, kind, strict, min_age=low, max_age=high)
    if kind == "question":
        return Rule(rid, kind, strict, required_answer=draw(st.booleans()), text=f"Q{rid}?")
    allowed = draw(st.frozensets(st.sampled_from(VALUES[kind]), min_size=1))
    return Rule(rid, kind, strict, allowed=allowed)


def applicants(optional: bool = True) -> st.SearchStrategy[Applicant]:
    def value(strategy: st.SearchStrategy) -> st.SearchStrategy:
        return st.none() | strategy if optional else strategy

    return st.builds(
        Applicant,
        birth_date=value(DATES),
        municipality=value(st.sampled_from(CODES)),
        gender=value(st.sampled_from(GENDERS)),
        employment_status=value(st.sampled_from(EMPLOYMENT_STATUSES)),
        answers=st.dictionaries(st.integers(1, 50), st.booleans()),
    )


@EVAL
@given(st.lists(rules(), max_size=8), applicants(), DATES)
def test_outcome_follows_reasons(rule_list: list[Rule], applicant: Applicant, on: date) -> None:
    verdict = evaluate(rule_list, applicant, on)
    assert (verdict.outcome is Outcome.ELIGIBLE) == (verdict.reasons == ())
    assert verdict.ineligible == any(reason.strict for reason in verdict.reasons)
    assert verdict.needs_review == (
        bool(verdict.reasons) and not any(reason.strict for reason in verdict.reasons)
    )
    stricts = [reason.strict for reason in verdict.reasons]
    assert stricts == sorted(stricts, reverse=True)  # strict misses first
    rule_ids = {rule.id for rule in rule_list}
    assert all(reason.rule_id in rule_ids for reason in verdict.reasons)
    for reason in verdict.reasons:
        assert "%(" not in reason.message(checked_translate)
    assert all(describe(rule, checked_translate) for rule in rule_list)


@EVAL
@given(st.lists(rules(), max_size=8), applicants(optional=False), ordered_dates(2), st.data())
def test_adding_a_met_rule_changes_nothing(
    rule_list: list[Rule], applicant: Applicant, dates: list[date], data: st.DataObject
) -> None:
    birth, on = dates
    applicant = dataclasses.replace(applicant, birth_date=birth)
    kind = data.draw(st.sampled_from(RULE_KINDS))
    strict = data.draw(st.booleans())
    if kind == "age":
        age = age_on(birth, on)
        low = data.draw(st.none() | st.integers(0, age))
        high = data.draw(st.integers(age, age + 50) if low is None else st.none() | st.just(age))
        extra = Rule(NEW_ID, kind, strict, min_age=low, max_age=high)
    elif kind == "question":
        answer = data.draw(st.booleans())
        applicant = dataclasses.replace(applicant, answers={**applicant.answers, NEW_ID: answer})
        extra = Rule(NEW_ID, kind, strict, required_answer=answer, text="Q?")
    else:
        others = data.draw(st.frozensets(st.sampled_from(VALUES[kind])))
        extra = Rule(NEW_ID, kind, strict, allowed=others | {getattr(applicant, kind)})
    position = data.draw(st.integers(0, len(rule_list)))
    with_extra = [*rule_list[:position], extra, *rule_list[position:]]
    assert evaluate(with_extra, applicant, on) == evaluate(rule_list, applicant, on)


@EVAL
@given(st.lists(rules(), max_size=8), applicants(), DATES, st.data())
def test_adding_a_missed_strict_rule_makes_ineligible(
    rule_list: list[Rule], applicant: Applicant, on: date, data: st.DataObject
) -> None:
    kind = data.draw(st.sampled_from(RULE_KINDS))
    if kind == "age":
        birth = applicant.birth_date
        if birth is None or birth > on:
            extra = Rule(NEW_ID, kind, min_age=data.draw(st.integers(0, 90)))
        else:
            age = age_on(birth, on)
            too_old = age > 0 and data.draw(st.booleans())
            bound = {"max_age": age - 1} if too_old else {"min_age": age + 1}
            extra = Rule(NEW_ID, kind, **bound)
    elif kind == "question":
        answer = data.draw(st.none() | st.booleans())
        if answer is not None:
            applicant = dataclasses.replace(
                applicant, answers={**applicant.answers, NEW_ID: answer}
            )
        extra = Rule(NEW_ID, kind, required_answer=answer is not True, text="Q?")
    else:
        choices = [value for value in VALUES[kind] if value != getattr(applicant, kind)]
        allowed = data.draw(st.frozensets(st.sampled_from(choices), min_size=1))
        extra = Rule(NEW_ID, kind, allowed=allowed)
    before = evaluate(rule_list, applicant, on)
    after = evaluate([*rule_list, extra], applicant, on)
    assert after.outcome is Outcome.INELIGIBLE
    strict_before = tuple(reason for reason in before.reasons if reason.strict)
    soft_before = tuple(reason for reason in before.reasons if not reason.strict)
    assert after.reasons[: len(strict_before)] == strict_before
    assert after.reasons[len(strict_before)].rule_id == NEW_ID
    assert after.reasons[len(strict_before) + 1 :] == soft_before
