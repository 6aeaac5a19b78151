"""Flask extensions, created unbound here and bound to an app in create_app()."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
babel = Babel()
mail = Mail()
login = LoginManager()
# Counters live in RATELIMIT_STORAGE_URI: memory on a laptop, Redis when several processes or
# hosts serve the app.
limiter = Limiter(key_func=get_remote_address)


def within_limit(setting: str, scope: str, key: str) -> bool:
    """Count one try against the limit named by the setting `setting` (Flask-Limiter syntax,
    e.g. "5 per 10 minutes; 20 per day"; empty: no limit) for `key` in `scope` (an account,
    an email address), in the limiter's storage. False when the limit is reached."""
    from flask import current_app
    from limits import parse_many

    text = current_app.config.get(setting) or ""
    items = parse_many(text) if text.strip() else []
    return all(limiter.limiter.hit(item, scope, key) for item in items)
