"""/healthz answers within a bounded time when the database hangs, and over plain HTTP.

Each case runs a fresh process whose settings name a database that misbehaves in a real way: a
server that accepts the TCP connection and never answers, or a SQLite file that another process
keeps locked. The process is given 15 seconds; a check that waits for the database instead of
giving up after its own short timeout does not answer in time and the test fails.
"""

import json
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLIENT_TIMEOUT_S = 15
SECRET = "a-long-random-production-secret-" + "x7Q9" * 12


def get_in_fresh_process(paths: list[str], env: dict[str, str]) -> list[tuple[int, dict, str]]:
    """GET each path with Django's test client in a new process: (status, headers, body) each."""
    script = (
        "import json, django; django.setup(); from django.test import Client; c = Client(); "
        f"print(json.dumps([(r.status_code, dict(r.headers), r.content.decode()) "
        f"for r in (c.get(p) for p in {paths!r})]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=CLIENT_TIMEOUT_S,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that accepts every connection and never sends a byte."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept_and_hold() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # the server was closed: the test is over
                return
            held.append(conn)

    thread = threading.Thread(target=accept_and_hold, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    server.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone does not
    server.close()
    thread.join()
    for conn in held:
        conn.close()


def test_healthz_answers_503_when_postgresql_accepts_but_never_answers(silent_server):
    [(status, _, body)] = get_in_fresh_process(
        ["/healthz"], {"DATABASE_URL": f"postgres://nobody@127.0.0.1:{silent_server}/nothing"}
    )
    assert status == 503
    assert json.loads(body) == {"status": "error", "database": "unreachable"}


def test_healthz_answers_503_when_another_process_holds_the_sqlite_file_locked(tmp_path):
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA journal_mode=WAL")
    holder.execute("CREATE TABLE t (x)")
    # Exclusive locking mode in WAL keeps every other connection out until this one lets go,
    # as a backup tool or a stuck writer in another process would.
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO t VALUES (1)")
    try:
        [(status, _, body)] = get_in_fresh_process(
            ["/healthz"], {"DATABASE_URL": f"sqlite:///{path}"}
        )
    finally:
        holder.close()
    assert status == 503
    assert json.loads(body) == {"status": "error", "database": "unreachable"}


def test_healthz_answers_over_plain_http_under_production_settings(tmp_path):
    """An internal checker speaks HTTP to the app directly; every other page goes to HTTPS."""
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": SECRET,
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    (health_status, health_headers, body), (home_status, home_headers, _) = get_in_fresh_process(
        ["/healthz", "/"], env
    )
    assert health_status == 200
    assert health_headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"status": "ok", "database": "reachable"}
    assert home_status == 301
    assert home_headers["Location"] == "https://testserver/"
