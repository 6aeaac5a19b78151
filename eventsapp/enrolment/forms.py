"""The enrolment form: a few fixed fields, plus only the questions this event's rules need."""

from datetime import date
from functools import cache

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from eventsapp import eligibility, municipalities
from eventsapp import questions as own_questions
from eventsapp.enrolment.services import Applicant
from eventsapp.fields import StringField, TelField, email_field, strip
from eventsapp.sms.phone import InvalidPhone, to_e164

GENDER_LABELS = {
    "male": _l("Man"),
    "female": _l("Woman"),
    "other": _l("Other"),
    "undisclosed": _l("I prefer not to say"),
}
EMPLOYMENT_LABELS = {
    "unemployed": _l("Unemployed job seeker"),
    "laid_off": _l("Laid off"),
    "student": _l("Student"),
    "employed": _l("Employed"),
    "outside_labour_force": _l("Outside the labour force (for example at home or retired)"),
}
YES_NO = {"yes": _l("Yes"), "no": _l("No")}


def choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


class BirthDateField(DateField):
    """A date of birth as YYYY-MM-DD (what a date input sends) or as Finns write it, 15.3.2001,
    with a message a person understands."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, format=["%Y-%m-%d", "%d.%m.%Y"], **kwargs)

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None  # InputRequired says what is missing
            return
        try:
            super().process_formdata([valuelist[0].strip()])
        except ValueError as error:
            raise ValueError(
                _l("Enter your date of birth as year-month-day, for example 2001-03-15.")
            ) from error


def past_birth_date(_form, field) -> None:
    if field.data is None:
        return
    if field.data > date.today():  # noqa: DTZ011 - a birth date is a local calendar date
        raise ValidationError(_l("The date of birth cannot be in the future."))
    if field.data.year < 1900:
        raise ValidationError(_l("Check the year of your date of birth."))


def phone_for_texts(form, field) -> None:
    """A phone number, when given, in E.164 (040 123 4567 -> +358401234567); required when
    the person asks for text messages."""
    wants_texts = getattr(form, "reminder_sms", None) is not None and form.reminder_sms.data
    if not (field.data or "").strip():
        if wants_texts:
            raise ValidationError(_l("Enter your mobile number to get text messages."))
        field.data = ""
        return
    try:
        field.data = to_e164(field.data)
    except InvalidPhone as error:
        raise ValidationError(_l("Enter a phone number like 040 123 4567.")) from error


def known_municipality(_form, field) -> None:
    found = municipalities.lookup(field.data or "")
    if found is None:
        raise ValidationError(_l("Choose your municipality from the list."))
    field.data = found.code


class EnrolmentForm(FlaskForm):
    first_name = StringField(
        _l("First name"),
        validators=[DataRequired(_l("Enter your first name.")), Length(max=100)],
        filters=[strip],
        render_kw={"autocomplete": "given-name"},
    )
    last_name = StringField(
        _l("Last name"),
        validators=[DataRequired(_l("Enter your last name.")), Length(max=100)],
        filters=[strip],
        render_kw={"autocomplete": "family-name"},
    )
    email = email_field(_l("We send the confirmation and the calendar invitation here."))
    phone = TelField(
        _l("Phone (optional)"),
        validators=[
            Length(max=40, message=_l("Enter a phone number like 040 123 4567.")),
            phone_for_texts,
        ],
        description=_l("Needed only for text message reminders."),
        filters=[strip],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    reminder_sms = BooleanField(
        _l("Remind me by text message too"),
        description=_l("A text the day before and two hours before. You can turn them off."),
    )
    notes = TextAreaField(
        _l("Anything we should know? (optional)"),
        validators=[Optional(), Length(max=2000)],
        description=_l("For example accessibility needs or a diet. At most 2000 characters."),
    )
    consent = BooleanField(
        _l("I have read the privacy notice and agree that my details are used for this event."),
        validators=[InputRequired(_l("You must agree to the privacy notice to enrol."))],
    )

    question_fields: tuple[str, ...] = ()
    rule_field_names: tuple[str, ...] = ()
    organiser_questions: tuple[own_questions.Question, ...] = ()  # the organiser's own questions

    def own_fields(self) -> list:
        """The organiser's own questions, each with its kind (for the template's macro)."""
        return [
            (question.kind, self[own_questions.field_name(question.id)])
            for question in self.organiser_questions
        ]

    def own_answers(self) -> dict[int, str | list[str]]:
        """The answers to the organiser's own questions (valid once the form validated)."""
        posted = {
            own_questions.field_name(q.id): self[own_questions.field_name(q.id)].raw_data or []
            for q in self.organiser_questions
        }
        return own_questions.parse_all(self.organiser_questions, posted)[0]

    def rule_fields(self) -> list:
        """The target-group questions, in the order the rules engine gives them."""
        return [self[name] for name in self.rule_field_names]

    def ordered_fields(self) -> list:
        """Every field in the order the form shows it (and the error summary lists it)."""
        details = [self.first_name, self.last_name, self.email, self.phone, self.reminder_sms]
        own = [field for _, field in self.own_fields()]
        return [*details, *self.rule_fields(), *own, self.notes, self.consent]

    def to_applicant(self, locale: str) -> Applicant:
        def value(name: str):
            field = getattr(self, name, None)
            return field.data if field is not None else None

        return Applicant(
            first_name=self.first_name.data.strip(),
            last_name=self.last_name.data.strip(),
            email=self.email.data.strip(),
            phone=(self.phone.data or "").strip(),
            reminder_sms=bool(self.reminder_sms.data),
            birth_date=value("birth_date"),
            municipality=value("municipality"),
            gender=value("gender"),
            employment_status=value("employment_status"),
            answers={
                int(name.removeprefix("q_")): getattr(self, name).data == "yes"
                for name in self.question_fields
            },
            notes=(self.notes.data or "").strip(),
            locale=locale,
        )


