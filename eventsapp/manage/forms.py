"""The organiser's forms. The event form's sessions and rules are lists that grow and shrink
with submit buttons ("add a session", "remove"), so the form works without JavaScript.

Times are entered in Europe/Helsinki and handed to the services as aware UTC datetimes.
"""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from eventsapp import eligibility, labels, municipalities, questions
from eventsapp.enrolment.forms import EMPLOYMENT_LABELS, GENDER_LABELS, choices
from eventsapp.fields import EmailField, StringField, TelField, strip
from eventsapp.mail.reminders import OFFSETS as REMINDER_OFFSETS
from eventsapp.manage.services import EventData, QuestionData, RuleData, SessionData
from eventsapp.models.event import REMINDER_FIRST, REMINDER_SECOND

HELSINKI = ZoneInfo("Europe/Helsinki")

RULE_KINDS = {
    "age": _l("Age"),
    "municipality": _l("Home municipality"),
    "gender": _l("Gender"),
    "employment_status": _l("Employment situation"),
    "question": _l("A yes/no question"),
}
STRICTNESS = {
    "strict": _l("Strict: people outside it cannot enrol"),
    "soft": _l("Soft: people outside it may enrol, and you decide on each of them"),
}
YES_NO = {"yes": _l("Yes"), "no": _l("No")}
MESSAGE_GROUPS = {
    "confirmed": _l("Everyone confirmed"),
    "waitlisted": _l("Everyone on the waiting list"),
}
MAX_SESSIONS = 60
MAX_RULES = 20
MAX_QUESTIONS = 20
QUESTION_KINDS = {
    questions.YES_NO: _l("Yes or no"),
    questions.TEXT: _l("A short text"),
    questions.ONE: _l("One of several choices"),
    questions.MANY: _l("Several of several choices"),
}
QUESTION_AUDIENCES = {
    questions.ORGANISER_ONLY: _l("For the organiser only: in the review and the exports"),
    questions.REACH: _l("Counts in the reach report (choice questions only)"),
}


def helsinki_to_utc(value: datetime | None) -> datetime | None:
    """A wall-clock time in Helsinki (naive, as a form gives it) as aware UTC."""
    return value.replace(tzinfo=HELSINKI).astimezone(UTC) if value else None


def utc_to_helsinki(value: datetime | None) -> datetime | None:
    """An aware time as Helsinki wall-clock time, naive, for a form field."""
    return value.astimezone(HELSINKI).replace(tzinfo=None) if value else None


