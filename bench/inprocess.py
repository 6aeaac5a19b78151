"""Measures taken inside this process with the test client: SQL statements per request and
server time per request (the time around the WSGI call, response body included)."""

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import event as sa_event


class Timed:
    """WSGI middleware: records the seconds spent in the app until its body is read, as wall
    time (`samples`) and as this thread's CPU time (`cpu`; waiting for a busy CPU excluded)."""

    def __init__(self, app: Callable):
        self.app = app
        self.samples: list[float] = []
        self.cpu: list[float] = []

    def __call__(self, environ, start_response):
        start, start_cpu = time.perf_counter(), time.thread_time()
        body = self.app(environ, start_response)
        try:
            chunks = list(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        self.samples.append(time.perf_counter() - start)
        self.cpu.append(time.thread_time() - start_cpu)
        return chunks

    def clear(self) -> None:
        self.samples.clear()
        self.cpu.clear()

    def summary(self) -> dict:
        result = summary_ms(self.samples)
        result["cpu_median"] = round(statistics.median(self.cpu) * 1000, 3)
        return result


@contextmanager
def statements(engine) -> Iterator[list[str]]:
    """Collect every SQL statement the engine sends to the database while in the block."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _executemany) -> None:
        seen.append(" ".join(statement.split()))

    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)


def is_query(statement: str) -> bool:
    """A statement that reads or writes data; BEGIN / SAVEPOINT / RELEASE are bookkeeping."""
    return statement.split(" ", 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"}


def count_queries(app, url: str) -> dict:
    """Statements of one GET of `url` (after one warm-up request), checked to answer 200.
    The page cache is off while counting: this is what rendering the page costs (a kept page
    costs the one freshness query)."""
    from eventsapp.extensions import db

    cache_bytes = app.config["PAGE_CACHE_BYTES"]
    app.config["PAGE_CACHE_BYTES"] = 0
    client = app.test_client(use_cookies=False)
    first = client.get(url)
    if first.status_code != 200:
        raise RuntimeError(f"GET {url} answered {first.status_code}")
    with app.app_context():
        engine = db.engine
    with statements(engine) as seen:
        response = client.get(url)
    assert response.status_code == 200, url
    app.config["PAGE_CACHE_BYTES"] = cache_bytes
    return {
        "url": url,
        "statements": len(seen),
        "queries": sum(is_query(s) for s in seen),
        "sql": seen,
        "bytes": len(response.data),
        "cards": response.data.count(b'class="event-card"'),
    }


def _why(response) -> str:
    """Why a POST did not enrol: the status and the page's error messages, briefly."""
    import re

    html = response.get_data(as_text=True)
    errors = re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]{1,200})', html)
    return f"{response.status_code} {response.headers.get('Location', '')} {errors[:5]}"


def summary_ms(samples: list[float]) -> dict:
    ordered = sorted(samples)
    n = len(ordered)
    return {
        "n": n,
        "median": round(statistics.median(ordered) * 1000, 3),
        "p95": round(ordered[min(n - 1, int(0.95 * n))] * 1000, 3),
        "mean": round(statistics.fmean(ordered) * 1000, 3),
        "max": round(ordered[-1] * 1000, 3),
    }


def time_gets(app, url: str, n: int, warmup: int = 20) -> dict:
    """Server time of `n` GETs of `url` through the app's WSGI callable."""
    timed = Timed(app.wsgi_app)
    app.wsgi_app = timed
    try:
        client = app.test_client(use_cookies=False)
        for _ in range(warmup):
            client.get(url)
        timed.clear()
        for _ in range(n):
            response = client.get(url)
            assert response.status_code == 200, url
        return timed.summary()
    finally:
        app.wsgi_app = timed.app


def time_posts(app, url: str, forms: list[dict], warmup: int = 10) -> dict:
    """Server time of POSTing each form to `url`; every POST must answer 303 (enrolled).

    A client without cookies per POST: the flash message of each success would otherwise pile
    up in the session cookie and make every later request slower than a real person's.
    """
    from eventsapp.extensions import db

    timed = Timed(app.wsgi_app)
    app.wsgi_app = timed
    with app.app_context():
        engine = db.engine
    try:
        client = app.test_client(use_cookies=False)
        for form in forms[:warmup]:
            response = client.post(url, data=form)
            assert response.status_code == 303, _why(response)
        timed.clear()
        with statements(engine) as seen:
            response = client.post(url, data=forms[warmup])
        assert response.status_code == 303, _why(response)
        sql_one = list(seen)
        timed.clear()
        for form in forms[warmup + 1 :]:
            response = client.post(url, data=form)
            assert response.status_code == 303, _why(response)
        result = timed.summary()
        result["statements"] = len(sql_one)
        result["queries"] = sum(is_query(s) for s in sql_one)
        result["sql"] = sql_one
        return result
    finally:
        app.wsgi_app = timed.app
