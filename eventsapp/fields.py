"""Form fields for one line of text: a line break, a tab or another control character typed
or pasted into a name, a title, a place or a subject becomes a space.

A CR/LF in one participant's name once made every mail of the event fail to render (a header
cannot hold a line break). Every form takes StringField, TelField and EmailField from here;
TextAreaField (several lines on purpose) stays as WTForms has it.
"""

import re

from flask_babel import lazy_gettext as _l
from wtforms import fields
from wtforms.validators import Email, InputRequired, Length

CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def one_line(value: str) -> str:
    """The text with every line break and control character as one space."""
    return CONTROL.sub(" ", value)


class _OneLine:
    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, str):
            self.data = one_line(self.data)


class StringField(_OneLine, fields.StringField):
    pass


class TelField(_OneLine, fields.TelField):
    pass


class EmailField(_OneLine, fields.EmailField):
    pass


def strip(value):
    return value.strip() if isinstance(value, str) else value


def email_field(description=None, autocomplete: str = "email", **kwargs) -> "EmailField":
    """A required email address, one way everywhere: the same messages, length and keyboard."""
    return EmailField(
        kwargs.pop("label", _l("Email")),
        validators=[
            InputRequired(_l("Enter your email address.")),
            Length(max=254),
            Email(_l("Enter an email address like name@example.fi."), check_deliverability=False),
        ],
        description=description,
        filters=[strip],
        render_kw={"autocomplete": autocomplete, "inputmode": "email"},
        **kwargs,
    )
