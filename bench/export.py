"""Attendee-list exports of a big event: time and peak memory of each format.

    .venv/bin/python bench/export.py                  # 10 000 people, 3 rounds each
    .venv/bin/python bench/export.py --people 20000 --rounds 5

A throwaway SQLite database in a temp dir (schema from the models) gets an event with
`--people` confirmed enrolments (names with ä/ö/å, +358 phones, dates of birth,
municipalities, some notes), an event of three sessions with 2 000 people (a sign-in sheet at
its limit) and a small event for warming up. Each format is then measured in a fresh Python
process of its own, so that one measure's memory does not hide in another's peak:

- time: wall time of the request through the test client (in process, no network), the body
  read to the end chunk by chunk and thrown away, median of the rounds; and the time to the
  first chunk of the body;
- peak RSS: the process's VmHWM after the request minus its VmRSS before it (the peak is reset
  through /proc/self/clear_refs before each round, after a warm-up export of the small event);
- peak traced: tracemalloc's peak of Python allocations during one more request, not timed
  (tracemalloc slows Python down);
- for comparison, the same list held in memory at once: the enrolments loaded as ORM objects
  and the whole CSV built as one string.

Writes nothing outside its temp dir; prints a Markdown table (and JSON with --json).
"""

import argparse
import gc
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EMAIL = "kati@lab.fi"
PASSWORD = "bench-export-salasana-1"
WIDE = "name,email,phone,status,enrolled_at,birth_date,municipality"
FIRST = ["Matti", "Jääskeläinen", "Öljy", "Åke", "Jani", "Ville", "Mikko", "Väinö", "Eero", "Ilkka"]
LAST = ["Meikäläinen", "Äijälä", "Åberg", "Lahtinen", "Virtanen", "Mäkelä", "Hämäläinen", "Berg"]
MUNICIPALITIES = ["398", "098", "016", "081", "111", "142", "316", "560", "576", "781"]


# --- the database ------------------------------------------------------------------------------


def app_for(url: str):
    from eventsapp import create_app

    return create_app(
        {
            "ENV_NAME": "development",
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "bench-export-secret",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
            "MAIL_SERVER": None,
            "PROPAGATE_EXCEPTIONS": True,
        }
    )


def seed(url: str, people: int) -> dict[str, int]:
    """The events and the organiser; returns the events' ids by name."""
    from sqlalchemy import insert

    from eventsapp.auth.services import create_user
    from eventsapp.extensions import db
    from eventsapp.models import Category, Enrolment, Event, EventSession, Organisation

    app = app_for(url)
    with app.app_context():
        db.create_all()
        lab = Organisation(slug="lab", name="LAB-ammattikorkeakoulu (Miestämö)")
        category = Category(
            slug="koulutuspalvelut", name_fi="Koulutuspalvelut", name_sv="U", name_en="E"
        )
        db.session.add_all([lab, category])
        db.session.flush()
        create_user(EMAIL, name="Kati Ojala", password=PASSWORD, memberships=[("organiser", lab)])
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=30)

        def event(title: str, sessions: int) -> Event:
            found = Event(
                title=title,
                organisation=lab,
                category=category,
                status="published",
                capacity=people + 10,
                sessions=[
                    EventSession(
                        starts_at=start + timedelta(weeks=week),
                        ends_at=start + timedelta(weeks=week, hours=2),
                        place="Lahden pääkirjasto",
                        address="Kirkkokatu 31, Lahti",
                    )
                    for week in range(sessions)
                ],
            )
            db.session.add(found)
            db.session.flush()
            return found

        events = {
            "big": event("Iso tapahtuma: rekrytointimessut", 1),
            "sheet": event("Työelämän digitaidot haltuun – iso kurssi", 3),
            "small": event("Lämmittely", 1),
        }
        now = datetime.now(UTC)
        for name, count in (("big", people), ("sheet", 2000), ("small", 5)):
            rows = []
            for i in range(count):
                email = f"osallistuja{i}.{name}@example.fi"
                rows.append(
                    {
                        "event_id": events[name].id,
                        "token_salt": f"{name}-{i}",
                        "token_hash": f"h-{name}-{i}",
                        "status": "confirmed",
                        "first_name": FIRST[i % len(FIRST)],
                        "last_name": f"{LAST[i % len(LAST)]}{i}",
                        "email": email,
                        "email_key": email,
                        "phone": f"+358 40 {i:07d}",
                        "birth_date": date(1990, 1, 1) + timedelta(days=i % 4000),
                        "municipality": MUNICIPALITIES[i % len(MUNICIPALITIES)],
                        "notes": "Tarvitsen hissin." if i % 10 == 0 else "",
                        "consent_at": now,
                        "created_at": now - timedelta(minutes=i),
                        "status_changed_at": now,
                    }
                )
                if len(rows) == 2000:
                    db.session.execute(insert(Enrolment), rows)
                    rows = []
            if rows:
                db.session.execute(insert(Enrolment), rows)
        db.session.commit()
        ids = {name: found.id for name, found in events.items()}
        db.session.remove()
        db.engine.dispose()
    return ids


# --- one measure, in a process of its own ---------------------------------------------------


def memory() -> dict[str, int]:
    """VmRSS and VmHWM of this process, in kB."""
    status = Path("/proc/self/status").read_text()
    return {key: int(value) for key, value in re.findall(r"(VmRSS|VmHWM):\s+(\d+)", status)}


def reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def url_of(kind: str, event_id: int) -> str:
    path = {"csv": "attendees.csv", "xlsx": "attendees.xlsx", "pdf": "sign-in.pdf"}[kind]
    columns = "name" if kind == "pdf" else WIDE
    return f"/manage/events/{event_id}/{path}?columns={columns}&delimiter=semicolon"


def fetch(client, url: str) -> dict:
    """One request, its body read chunk by chunk and thrown away."""
    start = time.perf_counter()
    response = client.get(url, buffered=False)
    assert response.status_code == 200, (url, response.status_code)
    first, size, chunks = None, 0, 0
    for chunk in response.response:
        if first is None:
            first = time.perf_counter() - start
        size += len(chunk)
        chunks += 1
    response.close()
    return {"seconds": time.perf_counter() - start, "first": first, "bytes": size, "chunks": chunks}


def in_memory(app, event_id: int) -> None:
    """For comparison: the whole list at once, as ORM objects and as one CSV string."""
    import csv
    import io

    from sqlalchemy import select

    from eventsapp.extensions import db
    from eventsapp.models import Enrolment

    with app.app_context():
        stmt = select(Enrolment).where(Enrolment.event_id == event_id)
        rows = list(db.session.execute(stmt).scalars())
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";")
        for e in rows:
            writer.writerow([e.full_name, e.email, e.phone, e.status, e.created_at, e.birth_date])
        assert len(out.getvalue()) > 0
        db.session.remove()


def child(kind: str, url: str, event_id: int, small_id: int, rounds: int) -> dict:
    from eventsapp.extensions import db

    app = app_for(url)
    client = app.test_client()
    logged_in = client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    assert logged_in.status_code == 303, logged_in.status_code

    def run() -> dict | None:
        if kind == "memory":
            started = time.perf_counter()
            in_memory(app, event_id)
            return {"seconds": time.perf_counter() - started, "first": None, "bytes": 0}
        return fetch(client, url_of(kind, event_id))

    if kind == "memory":
        in_memory(app, small_id)
    else:
        fetch(client, url_of(kind, small_id))  # imports, templates, the first connection
    times, firsts, peaks, result = [], [], [], {}
    for _ in range(rounds):
        gc.collect()
        resettable = reset_peak()
        before = memory()["VmRSS"]
        result = run()
        peaks.append(memory()["VmHWM"] - before if resettable else None)
        times.append(result["seconds"])
        firsts.append(result["first"])
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    run()
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    with app.app_context():
        db.engine.dispose()
    return {
        "kind": kind,
        "seconds_median": statistics.median(times),
        "seconds": times,
        "first_chunk": statistics.median(firsts) if firsts[0] is not None else None,
        "bytes": result.get("bytes", 0),
        "chunks": result.get("chunks"),
        "peak_rss_kb": max(p for p in peaks if p is not None) if peaks[0] is not None else None,
        "peak_traced_bytes": traced,
        "rss_kb": memory()["VmRSS"],
    }


# --- the run ---------------------------------------------------------------------------------


CASES = (
    ("csv", "big", "CSV, streamed"),
    ("xlsx", "big", "XLSX, write-only workbook via a temp file"),
    ("pdf", "sheet", "PDF sign-in sheet: 2 000 names x 3 sessions (the limit)"),
    ("memory", "big", "For comparison: the list held in memory at once"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="also print the raw results")
    parser.add_argument("--child", nargs=5, metavar=("KIND", "URL", "EVENT", "SMALL", "ROUNDS"))
    args = parser.parse_args()
    if args.child:
        kind, url, event_id, small_id, rounds = args.child
        result = child(kind, url, int(event_id), int(small_id), int(rounds))
        print(json.dumps(result))
        return

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="eventsapp-export-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        env = {**os.environ, "EVENTSAPP_INSTANCE": tmp, "EVENTSAPP_ENV": "development"}
        os.environ.update({"EVENTSAPP_INSTANCE": tmp})
        seeding = time.perf_counter()
        ids = seed(url, args.people)
        seeded = time.perf_counter() - seeding
        results = []
        for kind, event, label in CASES:
            command = [
                sys.executable,
                __file__,
                "--child",
                kind,
                url,
                str(ids[event]),
                str(ids["small"]),
                str(args.rounds),
            ]
            done = subprocess.run(
                command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                raise SystemExit(f"{kind} failed:\n{done.stdout}\n{done.stderr}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            result["label"] = label
            results.append(result)
    print(report(results, args, seeded, time.perf_counter() - started))
    if args.json:
        print(json.dumps(results, indent=2))


def report(results: list[dict], args, seeded: float, total: float) -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs (load average "
        f"{load}); Python {sys.version.split()[0]}; SQLite; {args.people} enrolments "
        f"(seeded in {seeded:.1f} s); median of {args.rounds} rounds; the run took {total:.0f} s.",
        "",
        "| Export | Rows | Time (median) | First chunk | Size | Peak RSS above start "
        "| Peak traced (tracemalloc) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rows = 2000 if r["kind"] == "pdf" else args.people
        first = f"{r['first_chunk'] * 1000:.0f} ms" if r["first_chunk"] is not None else "–"
        size = f"{r['bytes'] / 1024:.0f} KiB" if r["bytes"] else "–"
        rss = f"{r['peak_rss_kb'] / 1024:.1f} MiB" if r["peak_rss_kb"] is not None else "n/a"
        lines.append(
            f"| {r['label']} | {rows} | {r['seconds_median'] * 1000:.0f} ms | {first} | {size} "
            f"| {rss} | {r['peak_traced_bytes'] / 1024 / 1024:.1f} MiB |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
