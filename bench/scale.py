"""The network's size: pages and the calendar feed at 1 000 and at 10 000 events.

    .venv/bin/python bench/scale.py                                   # SQLite in a temp dir
    TEST_DATABASE_URL=postgresql://127.0.0.1/test .venv/bin/python bench/scale.py

A throwaway database (a fresh PostgreSQL database beside TEST_DATABASE_URL, else SQLite),
migrated with `flask db upgrade`, gets the demo network and then events shaped like the demo's
(bench/dataset.add_events) up to 1 000 and then 10 000. At each size, in this process through
the WSGI app (no network, so the times are the server's own), median of `--rounds`:

- /calendar.ics built (nothing kept), answered 304 from its ETag, and served kept;
- the search `/?q=digitaidot`, the list's page 1 and page 40, with the page cache off;
- SQL statements per list page.

Targets of issue #14 beside each row. Prints a Markdown table; `--json` for the raw numbers.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.dataset import add_events, build_app, sqlite_url  # noqa: E402
from bench.sender import migrate_env_url, postgres_database  # noqa: E402

TARGETS = {
    "feed built": None,
    "feed 304": None,
    "feed kept": 50,
    "search": 30,
    "list page 1": 20,
    "list page 40": 20,
}


def median_ms(client, path: str, rounds: int, **kwargs) -> float:
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        response = client.get(path, **kwargs)
        response.get_data()
        times.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(times), 1)


def measure(app, rounds: int) -> dict:
    from eventsapp.catalogue.cache import page_cache

    client = app.test_client()
    results = {}
    app.config["PAGE_CACHE_BYTES"] = 0
    page_cache().pages.clear()
    app.extensions.pop("page_cache", None)
    results["feed built"] = median_ms(client, "/calendar.ics", max(3, rounds // 4))
    etag = client.get("/calendar.ics").headers["ETag"]
    results["feed 304"] = median_ms(
        client, "/calendar.ics", rounds, headers={"If-None-Match": etag}
    )
    results["search"] = median_ms(client, "/?q=digitaidot", rounds)
    results["list page 1"] = median_ms(client, "/", rounds)
    results["list page 40"] = median_ms(client, "/?page=40", rounds)
    app.config["PAGE_CACHE_BYTES"] = 64 * 1024 * 1024  # room for a big feed, for this measure
    app.extensions.pop("page_cache", None)
    client.get("/calendar.ics")
    results["feed kept"] = median_ms(client, "/calendar.ics", rounds)
    app.config["PAGE_CACHE_BYTES"] = 0
    app.extensions.pop("page_cache", None)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL", ""))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from sqlalchemy import func, select, text

    from eventsapp import demo
    from eventsapp.extensions import db
    from eventsapp.models import Event

    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="eventsapp-scale-") as tmp:
        drop = None
        url = sqlite_url(Path(tmp) / "scale.db")
        if args.postgres:
            url, drop = postgres_database(args.postgres)
        try:
            migrate_env_url(url, Path(tmp))
            app = build_app(url)
            table = {}
            with app.app_context():
                demo.seed()
                db.session.commit()
                for size in sizes:
                    have = db.session.execute(select(func.count(Event.id))).scalar_one()
                    if size > have:
                        add_events(size - have, first=have + 1)
                        db.session.commit()
                        if args.postgres:  # fresh statistics, as autovacuum would give them
                            db.session.execute(text("ANALYZE"))
                            db.session.commit()
                    db.session.remove()
                    table[size] = measure(app, args.rounds)
                db.session.remove()
                db.engine.dispose()
        finally:
            if drop:
                drop()
    database = "PostgreSQL" if args.postgres else "SQLite"
    if args.json:
        print(json.dumps({"database": database, "results": table}))
        return
    print(f"| {database} | " + " | ".join(f"{size} events" for size in sizes) + " | target |")
    print("|---|" + "---|" * (len(sizes) + 1))
    for name, target in TARGETS.items():
        cells = " | ".join(f"{table[size][name]} ms" for size in sizes)
        print(f"| {name} | {cells} | {f'≤ {target} ms' if target else '–'} |")


if __name__ == "__main__":
    main()
