"""What every page shares: the locale, template filters, security headers and error pages."""

from urllib.parse import urlencode

from flask import Flask, abort, g, render_template, request
from flask_babel import format_date, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.routing import IntegerConverter

from eventsapp import labels

LANG_COOKIE = "lang"
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


class DatabaseInt(IntegerConverter):
    """`<int:…>` bounded to the id columns' range: /events/99999999999999999999 is a 404,
    not a database error."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


# Pages anyone may keep in a cache: the public calendar, for visitors who are not signed in.
# Every other response (manage links, offers, feedback, every staff page) is "no-store".
CACHEABLE = frozenset(
    {
        "static",
        "catalogue.index",
        "catalogue.event",
        "catalogue.event_ics",
        "catalogue.calendar_ics",
        "catalogue.privacy",
        "api.events",
        "api.event",
        "api.organisations",
        "api.categories",
        "api.openapi",
        "embed.index",
        "embed.event",
        "seo.sitemap",
        "seo.robots",
    }
)


def is_private(endpoint: str | None, signed_in: bool) -> bool:
    """Whether a response may hold personal data: anything for a signed-in user (their name
    is in the header), and every page but the public calendar's."""
    return signed_in or endpoint not in CACHEABLE


ERRORS = {
    400: (_l("Something in the request was wrong"), _l("Please go back and try again.")),
    404: (
        _l("Page not found"),
        _l("The page does not exist, or it is no longer available. Check the address."),
    ),
    405: (_l("That does not work here"), _l("Please go back and try again.")),
    413: (
        _l("Too much text"),
        _l("What you sent was too long. Please shorten it and send it again."),
    ),
    429: (
        _l("Too many tries"),
        _l("Please wait a minute and try again. Nothing was saved from this try."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("Nothing you did caused this. Please try again in a moment."),
    ),
}


def select_locale() -> str:
    languages = g.get("languages") or ("fi",)
    wanted = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    return wanted if wanted in languages else languages[0]


def language_url(code: str) -> str:
    """This page and its query, in another language (the `lang` parameter replaced)."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    return f"{request.path}?{urlencode([*args, ('lang', code)])}"


def register(app: Flask) -> None:
    languages = tuple(app.config["LANGUAGES"])

    @app.before_request
    def _languages() -> None:
        g.languages = languages

    @app.before_request
    def _no_nul() -> None:
        """A NUL character is never part of real text, and PostgreSQL refuses it: such a
        request is answered 400 before it reaches a form or a query."""
        values = [*request.args.values()]
        if request.method == "POST" and request.mimetype in FORM_TYPES:
            values += request.form.values()
        if any("\x00" in value for value in values):
            abort(400)

    @app.after_request
    def _headers(response):
        wanted = request.args.get("lang")
        if wanted in languages and request.cookies.get(LANG_COOKIE) != wanted:
            response.set_cookie(
                LANG_COOKIE, wanted, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
            )
        headers = response.headers
        if is_private(request.endpoint, current_user.is_authenticated):
            headers["Cache-Control"] = "no-store"
        headers.setdefault("X-Content-Type-Options", "nosniff")
        if not g.get("framable"):  # only the embed routes may be framed (eventsapp.embed)
            headers.setdefault("X-Frame-Options", "DENY")
        # Manage links carry a secret token: never send it to another site.
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
        )
        return response

    app.jinja_env.filters.update(
        date=lambda value, fmt="medium": format_date(value, fmt),
        **labels.JINJA_FILTERS,
    )
    app.jinja_env.globals.update(
        languages=languages,
        current_locale=lambda: str(get_locale()),
        language_url=language_url,
        **labels.JINJA_GLOBALS,
        **labels.JINJA_FUNCTIONS,
    )

    def error_page(code: int):
        def handler(_error):
            title, message = ERRORS[code]
            return render_template("errors/error.html", title=title, message=message), code

        return handler

    for code in ERRORS:
        app.register_error_handler(code, error_page(code))

    @app.errorhandler(CSRFError)
    def _csrf(_error):
        title = _l("The form had expired")
        message = _l("Please go back, reload the page and send the form again.")
        return render_template("errors/error.html", title=title, message=message), 400
