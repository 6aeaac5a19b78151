"""Log in, change and reset a password."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    PasswordField,
)
from wtforms.validators import EqualTo, InputRequired, Length

from eventsapp.fields import EmailField, email_field, strip

MIN_PASSWORD = 10


def new_password_fields():
    return (
        PasswordField(
            _l("New password"),
            validators=[
                InputRequired(_l("Enter a new password.")),
                Length(
                    min=MIN_PASSWORD,
                    max=200,
                    message=_l("Use at least 10 characters."),
                ),
            ],
            description=_l("At least 10 characters. A few words in a row are easy to remember."),
            render_kw={"autocomplete": "new-password"},
        ),
        PasswordField(
            _l("New password again"),
            validators=[
                InputRequired(_l("Enter the new password again.")),
                EqualTo("password", _l("The passwords are not the same.")),
            ],
            render_kw={"autocomplete": "new-password"},
        ),
    )


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[InputRequired(_l("Enter your email address.")), Length(max=254)],
        filters=[strip],
        render_kw={"autocomplete": "username", "inputmode": "email"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[InputRequired(_l("Enter your password.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me signed in on this device"))


class ResetRequestForm(FlaskForm):
    email = email_field(autocomplete="username")


class SetPasswordForm(FlaskForm):
    password, confirm = new_password_fields()


class ChangePasswordForm(FlaskForm):
    current = PasswordField(
        _l("Current password"),
        validators=[InputRequired(_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = new_password_fields()
