"""Background work past one machine: with REDIS_URL set, tasks are queued in Redis and run by RQ.

The settings choose django-tasks-rq's backend when REDIS_URL is set (docs/deploy.md). Here a
process with those settings and the test database enqueues the project's course load twice, once
for a valid course and once for an invalid one, as an app server would; the real worker,
`manage.py rqworker --burst default`, runs what is queued and exits; a third process reads the
results back from Redis. Nothing runs in the test process, whose own settings run tasks at once.

It needs Redis on 127.0.0.1:6379 and uses database 11 of its own, flushed before and after.
"""

import subprocess
import sys
from collections.abc import Iterator

import pytest
import redis
from django.db import connection

from courses.models import Course
from tests.conftest import MINI_COURSE
from tests.deploy.processes import ROOT, SECRET, base_env, database_url, run_python

REDIS_URL = "redis://127.0.0.1:6379/11"
WORKER_NAME = "learnhall-test-rqworker"

ENQUEUE = """
import json
import sys
import django
django.setup()
from django.conf import settings
from content.tasks import content_load
valid = content_load.enqueue(paths=[sys.argv[1]])
invalid = content_load.enqueue(paths=[sys.argv[2]])
print(json.dumps({
    "backend": settings.TASKS["default"]["BACKEND"],
    "ids": [valid.id, invalid.id],
    "statuses": [valid.status, invalid.status],
}))
"""

READ_RESULTS = """
import json
import sys
import django
django.setup()
from content.tasks import content_load
results = [content_load.get_result(result_id) for result_id in sys.argv[1:]]
print(json.dumps([
    {
        "status": result.status,
        "return_value": result.return_value if result.status == "SUCCESSFUL" else None,
        "errors": [[e.exception_class_path, e.traceback] for e in result.errors],
        "worker_ids": result.worker_ids,
    }
    for result in results
]))
"""


def run_script(script: str, args: list[str], env: dict[str, str]) -> object:
    return run_python(f"import sys; sys.argv[1:] = {args!r}\n{script}", env)


@pytest.fixture
def redis_database() -> Iterator[str]:
    """Redis database 11, empty for the test and emptied after it."""
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


@pytest.mark.django_db(transaction=True)
def test_rqworker_runs_tasks_that_a_request_process_queued_in_redis(redis_database, tmp_path):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "course.yaml").write_text("course:\n  key: broken\n")
    env = base_env(
        DATABASE_URL=database_url(connection.settings_dict),
        REDIS_URL=redis_database,
        DJANGO_CACHE_KEY_PREFIX="test-tasks-rq",
    )

    queued = run_script(ENQUEUE, [str(MINI_COURSE), str(tmp_path / "broken")], env)

    assert queued["backend"] == "django_tasks_rq.RQBackend"
    assert queued["statuses"] == ["READY", "READY"]
    assert redis.Redis.from_url(redis_database).llen("rq:queue:default") == 2
    assert not Course.objects.exists()

    worker = subprocess.run(
        [sys.executable, "manage.py", "rqworker", "--burst", "--name", WORKER_NAME, "default"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert worker.returncode == 0, worker.stdout + worker.stderr

    valid, invalid = run_script(READ_RESULTS, queued["ids"], env)
    assert valid["status"] == "SUCCESSFUL", valid["errors"]
    assert valid["return_value"]["lessons"] == 1
    assert "created course mini" in valid["return_value"]["changes"]
    assert valid["worker_ids"] == [WORKER_NAME]
    assert invalid["status"] == "FAILED"
    [(exception_class_path, traceback)] = invalid["errors"]
    assert exception_class_path == "content.loader.ContentError"
    assert "course.yaml" in traceback
    assert invalid["worker_ids"] == [WORKER_NAME]
    assert list(Course.objects.values_list("key", flat=True)) == ["mini"]


def test_check_deploy_is_clean_under_production_settings_with_redis(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=base_env(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            DJANGO_SECRET_KEY=SECRET,
            DJANGO_ALLOWED_HOSTS="learn.example.org",
            DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
            REDIS_URL=REDIS_URL,
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
