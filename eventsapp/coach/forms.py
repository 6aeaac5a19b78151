"""Coaches' forms: a client's details, and the confirmation of an enrolment on their behalf."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Email, InputRequired, Length, Optional, Regexp

from eventsapp import eligibility
from eventsapp.coach.services import FACT_FIELDS, ClientData
from eventsapp.enrolment.forms import (
    EMPLOYMENT_LABELS,
    GENDER_LABELS,
    YES_NO,
    BirthDateField,
    choices,
    known_municipality,
    municipality_choices,
    past_birth_date,
)
from eventsapp.fields import EmailField, StringField, TelField, strip

# The coach records the client's gender: "I prefer not to say" would speak for the coach.
CLIENT_GENDER_LABELS = {**GENDER_LABELS, "undisclosed": _l("Prefers not to say")}
DECISIONS = {
    "override": _l("I vouch for the client: enrol them now, with my justification"),
    "review": _l("Send the enrolment to the organiser for review"),
}
NOTE_MAX = 4000
PHONE = Regexp(r"^\+?[0-9 ()\-]{5,}$", message=_l("Enter a phone number like 040 123 4567."))


class ClientBirthDateField(BirthDateField):
    """A birth date typed by the coach: the message speaks of the client, not of "your"."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as error:
            raise ValueError(
                _l("Enter the date of birth as year-month-day, for example 2001-03-15.")
            ) from error


def _birth_date_field(label, *validators) -> ClientBirthDateField:
    return ClientBirthDateField(
        label,
        validators=[*validators, past_birth_date],
        description=_l("Year-month-day, for example 2001-03-15."),
        render_kw={"type": "date", "max": date.today().isoformat()},  # noqa: DTZ011
    )


def _municipality_choices(locale: str, placeholder) -> list[SelectChoice]:
    return [SelectChoice("", placeholder), *municipality_choices(locale)[1:]]


def _blank_first(labels: dict, placeholder) -> list[SelectChoice]:
    return [SelectChoice("", placeholder), *choices(labels)]


def _none_if_blank(value):
    return value or None


class ClientForm(FlaskForm):
    first_name = StringField(
        _l("First name"),
        validators=[InputRequired(_l("Enter the client's first name.")), Length(max=100)],
        filters=[strip],
        render_kw={"autocomplete": "off"},
    )
    last_name = StringField(
        _l("Last name"),
        validators=[InputRequired(_l("Enter the client's last name.")), Length(max=100)],
        filters=[strip],
        render_kw={"autocomplete": "off"},
    )
    email = EmailField(
        _l("Email (optional)"),
        validators=[
            Optional(),
            Length(max=254),
            Email(_l("Enter an email address like name@example.fi."), check_deliverability=False),
        ],
        description=_l(
            "If the client has no email, confirmations and calendar invitations come to you, "
            "naming the client."
        ),
        filters=[strip],
        render_kw={"autocomplete": "off", "inputmode": "email"},
    )
    phone = TelField(
        _l("Phone (optional)"),
        validators=[Optional(), Length(max=40), PHONE],
        filters=[strip],
        render_kw={"autocomplete": "off"},
    )
    birth_date = _birth_date_field(_l("Date of birth (optional)"), Optional())
    municipality = SelectField(
        _l("Municipality of residence (optional)"),
        validate_choice=False,
        validators=[Optional(), known_municipality],
        filters=[_none_if_blank],
    )
    gender = SelectField(
        _l("Gender (optional)"),
        choices=_blank_first(CLIENT_GENDER_LABELS, _l("Not recorded")),
        validators=[Optional()],
        filters=[_none_if_blank],
    )
    employment_status = SelectField(
        _l("Situation at the moment (optional)"),
        choices=_blank_first(EMPLOYMENT_LABELS, _l("Not recorded")),
        validators=[Optional()],
        filters=[_none_if_blank],
    )
    note = TextAreaField(
        _l("Note (optional)"),
        validators=[Optional(), Length(max=NOTE_MAX)],
        description=_l(
            "Only you and the network coordinator see this; organisers never do. "
            "Write nothing about health or other sensitive matters."
        ),
        filters=[strip],
    )

    def __init__(self, *args, locale: str = "fi", **kwargs):
        super().__init__(*args, **kwargs)
        self.municipality.choices = _municipality_choices(locale, _l("Not recorded"))

    def facts_fields(self) -> list:
        return [self.birth_date, self.municipality, self.gender, self.employment_status]

    def ordered_fields(self) -> list:
        contact = [self.first_name, self.last_name, self.email, self.phone]
        return [*contact, *self.facts_fields(), self.note]

    def to_data(self) -> ClientData:
        return ClientData(
            first_name=self.first_name.data or "",
            last_name=self.last_name.data or "",
            email=self.email.data or "",
            phone=self.phone.data or "",
            birth_date=self.birth_date.data,
            municipality=self.municipality.data or None,
            gender=self.gender.data or None,
            employment_status=self.employment_status.data or None,
            note=self.note.data or "",
        )


