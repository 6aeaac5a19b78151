"""The real app as the benchmark serves it (`gunicorn bench.wsgi:app`).

bench/run.py sets the environment: DATABASE_URL (the throwaway SQLite database),
EVENTSAPP_INSTANCE (a temp dir), EVENTSAPP_ENV=development and a random SECRET_KEY. Debug is
off. (Production mode is not used: with SECRET_KEY in the environment, config.check refuses
to start, see docs/performance.md.)
"""

import os

from eventsapp import create_app

app = create_app({"SECRET_KEY": os.environ["SECRET_KEY"], "DEBUG": False, "TESTING": False})
