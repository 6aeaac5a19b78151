"""The coordinator's forms: member organisations, invitations and staff accounts."""

import re
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Form,
    SelectField,
    SelectMultipleField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from eventsapp.admin import services
from eventsapp.fields import EmailField, StringField, TelField, strip
from eventsapp.models import Organisation, Role

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
PHONE = r"^\+?[0-9 ()\-]{5,}$"

ROLE_LABELS = {
    Role.COORDINATOR: _l("Coordinator"),
    Role.ORGANISER: _l("Organiser"),
    Role.COACH: _l("Coach"),
}
STATUS_LABELS = {
    services.STATUS_ACTIVE: _l("Active"),
    services.STATUS_INVITED: _l("Invited, no password yet"),
    services.STATUS_DEACTIVATED: _l("Deactivated"),
}


def too_long(limit: int) -> Length:
    return Length(max=limit, message=_l("Use at most %(max)d characters."))


def lower(value):
    return value.lower() if isinstance(value, str) else value


def web_address(_form, field) -> None:
    """An http or https address with a host name, as a browser can open it."""
    if not field.data:
        return
    try:
        parts = urlsplit(field.data)
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or "." not in host.strip(".")
        or re.search(r"\s", field.data)
    ):
        raise ValidationError(
            _l("Enter the whole address of the website, for example https://www.lab.fi.")
        )


class OrganisationForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter the organisation's name.")), too_long(200)],
        filters=[strip],
    )
    short_name = StringField(
        _l("Short name (optional)"),
        validators=[Optional(), too_long(80)],
        description=_l("For example LAB or DILA: shown where there is little room."),
        filters=[strip],
    )
    slug = StringField(
        _l("Name in web addresses (optional)"),
        validators=[
            Optional(),
            too_long(80),
            Regexp(
                SLUG,
                message=_l(
                    "Use only the letters a–z, digits and single hyphens between them, for "
                    "example ohjaamo-lahti."
                ),
            ),
        ],
        description=_l(
            "Lowercase letters a–z, digits and hyphens. Leave it empty to make one from the "
            "name. Changing it breaks links that people have saved."
        ),
        filters=[strip, lower],
    )
    website = URLField(
        _l("Website (optional)"),
        validators=[Optional(), too_long(300), web_address],
        description=_l("The whole address, starting with https://"),
        filters=[strip],
        render_kw={"inputmode": "url"},
    )
    email = EmailField(
        _l("Contact email (optional)"),
        validators=[
            Optional(),
            too_long(254),
            Email(_l("Enter an email address like name@example.fi."), check_deliverability=False),
        ],
        filters=[strip],
        render_kw={"inputmode": "email"},
    )
    phone = TelField(
        _l("Contact phone (optional)"),
        validators=[
            Optional(),
            too_long(40),
            Regexp(PHONE, message=_l("Enter a phone number like 040 123 4567.")),
        ],
        filters=[strip],
    )

    def fields_in_order(self) -> list:
        return [self.name, self.short_name, self.slug, self.website, self.email, self.phone]

    def to_data(self) -> services.OrganisationData:
        return services.OrganisationData(
            name=self.name.data,
            short_name=self.short_name.data or "",
            slug=self.slug.data or "",
            website=self.website.data or "",
            email=self.email.data or "",
            phone=self.phone.data or "",
        )


class UserForm(FlaskForm):
    """A staff member's name, roles and organisations."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter the person's name.")), too_long(200)],
        filters=[strip],
        render_kw={"autocomplete": "off"},
    )
    coordinator = BooleanField(
        _l("Network coordinator"),
        description=_l("Manages member organisations and user accounts, and sees every event."),
    )
    organiser_of = SelectMultipleField(
        _l("Organiser in"),
        coerce=int,
        description=_l("Publishes and manages the events of these organisations."),
    )
    coach_of = SelectMultipleField(
        _l("Coach in"),
        coerce=int,
        description=_l("Enrols their clients in events, as a personal coach of these."),
    )

    def set_organisations(self, organisations: list[Organisation]) -> None:
        choices = [SelectChoice(org.id, org.name) for org in organisations]
        self.organiser_of.choices = choices
        self.coach_of.choices = choices

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        roles = self.role_fields()
        if not any(field.errors for field in roles) and not any(field.data for field in roles):
            self.coordinator.errors = [
                *self.coordinator.errors,
                _l("Give the person at least one role: coordinator, organiser or coach."),
            ]
            return False
        return valid

    def role_fields(self) -> list:
        return [self.coordinator, self.organiser_of, self.coach_of]

    def fields_in_order(self) -> list:
        return [self.name, *self.role_fields()]

    def roles(self) -> dict:
        return {
            "name": self.name.data,
            "coordinator": self.coordinator.data,
            "organiser_of": self.organiser_of.data or [],
            "coach_of": self.coach_of.data or [],
        }


class InviteForm(UserForm):
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(_l("Enter the person's email address.")),
            too_long(254),
            Email(_l("Enter an email address like name@example.fi."), check_deliverability=False),
        ],
        description=_l("The invitation, with a link for setting a password, is sent here."),
        filters=[strip],
        render_kw={"inputmode": "email", "autocomplete": "off"},
    )

    existing = None  # the account that has the address already

    def validate_email(self, field) -> None:
        refused = services.check_new_email(field.data or "")
        if refused is not None:
            self.existing = refused.subject
            raise ValidationError(refused.message)

    def fields_in_order(self) -> list:
        return [self.email, *super().fields_in_order()]


def any_or(everything, labels: dict) -> list[SelectChoice]:
    """A filter's choices: "" for no filter, then the values with their labels."""
    return [SelectChoice("", everything), *(SelectChoice(v, label) for v, label in labels.items())]


class UserFilterForm(Form):
    """The filters of the list of users: a GET form, without CSRF (it changes nothing)."""

    q = StringField(_l("Name or email"), filters=[strip], validators=[Optional(), too_long(100)])
    role = SelectField(
        _l("Role"),
        choices=any_or(_l("All roles"), ROLE_LABELS),
        validate_choice=True,
    )
    organisation = SelectField(_l("Organisation"), coerce=str, validate_choice=True)
    status = SelectField(
        _l("Status"),
        choices=any_or(_l("All"), STATUS_LABELS),
        validate_choice=True,
    )

    def set_organisations(self, organisations: list[Organisation]) -> None:
        self.organisation.choices = any_or(
            _l("All organisations"), {str(org.id): org.name for org in organisations}
        )

    def to_filter(self) -> services.UserFilter:
        """What the list shows; a value that is not one of the choices is ignored."""
        self.validate()

        def good(field) -> str:
            return "" if field.errors else (field.data or "")

        organisation = good(self.organisation)
        return services.UserFilter(
            q=good(self.q),
            role=good(self.role),
            organisation_id=int(organisation) if organisation else None,
            status=good(self.status),
        )
