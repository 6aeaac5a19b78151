"""A coach's clients (asiakkaat): seen by that coach and the coordinator only."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from eventsapp.database import UTCDateTime, utcnow
from eventsapp.extensions import db


class Client(db.Model):
    __tablename__ = "client"
    # A client without email is keyed "client:<id>" for duplicate enrolments: an id must
    # never be reused after a delete (SQLite would, without AUTOINCREMENT).
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - SQLAlchemy's own form

    id: Mapped[int] = mapped_column(primary_key=True)
    coach_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254), default="")  # some clients have none
    phone: Mapped[str] = mapped_column(String(40), default="")
    birth_date: Mapped[date | None] = mapped_column(Date, default=None)
    municipality: Mapped[str | None] = mapped_column(String(3), default=None)
    gender: Mapped[str | None] = mapped_column(String(20), default=None)
    employment_status: Mapped[str | None] = mapped_column(String(30), default=None)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"
