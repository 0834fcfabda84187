"""A Redis that accepts connections and never answers holds a request for seconds, not minutes.

A signed-in request reads its session from the cache and, on a miss, writes it back; the write
raises, and the middleware reads the session again on the way out: four Redis calls. With
redis-py's default 5 s socket timeout that is 20 s; with the settings' 0.5 s, about 2 s. The
request fails (Django's cached_db sessions do not survive a cache that raises on write), but it
fails fast and frees its worker.
"""

from tests.deploy.processes import SECRET, base_env, run_python
from tests.test_health import silent_server  # noqa: F401  (a fixture)

BOUND_S = 4  # 4 × 0.5 s, and the rest of the request

SCRIPT = """
import json, time
import django
django.setup()
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.test import Client

for app in ("auth", "sessions"):
    call_command("migrate", app, verbosity=0)
session = SessionStore()  # straight to the database: the cache is what is broken
session["anything"] = 1
session.create()
client = Client(raise_request_exception=False)
client.cookies["sessionid"] = session.session_key
started = time.monotonic()
response = client.get("/")
print(json.dumps({"status": response.status_code, "elapsed_s": time.monotonic() - started}))
"""


def test_a_request_with_a_session_gives_up_on_a_silent_redis_within_seconds(
    silent_server,  # noqa: F811
    tmp_path,
):
    found = run_python(
        SCRIPT,
        base_env(
            DJANGO_SECRET_KEY=SECRET,
            DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
            REDIS_URL=f"redis://127.0.0.1:{silent_server}/1",
        ),
    )
    assert found["elapsed_s"] < BOUND_S, found
    assert found["elapsed_s"] > 1, "the cache was not asked: is REDIS_URL still read?"
