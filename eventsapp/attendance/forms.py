"""The forms of the attendance list. Each row has a small form of its own, so one tap marks one
person without JavaScript; the bulk form marks everyone unmarked, or the people ticked."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from eventsapp.models import AttendanceStatus

CLEAR = "clear"
UNMARKED = "unmarked"
SELECTED = "selected"

MARKS = {
    AttendanceStatus.ATTENDED: _l("Came"),
    AttendanceStatus.NO_SHOW: _l("Did not come"),
}


class _Ids(SelectMultipleField):
    """Enrolment ids; which of them may be marked is the service's to judge."""

    def pre_validate(self, form) -> None:
        pass


class MarkForm(FlaskForm):
    """One person: came, did not come, or clear the mark."""

    session = IntegerField(validators=[InputRequired()])
    enrolment = IntegerField(validators=[InputRequired()])
    status = RadioField(
        choices=[SelectChoice(value, value) for value in (*MARKS, CLEAR)],
        validators=[InputRequired(_l("Choose came or did not come."))],
    )


class BulkForm(FlaskForm):
    """Everyone still unmarked (the ids listed on the page), or the people ticked."""

    session = IntegerField(validators=[InputRequired()])
    scope = RadioField(
        choices=[SelectChoice(value, value) for value in (UNMARKED, SELECTED)],
        validators=[InputRequired()],
    )
    status = RadioField(
        _l("Mark the selected people as"),
        choices=[SelectChoice(value, label) for value, label in MARKS.items()],
        validators=[InputRequired(_l("Choose came or did not come."))],
    )
    enrolment = _Ids(coerce=int)
