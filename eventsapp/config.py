"""Settings from environment variables: one class per mode (development, testing, production).

The mode comes from EVENTSAPP_ENV: only "development" (which `make run` and the tests set) or
"testing" gives a laptop's mode; anything else, unset included, is production, which refuses to
start without a long SECRET_KEY. Other settings default to what a laptop needs: SQLite in the
instance folder and mail kept in the outbox.
"""

import os
from datetime import timedelta
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

    # Text messages (docs/reminders-and-texts.md). Unset SMS_BACKEND: texts stay in /outbox/.
    SMS_BACKEND = os.environ.get("SMS_BACKEND", "")  # "" or "gatewayapi"
    SMS_API_URL = os.environ.get("SMS_API_URL", "https://gatewayapi.com/rest/mtsms")
    SMS_API_TOKEN = os.environ.get("SMS_API_TOKEN", "")
    SMS_SENDER = os.environ.get("SMS_SENDER", "Tapahtumat")  # at most 11 letters, or a number

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Limits per client address (behind TRUSTED_PROXIES proxies) and, for logins and password
    # resets, per account too, so that one guesser locks out neither an office nor an account.
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute; 60 per hour")
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "10 per 10 minutes")
    RESET_RATE_LIMIT = os.environ.get("RESET_RATE_LIMIT", "5 per 10 minutes; 20 per day")
    # Enrolments per client address: a class of 20 from one school network within a minute
    # passes. Empty turns the limit off.
    ENROLMENT_RATE_LIMIT = os.environ.get("ENROLMENT_RATE_LIMIT", "30 per minute")
    # Reverse proxies in front of the app that set X-Forwarded-For (0: none; the header is
    # then ignored).
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # "Lost your link?": per client address, and per email address asked for.
    RESEND_RATE_LIMIT = os.environ.get("RESEND_RATE_LIMIT", "5 per 10 minutes; 20 per day")
    PASSWORD_RESET_MAX_AGE = 2 * 3600  # seconds a reset link works
    INVITATION_MAX_AGE = 7 * 24 * 3600  # seconds a new staff member's link works
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=30)  # and ended by logout and a new password

    # Days after an event's end that enrolments keep their personal data (flask gdpr anonymise).
    RETENTION_DAYS = int(os.environ.get("RETENTION_DAYS", "90"))

    EVENTS_PER_PAGE = 20
    # Sites that may show the embedded calendar (/embed) in a frame: "*" (any), or a list of
    # origins separated by spaces, e.g. "https://www.lab.fi https://ohjaamo.lahti.fi".
    EMBED_ALLOWED_ORIGINS = os.environ.get("EMBED_ALLOWED_ORIGINS", "*")
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


def mode_from(value: str | None) -> str:
    """The mode EVENTSAPP_ENV names: development and testing by name only; else production."""
    value = (value or "").strip().lower()
    return value if value in ("development", "testing") else "production"


MIN_SECRET_KEY = 32


class ConfigurationError(RuntimeError):
    """The app refuses to start with settings that are unsafe for its mode."""


def check(config: dict) -> None:
    if config.get("ENV_NAME") == "production":
        key = config.get("SECRET_KEY") or ""
        if key == DEV_SECRET_KEY or len(key) < MIN_SECRET_KEY:
            raise ConfigurationError(
                "Production mode (EVENTSAPP_ENV is not 'development'): SECRET_KEY must be set to "
                f"a random value of at least {MIN_SECRET_KEY} characters, for example: "
                "export SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
            )
