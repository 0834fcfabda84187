"""Background work: a course load as a task, stored by django-tasks-db and run by `db_worker`.

Tests run tasks when they are enqueued (ImmediateBackend); the last test switches to the database
backend that every other environment uses and runs the real worker, in a process of its own, on
the test database.
"""

import subprocess
import sys

import pytest
from django.db import connection
from django.tasks import TaskResultStatus

from content.tasks import content_load
from courses.models import Course
from tests.conftest import MINI_COURSE
from tests.deploy.processes import ROOT, base_env, database_url


@pytest.mark.django_db
def test_content_load_loads_the_course_it_is_given():
    assert not Course.objects.filter(key="mini").exists()

    result = content_load.enqueue(paths=[str(MINI_COURSE)])

    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value["lessons"] == 1
    assert "created course mini" in result.return_value["changes"]
    assert Course.objects.filter(key="mini").exists()


@pytest.mark.django_db
def test_an_invalid_course_fails_the_task_and_writes_nothing(tmp_path):
    (tmp_path / "course.yaml").write_text("course:\n  key: broken\n")

    result = content_load.enqueue(paths=[str(tmp_path)])

    assert result.status == TaskResultStatus.FAILED
    [error] = result.errors
    assert error.exception_class_path == "content.loader.ContentError"
    assert "course.yaml" in error.traceback
    assert not Course.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_db_worker_runs_a_task_that_a_request_process_stored(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    result = content_load.enqueue(paths=[str(MINI_COURSE)])

    assert result.status == TaskResultStatus.READY
    assert not Course.objects.exists()

    worker = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--batch",  # run what is queued, then exit
            "--no-startup-delay",
            "--no-reload",
        ],
        cwd=ROOT,
        env=base_env(
            DATABASE_URL=database_url(connection.settings_dict),
            DJANGO_CACHE_DIR=str(tmp_path / "cache"),
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert worker.returncode == 0, worker.stderr

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
    assert result.return_value["lessons"] == 1
    assert len(result.worker_ids) == 1
    assert Course.objects.filter(key="mini").exists()
