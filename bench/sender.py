"""The outbox sender at the network's scale: a reminder wave sent by one `flask outbox send`.

    .venv/bin/python bench/sender.py                     # 10 000 due reminders, SQLite
    .venv/bin/python bench/sender.py --people 2000 --senders 2
    TEST_DATABASE_URL=postgresql://127.0.0.1/test .venv/bin/python bench/sender.py --senders 2

A throwaway database (SQLite in a temp dir, or a fresh PostgreSQL database next to
TEST_DATABASE_URL; schema by `flask db upgrade`) gets one event whose session starts in three
days and `--people` confirmed enrolments. A real SMTP server (aiosmtpd) on loopback, in this
process, takes the mail. `flask outbox send --as-of <the day before>` then runs as a separate
process (or `--senders` of them at once), which writes the due reminders and sends them all.

Measured: wall time of the whole command (start-up, writing the reminders, rendering,
sending), messages per second (distinct Message-IDs received / time), and the sender's peak
RSS (VmHWM of each child, from getrusage). Prints a Markdown row; `--json` for raw numbers.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dataset import build_app, migrate, sqlite_url  # noqa: E402


class Sink:
    """aiosmtpd handler that only counts Message-IDs."""

    def __init__(self):
        self.ids: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        for line in envelope.content.split(b"\r\n", 40):
            if line.lower().startswith(b"message-id:"):
                self.ids.append(line.split(b":", 1)[1].strip().decode())
                break
        return "250 OK"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_database(base: str) -> tuple[str, callable]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from eventsapp.config import database_url

    admin_url = make_url(database_url(base))
    name = f"eventsapp_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return admin_url.set(database=name).render_as_string(hide_password=False), drop


def seed(url: str, people: int) -> datetime:
    """One event three days ahead with `people` confirmed enrolments; returns the moment the
    first reminder is due."""
    from sqlalchemy import insert

    from eventsapp.extensions import db
    from eventsapp.models import Category, Enrolment, Event, EventSession, Organisation

    app = build_app(url)
    start = (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0)
    past = datetime.now(UTC) - timedelta(days=7)
    with app.app_context():
        org = Organisation(slug="lab", name="LAB-ammattikorkeakoulu (Miestämö)", email="m@lab.fi")
        category = Category(
            slug="koulutus", name_fi="Koulutus", name_sv="Utbildning", name_en="Training"
        )
        event = Event(
            title="Miestämö: kampustutustuminen", status="published", kind="campus_visit",
            capacity=people, organisation=org, category=category, contact_email="kati@lab.fi",
            what_to_bring="Oma puhelin. Kahvit tarjotaan.",
            sessions=[EventSession(starts_at=start, ends_at=start + timedelta(hours=2),
                                   place="LAB, Niemi", address="Mukkulankatu 19, Lahti")],
        )  # fmt: skip
        db.session.add(event)
        db.session.flush()
        rows = [
            {
                "event_id": event.id, "token_salt": f"s{n}", "token_hash": f"h{n}",
                "status": "confirmed",
                "first_name": f"Äijö{n}", "last_name": "Östman", "email": f"p{n}@example.fi",
                "email_key": f"p{n}@example.fi", "consent_at": past, "created_at": past,
                "status_changed_at": past, "locale": "fi", "answers": {}, "missed_rule_ids": [],
            }
            for n in range(people)
        ]  # fmt: skip
        db.session.execute(insert(Enrolment), rows)
        db.session.commit()
        db.engine.dispose()
    return start - timedelta(days=1)


def run(people: int, senders: int, url: str | None) -> dict:
    from aiosmtpd.controller import Controller

    with tempfile.TemporaryDirectory(prefix="eventsapp-sender-") as tmp:
        drop = None
        if url:
            url, drop = postgres_database(url)
        else:
            url = sqlite_url(Path(tmp) / "bench.db")
        try:
            migrate_env_url(url, Path(tmp))
            as_of = seed(url, people)
            sink = Sink()
            port = free_port()
            controller = Controller(sink, hostname="127.0.0.1", port=port)
            controller.start()
            env = {
                **os.environ, "EVENTSAPP_ENV": "development", "DATABASE_URL": url,
                "EVENTSAPP_INSTANCE": tmp, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(port),
                "SECRET_KEY": "bench-sender-secret-bench-sender-secret",
            }  # fmt: skip
            command = [sys.executable, "-m", "flask", "--app", "app", "outbox", "send"]
            command += ["--as-of", as_of.isoformat()]
            began = time.perf_counter()
            children = [
                subprocess.Popen(
                    command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
                )
                for _ in range(senders)
            ]
            peaks = []
            for child in children:
                _pid, status, usage = os.wait4(child.pid, 0)
                if status != 0:
                    raise RuntimeError(child.stderr.read().decode())
                peaks.append(usage.ru_maxrss / 1024)
            seconds = time.perf_counter() - began
            controller.stop()
        finally:
            if drop:
                drop()
    received = len(sink.ids)
    return {
        "people": people,
        "senders": senders,
        "database": "PostgreSQL" if drop else "SQLite",
        "received": received,
        "distinct": len(set(sink.ids)),
        "seconds": round(seconds, 2),
        "per_second": round(len(set(sink.ids)) / seconds, 1),
        "peak_rss_mb": [round(p, 1) for p in peaks],
        "self_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def migrate_env_url(url: str, instance: Path) -> None:
    if url.startswith("sqlite"):
        migrate(Path(url.removeprefix("sqlite:///")), instance)
        return
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "EVENTSAPP_INSTANCE": str(instance),
        "EVENTSAPP_ENV": "development",
    }
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--senders", type=int, default=1)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL", ""))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.people, args.senders, args.postgres or None)
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"| {result['database']} | {result['people']} reminders | {result['senders']} sender(s) "
        f"| {result['seconds']} s | {result['per_second']} messages/s "
        f"| {result['distinct']}/{result['received']} distinct "
        f"| peak RSS {result['peak_rss_mb']} MB |"
    )


if __name__ == "__main__":
    main()
