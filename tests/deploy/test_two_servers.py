"""Two app servers, one PostgreSQL database and one Redis: no state lives in a process.

Two gunicorn servers (two worker processes each) on different ports share a PostgreSQL database
made for this test and Redis database 3, as N servers behind a load balancer do
(docs/deploy.md). One browser's cookie jar goes to either server, as a load balancer without
sticky sessions would send it. The settings are production's rule with DEBUG off (persistent
connections, Redis cache, cached_db sessions) over plain HTTP on loopback: `config.settings`,
which leaves the HTTPS hardening to `config.settings.production`.

The test makes its own PostgreSQL database whatever database the suite runs on, so it runs in
both passes of CI; it needs PostgreSQL on 127.0.0.1:5432 (or the suite's DATABASE_URL server)
and Redis on 127.0.0.1:6379.
"""

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis
import requests
from django.db import connection

from tests.conftest import MINI_COURSE
from tests.deploy.processes import ROOT, SECRET, base_env, run_python

REDIS_URL = "redis://127.0.0.1:6379/3"
TIMEOUT_S = 30
STARTUP_DEADLINE_S = 60
PASSWORD = "two-servers-password-2026"

SETUP = f"""
import json
import django
django.setup()
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from content.loader import load_content
from courses import services
from courses.models import LessonSet
from tests.factories import StudentFactory, TeacherFactory

call_command("migrate", verbosity=0)
load_content([__import__("pathlib").Path({str(MINI_COURSE)!r})])
student = StudentFactory(username="stu", password=None)
teacher = TeacherFactory(username="teach", password=None)
# One hash for both: Django's hasher takes about a second here, on purpose.
get_user_model().objects.update(password=make_password({PASSWORD!r}))
classroom = services.classroom_create(name="Two servers", teacher=teacher)
services.enrollment_add(classroom=classroom, student=student)
lesson_set = LessonSet.objects.get(key="mini-set")
print(json.dumps({{"class_id": classroom.pk, "lesson_set": lesson_set.pk}}))
"""


def postgres_server_url() -> str:
    """The PostgreSQL server the suite uses, or the machine's own."""
    settings_dict = connection.settings_dict
    if settings_dict["ENGINE"] == "django.db.backends.postgresql":
        user = settings_dict.get("USER") or "postgres"
        password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
        return (
            f"postgres://{user}{password}@{settings_dict.get('HOST') or '127.0.0.1'}"
            f":{settings_dict.get('PORT') or 5432}"
        )
    return "postgres://postgres@127.0.0.1:5432"


@pytest.fixture
def shared_database() -> Iterator[str]:
    """A PostgreSQL database of this test's own, dropped afterwards."""
    server = postgres_server_url()
    name = f"scaleout_two_servers_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=10) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=10) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def shared_redis() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@dataclass
class Server:
    process: subprocess.Popen
    log: Path
    url: str = ""


def start_server(env: dict[str, str], log: Path) -> Server:
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                "127.0.0.1:0",  # a free port, which gunicorn logs
                "--workers",
                "2",
                "--no-control-socket",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(process, log)


def wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_DEADLINE_S
    while time.monotonic() < deadline:
        assert server.process.poll() is None, server.log.read_text()
        if not server.url:
            found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", server.log.read_text())
            server.url = found.group(1) if found else ""
        if server.url:
            try:
                if requests.get(f"{server.url}/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:  # refused, or a worker still starting
                pass
        time.sleep(0.1)
    pytest.fail(f"no answer within {STARTUP_DEADLINE_S} s:\n{server.log.read_text()}")


def stop_servers(servers: list[Server]) -> None:
    running = [server for server in servers if server.process.poll() is None]
    for server in running:
        os.killpg(server.process.pid, signal.SIGINT)  # gunicorn's quick shutdown
    for server in running:
        try:
            server.process.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()


@pytest.fixture
def two_servers(shared_database, shared_redis, tmp_path) -> Iterator[tuple[Server, Server, dict]]:
    env = base_env(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=SECRET,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=shared_database,
        REDIS_URL=REDIS_URL,
        # Were the Redis settings ignored, both servers would share this directory instead and
        # the test could pass without Redis: the test also looks for the session in Redis.
        DJANGO_CACHE_DIR=str(tmp_path / "file-cache"),
    )
    # The servers boot while the database is made: neither needs the other until a request.
    servers = [start_server(env, tmp_path / f"server-{name}.log") for name in "ab"]
    try:
        ids = run_python(SETUP, env, timeout_s=120)
        for server in servers:
            wait_until_up(server)
        yield servers[0], servers[1], {**ids, "database": shared_database}
    finally:
        stop_servers(servers)


class Browser:
    """One browser's cookies, sent to whichever server a request names."""

    def __init__(self) -> None:
        self.session = requests.Session()

    def get(self, server: Server, path: str) -> requests.Response:
        return self.session.get(server.url + path, allow_redirects=False, timeout=TIMEOUT_S)

    def post(self, server: Server, path: str, data: dict) -> requests.Response:
        token = self.session.cookies.get("csrftoken") or self._csrf_token(server)
        return self.session.post(
            server.url + path,
            data={**data, "csrfmiddlewaretoken": token},
            allow_redirects=False,
            timeout=TIMEOUT_S,
        )

    def _csrf_token(self, server: Server) -> str:
        self.get(server, "/accounts/login/").raise_for_status()
        return self.session.cookies["csrftoken"]

    def log_in(self, server: Server, username: str) -> None:
        response = self.post(
            server, "/accounts/login/", {"username": username, "password": PASSWORD}
        )
        assert response.status_code == 302, response.text


def idle_connections(database_url: str) -> int:
    server, name = database_url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", connect_timeout=10) as admin:
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state = 'idle'"
        return admin.execute(query, [name]).fetchone()[0]


def new_cards(html: str) -> int:
    """The new cards left today, from the study page's counter ("N due · M new")."""
    found = re.search(r"\d+ due · (\d+) new", html)
    assert found, "no card on the study page"
    return int(found.group(1))


def test_sessions_ratings_and_invalidations_cross_servers(two_servers, shared_redis):
    a, b, ids = two_servers
    student = Browser()

    assert student.get(b, "/").status_code == 302  # to the login page
    student.log_in(a, "stu")

    # The session made on A is in Redis and valid on B.
    session_keys = shared_redis.keys("learnhall:*cached_db*")
    assert len(session_keys) == 1, session_keys
    dashboard = student.get(b, "/")
    assert dashboard.status_code == 200
    assert "Nothing is assigned to you yet" in dashboard.text

    # B derives the student's study context (nothing assigned) and caches it.
    study = student.get(b, "/study/")
    assert study.status_code == 200
    assert "No cards yet" in study.text

    # The teacher assigns the mini set on A; B must not serve what it cached.
    teacher = Browser()
    teacher.log_in(b, "teach")
    assigned = teacher.post(
        a,
        f"/classes/{ids['class_id']}/assignments/new/",
        {
            "lesson_set": ids["lesson_set"],
            "kind": "study",
            "due_at": "2099-01-01T12:00",
            "target_recall": "85",
            "feedback": "immediate",
        },
    )
    assert assigned.status_code == 302, assigned.text
    study = student.get(b, "/study/")
    assert "No cards yet" not in study.text
    new_before = new_cards(study.text)
    assert new_before > 0
    assert "0 of 5 cards studied" in student.get(b, "/").text

    # The student rates a card on A; B shows the rating.
    card_id = re.search(r"\?show=(\d+)", student.get(a, "/study/").text).group(1)
    back = student.get(a, f"/study/?show={card_id}").text
    reps = re.search(r'name="reps" value="(\d+)"', back).group(1)
    rated = student.post(
        a, "/study/", {"card": card_id, "reps": reps, "rating": "3", "duration_ms": "4000"}
    )
    assert rated.status_code == 302
    study = student.get(b, "/study/")
    assert new_cards(study.text) == new_before - 1
    assert 'name="action" value="undo"' in study.text
    assert "1 of 5 cards studied" in student.get(b, "/").text

    # Each worker process keeps its connection between requests (CONN_MAX_AGE), at most one
    # each: two servers of two workers.
    kept = idle_connections(ids["database"])
    assert 1 <= kept <= 4, kept

    # The session outlives the cache: written through to PostgreSQL.
    shared_redis.flushdb()
    assert student.get(a, "/").status_code == 200

    # Logging out on B ends the session on A too.
    logged_out = student.post(b, "/accounts/logout/", {})
    assert logged_out.status_code == 302
    assert student.get(a, "/").status_code == 302
    assert student.get(a, "/").headers["Location"].startswith("/accounts/login/")
