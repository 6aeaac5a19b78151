"""The network's service catalogue (palvelukoonti): its categories and member organisations."""

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from eventsapp.extensions import db


class Category(db.Model):
    """One of the network's eight service categories."""

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    name_fi: Mapped[str] = mapped_column(String(160))
    name_sv: Mapped[str] = mapped_column(String(160))
    name_en: Mapped[str] = mapped_column(String(160))

    def name(self, locale: str = "fi") -> str:
        return {"sv": self.name_sv, "en": self.name_en}.get(locale, self.name_fi)


class Organisation(db.Model):
    """A member organisation of the network."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(80), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
