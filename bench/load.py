"""Servers under load: gunicorn processes, the load generator (wrk, else Python) and worker RSS."""

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class LoadResult:
    url: str
    tool: str
    seconds: float
    requests: int
    rps: float
    errors: int  # non-2xx/3xx responses and socket errors
    latency_ms: dict = field(default_factory=dict)  # p50, p99 (wrk) or p50, p95 (python)

    def as_dict(self) -> dict:
        return asdict(self)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """`gunicorn --worker-class sync --workers 2` serving `module` on a free loopback port.

    Sync workers close the connection after each response (no keep-alive), as in production.
    """

    def __init__(self, module: str, env: dict[str, str], log: Path, workers: int = 2):
        self.module = module
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable, "-m", "gunicorn",
            "--chdir", str(ROOT),
            "--worker-class", "sync",
            "--workers", str(workers),
            "--bind", f"127.0.0.1:{self.port}",
            "--log-level", "warning",
            "--error-logfile", str(log),
            module,
        ]  # fmt: skip
        self.log = log
        self.process = subprocess.Popen(command, env={**os.environ, **env}, cwd=ROOT)

    def wait_ready(self, path: str = "/", timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.module} exited: {self.log.read_text()[-2000:]}")
            try:
                status, _ = fetch(self.base + path)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.module} did not answer in {timeout} s")

    def worker_pids(self) -> list[int]:
        return children(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def children(pid: int) -> list[int]:
    """The child processes of `pid` (gunicorn's workers)."""
    found: list[int] = []
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        found = [int(p) for p in text.split()]
    except OSError:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    status = (entry / "status").read_text()
                except OSError:
                    continue
                if re.search(rf"^PPid:\s+{pid}$", status, re.MULTILINE):
                    found.append(int(entry.name))
    return sorted(found)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by the processes `pids` (from /proc/<pid>/stat)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def memory_mb(pid: int) -> dict[str, float]:
    """Memory of a process in MiB: VmRSS (resident now, the budget's measure), VmHWM (peak
    resident), and from smaps_rollup Pss (shared pages split between their users) and
    Private (pages of this process alone)."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = round(int(rest.split()[0]) / 1024, 1)
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return values
    kib = {}
    for line in rollup[1:]:
        key, _, rest = line.partition(":")
        if rest.strip():
            kib[key] = int(rest.split()[0])
    values["Pss"] = round(kib.get("Pss", 0) / 1024, 1)
    values["Private"] = round((kib.get("Private_Clean", 0) + kib.get("Private_Dirty", 0)) / 1024, 1)
    return values


def fetch(url: str, timeout: float = 10.0) -> tuple[int, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def wrk_path() -> str | None:
    return shutil.which("wrk")


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return round(float(number) * _UNITS_MS[unit], 3)


def run_wrk(url: str, seconds: float, connections: int) -> LoadResult:
    command = [
        wrk_path() or "wrk", "--threads", "1", "--connections", str(connections),
        "--duration", f"{seconds:g}s", "--latency", url,
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out):
        errors += int(match.group(1))
    if match := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    ):
        errors += sum(int(g) for g in match.groups())
    latency = {}
    for pct in ("50", "99"):
        if match := re.search(rf"^\s+{pct}(?:\.0+)?%\s+([\d.]+(?:us|ms|s|m))", out, re.MULTILINE):
            latency[f"p{pct}"] = _ms(match.group(1))
    return LoadResult(
        url=url,
        tool="wrk",
        seconds=_ms(total.group(2) + total.group(3)) / 1000,
        requests=int(total.group(1)),
        rps=rps,
        errors=errors,
        latency_ms=latency,
    )


def run_python(url: str, seconds: float, connections: int) -> LoadResult:
    """Fallback load: `connections` threads, each a new connection per request (no keep-alive).

    The generator shares the GIL and the machine's cores with the server, so it caps the rate
    it can measure: the bare app is under-measured more than the real app and ratios come out
    flattering. Install wrk (apt-get install wrk) for numbers to trust.
    """
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    deadline = time.perf_counter() + seconds
    lock = threading.Lock()
    latencies: list[float] = []
    errors = 0

    def worker() -> None:
        nonlocal errors
        mine, bad = [], 0
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                conn.request("GET", path, headers={"Connection": "close"})
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status >= 400:
                    bad += 1
                else:
                    mine.append(time.perf_counter() - start)
            except OSError:
                bad += 1
        with lock:
            latencies.extend(mine)
            errors += bad

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 3)

    return LoadResult(
        url=url,
        tool="python",
        seconds=round(elapsed, 3),
        requests=len(latencies),
        rps=round(len(latencies) / elapsed, 2),
        errors=errors,
        latency_ms={"p50": pct(0.50), "p95": pct(0.95)} if latencies else {},
    )


def run_load(url: str, seconds: float, connections: int, use_wrk: bool) -> LoadResult:
    if use_wrk:
        return run_wrk(url, seconds, connections)
    return run_python(url, seconds, connections)