@cache
def municipality_choices(locale: str) -> tuple[SelectChoice, ...]:
    """A placeholder, then Päijät-Häme's municipalities, then the rest of Finland's (built
    once per language: 309 choices)."""
    home, others = municipalities.grouped(locale)
    home_label, others_label = str(_l("Päijät-Häme")), str(_l("Other municipalities"))
    return (
        SelectChoice("", str(_l("Choose your municipality"))),
        *(SelectChoice(m.code, m.name(locale), optgroup=home_label) for m in home),
        *(SelectChoice(m.code, m.name(locale), optgroup=others_label) for m in others),
    )


def own_question_check(question: own_questions.Question):
    """A validator reading the posted values with the pure core's rules."""

    def check(form, field):
        error = own_questions.parse(question, field.raw_data or []).error
        if error:
            raise ValidationError(_l(error))

    return check


def own_question_field(question: own_questions.Question):
    """The form field of one of the organiser's questions; its purpose shown under it."""
    options = {
        "description": question.purpose,
        "validators": [own_question_check(question)],
    }
    if question.kind == own_questions.TEXT:
        return StringField(
            question.text, render_kw={"maxlength": own_questions.TEXT_MAX}, **options
        )
    if question.kind == own_questions.YES_NO:
        return RadioField(question.text, choices=choices(YES_NO), validate_choice=False, **options)
    listed = [SelectChoice(choice, choice) for choice in question.choices]
    if question.kind == own_questions.ONE:
        return RadioField(question.text, choices=listed, validate_choice=False, **options)
    return SelectMultipleField(question.text, choices=listed, validate_choice=False, **options)


def form_for(
    rules: list[eligibility.Rule],
    locale: str,
    own: tuple[own_questions.Question, ...] = (),
    **kwargs,
) -> EnrolmentForm:
    """An enrolment form with exactly the questions these rules need (data minimisation),
    and the organiser's own questions `own`."""
    needed = eligibility.fields_needed(rules)
    questions = {f"q_{rule.id}": rule for rule in rules if rule.kind == "question"}
    fields = {}
    if "birth_date" in needed:
        fields["birth_date"] = BirthDateField(
            _l("Date of birth"),
            validators=[InputRequired(_l("Enter your date of birth.")), past_birth_date],
            description=_l("Year-month-day, for example 2001-03-15."),
            render_kw={"autocomplete": "bday", "type": "date", "max": date.today().isoformat()},  # noqa: DTZ011
        )
    if "municipality" in needed:
        fields["municipality"] = SelectField(
            _l("Municipality of residence"),
            choices=list(municipality_choices(locale)),
            validate_choice=False,
            validators=[InputRequired(_l("Choose your municipality.")), known_municipality],
        )
    if "gender" in needed:
        fields["gender"] = RadioField(
            _l("Gender"),
            choices=choices(GENDER_LABELS),
            validate_choice=False,
            validators=[InputRequired(_l("Choose one.")), AnyOf(GENDER_LABELS, _l("Choose one."))],
        )
    if "employment_status" in needed:
        fields["employment_status"] = RadioField(
            _l("Your situation at the moment"),
            choices=choices(EMPLOYMENT_LABELS),
            validate_choice=False,
            validators=[
                InputRequired(_l("Choose one.")),
                AnyOf(EMPLOYMENT_LABELS, _l("Choose one.")),
            ],
        )
    for name, rule in questions.items():
        fields[name] = RadioField(
            rule.text,
            choices=choices(YES_NO),
            validate_choice=False,
            validators=[
                InputRequired(_l("Answer yes or no.")),
                AnyOf(("yes", "no"), _l("Answer yes or no.")),
            ],
        )
    for question in own:
        fields[own_questions.field_name(question.id)] = own_question_field(question)
    form_class = type("EventEnrolmentForm", (EnrolmentForm,), fields)
    form_class.organiser_questions = tuple(own)
    form_class.question_fields = tuple(questions)
    form_class.rule_field_names = needed
    return form_class(**kwargs)


class ResendForm(FlaskForm):
    """ "Lost your link?": the address to send the links to."""

    email = email_field(_l("The address you enrolled with."))
