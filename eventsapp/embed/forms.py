"""The snippet builder's choices: the calendar's own filters, a language and an accent colour
from a fixed palette (colours that keep AA contrast with white text)."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from eventsapp.labels import KINDS

ACCENTS = {
    "": _l("The service's own"),
    "teal": _l("Teal"),
    "blue": _l("Blue"),
    "purple": _l("Purple"),
    "green": _l("Green"),
    "red": _l("Red"),
}
LANGS = {"fi": "Suomeksi", "sv": "På svenska", "en": "In English"}


class EmbedForm(FlaskForm):
    organisation = SelectField(_l("Organisation"), validators=[Optional()])
    category = SelectField(_l("Category"), validators=[Optional()])
    kind = SelectField(_l("Kind of event"), validators=[Optional()])
    lang = SelectField(
        _l("Language"), choices=[SelectChoice(k, v) for k, v in LANGS.items()], default="fi"
    )
    accent = SelectField(
        _l("Accent colour"), choices=[SelectChoice(k, v) for k, v in ACCENTS.items()], default=""
    )

    def set_choices(self, categories, organisations, own: set[int]) -> None:
        """Organisers see their own organisations first (the coordinator sees all alike)."""
        ordered = sorted(organisations, key=lambda org: (org.id not in own, org.name))
        locale = str(get_locale() or "fi")
        self.organisation.choices = [SelectChoice("", str(_l("All organisations")))] + [
            SelectChoice(org.slug, org.name) for org in ordered
        ]
        self.category.choices = [SelectChoice("", str(_l("All categories")))] + [
            SelectChoice(cat.slug, cat.name(locale)) for cat in categories
        ]
        self.kind.choices = [SelectChoice("", str(_l("All kinds")))] + [
            SelectChoice(k, v) for k, v in KINDS.items()
        ]

    def params(self) -> dict[str, str]:
        """The embed URL's query: only what was chosen."""
        names = ("organisation", "category", "kind", "lang", "accent")
        chosen = {name: self[name].data for name in names if self[name].data}
        if chosen.get("lang") == "fi":  # the default
            del chosen["lang"]
        return chosen
