"""The coordinator's work: member organisations and staff accounts.

Functions here flush but never commit: the view commits the unit of work. A change that could
leave the network without an active coordinator first locks the coordinators' rows (PostgreSQL)
or takes SQLite's write lock, so that two coordinators who deactivate each other at the same
moment cannot both succeed.
"""

from collections import Counter
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from eventsapp.auth.services import by_email, create_user, send_password_link
from eventsapp.database import begin_write, is_sqlite
from eventsapp.extensions import db
from eventsapp.models import (
    Event,
    Membership,
    Organisation,
    OutboxMessage,
    OutboxStatus,
    Role,
    User,
)
from eventsapp.models.account import new_session_token
from eventsapp.models.event import slugify


class Refused(Exception):
    """A change the coordinator asked for and the rules do not allow; `message` tells them why
    and `field` names the form field it belongs beside (None: the page as a whole); `subject`
    is what stands in the way, when the coordinator may want to open it (an existing account)."""

    def __init__(self, message, field: str | None = None, subject=None):
        super().__init__(message)  # lazy: translated where it is shown
        self.message = message
        self.field = field
        self.subject = subject


# --- overview ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    organisations: int
    users_active: int
    users_invited: int  # active, but no password set yet
    users_deactivated: int
    coordinators: int
    events: dict[str, int]  # status -> count
    outbox_failed: int
    outbox_waiting: int


