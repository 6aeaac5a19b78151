"""Feedback after the event (issue 9, part 3): the participant's page and the organiser's."""

from eventsapp.feedback.routes import bp

__all__ = ["bp"]
