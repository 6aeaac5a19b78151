"""The results as Markdown (stdout and the "Latest results" section of docs/performance.md)
and as raw JSON (bench/results/, gitignored)."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "performance.md"
RESULTS = ROOT / "bench" / "results"
SECTION = "## Latest results"

# The budget, as docs/performance.md states it.
EVENT_RATIO = 1 / 4
LIST_RATIO = 1 / 6
POST_MS = 15.0
WORKER_MB = 75.0
PRETIX_RATIO = 1 / 100

FALLBACK_INTRO = """\
# Performance

Run `make bench` (or `.venv/bin/python bench/run.py`). See bench/run.py for what it measures.
"""


def verdict(ok: bool) -> str:
    return "pass" if ok else "**MISS**"


def one_in(ratio: float) -> str:
    return f"1/{1 / ratio:.1f}" if ratio > 0 else "n/a"


def _rss(workers: list[dict], key: str = "VmRSS") -> str:
    return ", ".join(f"{w.get(key, 0):.1f}" for w in workers)


def markdown(r: dict) -> str:
    load, q, posts, mem, ms = (
        r["load"],
        r["queries"],
        r["enrol_post"],
        r["memory"],
        r["inprocess_ms"],
    )
    post, simple = posts["course"], posts["simple"]
    med, ratio = load["median_rps"], load["ratios"]
    budget = r["budget"]
    if load["tool"] == "wrk":
        tool_text = f"wrk (1 thread, {load['connections']} connections)"
    else:
        tool_text = (
            f"the Python fallback load generator ({load['connections']} threads; it under-"
            "measures bare Flask, so the ratios come out flattering: install wrk)"
        )
    ev_q, li_q = q["event_page"], q["list_page"]
    git = r["git"]
    dirty = f" plus {git['dirty']} uncommitted files" if git["dirty"] else ""
    lines = [
        SECTION,
        "",
        f"Run {r['when']} on {r['machine']['cpus']} CPUs (load average before: "
        f"{r['machine']['loadavg_before']}); git {git['commit']}{dirty}; Python "
        f"{r['machine']['python']}, gunicorn {r['machine']['gunicorn']}, 2 sync workers. "
        f"Load: {tool_text}, {load['rounds_count']} interleaved rounds of "
        f"{load['seconds']:g} s per page. Database: SQLite, the demo network plus "
        f"{r['dataset']['extra_events']} events ({r['dataset']['upcoming']} upcoming). "
        f"The whole run took {r['elapsed_s']:.0f} s.",
        "",
        "| Measure | Result | Budget | |",
        "|---|---|---|---|",
        f"| Bare Flask 'ok', req/s (median of rounds) | {med['bare']:.0f} | yardstick | |",
        f"| Event page `/events/<id>` (the course), req/s | {med['event']:.0f} | | |",
        f"| List page `/`, req/s | {med['list']:.0f} | | |",
        f"| Event page / bare | {ratio['event']:.3f} ({one_in(ratio['event'])}) "
        f"| ≥ 0.250 (1/4) | {verdict(budget['event_ratio'])} |",
        f"| List page / bare | {ratio['list']:.3f} ({one_in(ratio['list'])}) "
        f"| ≥ 0.167 (1/6) | {verdict(budget['list_ratio'])} |",
        f"| SQL queries, event page, {q['sizes'][0]} / {q['sizes'][1]} events in the database "
        f"| {' / '.join(str(n) for n in ev_q['counts'])} | fixed | {verdict(budget['queries'])} |",
        f"| SQL queries, list page, {li_q['cards'][0]} / {li_q['cards'][1]} / "
        f"{li_q['cards'][2]} cards shown | {' / '.join(str(n) for n in li_q['counts'])} "
        f"| fixed | {verdict(budget['queries'])} |",
        f"| Enrolment POST (the course), server ms, median (p95) | {post['median']:.1f} "
        f"({post['p95']:.1f}) | < 15 | {verdict(budget['post'])} |",
        f"| Real-app worker RSS after the load, MB | {_rss(mem['app_workers'])} | < 75 each "
        f"| {verdict(budget['memory'])} |",
        "",
        "Per round (req/s; ratios within the round; in brackets the gunicorn processes' CPU ms "
        "per request):",
        "",
        "| Round | Bare | Event | List | Event/bare | List/bare |",
        "|---|---|---|---|---|---|",
    ]
    for i, rnd in enumerate(load["rounds"], start=1):
        b, e, li = (rnd[p]["rps"] for p in ("bare", "event", "list"))
        cb, ce, cl = (rnd[p]["server_cpu_ms_per_request"] for p in ("bare", "event", "list"))
        lines.append(
            f"| {i} | {b:.0f} ({cb:.2f}) | {e:.0f} ({ce:.2f}) | {li:.0f} ({cl:.2f}) "
            f"| {e / b:.3f} | {li / b:.3f} |"
        )
    cpu, cpu_ratio, busy = load["server_cpu_ms"], load["cpu_ratios"], load["server_cores_busy"]
    lat = {k: load["rounds"][-1][k]["latency_ms"] for k in ("bare", "event", "list")}

    def server(name: str) -> str:
        return f"{ms[name]['median']:.2f} / {ms[name]['cpu_median']:.2f}"

    lines += [
        "",
        "Details:",
        "",
        f"- Cross-check by CPU cost, which a busy machine does not distort: the gunicorn "
        f"processes spent {cpu['bare']:.2f} ms of CPU per bare request, {cpu['event']:.2f} per "
        f"event page and {cpu['list']:.2f} per list page (medians of the rounds), i.e. "
        f"event/bare {cpu_ratio['event']:.3f} ({one_in(cpu_ratio['event'])}) and list/bare "
        f"{cpu_ratio['list']:.3f} ({one_in(cpu_ratio['list'])}). Meanwhile the two workers "
        f"had {busy['bare']:.2f} / {busy['event']:.2f} / {busy['list']:.2f} cores "
        "(bare / event / list) of the machine's two.",
        f"- Errors under load (non-2xx/3xx or socket): {load['errors']}. Latency p50 in the "
        f"last round, ms: bare {lat['bare'].get('p50', 'n/a')}, event "
        f"{lat['event'].get('p50', 'n/a')}, list {lat['list'].get('p50', 'n/a')}.",
        f"- Server time per request in-process (test client, {ms['event']['n']} requests; "
        f"median wall / median CPU ms): bare {server('bare')}, event page {server('event')}, "
        f"list page {server('list')}. The CPU time leaves out waiting for a busy machine.",
        f"- SQL queries per request: event page {ev_q['detail']}; list page "
        f"{li_q['detail']}. BEGIN/SAVEPOINT bookkeeping is not counted; the SQL is in the JSON.",
        f"- Enrolment POST, in-process, CSRF off, every POST a confirmed enrolment with a "
        f"distinct email (303): {post['n']} to a five-session course with the age, "
        f"municipality and gender rules: median {post['median']:.1f} ms (CPU "
        f"{post['cpu_median']:.1f}), p95 {post['p95']:.1f}, max {post['max']:.1f}, "
        f"{post['queries']} queries; {simple['n']} to a one-session event without rules: "
        f"median {simple['median']:.1f} ms (CPU {simple['cpu_median']:.1f}), p95 "
        f"{simple['p95']:.1f}, {simple['queries']} queries.",
        f"- Worker memory after the load, MB: real app VmRSS {_rss(mem['app_workers'])} (peak "
        f"{_rss(mem['app_workers'], 'VmHWM')}; PSS {_rss(mem['app_workers'], 'Pss')}; private "
        f"{_rss(mem['app_workers'], 'Private')}); bare Flask VmRSS {_rss(mem['bare_workers'])}; "
        f"the real app's gunicorn master {mem['app_master']['VmRSS']:.1f}.",
        f"- pretix serves its event page at about {one_in(PRETIX_RATIO)} of bare Flask; "
        f"this event page, at {one_in(ratio['event'])}.",
        f"- Raw results: `bench/results/{r['results_file']}` (gitignored).",
        "",
    ]
    return "\n".join(lines)


def write_doc(section: str, doc: Path = DOC) -> None:
    """Replace the "Latest results" section (up to the next `## ` heading) or append it."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else FALLBACK_INTRO
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    text = text.rstrip("\n") + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text, encoding="utf-8")


def write_json(results: dict, name: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    text = json.dumps(results, indent=2, ensure_ascii=False, default=str)
    path.write_text(text, encoding="utf-8")
    (RESULTS / "latest.json").write_text(text, encoding="utf-8")
    return path
