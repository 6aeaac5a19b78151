"""Rate-limit counters live in Redis when RATELIMIT_STORAGE_URI points there, so several
processes (and hosts) count together. Runs against the Redis server on 127.0.0.1:6379."""

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ROOT = Path(__file__).resolve().parent.parent

OTHER_PROCESS = """
import sys
from eventsapp import create_app
app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": sys.argv[1],
                  "RATELIMIT_STORAGE_URI": sys.argv[2], "RATELIMIT_KEY_PREFIX": sys.argv[3],
                  "LOGIN_RATE_LIMIT": "3 per minute"})
response = app.test_client().post("/login", data={"email": "a@example.fi", "password": "x"})
print(response.status_code)
"""


def redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


pytestmark = pytest.mark.skipif(not redis_available(), reason="no Redis on 127.0.0.1:6379")


def attempt_from_another_process(database_uri: str, storage: str, prefix: str) -> int:
    result = subprocess.run(
        [sys.executable, "-c", OTHER_PROCESS, database_uri, storage, prefix],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return int(result.stdout.strip().splitlines()[-1])


def burn_attempts(make_app, storage: str, prefix: str) -> None:
    app = make_app(
        RATELIMIT_STORAGE_URI=storage, RATELIMIT_KEY_PREFIX=prefix, LOGIN_RATE_LIMIT="3 per minute"
    )
    client = app.test_client()
    for _ in range(3):
        assert (
            client.post("/login", data={"email": "a@example.fi", "password": "x"}).status_code
            == 200
        )


def test_login_limit_is_shared_between_processes_through_redis(make_app, database_uri):
    import redis

    prefix = f"eventsapp-test-{uuid.uuid4().hex[:8]}"
    burn_attempts(make_app, REDIS_URL, prefix)
    keys = redis.Redis.from_url(REDIS_URL).keys(f"*{prefix}*")
    try:
        assert keys, "no counter in Redis"
        assert attempt_from_another_process(database_uri, REDIS_URL, prefix) == 429
    finally:
        if keys:
            redis.Redis.from_url(REDIS_URL).delete(*keys)


def test_control_with_memory_storage_each_process_counts_alone(make_app, database_uri):
    prefix = f"eventsapp-test-{uuid.uuid4().hex[:8]}"
    burn_attempts(make_app, "memory://", prefix)
    assert attempt_from_another_process(database_uri, "memory://", prefix) != 429
