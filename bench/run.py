"""The performance budget, measured in one run: `make bench` (or `.venv/bin/python bench/run.py`).

1. Throwaway SQLite databases in a temp dir: migrated (`flask db upgrade`), the demo network
   seeded, 200 extra published upcoming events (sessions, rules, a few enrolments each).
2. gunicorn (2 sync workers, no keep-alive) serving a bare Flask 'ok' app and the real app.
3. Requests per second of bare 'ok', the event page of the course and the list page, in
   interleaved rounds (wrk if installed, else a Python load generator); ratios to bare.
4. SQL statements per request of the event and list pages with few and many events.
5. Server time of enrolment POSTs (in-process, around the WSGI call).
6. RSS of the real app's gunicorn workers after the load.
7. A Markdown table on stdout and in docs/performance.md; raw JSON in bench/results/.

Speed is judged by ratios within one run: the machines are shared and noisy.
"""

import argparse
import os
import platform
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Import the bench modules as the package `bench`, not as top-level modules of this folder.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

PAGES = ("bare", "event", "list")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per page per round")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections")
    parser.add_argument("--events", type=int, default=200, help="extra events in the database")
    parser.add_argument("--posts", type=int, default=300, help="enrolment POSTs to time")
    parser.add_argument("--python-load", action="store_true", help="use the Python load, not wrk")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite the doc")
    return parser.parse_args()


def git_state() -> dict:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    changed = [line for line in git("status", "--porcelain").splitlines() if line.strip()]
    return {"commit": git("rev-parse", "--short", "HEAD") or "unknown", "dirty": len(changed)}


def versions() -> dict:
    from importlib.metadata import version

    return {
        "python": platform.python_version(),
        "gunicorn": version("gunicorn"),
        "flask": version("flask"),
        "sqlalchemy": version("sqlalchemy"),
    }


def measure_load(args, servers: dict, targets: dict, use_wrk: bool) -> dict:
    """Requests per second of each page, and the CPU time the gunicorn processes spent per
    request meanwhile (robust to noise: a busy machine slows the rate, not the CPU cost)."""
    from bench.load import cpu_seconds, run_load

    server_of = {"bare": servers["bare"], "event": servers["app"], "list": servers["app"]}

    def one(page: str, seconds: float) -> dict:
        server = server_of[page]
        pids = [server.process.pid, *server.worker_pids()]
        cpu_before, wall_before = cpu_seconds(pids), time.perf_counter()
        result = run_load(targets[page], seconds, args.connections, use_wrk).as_dict()
        cpu = cpu_seconds(pids) - cpu_before
        result["server_cpu_ms_per_request"] = round(cpu / max(1, result["requests"]) * 1000, 3)
        result["server_cores_busy"] = round(cpu / (time.perf_counter() - wall_before), 2)
        return result

    log("warming up each page (1 s each)")
    for page in PAGES:
        one(page, 1)
    rounds = []
    for i in range(args.rounds):
        order = PAGES[i % 3 :] + PAGES[: i % 3]  # rotate, so no page always goes first
        results = {}
        for page in order:
            results[page] = one(page, args.seconds)
            log(
                f"round {i + 1}: {page} {results[page]['rps']:.0f} req/s, server CPU "
                f"{results[page]['server_cpu_ms_per_request']:.2f} ms/request"
            )
        rounds.append(results)
    median = {page: statistics.median(r[page]["rps"] for r in rounds) for page in PAGES}
    cpu_ms = {
        page: statistics.median(r[page]["server_cpu_ms_per_request"] for r in rounds)
        for page in PAGES
    }
    per_round = [
        {"event": r["event"]["rps"] / r["bare"]["rps"], "list": r["list"]["rps"] / r["bare"]["rps"]}
        for r in rounds
    ]
    return {
        "tool": "wrk" if use_wrk else "python",
        "connections": args.connections,
        "seconds": args.seconds,
        "rounds_count": args.rounds,
        "targets": targets,
        "rounds": rounds,
        "median_rps": median,
        "ratios": {
            "event": median["event"] / median["bare"],
            "list": median["list"] / median["bare"],
        },
        "per_round_ratios": per_round,
        "server_cpu_ms": cpu_ms,
        "cpu_ratios": {
            "event": cpu_ms["bare"] / cpu_ms["event"],
            "list": cpu_ms["bare"] / cpu_ms["list"],
        },
        "server_cores_busy": {
            page: statistics.median(r[page]["server_cores_busy"] for r in rounds) for page in PAGES
        },
        "errors": sum(r[page]["errors"] for r in rounds for page in PAGES),
    }


