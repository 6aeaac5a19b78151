"""Setting up: configuration, migrations, the demo network, the catalogues."""

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po
from flask_migrate import upgrade
from sqlalchemy import func, select

from eventsapp import create_app
from eventsapp.config import ConfigurationError
from eventsapp.extensions import db
from eventsapp.models import Category, Enrolment, Event, EventKind, EventStatus

ROOT = Path(__file__).resolve().parent.parent


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError):
        create_app({"ENV_NAME": "production"})
    with pytest.raises(ConfigurationError):
        create_app({"ENV_NAME": "production", "SECRET_KEY": "short"})
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "x" * 40})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_production_starts_with_the_secret_key_from_the_environment(tmp_path):
    """The real way: EVENTSAPP_ENV and SECRET_KEY in the environment, as gunicorn gets them."""
    env = {
        "PATH": "/usr/bin:/bin",
        "EVENTSAPP_ENV": "production",
        "SECRET_KEY": "k" * 64,
        "EVENTSAPP_INSTANCE": str(tmp_path),
    }
    code = "from app import app; print(app.config['ENV_NAME'])"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "production"
    env.pop("SECRET_KEY")
    refused = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert refused.returncode != 0 and "SECRET_KEY" in refused.stderr


def test_postgres_urls_get_the_psycopg_driver():
    from eventsapp.config import database_url

    assert database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert database_url("sqlite:///x.db") == "sqlite:///x.db"


TRIGRAM = "ix_event_search_text_trgm"


def test_migrations_build_the_schema_the_models_describe(database_uri):
    """`flask db upgrade` on an empty database gives exactly the models' schema."""
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_uri})
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            if conn.dialect.name != "postgresql":
                # Alembic ignores `ddl_if`: the trigram index exists on PostgreSQL only.
                diff = [d for d in diff if not (d[0] == "add_index" and d[1].name == TRIGRAM)]
        assert diff == []
        db.drop_all()
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TABLE alembic_version")
        db.engine.dispose()


def test_seed_demo_builds_the_network(app):
    from eventsapp import demo

    summary = demo.seed(today=date(2026, 11, 29)).summary
    db.session.commit()
    assert "8 categories" in summary
    names = db.session.execute(select(Category.name_sv)).scalars().all()
    assert len(names) == 8 and all(names)
    events = db.session.execute(select(Event)).scalars().all()
    by_title = {event.title: event for event in events}
    course = by_title["Työelämän digitaidot haltuun"]
    assert course.kind == EventKind.COURSE
    visits = [e for e in events if e.kind == EventKind.CAMPUS_VISIT]
    assert len(visits) >= 4
    assert any(e.status == EventStatus.DRAFT for e in events)
    full = [e for e in events if e.capacity == 3]
    waitlisted = db.session.execute(
        select(func.count()).where(Enrolment.status == "waitlisted")
    ).scalar_one()
    assert full and waitlisted >= 1


def test_seed_dates_follow_today(app):
    from eventsapp import demo
    from eventsapp.events import load_event

    demo.seed(today=date(2026, 11, 29))
    db.session.commit()
    course_id = db.session.execute(
        select(Event.id).where(Event.title == "Työelämän digitaidot haltuun")
    ).scalar_one()
    course = load_event(course_id)
    first = course.sessions[0].starts_at
    assert (first.year, first.month) == (2027, 9) and first.day <= 7
    assert len(course.sessions) >= 4
    visit_months = {
        load_event(e.id).sessions[0].starts_at.month
        for e in db.session.execute(select(Event).where(Event.kind == "campus_visit")).scalars()
    }
    assert 6 in visit_months and visit_months & {9, 10, 11}


def test_seed_demo_command_fills_only_an_empty_database(tmp_path):
    env = {
        "EVENTSAPP_INSTANCE": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "EVENTSAPP_ENV": "development",
    }
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "check": True}
    subprocess.run([*flask, "db", "upgrade"], **run)
    first = subprocess.run([*flask, "seed-demo"], **run)
    assert "Demo network seeded" in first.stdout
    second = subprocess.run([*flask, "seed-demo"], **run)
    assert "already has data" in second.stdout


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\(\w+\)[sd]", text))


