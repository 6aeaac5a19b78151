"""SQLAlchemy 2 typed models, one file per part of the domain."""

from eventsapp.models.account import MEMBER_ROLES, Membership, Role, User
from eventsapp.models.catalogue import Category, Organisation
from eventsapp.models.client import Client
from eventsapp.models.enrolment import (
    ACTIVE_STATUSES,
    Enrolment,
    EnrolmentStatus,
    InvalidTransition,
    email_key,
)
from eventsapp.models.event import (
    AttendanceMode,
    EligibilityRule,
    Event,
    EventKind,
    EventSession,
    EventStatus,
    Window,
    enrolment_closes_at,
    enrolment_window,
    session_spans,
)
from eventsapp.models.feedback import FeedbackAnswer, FeedbackRequest, FeedbackSetting
from eventsapp.models.outbox import CalendarEntry, Channel, OutboxMessage, OutboxStatus
from eventsapp.models.question import EventQuestion, QuestionAnswer
from eventsapp.models.report import Attendance, AttendanceStatus, AuditEntry

__all__ = [
    "ACTIVE_STATUSES",
    "MEMBER_ROLES",
    "Attendance",
    "AttendanceMode",
    "AttendanceStatus",
    "AuditEntry",
    "CalendarEntry",
    "Category",
    "Channel",
    "Client",
    "EligibilityRule",
    "Enrolment",
    "EnrolmentStatus",
    "Event",
    "EventKind",
    "EventQuestion",
    "EventSession",
    "EventStatus",
    "FeedbackAnswer",
    "FeedbackRequest",
    "FeedbackSetting",
    "InvalidTransition",
    "Membership",
    "Organisation",
    "OutboxMessage",
    "OutboxStatus",
    "QuestionAnswer",
    "Role",
    "User",
    "Window",
    "email_key",
    "enrolment_closes_at",
    "enrolment_window",
    "session_spans",
]
