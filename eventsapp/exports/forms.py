"""The export form: which people, which columns, which file. A GET form without CSRF: it only
leads to the download URLs (and those record the export in the audit log)."""

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import Form, RadioField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

from eventsapp.exports import services
from eventsapp.labels import STATUSES as STATUS_LABELS

FORMAT_LABELS = {
    "xlsx": _l("Excel workbook (XLSX)"),
    "csv": _l("CSV text file"),
    "pdf": _l("Sign-in sheet to print (PDF)"),
}
DELIMITER_LABELS = {
    "semicolon": _l("Semicolon (;) – Excel in Finnish opens this one directly"),
    "comma": _l("Comma (,) – for other programs and Excel in English"),
}


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(key, label) for key, label in labels.items()]


def _at_least_one(message):
    def check(form, field):
        if not field.data:
            raise ValidationError(message)

    return check


class ExportForm(Form):
    status = SelectMultipleField(
        _l("Whose enrolments"),
        choices=[SelectChoice(key, STATUS_LABELS[key]) for key in services.STATUSES],
        default=list(services.DEFAULT_STATUSES),
        validators=[_at_least_one(_l("Choose at least one status."))],
    )
    columns = SelectMultipleField(
        _l("Columns"),
        description=_l("The sign-in sheet shows the names, and the municipality if you choose it."),
        choices=_choices(services.COLUMNS),
        default=list(services.DEFAULT_COLUMNS),
        validators=[_at_least_one(_l("Choose at least one column."))],
    )
    format = RadioField(_l("File"), choices=_choices(FORMAT_LABELS), default="xlsx")
    delimiter = RadioField(
        _l("Separator in a CSV file"),
        choices=_choices(DELIMITER_LABELS),
        default="semicolon",
        validators=[Optional()],
    )

    @classmethod
    def from_args(cls, args) -> "ExportForm":
        """The form as sent; "a,b" counts as two choices, as in the download URLs."""
        data = MultiDict(args)
        for name in ("status", "columns"):
            data.setlist(name, services.split_values(args.getlist(name)))
        return cls(data)

    def show_counts(self, counts: dict[str, int]) -> None:
        """Each status with how many people are in it: "Confirmed (12)"."""
        self.status.choices = [
            SelectChoice(key, f"{STATUS_LABELS[key]} ({counts.get(key, 0)})")
            for key in services.STATUSES
        ]

    def check_size(self, counts: dict[str, int]) -> bool:
        """A sign-in sheet is refused beyond PDF_MAX_NAMES names; say so beside the choice."""
        if self.format.data != "pdf":
            return True
        names = sum(counts.get(key, 0) for key in self.status.data or ())
        if names <= services.PDF_MAX_NAMES:
            return True
        self.format.errors = [
            *self.format.errors,
            _l(
                "A sign-in sheet can hold at most %(max)d names, and %(num)d are chosen. "
                "Choose fewer statuses, or take an Excel or CSV file.",
                max=services.PDF_MAX_NAMES,
                num=names,
            ),
        ]
        return False

    def query(self) -> dict[str, str]:
        """The download URL's arguments for what was chosen."""
        args = {
            "status": ",".join(self.status.data),
            "columns": ",".join(c for c in services.COLUMNS if c in self.columns.data),
        }
        if self.format.data == "csv":
            args["delimiter"] = self.delimiter.data or "comma"
        return args