def web_address(_form, field) -> None:
    if field.data and not re.match(r"^https?://[^\s/]+\.[^\s]+$", field.data):
        raise ValidationError(_l("Enter a web address that starts with https://."))


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SessionForm(Form):
    """One session: date, start and end in Helsinki time, place and online link."""

    id = HiddenField()
    date = DateField(
        _l("Date"),
        format=["%Y-%m-%d", "%d.%m.%Y"],
        validators=[InputRequired(_l("Enter the date."))],
        invalid_value_message=_l("Enter the date as year-month-day, for example 2027-06-08."),
    )
    start = TimeField(
        _l("Starts at"),
        format=["%H:%M", "%H.%M", "%H:%M:%S"],
        validators=[InputRequired(_l("Enter the starting time."))],
        invalid_value_message=_l("Enter the time as hours and minutes, for example 09:30."),
    )
    end = TimeField(
        _l("Ends at"),
        format=["%H:%M", "%H.%M", "%H:%M:%S"],
        validators=[InputRequired(_l("Enter the ending time."))],
        invalid_value_message=_l("Enter the time as hours and minutes, for example 12:00."),
    )
    place = StringField(
        _l("Place"),
        validators=[Length(max=200)],
        filters=[strip],
        description=_l("For example: Lahden pääkirjasto"),
    )
    address = StringField(_l("Street address"), validators=[Length(max=300)], filters=[strip])
    room = StringField(_l("Room (optional)"), validators=[Length(max=120)], filters=[strip])
    online_url = URLField(
        _l("Online link"),
        validators=[Optional(), Length(max=500), web_address],
        filters=[strip],
        description=_l("For an online or hybrid event. Participants see it on the event page."),
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.start.data and self.end.data and self.end.data <= self.start.data:
            self.end.errors.append(_l("The session must end after it starts."))
            valid = False
        return valid

    def shown_fields(self) -> list:
        return [
            self.date,
            self.start,
            self.end,
            self.place,
            self.address,
            self.room,
            self.online_url,
        ]

    def to_data(self) -> SessionData:
        return SessionData(
            id=_int_or_none(self.id.data),
            starts_at=helsinki_to_utc(datetime.combine(self.date.data, self.start.data)),
            ends_at=helsinki_to_utc(datetime.combine(self.date.data, self.end.data)),
            place=self.place.data or "",
            address=self.address.data or "",
            room=self.room.data or "",
            online_url=self.online_url.data or "",
        )


def _int_or_none(value) -> int | None:
    value = str(value or "").strip()
    return int(value) if value.isdigit() else None


def _split_names(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;\n]", text or "") if part.strip()]


class RuleForm(Form):
    """One target-group rule. Its kind is chosen when the rule is added; the form shows
    only that kind's fields."""

    id = HiddenField()
    kind = HiddenField()
    strict = RadioField(
        _l("How strict is the rule?"),
        choices=choices(STRICTNESS),
        default="strict",
        validators=[InputRequired(_l("Choose strict or soft."))],
    )
    min_age = IntegerField(
        _l("Youngest age (optional)"),
        validators=[Optional(), NumberRange(0, 120, _l("Enter an age between 0 and 120."))],
        invalid_value_message=_l("Enter the age as a whole number."),
        description=_l("Age in years on the day of the first session."),
    )
    max_age = IntegerField(
        _l("Oldest age (optional)"),
        validators=[Optional(), NumberRange(0, 120, _l("Enter an age between 0 and 120."))],
        invalid_value_message=_l("Enter the age as a whole number."),
    )
    lahti_region = BooleanField(_l("The ten municipalities of the Lahti region"))
    municipalities = StringField(
        _l("Other municipalities (optional)"),
        validators=[Length(max=2000)],
        description=_l("Names separated by commas, for example: Kouvola, Mäntsälä"),
    )
    genders = CheckboxesField(_l("Who the event is for"), choices=choices(GENDER_LABELS))
    statuses = CheckboxesField(_l("Who the event is for"), choices=choices(EMPLOYMENT_LABELS))
    question = StringField(
        _l("The question"),
        validators=[Length(max=500)],
        filters=[strip],
        description=_l("Participants answer it yes or no, for example: Are you under 30?"),
    )
    required_answer = RadioField(
        _l("The answer of the people the event is for"),
        choices=choices(YES_NO),
        validate_choice=False,
    )
    text = StringField(
        _l("How participants see the rule (optional)"),
        validators=[Length(max=500)],
        filters=[strip],
        description=_l("Plain words for the event page, for example: young men aged 18–29."),
    )

    @property
    def kind_label(self):
        return RULE_KINDS.get(self.kind.data, self.kind.data)

    def shown_fields(self) -> list:
        """The fields this kind of rule uses, in the order the form shows them."""
        by_kind = {
            "age": [self.min_age, self.max_age, self.text],
            "municipality": [self.lahti_region, self.municipalities, self.text],
            "gender": [self.genders, self.text],
            "employment_status": [self.statuses, self.text],
            "question": [self.question, self.required_answer],
        }
        return [*by_kind.get(self.kind.data, []), self.strict]

    def _allowed(self) -> tuple[tuple[str, ...], list[str]]:
        """The allowed values of a set rule, and names that were not understood."""
        kind = self.kind.data
        if kind == "gender":
            return tuple(sorted(self.genders.data or ())), []
        if kind == "employment_status":
            return tuple(sorted(self.statuses.data or ())), []
        if kind != "municipality":
            return (), []
        codes = set(eligibility.LAHTI_REGION) if self.lahti_region.data else set()
        unknown = []
        for name in _split_names(self.municipalities.data):
            found = municipalities.lookup(name)
            if found is None:
                unknown.append(name)
            else:
                codes.add(found.code)
        return tuple(sorted(codes)), unknown

    def to_data(self) -> RuleData:
        kind = self.kind.data
        allowed, _unknown = self._allowed()
        return RuleData(
            id=_int_or_none(self.id.data),
            kind=kind,
            strict=self.strict.data != "soft",
            min_age=self.min_age.data if kind == "age" else None,
            max_age=self.max_age.data if kind == "age" else None,
            allowed=allowed,
            required_answer=(self.required_answer.data == "yes") if kind == "question" else None,
            text=(self.question.data if kind == "question" else self.text.data) or "",
        )

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        kind = self.kind.data
        if kind not in RULE_KINDS:
            self.strict.errors.append(_l("This rule is of an unknown kind: remove it."))
            return False
        shown = self.shown_fields()
        for field in self:
            if field not in shown:
                field.errors = []  # the fields of other kinds of rule are not used
        if any(field.errors for field in shown):
            return False
        allowed, unknown = self._allowed()
        problems = []
        if kind == "age":
            low, high = self.min_age.data, self.max_age.data
            if low is None and high is None:
                problems.append((self.min_age, _l("Enter the youngest age, the oldest or both.")))
            elif low is not None and high is not None and low > high:
                problems.append((self.max_age, _l("The oldest age cannot be below the youngest.")))
        elif kind == "municipality":
            if unknown:
                # gettext, not _l: a lazy string is rendered as markup, and this holds input
                message = gettext("Unknown municipality: %(names)s.", names=", ".join(unknown))
                problems.append((self.municipalities, message))
            elif not allowed:
                problems.append(
                    (self.municipalities, _l("Tick the Lahti region or name municipalities."))
                )
        elif kind in ("gender", "employment_status") and not allowed:
            field = self.genders if kind == "gender" else self.statuses
            problems.append((field, _l("Choose at least one.")))
        elif kind == "question":
            if not self.question.data:
                problems.append((self.question, _l("Write the question.")))
            if self.required_answer.data not in YES_NO:
                problems.append(
                    (self.required_answer, _l("Choose the answer of the people it is for."))
                )
        if not problems:
            try:
                data = self.to_data()
                eligibility.Rule(
                    id=0,
                    kind=data.kind,
                    strict=data.strict,
                    min_age=data.min_age,
                    max_age=data.max_age,
                    allowed=frozenset(data.allowed),
                    required_answer=data.required_answer,
                    text=data.text,
                )
            except ValueError:
                problems.append(
                    (self.shown_fields()[0], _l("Check this rule: it does not add up."))
                )
        for field, message in problems:
            field.errors.append(message)
        return not problems


class QuestionForm(Form):
    """One of the organiser's own questions (not a target-group rule)."""

    id = HiddenField()
    kind = SelectField(_l("Kind of answer"), choices=choices(QUESTION_KINDS))
    text = StringField(_l("The question"), validators=[Length(max=500)], filters=[strip])
    purpose = StringField(
        _l("Why you ask it (shown under the question)"),
        validators=[Length(max=500)],
        filters=[strip],
        description=_l("For example: for the lunch order."),
    )
    choice_list = TextAreaField(
        _l("The choices, one a line (choice questions only)"), validators=[Length(max=2000)]
    )
    required = BooleanField(_l("An answer is required"))
    audience = RadioField(
        _l("Where the answers are shown"),
        choices=choices(QUESTION_AUDIENCES),
        default=questions.ORGANISER_ONLY,
        validate_choice=False,
    )

    def shown_fields(self) -> list:
        return [self.kind, self.text, self.purpose, self.choice_list, self.required, self.audience]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        kind = self.kind.data if self.kind.data in QUESTION_KINDS else questions.TEXT
        audience = self.audience.data if self.audience.data in QUESTION_AUDIENCES else ""
        if not audience:
            self.audience.errors.append(_l("Choose where the answers are shown."))
            return False
        picked = questions.parse_choices(self.choice_list.data or "")
        if kind not in questions.CHOICE_KINDS:
            picked = ()  # choices typed for another kind are not kept
        problems = questions.check(kind, self.text.data or "", audience, picked)
        fields = {
            "Write the question.": self.text,
            "Only a choice question can count in the reach report.": self.audience,
        }
        for problem in problems:
            fields.get(problem, self.choice_list).errors.append(_l(problem))
        return valid and not problems

    def to_data(self) -> QuestionData:
        kind = self.kind.data
        return QuestionData(
            id=_int_or_none(self.id.data),
            kind=kind,
            text=self.text.data,
            purpose=self.purpose.data or "",
            required=bool(self.required.data),
            audience=self.audience.data,
            choices=questions.parse_choices(self.choice_list.data or "")
            if kind in questions.CHOICE_KINDS
            else (),
        )


class Problem:
    """An error that belongs to a part of the form, not to one field (for the summary)."""

    type = "Problem"

    def __init__(self, id: str):
        self.id = id
        self.errors: list = []


def offset_choices() -> list[SelectChoice]:
    return [SelectChoice("0", str(_l("No reminder")))] + [
        SelectChoice(str(minutes), labels.offset_label(minutes)) for minutes in REMINDER_OFFSETS
    ]


class EventForm(FlaskForm):
    title = StringField(
        _l("Title"),
        validators=[InputRequired(_l("Enter the title.")), Length(max=200)],
        filters=[strip],
    )
    summary = StringField(
        _l("Summary (optional)"),
        validators=[Length(max=300)],
        filters=[strip],
        description=_l("One sentence for the calendar, at most 300 characters."),
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Length(max=20000)],
        description=_l(
            "Markdown: a blank line between paragraphs, **bold**, lines starting with - for "
            "a list, [link text](https://example.fi) for a link."
        ),
    )
    title_sv = StringField(
        _l("Title in Swedish (optional)"), validators=[Length(max=200)], filters=[strip]
    )
    title_en = StringField(
        _l("Title in English (optional)"), validators=[Length(max=200)], filters=[strip]
    )
    description_sv = TextAreaField(
        _l("Description in Swedish (optional)"),
        validators=[Length(max=20000)],
        description=_l("Left empty, the Finnish description is shown."),
    )
    description_en = TextAreaField(
        _l("Description in English (optional)"),
        validators=[Length(max=20000)],
        description=_l("Left empty, the Finnish description is shown."),
    )
    organisation_id = SelectField(
        _l("Organisation"), coerce=int, validators=[InputRequired(_l("Choose the organisation."))]
    )
    category_id = SelectField(
        _l("Category"), coerce=int, validators=[InputRequired(_l("Choose the category."))]
    )
    kind = SelectField(_l("Kind of event"), choices=choices(labels.KINDS))
    attendance_mode = RadioField(
        _l("How people take part"),
        choices=choices(labels.ATTENDANCE),
        default="in_person",
        validators=[InputRequired(_l("Choose how people take part."))],
    )
    language = CheckboxesField(
        _l("Language of the event"), choices=choices(labels.LANGUAGES), default=["fi"]
    )
    target_group = StringField(
        _l("Target group in one line (optional)"),
        validators=[Length(max=300)],
        filters=[strip],
        description=_l(
            "For example: young men in the Lahti region. Left empty, the event page "
            "describes the target-group rules below."
        ),
    )
    sessions = FieldList(FormField(SessionForm), max_entries=MAX_SESSIONS)
    capacity = IntegerField(
        _l("Seats"),
        validators=[
            InputRequired(_l("Enter the number of seats.")),
            NumberRange(0, 100000, _l("Enter 0 or more seats.")),
        ],
        invalid_value_message=_l("Enter the number of seats as a whole number."),
    )
    waitlist_enabled = BooleanField(_l("Keep a waiting list when the seats are taken"))
    waitlist_cap = IntegerField(
        _l("Places on the waiting list (optional)"),
        validators=[Optional(), NumberRange(0, 100000, _l("Enter 0 or more places."))],
        invalid_value_message=_l("Enter the number of places as a whole number."),
        description=_l("Leave empty for a waiting list without a limit."),
    )
    enrol_opens_at = DateTimeLocalField(
        _l("Enrolment opens (optional)"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M", "%d.%m.%Y %H.%M"],
        validators=[Optional()],
        invalid_value_message=_l("Enter the date and time, for example 2027-05-02 09:00."),
        description=_l("Finnish time. Left empty, enrolment opens when the event is published."),
    )
    enrol_closes_at = DateTimeLocalField(
        _l("Enrolment closes (optional)"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M", "%d.%m.%Y %H.%M"],
        validators=[Optional()],
        invalid_value_message=_l("Enter the date and time, for example 2027-06-01 16:00."),
        description=_l("Finnish time. Left empty, enrolment closes when the first session starts."),
    )
    rules = FieldList(FormField(RuleForm), max_entries=MAX_RULES)
    new_rule_kind = SelectField(
        _l("Kind of the new rule"), choices=choices(RULE_KINDS), validate_choice=False
    )
    questions = FieldList(FormField(QuestionForm), max_entries=MAX_QUESTIONS)
    feedback_hours = IntegerField(
        _l("Feedback request, hours after the last session"),
        default=2,
        validators=[
            Optional(),
            NumberRange(0, 24 * 14, _l("Enter between 0 and 336 hours.")),
        ],
        invalid_value_message=_l("Enter the hours as a whole number."),
        description=_l(
            "Those marked present get one question: was this worth your time? Empty: 2 hours."
        ),
    )
    feedback_named = BooleanField(
        _l("Named feedback: the answers carry the person's name (otherwise anonymous)")
    )
    contact_name = StringField(_l("Contact person"), validators=[Length(max=200)], filters=[strip])
    contact_email = EmailField(
        _l("Contact email"),
        validators=[
            Optional(),
            Length(max=254),
            Email(_l("Enter an email address like name@example.fi."), check_deliverability=False),
        ],
        filters=[strip],
    )
    contact_phone = TelField(
        _l("Contact phone (optional)"),
        validators=[
            Optional(),
            Length(max=40),
            Regexp(r"^\+?[0-9 ()\-]{5,}$", message=_l("Enter a phone number like 040 123 4567.")),
        ],
        filters=[strip],
    )
    accessibility = TextAreaField(
        _l("Accessibility of the venue"),
        validators=[Length(max=2000)],
        description=_l(
            "For example: step-free entrance, lift, accessible toilet, induction loop, parking."
        ),
    )
    what_to_bring = TextAreaField(
        _l("What to bring or know (optional)"),
        validators=[Length(max=2000)],
        description=_l("Shown on the event page and in the reminders."),
    )
    reminder_first = SelectField(
        _l("First reminder"),
        coerce=int,
        default=REMINDER_FIRST,
        description=_l("By email, and by text message to those who ask for texts."),
    )
    reminder_second = SelectField(
        _l("Second reminder"),
        coerce=int,
        default=REMINDER_SECOND,
        description=_l("By text message only, to those who ask for texts."),
    )

    require_sessions = False  # a published event must keep at least one session

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reminder_first.choices = self.reminder_second.choices = offset_choices()
        self.sessions_problem = Problem("sessions")
        self.preview_html = None

    def _sessions_fields(self) -> list:
        return [self.sessions_problem] + [
            field for entry in self.sessions for field in entry.form.shown_fields()
        ]

    def ordered_fields(self) -> list:
        """Every field in the order the form shows it (and the error summary lists it)."""
        return [
            self.title,
            self.summary,
            self.description,
            self.title_sv,
            self.title_en,
            self.description_sv,
            self.description_en,
            self.organisation_id,
            self.category_id,
            self.kind,
            self.attendance_mode,
            self.language,
            *self._sessions_fields(),
            self.capacity,
            self.waitlist_enabled,
            self.waitlist_cap,
            self.enrol_opens_at,
            self.enrol_closes_at,
            self.target_group,
            *(field for entry in self.rules for field in entry.form.shown_fields()),
            *(field for entry in self.questions for field in entry.form.shown_fields()),
            self.feedback_hours,
            self.feedback_named,
            self.contact_name,
            self.contact_email,
            self.contact_phone,
            self.accessibility,
            self.what_to_bring,
            self.reminder_first,
            self.reminder_second,
        ]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        problems = []
        opens, closes = self.enrol_opens_at.data, self.enrol_closes_at.data
        if opens and closes and closes <= opens:
            problems.append((self.enrol_closes_at, _l("Enrolment must close after it opens.")))
        if not self.language.data:
            problems.append((self.language, _l("Choose at least one language.")))
        if self.require_sessions and not self.sessions.entries:
            problems.append(
                (self.sessions_problem, _l("A published event needs at least one session."))
            )
        if self.attendance_mode.data in ("in_person", "hybrid"):
            for entry in self.sessions:
                if not entry.form.place.data:
                    message = _l("Enter the place, or choose online attendance.")
                    problems.append((entry.form.place, message))
        for field, message in problems:
            field.errors.append(message)
        return valid and not problems

    def apply_button(self, formdata) -> bool:
        """Handle "add a session", "remove", "add a rule" and "preview"; True if one was
        pressed (then the form is shown again as it is, without checking it)."""
        if "add_session" in formdata:
            if len(self.sessions) < MAX_SESSIONS:  # a new session starts as a copy of the last
                last = self.sessions.entries[-1].form if self.sessions.entries else None
                copied = ("start", "end", "place", "address", "room", "online_url")
                self.sessions.append_entry(
                    {name: getattr(last, name).data for name in copied} if last else {}
                )
            return True
        if "add_rule" in formdata:
            if len(self.rules) < MAX_RULES:
                kind = self.new_rule_kind.data if self.new_rule_kind.data in RULE_KINDS else "age"
                self.rules.append_entry({"kind": kind, "strict": "strict"})
            return True
        if "add_question" in formdata:
            if len(self.questions) < MAX_QUESTIONS:
                self.questions.append_entry({"kind": questions.TEXT})
            return True
        removable = (
            ("remove_session", self.sessions),
            ("remove_rule", self.rules),
            ("remove_question", self.questions),
        )
        for name, entries in removable:
            index = _int_or_none(formdata.get(name))
            if index is not None:
                if index < len(entries):
                    entries.pop_entry(index)
                return True
        if "preview_description" in formdata:
            from eventsapp import markdown  # only the preview needs it

            self.preview_html = markdown.render(self.description.data or "")
            return True
        return False

    def to_data(self) -> EventData:
        return EventData(
            organisation_id=self.organisation_id.data,
            category_id=self.category_id.data,
            title=self.title.data,
            kind=self.kind.data,
            summary=self.summary.data or "",
            description=(self.description.data or "").strip(),
            title_sv=self.title_sv.data or "",
            title_en=self.title_en.data or "",
            description_sv=(self.description_sv.data or "").strip(),
            description_en=(self.description_en.data or "").strip(),
            language=",".join(code for code in labels.LANGUAGES if code in self.language.data),
            attendance_mode=self.attendance_mode.data,
            capacity=self.capacity.data,
            waitlist_enabled=bool(self.waitlist_enabled.data),
            waitlist_cap=self.waitlist_cap.data,
            enrol_opens_at=helsinki_to_utc(self.enrol_opens_at.data),
            enrol_closes_at=helsinki_to_utc(self.enrol_closes_at.data),
            target_group=self.target_group.data or "",
            contact_name=self.contact_name.data or "",
            contact_email=self.contact_email.data or "",
            contact_phone=self.contact_phone.data or "",
            accessibility=(self.accessibility.data or "").strip(),
            what_to_bring=(self.what_to_bring.data or "").strip(),
            reminder_first=self.reminder_first.data,
            reminder_second=self.reminder_second.data,
            sessions=tuple(entry.form.to_data() for entry in self.sessions),
            rules=tuple(entry.form.to_data() for entry in self.rules),
            questions=tuple(entry.form.to_data() for entry in self.questions),
            feedback_hours=self.feedback_hours.data,
            feedback_named=bool(self.feedback_named.data),
        )


def new_event_data(organisation_id: int | None, contact_name: str, contact_email: str) -> dict:
    """What a new event's form starts with: one empty session."""
    return {
        "organisation_id": organisation_id,
        "kind": "other",
        "attendance_mode": "in_person",
        "language": ["fi"],
        "capacity": 20,
        "waitlist_enabled": True,
        "reminder_first": REMINDER_FIRST,
        "reminder_second": REMINDER_SECOND,
        "contact_name": contact_name,
        "contact_email": contact_email,
        "sessions": [{}],
        "rules": [],
        "questions": [],
    }


def event_data(event) -> dict:
    """An event as the form's starting data, times in Helsinki."""
    return {
        **{
            name: getattr(event, name)
            for name in (
                "title",
                "summary",
                "description",
                "title_sv",
                "title_en",
                "description_sv",
                "description_en",
                "organisation_id",
                "category_id",
                "kind",
                "attendance_mode",
                "target_group",
                "capacity",
                "waitlist_enabled",
                "waitlist_cap",
                "contact_name",
                "contact_email",
                "contact_phone",
                "accessibility",
                "what_to_bring",
                "reminder_first",
                "reminder_second",
            )
        },
        "language": [code.strip() for code in event.language.split(",") if code.strip()],
        "enrol_opens_at": utc_to_helsinki(event.enrol_opens_at),
        "enrol_closes_at": utc_to_helsinki(event.enrol_closes_at),
        "sessions": [_session_data(session) for session in event.sessions],
        "rules": [_rule_data(rule) for rule in event.rules],
        "questions": [_question_data(question) for question in _questions_of(event.id)],
        **_feedback_data(event.id),
    }


def _session_data(session) -> dict:
    starts, ends = utc_to_helsinki(session.starts_at), utc_to_helsinki(session.ends_at)
    return {
        "id": str(session.id),
        "date": starts.date(),
        "start": starts.time(),
        "end": ends.time(),
        "place": session.place,
        "address": session.address,
        "room": session.room,
        "online_url": session.online_url,
    }


def _feedback_data(event_id: int) -> dict:
    from eventsapp.feedback.services import setting_of

    setting = setting_of(event_id)
    return {"feedback_hours": setting.hours_after, "feedback_named": setting.named}


def _questions_of(event_id: int) -> list:
    from eventsapp.questions import services as question_services

    return question_services.of_event(event_id)


def _question_data(question) -> dict:
    return {
        "id": str(question.id),
        "kind": question.kind,
        "text": question.text,
        "purpose": question.purpose,
        "choice_list": "\n".join(question.choices or ()),
        "required": question.required,
        "audience": question.audience,
    }


def _rule_data(rule) -> dict:
    allowed = set(rule.allowed or ())
    region = rule.kind == "municipality" and allowed >= eligibility.LAHTI_REGION
    others = allowed - eligibility.LAHTI_REGION if region else allowed
    return {
        "id": str(rule.id),
        "kind": rule.kind,
        "strict": "strict" if rule.strict else "soft",
        "min_age": rule.min_age,
        "max_age": rule.max_age,
        "lahti_region": region,
        "municipalities": ", ".join(
            sorted((municipalities.name_of(code) for code in others), key=str.casefold)
        )
        if rule.kind == "municipality"
        else "",
        "genders": sorted(allowed) if rule.kind == "gender" else [],
        "statuses": sorted(allowed) if rule.kind == "employment_status" else [],
        "question": rule.text if rule.kind == "question" else "",
        "required_answer": {True: "yes", False: "no"}.get(rule.required_answer),
        "text": rule.text if rule.kind != "question" else "",
    }


class ReviewForm(FlaskForm):
    """Approve or reject a pending enrolment, with an optional message to the person."""

    message = TextAreaField(
        _l("Message to the person (optional)"),
        validators=[Length(max=2000, message=_l("At most 2000 characters."))],
        filters=[strip],
    )


class MessageForm(FlaskForm):
    group = RadioField(
        _l("To whom"),
        choices=choices(MESSAGE_GROUPS),
        default="confirmed",
        validators=[InputRequired(_l("Choose to whom the message goes."))],
    )
    subject = StringField(
        _l("Subject"),
        validators=[InputRequired(_l("Enter the subject.")), Length(max=200)],
        filters=[strip],
    )
    body = TextAreaField(
        _l("Message"),
        validators=[InputRequired(_l("Write the message.")), Length(max=10000)],
        description=_l("Plain text. Each person's mail also has the event's details and contact."),
    )

    def ordered_fields(self) -> list:
        return [self.group, self.subject, self.body]
