"""eventsapp: the event and enrolment manager of the Lahti-area employment network."""

import os
from pathlib import Path

from flask import Flask

from eventsapp import config as settings
from eventsapp import extensions

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the app. `config` overrides settings (tests use it); the mode comes from
    EVENTSAPP_ENV: development or testing by name, production otherwise (unset included)."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=os.environ.get("EVENTSAPP_INSTANCE", str(ROOT / "instance")),
    )
    mode = (config or {}).get("ENV_NAME") or settings.mode_from(os.environ.get("EVENTSAPP_ENV"))
    app.config.from_object(settings.CONFIGS[mode])
    app.config.update(config or {})
    settings.check(app.config)
    warn_about_memory_limits(app)
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{app.instance_path}/eventsapp.db"

    from eventsapp.web import DatabaseInt

    app.url_map.converters["int"] = DatabaseInt
    register_extensions(app)
    register_blueprints(app)
    from eventsapp import web

    web.register(app)
    from eventsapp import cli

    cli.register(app)
    return app


def worker_count() -> int:
    """gunicorn's workers, from WEB_CONCURRENCY or its command line (-w N, --workers N)."""
    import sys

    if os.environ.get("WEB_CONCURRENCY", "").isdigit():
        return int(os.environ["WEB_CONCURRENCY"])
    args = sys.argv
    for index, arg in enumerate(args):
        if arg in ("-w", "--workers") and index + 1 < len(args) and args[index + 1].isdigit():
            return int(args[index + 1])
        if arg.startswith("--workers=") and arg.split("=", 1)[1].isdigit():
            return int(arg.split("=", 1)[1])
    return 1


def warn_about_memory_limits(app: Flask) -> None:
    """Limits kept in process memory are per worker: with several, each counts alone."""
    memory = app.config.get("RATELIMIT_STORAGE_URI", "").startswith("memory://")
    if app.config["ENV_NAME"] == "production" and memory and worker_count() > 1:
        app.logger.warning(
            "Rate limits are kept in process memory, but %d workers run: each counts alone. "
            "Set RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0 (docs/deployment.md).",
            worker_count(),
        )


def register_extensions(app: Flask) -> None:
    from eventsapp import models  # noqa: F401 - the models must be known to the metadata
    from eventsapp.database import configure_engine
    from eventsapp.web import select_locale

    db = extensions.db
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    if os.environ.get("FLASK_RUN_FROM_CLI") == "true" or app.config.get("MIGRATIONS"):
        # Only the `flask` command needs migrations: Alembic would cost every web worker
        # about 10 MB of memory.
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    extensions.csrf.init_app(app)
    extensions.mail.init_app(app)  # the name `mail` in this package is eventsapp.mail
    extensions.limiter.init_app(app)
    register_login(app)
    extensions.babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(ROOT / "translations"),
    )


def register_login(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from eventsapp.auth.services import by_session_token

    login = extensions.login
    login.init_app(app)
    login.login_view = "auth.login"
    login.login_message = _l("Please log in to see that page.")
    login.login_message_category = "info"
    login.user_loader(by_session_token)


def register_blueprints(app: Flask) -> None:
    from eventsapp.admin.routes import bp as admin
    from eventsapp.api.routes import bp as api
    from eventsapp.attendance.routes import bp as attendance
    from eventsapp.auth.routes import bp as auth
    from eventsapp.catalogue.routes import bp as catalogue
    from eventsapp.coach.routes import bp as coach
    from eventsapp.embed.routes import bp as embed
    from eventsapp.enrolment.routes import bp as enrolment
    from eventsapp.exports.routes import audit_bp
    from eventsapp.exports.routes import bp as exports
    from eventsapp.feedback.routes import bp as feedback
    from eventsapp.mail.routes import bp as outbox
    from eventsapp.manage.routes import bp as manage
    from eventsapp.reports.routes import bp as reports
    from eventsapp.seo import bp as seo

    app.register_blueprint(auth)
    app.register_blueprint(catalogue)
    app.register_blueprint(enrolment)
    app.register_blueprint(outbox)
    app.register_blueprint(manage)
    app.register_blueprint(coach)
    app.register_blueprint(admin)
    app.register_blueprint(exports)
    app.register_blueprint(audit_bp)
    app.register_blueprint(attendance)
    app.register_blueprint(reports)
    app.register_blueprint(api)
    app.register_blueprint(embed)
    app.register_blueprint(seo)
    app.register_blueprint(feedback)
    # Work that falls due with time, done by the outbox sender before each pass.
    from eventsapp.feedback.services import due_work as feedback_due

    app.extensions["due_work"] = [feedback_due]
