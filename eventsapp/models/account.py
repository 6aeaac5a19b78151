"""Staff accounts: the network's coordinator, organisers and coaches, and their organisations."""

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from eventsapp.database import UTCDateTime, utcnow
from eventsapp.extensions import db
from eventsapp.models.catalogue import Organisation
from eventsapp.models.event import _in


class Role(StrEnum):
    COORDINATOR = "coordinator"
    ORGANISER = "organiser"
    COACH = "coach"


MEMBER_ROLES = (Role.ORGANISER, Role.COACH)


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(db.Model):
    """A staff member. People who enrol need no account."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored case-folded
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300), default="")  # "" until set
    is_coordinator: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    # Rotated when the password changes: every other session of the user ends.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    # Flask-Login's user protocol
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return self.session_token

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.session_token = new_session_token()

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def roles(self) -> frozenset[str]:
        roles = {m.role for m in self.memberships}
        if self.is_coordinator:
            roles.add(Role.COORDINATOR)
        return frozenset(roles)

    def organisation_ids(self, role: str) -> frozenset[int]:
        return frozenset(m.organisation_id for m in self.memberships if m.role == role)


class Membership(db.Model):
    """A user's role in one organisation: organiser or coach."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("user_id", "organisation_id", "role"),
        CheckConstraint(_in("role", MEMBER_ROLES), name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(lazy="joined")