def overview() -> Overview:
    session = db.session
    users = Counter(
        "deactivated" if not active else "active" if has_password else "invited"
        for active, has_password in session.execute(
            select(User.active, User.password_hash != "")
        ).all()
    )
    outbox = dict(
        session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    return Overview(
        organisations=session.scalar(select(func.count()).select_from(Organisation)) or 0,
        users_active=users["active"],
        users_invited=users["invited"],
        users_deactivated=users["deactivated"],
        coordinators=len(_active_coordinator_ids()),
        events=dict(
            session.execute(select(Event.status, func.count()).group_by(Event.status)).all()
        ),
        outbox_failed=outbox.get(OutboxStatus.FAILED, 0),
        outbox_waiting=outbox.get(OutboxStatus.QUEUED, 0) + outbox.get(OutboxStatus.SENDING, 0),
    )


# --- organisations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationRow:
    organisation: Organisation
    organisers: int
    coaches: int
    events: int


def organisations() -> list[Organisation]:
    return list(db.session.execute(select(Organisation).order_by(Organisation.name)).scalars())


def organisation_rows() -> list[OrganisationRow]:
    """Every organisation with its counts of active organisers and coaches, and of events."""
    members = Counter(
        (organisation_id, role)
        for organisation_id, role in db.session.execute(
            select(Membership.organisation_id, Membership.role)
            .join(User, User.id == Membership.user_id)
            .where(User.active.is_(True))
        )
    )
    events = dict(
        db.session.execute(
            select(Event.organisation_id, func.count()).group_by(Event.organisation_id)
        ).all()
    )
    return [
        OrganisationRow(
            organisation=org,
            organisers=members[(org.id, Role.ORGANISER)],
            coaches=members[(org.id, Role.COACH)],
            events=events.get(org.id, 0),
        )
        for org in organisations()
    ]


def get_organisation(organisation_id: int) -> Organisation | None:
    return db.session.get(Organisation, organisation_id)


@dataclass
class OrganisationData:
    name: str
    short_name: str = ""
    slug: str = ""  # "" = made from the name
    website: str = ""
    email: str = ""
    phone: str = ""


def _others(organisation_id: int | None):
    stmt = select(Organisation)
    if organisation_id is not None:
        stmt = stmt.where(Organisation.id != organisation_id)
    return db.session.execute(stmt).scalars()


def unique_slug(name: str, organisation_id: int | None = None) -> str:
    """A slug made from the name that no other organisation has: "lab", "lab-2", ..."""
    base = slugify(name) or "organisation"
    taken = {org.slug for org in _others(organisation_id)}
    slug, number = base, 2
    while slug in taken:
        suffix = f"-{number}"
        slug, number = base[: 80 - len(suffix)] + suffix, number + 1
    return slug


def _check_organisation(data: OrganisationData, organisation_id: int | None) -> None:
    others = list(_others(organisation_id))
    if any(org.name.casefold() == data.name.casefold() for org in others):
        raise Refused(_l("There is already an organisation with this name."), "name")
    if data.slug and any(org.slug == data.slug for org in others):
        raise Refused(
            _l("Another organisation already uses this address name. Choose another one."),
            "slug",
        )


def _save_organisation(organisation: Organisation, data: OrganisationData) -> Organisation:
    _check_organisation(data, organisation.id)
    slug = data.slug or unique_slug(data.name, organisation.id)  # before any change: no autoflush
    organisation.name = data.name
    organisation.short_name = data.short_name
    organisation.slug = slug
    organisation.website = data.website
    organisation.email = data.email
    organisation.phone = data.phone
    try:
        with db.session.begin_nested():  # another coordinator may have taken the slug just now
            db.session.add(organisation)
            db.session.flush()
    except IntegrityError as error:
        raise Refused(
            _l("Another organisation already uses this address name. Choose another one."),
            "slug",
        ) from error
    return organisation


def create_organisation(data: OrganisationData) -> Organisation:
    return _save_organisation(Organisation(), data)


def update_organisation(organisation: Organisation, data: OrganisationData) -> Organisation:
    return _save_organisation(organisation, data)


# --- users ------------------------------------------------------------------------------------

STATUS_ACTIVE, STATUS_INVITED, STATUS_DEACTIVATED = "active", "invited", "deactivated"


def status_of(user: User) -> str:
    if not user.active:
        return STATUS_DEACTIVATED
    return STATUS_ACTIVE if user.password_hash else STATUS_INVITED


@dataclass(frozen=True)
class UserFilter:
    q: str = ""
    role: str = ""  # "" or a Role
    organisation_id: int | None = None
    status: str = ""  # "" or STATUS_*


def list_users(wanted: UserFilter | None = None) -> list[User]:
    wanted = wanted or UserFilter()
    stmt = select(User).order_by(User.name, User.email)
    if wanted.role == Role.COORDINATOR:
        stmt = stmt.where(User.is_coordinator.is_(True))
    member = select(Membership.id).where(Membership.user_id == User.id)
    if wanted.role in (Role.ORGANISER, Role.COACH):
        member = member.where(Membership.role == wanted.role)
    if wanted.organisation_id is not None:
        member = member.where(Membership.organisation_id == wanted.organisation_id)
    if wanted.role in (Role.ORGANISER, Role.COACH) or wanted.organisation_id is not None:
        stmt = stmt.where(member.exists())
    if wanted.status == STATUS_ACTIVE:
        stmt = stmt.where(User.active.is_(True), User.password_hash != "")
    elif wanted.status == STATUS_INVITED:
        stmt = stmt.where(User.active.is_(True), User.password_hash == "")
    elif wanted.status == STATUS_DEACTIVATED:
        stmt = stmt.where(User.active.is_(False))
    users = db.session.execute(stmt).scalars().all()
    # The search and the order in Python: SQLite folds the case of ASCII letters only (Ä, Ö).
    q = wanted.q.casefold()
    users = [u for u in users if q in u.name.casefold() or q in u.email] if q else users
    return sorted(users, key=lambda u: (u.name.casefold() or u.email, u.email))


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


def _organisations_by_id(ids) -> dict[int, Organisation]:
    ids = set(ids)
    found = {
        org.id: org
        for org in db.session.execute(select(Organisation).where(Organisation.id.in_(ids)))
        .scalars()
        .all()
    }
    if set(found) != ids:
        raise ValueError(f"no organisations {sorted(ids - set(found))}")
    return found


def _wanted_memberships(organiser_of, coach_of) -> list[tuple[str, Organisation]]:
    orgs = _organisations_by_id([*organiser_of, *coach_of])
    return [(Role.ORGANISER.value, orgs[i]) for i in sorted(set(organiser_of))] + [
        (Role.COACH.value, orgs[i]) for i in sorted(set(coach_of))
    ]


def _email_taken(user: User):
    if not user.active:
        return Refused(
            _l(
                "This address already has an account, which has been deactivated. Open it "
                "from the list of users and reactivate it instead."
            ),
            "email",
            user,
        )
    return Refused(_l("This address already has an account."), "email", user)


def check_new_email(email: str) -> Refused | None:
    """Why this address cannot be invited (it has an account), or None."""
    existing = by_email(email)
    return None if existing is None else _email_taken(existing)


def invite_user(
    email: str,
    *,
    name: str,
    coordinator: bool = False,
    organiser_of=(),
    coach_of=(),
) -> User:
    """Create an account without a password and queue the invitation with a link for setting
    one. An address that already has an account is refused (`Refused` on the field "email")."""
    refused = check_new_email(email)
    if refused is not None:
        raise refused
    memberships = _wanted_memberships(organiser_of, coach_of)
    try:
        with db.session.begin_nested():  # the same address invited twice at the same moment
            user = create_user(email, name=name, coordinator=coordinator, memberships=memberships)
    except IntegrityError as error:
        raise Refused(_l("This address already has an account."), "email") from error
    send_password_link(user, "staff_invitation")
    return user


def _active_coordinator_ids(lock: bool = False) -> set[int]:
    stmt = (
        select(User.id)
        .where(User.is_coordinator.is_(True), User.active.is_(True))
        .order_by(User.id)
    )
    if lock and not is_sqlite(db.session):
        stmt = stmt.with_for_update()
    return set(db.session.execute(stmt).scalars())


def _begin_account_change(user_id: int) -> tuple[User | None, set[int]]:
    """Lock, then read the user and the active coordinators fresh. Must come first in the unit
    of work: on SQLite it ends the read transaction and takes the write lock; on PostgreSQL
    the coordinators' rows, then the user's, are locked in a fixed order."""
    session = db.session
    if is_sqlite(session):
        begin_write(session)
    coordinators = _active_coordinator_ids(lock=True)
    stmt = select(User).where(User.id == user_id).execution_options(populate_existing=True)
    if not is_sqlite(session):
        stmt = stmt.with_for_update()
    return session.execute(stmt).scalar_one_or_none(), coordinators


def _keeps_a_coordinator(user: User, coordinators: set[int]) -> None:
    """The acting coordinator is one of the others, unless another coordinator deactivated
    them a moment ago, after their request was let in: then this is what stops them."""
    if not (coordinators - {user.id}):
        raise Refused(_l("The network must keep at least one active coordinator."), "coordinator")


def update_user(
    user_id: int,
    actor: User,
    *,
    name: str,
    coordinator: bool,
    organiser_of=(),
    coach_of=(),
) -> User | None:
    """Change a user's name, roles and organisations. Returns None if there is no such user."""
    user, coordinators = _begin_account_change(user_id)
    if user is None:
        return None
    if user.is_coordinator and not coordinator:
        if user.id == actor.id:
            raise Refused(
                _l(
                    "You cannot remove your own coordinator role. Another coordinator can do "
                    "it for you."
                ),
                "coordinator",
            )
        if user.active:
            _keeps_a_coordinator(user, coordinators)
    user.name = name
    user.is_coordinator = coordinator
    wanted = {(role, org.id): org for role, org in _wanted_memberships(organiser_of, coach_of)}
    have = {(m.role, m.organisation_id): m for m in user.memberships}
    for key, membership in have.items():
        if key not in wanted:
            user.memberships.remove(membership)
    for key, org in wanted.items():
        if key not in have:
            user.memberships.append(Membership(role=key[0], organisation=org))
    db.session.flush()
    return user


def deactivate_user(user_id: int, actor: User) -> User | None:
    """End every session of the user and stop them from logging in."""
    user, coordinators = _begin_account_change(user_id)
    if user is None:
        return None
    if user.id == actor.id:
        raise Refused(_l("You cannot deactivate your own account."))
    if not user.active:
        return user
    if user.is_coordinator:
        _keeps_a_coordinator(user, coordinators)
    user.active = False
    user.session_token = new_session_token()  # every session and reset link ends
    db.session.flush()
    return user


def reactivate_user(user_id: int, actor: User) -> User | None:
    """Let the user log in again (with the password they had; their old sessions stay ended).
    `actor` is taken as by deactivate_user, which the view calls the same way."""
    user, _coordinators = _begin_account_change(user_id)
    if user is None:
        return None
    user.active = True
    db.session.flush()
    return user


def resend_invitation(user: User) -> None:
    """Queue the invitation again, for an active user who has not set a password yet."""
    if not user.active:
        raise Refused(_l("Reactivate the account before sending the invitation again."))
    if user.password_hash:
        raise Refused(
            _l(
                "The user has already set a password. They can ask for a new one on the login "
                "page if they have forgotten it."
            )
        )
    send_password_link(user, "staff_invitation")
