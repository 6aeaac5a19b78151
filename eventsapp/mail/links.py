"""The links that messages carry: the one place where a person's manage link is built.

Mail, calendar entries and text messages all take their links from here, so that how a manage
token is made (and kept) is decided once.
"""

from urllib.parse import quote_plus

from flask import current_app

from eventsapp.models import Enrolment, Event


def absolute(path: str) -> str:
    return current_app.config["EVENTSAPP_BASE_URL"].rstrip("/") + path


def manage_token(enrolment: Enrolment) -> str:
    """The secret in a person's manage link."""
    return enrolment.token


def manage_url(enrolment: Enrolment) -> str:
    return absolute(f"/enrolments/{manage_token(enrolment)}")


def short_url(enrolment: Enrolment) -> str:
    """The manage link for a text message: /e/<token> redirects to the manage page."""
    return absolute(f"/e/{manage_token(enrolment)}")


def event_url(event: Event) -> str:
    return absolute(f"/events/{event.id}-{event.slug}" if event.slug else f"/events/{event.id}")


def map_url(address: str) -> str:
    """A map search for an address (OpenStreetMap: no account, no tracking)."""
    return f"https://www.openstreetmap.org/search?query={quote_plus(address)}"