def untranslated(po: Path) -> tuple[list[str], list[str]]:
    """The msgids of the code and templates that `po` lacks, and those whose placeholders differ."""
    method_map = [
        ("eventsapp/**.py", "python"),
        ("templates/**.html", "jinja2"),
        ("templates/**.txt", "jinja2"),
    ]
    keywords = {
        "_": None,
        "_l": None,
        "gettext": None,
        "lazy_gettext": None,
        "N_": None,
        "ngettext": (1, 2),
    }
    wanted = {
        message[2] if isinstance(message[2], str) else message[2][0]
        for message in extract_from_dir(
            ROOT, method_map, keywords=keywords, directory_filter=lambda path: ".venv" not in path
        )
    }
    with po.open("rb") as f:
        catalogue = read_po(f)
    missing, bad = [], []
    for msgid in sorted(wanted):
        message = catalogue.get(msgid)
        if message is None or not message.string or message.fuzzy:
            missing.append(msgid)
            continue
        for translation in [message.string] if isinstance(message.string, str) else message.string:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            if not translation or placeholders(translation) != placeholders(ids[-1]):
                bad.append(msgid)
    return missing, bad


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_catalogue_is_complete(language):
    """Every user-facing string in the code and templates is translated in every language."""
    missing, bad = untranslated(ROOT / f"translations/{language}/LC_MESSAGES/messages.po")
    assert missing == [], f"untranslated: {missing}"
    assert bad == [], f"placeholders differ: {bad}"


def _app_code(env: dict, code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_an_unset_mode_is_production(tmp_path):
    """gunicorn started by the deployment guide with EVENTSAPP_ENV forgotten: production,
    which refuses the public development key and says how to make a real one."""
    env = {"PATH": "/usr/bin:/bin", "EVENTSAPP_INSTANCE": str(tmp_path)}
    refused = _app_code(env, "from app import app")
    assert refused.returncode != 0
    assert "SECRET_KEY" in refused.stderr and "secrets.token_hex" in refused.stderr
    for mode in ("", "prod", "Development-ish"):
        assert _app_code({**env, "EVENTSAPP_ENV": mode}, "from app import app").returncode != 0
    code = "from app import app; print(app.config['ENV_NAME'], app.config['SESSION_COOKIE_SECURE'])"
    started = _app_code({**env, "SECRET_KEY": "s" * 40}, code)
    assert started.stdout.split() == ["production", "True"], started.stderr
    dev = _app_code({**env, "EVENTSAPP_ENV": "development"}, code)
    assert dev.stdout.split()[0] == "development"


def test_production_warns_when_limits_are_per_worker(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "EVENTSAPP_INSTANCE": str(tmp_path),
        "SECRET_KEY": "s" * 40,
        "WEB_CONCURRENCY": "2",
    }
    warned = _app_code(env, "from app import app")
    assert "RATELIMIT_STORAGE_URI" in warned.stderr
    quiet = _app_code({**env, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}, "import app")
    assert "RATELIMIT_STORAGE_URI" not in quiet.stderr


def test_make_run_points_links_at_its_own_port():
    """`make run PORT=5077`: links in mail and calendars follow the server."""
    done = subprocess.run(
        ["make", "-s", "--no-print-directory", "-f", "Makefile", "-f", "-", "show", "PORT=5077"],
        cwd=ROOT,
        input="show: export EVENTSAPP_BASE_URL := $(EVENTSAPP_BASE_URL)\n"
        "show:\n\t@echo $$EVENTSAPP_BASE_URL\n",
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.stdout.strip() == "http://127.0.0.1:5077", done.stderr


def test_catalogue_check_catches_a_gap(tmp_path):
    """Control: a catalogue with one msgid left empty and one placeholder lost is caught."""
    with (ROOT / "translations/en/LC_MESSAGES/messages.po").open("rb") as f:
        catalogue = read_po(f)
    singles = [m for m in catalogue if m.id and isinstance(m.id, str)]
    emptied = singles[0]
    emptied.string = ""
    renamed = next(m for m in singles if "%(" in m.id)
    renamed.string = re.sub(r"%\((\w+)\)", r"%(x\1)", renamed.string)
    po = tmp_path / "messages.po"
    with po.open("wb") as f:
        write_po(f, catalogue)
    missing, bad = untranslated(po)
    assert missing == [emptied.id]
    assert bad == [renamed.id]
