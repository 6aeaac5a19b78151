"""The yardstick: a bare Flask app with one route returning 'ok' (`gunicorn bench.bare:app`)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def ok() -> str:
    return "ok"
