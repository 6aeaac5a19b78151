"""Settings from environment variables: one class per mode (development, testing, production).

The mode comes from EVENTSAPP_ENV (default "development"). Every setting has a safe default for a
laptop: SQLite in the instance folder and mail kept in the outbox.
"""

import os
from typing import ClassVar


def database_url(url: str) -> str:
    """Point a PostgreSQL URL at the psycopg 3 driver, whatever spelling the host gave."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused in production, see check()


class Config:
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL", ""))  # "" = instance
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_pre_ping": True}

    EVENTSAPP_BASE_URL = os.environ.get("EVENTSAPP_BASE_URL", "http://127.0.0.1:5000")

    BABEL_DEFAULT_LOCALE = "fi"
    BABEL_DEFAULT_TIMEZONE = "Europe/Helsinki"
    LANGUAGES = ("fi", "sv", "en")

    # A form may stay open for a long time on a phone: the token is bound to the session.
    WTF_CSRF_TIME_LIMIT = None
    MAX_CONTENT_LENGTH = 256 * 1024

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"

    MAIL_SERVER = os.environ.get("MAIL_SERVER")  # unset: messages stay in the outbox
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "Lahden alueen työllisyysverkosto <tapahtumat@example.fi>"
    )

    MAIL_SUPPRESS_SEND = False

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute; 60 per hour")
    PASSWORD_RESET_MAX_AGE = 2 * 3600  # seconds a reset link works
    INVITATION_MAX_AGE = 7 * 24 * 3600  # seconds a new staff member's link works
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    # Days after an event's end that enrolments keep their personal data (flask gdpr anonymise).
    RETENTION_DAYS = int(os.environ.get("RETENTION_DAYS", "90"))

    EVENTS_PER_PAGE = 20
    # Public pages kept per worker for anonymous visitors (0 turns it off).
    PAGE_CACHE_BYTES = int(os.environ.get("PAGE_CACHE_BYTES", str(1024 * 1024)))


class DevelopmentConfig(Config):
    DEBUG = False


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret"  # noqa: S105 - fixed key for the test suite only
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = False
    MAIL_SERVER = None
    MIGRATIONS = True  # the tests run Alembic in-process


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


class ConfigurationError(RuntimeError):
    """The app refuses to start with settings that are unsafe for its mode."""


def check(config: dict) -> None:
    if config.get("ENV_NAME") == "production":
        key = config.get("SECRET_KEY") or ""
        if key == DEV_SECRET_KEY or len(key) < 16:
            raise ConfigurationError(
                "SECRET_KEY must be set to a long random value in production "
                "(for example: python -c 'import secrets; print(secrets.token_hex(32))')."
            )