def measure_memory(servers: dict) -> dict:
    from bench.load import memory_mb

    app, bare = servers["app"], servers["bare"]
    return {
        "app_workers": [{"pid": p, **memory_mb(p)} for p in app.worker_pids()],
        "bare_workers": [{"pid": p, **memory_mb(p)} for p in bare.worker_pids()],
        "app_master": memory_mb(app.process.pid),
    }


def event_ids(app) -> dict[str, int]:
    """Three shapes of event page: the five-session course with three rules, a one-session
    campus visit with one rule, and a hybrid library event without rules."""
    from sqlalchemy import select

    from bench.dataset import COURSE_TITLE
    from eventsapp.extensions import db
    from eventsapp.models import Event, EventKind

    with app.app_context():
        ids = {
            "course": db.session.execute(
                select(Event.id).where(Event.title == COURSE_TITLE)
            ).scalar_one(),
            "campus_visit": db.session.execute(
                select(Event.id).where(Event.kind == EventKind.CAMPUS_VISIT).order_by(Event.id)
            )
            .scalars()
            .first(),
            "no_rules": db.session.execute(
                select(Event.id).where(Event.title == "Digitukea työnhakuun kirjastossa")
            ).scalar_one(),
        }
        db.session.remove()
    return ids


def measure_queries(small, large) -> dict:
    from bench.dataset import build_app
    from bench.inprocess import count_queries
    from eventsapp.extensions import db

    event_rows, list_rows, apps = [], [], []
    for name, dataset in (("small", small), ("large", large)):
        app = build_app(dataset.url)
        apps.append(app)
        for shape, event_id in event_ids(app).items():
            counted = count_queries(app, f"/events/{event_id}")
            event_rows.append(
                {"database": name, "events": dataset.events, "shape": shape, **counted}
            )
    for dataset, per_page, url in (
        (small, 20, "/"),
        (large, 20, "/"),
        (large, 10_000, "/"),
        (large, 20, "/?kind=course&page=2"),
    ):
        app = build_app(dataset.url, EVENTS_PER_PAGE=per_page)
        apps.append(app)
        counted = count_queries(app, url)
        list_rows.append({"events": dataset.events, "per_page": per_page, **counted})
    for app in apps:
        with app.app_context():
            db.engine.dispose()
    course = [r["queries"] for r in event_rows if r["shape"] == "course"]
    by_db = {
        name: ", ".join(f"{r['shape']} {r['queries']}" for r in event_rows if r["database"] == name)
        for name in ("small", "large")
    }
    return {
        "sizes": [small.events, large.events],
        "event_page": {
            "counts": course,
            "all": event_rows,
            "detail": f"{by_db['small']} with {small.events} events in the database; "
            f"{by_db['large']} with {large.events}",
        },
        "list_page": {
            "counts": [r["queries"] for r in list_rows[:3]],
            "cards": [r["cards"] for r in list_rows[:3]],
            "all": list_rows,
            "detail": f"{list_rows[3]['queries']} for a filtered second page "
            f"(`{list_rows[3]['url']}`, {list_rows[3]['cards']} cards)",
        },
        "fixed": len({r["queries"] for r in event_rows}) == 1
        and len({r["queries"] for r in list_rows}) == 1,
    }


def measure_inprocess_times(large, n: int = 200) -> dict:
    from bench import bare
    from bench.dataset import build_app
    from bench.inprocess import time_gets
    from eventsapp.extensions import db

    app = build_app(large.url)
    times = {
        "bare": time_gets(bare.app, "/", n),
        "event": time_gets(app, f"/events/{large.course_id}", n),
        "list": time_gets(app, "/", n),
    }
    with app.app_context():
        db.engine.dispose()
    return times