class ConfirmForm(FlaskForm):
    """Enrol a client: the facts the event needs that the record lacks, the event's questions,
    the coach's decision on a soft miss, and the client's consent."""

    decision = RadioField(
        _l("The client is outside the group the organiser mainly hopes to reach. What do you do?"),
        choices=choices(DECISIONS),
        validate_choice=False,
        validators=[Optional()],
    )
    override_reason = TextAreaField(
        _l("Your justification (required if you vouch for the client)"),
        validators=[Optional(), Length(max=2000)],
        description=_l("The organiser sees this. Say why the event suits this client."),
        filters=[strip],
    )
    notes = TextAreaField(
        _l("Anything the organiser should know? (optional)"),
        validators=[Optional(), Length(max=2000)],
        description=_l("For example accessibility needs or a diet. At most 2000 characters."),
        filters=[strip],
    )
    reminder_sms = BooleanField(
        _l("Remind the client by text message too"),
        description=_l("To the phone number in the client's details, with the client's consent."),
    )
    consent = BooleanField(
        _l("The client agrees that I enrol them and share these details with the organiser"),
        validators=[InputRequired(_l("Confirm that the client agrees to the enrolment."))],
    )

    fact_names: tuple[str, ...] = ()
    question_names: tuple[str, ...] = ()

    def asked_fields(self) -> list:
        """What the form asks about the client, in the order the rules engine gives it."""
        return [self[name] for name in (*self.fact_names, *self.question_names)]

    def ordered_fields(self, *, with_decision: bool) -> list:
        decision = [self.decision, self.override_reason] if with_decision else []
        return [*self.asked_fields(), *decision, self.notes, self.reminder_sms, self.consent]

    def asked_valid(self) -> bool:
        """Every asked fact and answer was given and is valid (the verdict can be judged)."""
        return all(
            field.data not in (None, "") and not field.errors for field in self.asked_fields()
        )

    def extra(self) -> dict[str, object]:
        """The facts and answers given, in the shape coach.services.facts_of takes."""
        found: dict[str, object] = {name: self[name].data for name in self.fact_names}
        found["answers"] = {
            int(name.removeprefix("q_")): self[name].data == "yes"
            for name in self.question_names
            if self[name].data in YES_NO
        }
        return found

    def check_decision(self, verdict: eligibility.Verdict) -> bool:
        """A soft miss needs the coach's decision, and vouching needs a justification."""
        if not verdict.needs_review:
            return True
        if self.decision.data not in DECISIONS:
            self.decision.errors = [
                *self.decision.errors,
                _l("Choose whether you vouch for the client or send it for review."),
            ]
            return False
        if self.decision.data == "override" and not self.override_reason.data:
            self.override_reason.errors = [
                *self.override_reason.errors,
                _l("Write why the event suits the client, or send it for review instead."),
            ]
            return False
        return True

    def override(self, verdict: eligibility.Verdict) -> str:
        """The justification to store: only for a soft miss the coach vouched for."""
        if verdict.needs_review and self.decision.data == "override":
            return self.override_reason.data or ""
        return ""


def confirm_form_for(
    rules: list[eligibility.Rule], asked: tuple[str, ...], locale: str, **kwargs
) -> ConfirmForm:
    """A confirmation form asking exactly `asked`: facts the record lacks, and questions."""
    questions = {
        eligibility.question_field(rule.id): rule for rule in rules if rule.kind == "question"
    }
    fields = {}
    if "birth_date" in asked:
        fields["birth_date"] = _birth_date_field(
            _l("Client's date of birth"), InputRequired(_l("Enter the client's date of birth."))
        )
    if "municipality" in asked:
        fields["municipality"] = SelectField(
            _l("Client's municipality of residence"),
            choices=_municipality_choices(locale, _l("Choose the municipality")),
            validate_choice=False,
            validators=[InputRequired(_l("Choose the client's municipality.")), known_municipality],
        )
    if "gender" in asked:
        fields["gender"] = RadioField(
            _l("Client's gender"),
            choices=choices(CLIENT_GENDER_LABELS),
            validate_choice=False,
            validators=[
                InputRequired(_l("Choose one.")),
                AnyOf(CLIENT_GENDER_LABELS, _l("Choose one.")),
            ],
        )
    if "employment_status" in asked:
        fields["employment_status"] = RadioField(
            _l("Client's situation at the moment"),
            choices=choices(EMPLOYMENT_LABELS),
            validate_choice=False,
            validators=[
                InputRequired(_l("Choose one.")),
                AnyOf(EMPLOYMENT_LABELS, _l("Choose one.")),
            ],
        )
    question_names = tuple(name for name in asked if name.startswith("q_"))
    for name in question_names:
        fields[name] = RadioField(
            questions[name].text,
            choices=choices(YES_NO),
            validate_choice=False,
            validators=[
                InputRequired(_l("Answer yes or no.")),
                AnyOf(("yes", "no"), _l("Answer yes or no.")),
            ],
        )
    form_class = type("ClientConfirmForm", (ConfirmForm,), fields)
    form_class.fact_names = tuple(name for name in asked if name in FACT_FIELDS)
    form_class.question_names = question_names
    return form_class(**kwargs)
