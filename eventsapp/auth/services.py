"""Accounts: authenticate, change and reset passwords, create users."""

import hashlib
import hmac
import secrets
from functools import cache

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from eventsapp.database import utcnow
from eventsapp.extensions import db
from eventsapp.mail.outbox import enqueue
from eventsapp.models import Membership, Organisation, Role, User
from eventsapp.models.account import new_session_token


@cache
def _dummy_hash() -> str:
    """A hash to check against when no user matches, so that timing does not tell whether
    an address has an account."""
    return generate_password_hash(secrets.token_hex(8))


def email_key(email: str) -> str:
    return email.strip().casefold()


def by_email(email: str) -> User | None:
    return db.session.execute(
        select(User).where(User.email == email_key(email))
    ).scalar_one_or_none()


def by_session_token(token: str) -> User | None:
    return db.session.execute(select(User).where(User.session_token == token)).scalar_one_or_none()


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (in the same time either way)."""
    user = by_email(email)
    if user is None or not user.password_hash:
        check_password_hash(_dummy_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _session_digest(user: User) -> str:
    """A one-way digest of the user's session token: a link names it without carrying the
    secret that signs the user in."""
    return hashlib.sha256(user.session_token.encode()).hexdigest()


def reset_token(user: User, kind: str = "password_reset") -> str:
    """A link token that works once: it names a digest of the session token, which a new
    password rotates. An invitation's link lasts longer than a reset's."""
    return _serializer().dumps({"user": user.id, "session": _session_digest(user), "kind": kind})


def end_sessions(user: User) -> None:
    """Sign the user out everywhere: every session and remember-me cookie names the old
    session token."""
    user.session_token = new_session_token()


MAX_AGES = {"password_reset": "PASSWORD_RESET_MAX_AGE", "staff_invitation": "INVITATION_MAX_AGE"}


def user_for_reset(token: str) -> User | None:
    try:
        data = _serializer().loads(token, max_age=current_app.config["INVITATION_MAX_AGE"])
        if not isinstance(data, dict):
            return None
        setting = MAX_AGES.get(data.get("kind"), "PASSWORD_RESET_MAX_AGE")
        _serializer().loads(token, max_age=current_app.config[setting])
    except (BadSignature, TypeError, ValueError):
        return None
    user = db.session.get(User, data.get("user"))
    expected = _session_digest(user) if user is not None else ""
    if (
        user is None
        or not user.active
        or not hmac.compare_digest(expected, str(data.get("session")))
    ):
        return None
    return user


RESET_SUBJECTS = {
    "password_reset": _l("Set a new password for the network's event service"),
    "staff_invitation": _l("You have been invited to the network's event service"),
}


def send_password_link(user: User, kind: str = "password_reset") -> None:
    """Queue a mail with a link for setting a password (a reset, or an invitation)."""
    base = current_app.config["EVENTSAPP_BASE_URL"].rstrip("/")
    link = f"{base}/reset-password/{reset_token(user, kind)}"
    with force_locale("fi"):
        subject = str(RESET_SUBJECTS[kind])
        context = {"user": user, "link": link, "subject": subject}
        enqueue(
            kind=kind,
            to=(user.display_name, user.email),
            subject=subject,
            text=render_template(f"email/{kind}.txt", **context),
            html=render_template(f"email/{kind}.html", **context),
        )


def request_password_reset(email: str) -> None:
    """Send a reset link if the address has an active account; say nothing either way."""
    user = by_email(email)
    if user is not None and user.active:
        send_password_link(user)


def create_user(
    email: str,
    *,
    name: str = "",
    password: str | None = None,
    coordinator: bool = False,
    memberships: list[tuple[str, Organisation]] = (),
) -> User:
    user = User(email=email_key(email), name=name, is_coordinator=coordinator)
    if password:
        user.set_password(password)
    user.memberships = [Membership(role=role, organisation=org) for role, org in memberships]
    db.session.add(user)
    db.session.flush()
    return user


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def roles_of(user: User) -> list[str]:
    return [role for role in Role if role in user.roles]