def measure_posts(target, n: int, warmup: int = 10) -> dict:
    """Enrolment POSTs, CSRF off: `n` to the course (the budget's case) and n/2 to the
    one-session event without rules, each with a distinct email."""
    from bench.dataset import applicant_form, build_app
    from bench.inprocess import time_posts
    from eventsapp.extensions import db

    app = build_app(target.url, WTF_CSRF_ENABLED=False, MAIL_SERVER=None)
    results = {}
    for name, count in (("course", n), ("simple", n // 2)):
        event_id = target.post_targets[name]
        forms = [applicant_form(i) for i in range(count + warmup + 1)]
        results[name] = time_posts(app, f"/events/{event_id}/enrol", forms, warmup=warmup)
        results[name]["warmup"] = warmup + 1
        results[name]["event_id"] = event_id
    with app.app_context():
        db.engine.dispose()
    return results


def main() -> int:
    args = parse_args()
    started = time.monotonic()
    loadavg = Path("/proc/loadavg").read_text().split()[:3]
    tmp = Path(tempfile.mkdtemp(prefix="eventsapp-bench-"))
    instance = tmp / "instance"
    instance.mkdir()
    os.environ["EVENTSAPP_INSTANCE"] = str(instance)  # nothing lands in the checkout

    from bench import dataset as ds
    from bench import report
    from bench.load import Gunicorn, fetch, wrk_path

    use_wrk = bool(wrk_path()) and not args.python_load
    if not use_wrk:
        log("wrk not found (apt-get install wrk): using the Python load generator")
    servers: dict = {}
    try:
        log(f"preparing databases in {tmp}")
        large = ds.prepare(tmp / "load.db", instance, args.events)
        small = ds.prepare(tmp / "small.db", instance, 0)
        post_db = ds.prepare(tmp / "post.db", instance, args.events, post_target=True)

        env = {
            "DATABASE_URL": large.url,
            "EVENTSAPP_INSTANCE": str(instance),
            "EVENTSAPP_ENV": "development",
            "SECRET_KEY": secrets.token_hex(32),
            "MAIL_SERVER": "",  # whatever the shell has: mail stays in the outbox
        }
        log("starting gunicorn: bare Flask and the real app, 2 sync workers each")
        servers["bare"] = Gunicorn("bench.bare:app", env, tmp / "bare.log")
        servers["app"] = Gunicorn("bench.wsgi:app", env, tmp / "app.log")
        servers["bare"].wait_ready()
        servers["app"].wait_ready()
        targets = {
            "bare": servers["bare"].base + "/",
            "event": servers["app"].base + f"/events/{large.course_id}",
            "list": servers["app"].base + "/",
        }
        status, body = fetch(targets["event"])
        assert status == 200 and ds.COURSE_TITLE.encode() in body, f"event page: {status}"
        status, body = fetch(targets["list"])
        cards = body.count(b'class="event-card"')
        assert status == 200 and cards == 20, f"list page: {status}, {cards} cards"

        load = measure_load(args, servers, targets, use_wrk)
        memory = measure_memory(servers)
        for server in servers.values():
            server.stop()

        log("counting SQL statements per request")
        queries = measure_queries(small, large)
        log("timing requests in-process")
        inprocess_ms = measure_inprocess_times(large)
        log(f"timing {args.posts} enrolment POSTs")
        post = measure_posts(post_db, args.posts)
    except BaseException:
        for server in servers.values():
            if server.log.exists() and server.log.stat().st_size:
                log(f"{server.module} error log (tail):\n{server.log.read_text()[-3000:]}")
        raise
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    now = datetime.now(UTC)
    results = {
        "when": now.strftime("%Y-%m-%d %H:%M UTC"),
        "git": git_state(),
        "machine": {"cpus": os.cpu_count(), "loadavg_before": " ".join(loadavg), **versions()},
        "dataset": {
            "extra_events": args.events,
            "events": large.events,
            "upcoming": large.upcoming,
            "small_events": small.events,
        },
        "load": load,
        "memory": memory,
        "queries": queries,
        "inprocess_ms": inprocess_ms,
        "enrol_post": post,
    }
    results["budget"] = {
        "event_ratio": load["ratios"]["event"] >= report.EVENT_RATIO,
        "list_ratio": load["ratios"]["list"] >= report.LIST_RATIO,
        "queries": queries["fixed"],
        "post": post["course"]["median"] < report.POST_MS,
        "memory": all(w["VmRSS"] < report.WORKER_MB for w in memory["app_workers"]),
    }
    results["results_file"] = now.strftime("%Y%m%d-%H%M%S.json")
    results["elapsed_s"] = time.monotonic() - started
    report.write_json(results, results["results_file"])
    section = report.markdown(results)
    if not args.no_doc:
        report.write_doc(section)
    print(section)
    missed = [name for name, ok in results["budget"].items() if not ok]
    if missed:
        log(f"budget missed: {', '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
