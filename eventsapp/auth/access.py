"""Who may see and do what. Every staff view declares its rule with `requires`; the
authorization matrix test checks that no staff endpoint lacks one.

Anonymous users are sent to the login page; a signed-in user without the role gets 403; an
object outside the user's organisations is 404, so that nothing about it leaks.
"""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, request
from flask_login import current_user

from eventsapp.extensions import login

RULES: dict[str, tuple[str, ...]] = {}  # endpoint function name -> roles it admits


def requires(*roles: str) -> Callable:
    """A view for signed-in staff holding any of `roles` ("any" admits every staff user)."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login.unauthorized()
            if "any" not in roles and not (current_user.roles & set(roles)):
                abort(403)
            return view(*args, **kwargs)

        guarded.required_roles = roles
        return guarded

    return decorate


def organisation_ids(role: str) -> frozenset[int] | None:
    """The organisations whose data the current user may touch in `role`; None means all
    (the coordinator)."""
    if current_user.is_coordinator:
        return None
    return current_user.organisation_ids(role)


def may(role: str, organisation_id: int) -> bool:
    allowed = organisation_ids(role)
    return allowed is None or organisation_id in allowed


def require(role: str, organisation_id: int) -> None:
    """404 unless the current user works in this organisation in this role."""
    if not may(role, organisation_id):
        abort(404)


def is_local_path(target: str) -> bool:
    """A path on this site: it starts with one "/", has no scheme or host, no backslash and
    no whitespace or control character (browsers drop tabs and line breaks, so "/\t/evil"
    would become "//evil")."""
    if not target.startswith("/") or target.startswith(("//", "/\\")) or "\\" in target:
        return False
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(default: str) -> str:
    """A local path to go to after logging in; never another site."""
    target = request.values.get("next", "")
    return target if is_local_path(target) else default
